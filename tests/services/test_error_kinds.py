"""Each kind of the error model, raised through the services by a real user mistake on a
real database built from the small model: the kind says what went wrong (and so which exit
code and HTTP status the shells give), the message says where, and nothing is stored."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from argon2 import PasswordHasher
from sqlalchemy import Engine, Table, func, select

from stocktake.errors import Conflict, Forbidden, Invalid, NotFound, StocktakeError
from stocktake.model.files import ModelError
from stocktake.services.admin import accounts
from stocktake.services.data.approval import ApprovalError, approve
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import priority_status
from stocktake.services.routines.plans import load_plan, show_plan
from stocktake.services.routines.stocktakes import record_stocktake, update_action
from stocktake.store import schema
from stocktake.store.schema_accounts import users

T0 = datetime(2024, 1, 2)
EXAMPLES = Path(__file__).parents[2] / "examples" / "delivery"
PLAN, STOCKTAKE = EXAMPLES / "plan.yaml", EXAMPLES / "stocktake.yaml"


@pytest.fixture
def world(engine: Engine, small_model_dir: Path) -> Engine:
    load_model(engine, small_model_dir, loaded_by="t", now=T0)
    return engine


def rows(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def plan() -> dict[str, Any]:
    return yaml.safe_load(PLAN.read_text(encoding="utf-8"))


# -- NotFound -------------------------------------------------------------------------------

def test_an_unknown_priority_is_not_found_with_the_did_you_mean(world):
    with pytest.raises(NotFound) as caught:
        priority_status(Snapshot(world), priority="p1")
    # p1 differs from P1 only in case: too short for difflib alone to offer it
    assert str(caught.value).endswith("(did you mean 'P1'?)")
    assert "'p1' is not a priority" in str(caught.value)
    assert caught.value.exit_code == 3 and caught.value.http_status == 404


def test_an_unknown_unit_plan_version_or_action_is_not_found(world):
    with pytest.raises(NotFound, match=r"'A3' is not a unit .*\(did you mean 'A'\?\)"):
        priority_status(Snapshot(world), priority="P1", unit="A3")
    with pytest.raises(NotFound, match="has no delivery plan"):
        show_plan(world, "P1")
    load_plan(world, "P1", PLAN, author="a", reason="", at=datetime(2024, 2, 1))
    with pytest.raises(NotFound, match="no plan version 7 \\(versions 1..1\\)"):
        show_plan(world, "P1", version=7)
    with pytest.raises(NotFound, match="no action 99"):
        update_action(world, 99, status="done", by="DU")


# -- Invalid --------------------------------------------------------------------------------

def test_a_plan_with_two_problems_lists_both_with_where_and_stores_nothing(world):
    doc = plan()
    doc["owners"] = "Delivery Unit"  # an unknown key
    doc["interventions"][0]["start"] = "2024-13"  # not a month
    with pytest.raises(Invalid) as caught:
        load_plan(world, "P1", doc, author="a", reason="", at=datetime(2024, 2, 1))
    err = caught.value
    assert [p.where for p in err.problems] == ["owners", "interventions[0].start"]
    assert err.problems[0].message.startswith("unknown key")
    assert "month 13" in err.problems[1].message
    assert str(err).startswith("2 problems:\n  - owners: unknown key")
    assert err.exit_code == 2 and err.http_status == 422
    assert rows(world, schema.plan_versions) == 0


def test_model_files_with_two_problems_list_both_at_their_file_and_line(engine,
                                                                         small_model_dir):
    units = small_model_dir / "units.csv"
    units.write_text(units.read_text().replace("B1,Region B1,region,B,",
                                               "B1,Region B1,region,C,"))
    indicators = small_model_dir / "indicators.yaml"
    indicators.write_text(indicators.read_text().replace("polarity: down", "polarity: dwn", 1))
    with pytest.raises(ModelError) as caught:
        load_model(engine, small_model_dir, loaded_by="t", now=T0)
    err = caught.value
    assert isinstance(err, Invalid)
    by_file = {p.file: p for p in err.problems}
    assert set(by_file) == {"units.csv", "indicators.yaml"}
    assert by_file["units.csv"].where == "units.csv:7: field 'parent'"
    assert by_file["indicators.yaml"].where.startswith("indicators.yaml:")
    assert "(did you mean 'down'?)" in by_file["indicators.yaml"].message
    # the text reads as it always has: where, then what
    assert str(err).startswith("2 problem(s) in the delivery model:\n  ")
    assert "  units.csv:7: field 'parent': 'C' is not a unit code" in str(err)
    assert rows(engine, schema.units) == 0


def test_a_missing_author_or_a_bad_moment_is_invalid(world):
    with pytest.raises(Invalid, match="needs an author"):
        load_plan(world, "P1", PLAN, author=" ", reason="", at=datetime(2024, 2, 1))
    with pytest.raises(Invalid, match="month 13"):
        approve(world, "A", "2025-13", by="chief")
    assert rows(world, schema.plan_versions) == 0 and rows(world, schema.approvals) == 0


# -- Conflict -------------------------------------------------------------------------------

def test_approving_an_approved_period_is_a_conflict_and_changes_nothing(world):
    approve(world, "A", "2025-01", by="chief", now=datetime(2025, 2, 1))
    with pytest.raises(Conflict) as caught:
        approve(world, "A", "2025-01", by="chief", now=datetime(2025, 2, 2))
    assert isinstance(caught.value, ApprovalError)
    assert str(caught.value) == "A 2025-01 is already approved and locked"
    assert caught.value.exit_code == 4 and caught.value.http_status == 409
    assert rows(world, schema.approvals) == 1


def test_a_second_stocktake_on_the_same_day_is_a_conflict(world):
    record_stocktake(world, "P1", STOCKTAKE, by="DU", at=datetime(2024, 10, 16))
    with pytest.raises(Conflict, match="on 2024-10-15 is already recorded"):
        record_stocktake(world, "P1", STOCKTAKE, by="DU", at=datetime(2024, 10, 17))
    assert rows(world, schema.stocktakes) == 1


# -- Forbidden ------------------------------------------------------------------------------

def test_a_wrong_password_is_forbidden(world, monkeypatch):
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                            parallelism=1))
    accounts.create_user(world, "alice", "analyst", "correct horse battery", now=T0)
    with pytest.raises(Forbidden) as caught:
        accounts.authenticate(world, "alice", "wrong horse battery", ip="1.2.3.4", now=T0)
    assert isinstance(caught.value, accounts.LoginFailed)
    assert caught.value.exit_code == 5 and caught.value.http_status == 403
    with pytest.raises(Conflict, match="already a user 'alice'"):
        accounts.create_user(world, "Alice", "analyst", "another long password", now=T0)
    with pytest.raises(NotFound, match="no user 'bob'"):
        accounts.get_user(world, "bob")
    with pytest.raises(Invalid, match="too short"):
        accounts.create_user(world, "bob", "analyst", "short", now=T0)
    assert rows(world, users) == 1


def test_every_account_error_is_still_an_account_error():
    # the web's account forms catch the family; the shells map each to its kind
    kinds = [accounts.AccountInvalid, accounts.UnknownAccount, accounts.AccountConflict,
             accounts.LoginFailed, accounts.LoginRefused]
    assert all(issubclass(k, accounts.AccountError) for k in kinds)
    assert [k.exit_code for k in kinds] == [2, 3, 4, 5, 5]
    assert not issubclass(accounts.AccountError, Invalid | NotFound | Conflict | Forbidden)
    assert issubclass(accounts.AccountError, StocktakeError)
