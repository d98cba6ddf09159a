"""Security of accounts (issue #15) on real SQLite and PostgreSQL: tokens that follow their
account, sign-in throttled by account and address together, the password policy, and the
append-only audit log."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from stocktake.errors import Forbidden, Invalid
from stocktake.services.admin import accounts, audit
from stocktake.services.admin.accounts import (
    AccountError,
    LoginFailed,
    LoginRefused,
    TokenRefused,
    throttle_delay,
    throttle_until,
)
from stocktake.services.data.model_service import load_model
from stocktake.store.schema_accounts import audit_log, login_attempts

T0 = datetime(2025, 3, 1, 9, 0)
PW = "correct horse battery"


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture
def model(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t", now=T0)
    accounts.create_user(engine, "root", "admin", PW, by="cli", now=T0)
    return engine


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# -- 1. tokens follow the account --------------------------------------------------------


def test_a_unit_token_stops_submitting_when_its_analyst_becomes_an_executive(model):
    accounts.create_user(model, "ana", "analyst", PW)
    token = accounts.create_api_token(model, "ana", "unit:A", now=T0)
    assert accounts.resolve_api_token(model, token, now=T0).role == "provider"
    accounts.set_role(model, "ana", "executive", by="root", now=at(1))
    with pytest.raises(TokenRefused, match="'ana' is now an executive, who does not submit"):
        accounts.resolve_api_token(model, token, ip="10.0.0.7", now=at(2))
    [entry] = audit.read_log(model, action="token_refused")
    assert (entry.subject, entry.ip, entry.detail["scope"]) == ("ana", "10.0.0.7", "unit:A")
    # A read token acts with the role of today, read-only.
    read = accounts.create_api_token(model, "ana", "read", now=at(3))
    p = accounts.resolve_api_token(model, read, now=at(3))
    assert (p.role, p.read_only) == ("executive", True)


def test_a_providers_token_follows_a_move_to_another_unit(model):
    accounts.create_user(model, "pat", "provider", PW, unit="A")
    old_unit = accounts.create_api_token(model, "pat", "unit:A1", now=T0)
    accounts.set_role(model, "pat", "provider", unit="B", by="root", now=at(1))
    with pytest.raises(TokenRefused, match="now provides data for B .*not for A1") as info:
        accounts.resolve_api_token(model, old_unit, now=at(2))
    assert isinstance(info.value, Forbidden)
    # Moved up to the nation, A1 is inside the remit again: the token only narrows it.
    accounts.set_role(model, "pat", "provider", unit="N", by="root", now=at(3))
    assert accounts.resolve_api_token(model, old_unit, now=at(4)).unit == "A1"


def test_token_use_records_when_and_from_where(model):
    accounts.create_user(model, "ana", "analyst", PW)
    token = accounts.create_api_token(model, "ana", "read", now=T0)
    accounts.resolve_api_token(model, token, ip="10.1.2.3", now=at(5))
    [t] = accounts.list_api_tokens(model, "ana")
    assert (t.last_used_at, t.last_used_ip) == (at(5), "10.1.2.3")


def test_admins_list_every_users_live_tokens(model):
    accounts.create_user(model, "ana", "analyst", PW)
    accounts.create_user(model, "pat", "provider", PW, unit="A")
    accounts.create_api_token(model, "ana", "read", label="dash", now=T0)
    accounts.create_api_token(model, "pat", "unit:A", now=T0)
    gone = accounts.create_api_token(model, "pat", "read", now=T0)
    [*_, last] = accounts.list_api_tokens(model, "pat")
    accounts.revoke_api_token(model, "pat", last.id, by="root", ip="10.0.0.1", now=at(1))
    assert accounts.resolve_api_token(model, gone) is None
    live = accounts.list_all_api_tokens(model)
    assert [(t.username, t.scope) for t in live] == [("ana", "read"), ("pat", "unit:A")]
    assert len(accounts.list_all_api_tokens(model, live_only=False)) == 3
    [revoked] = audit.read_log(model, action="token_revoked")
    assert (revoked.actor, revoked.subject, revoked.ip) == ("root", "pat", "10.0.0.1")


# -- 3. throttling by account and address together ---------------------------------------


@pytest.mark.parametrize("failures, minutes", [
    (0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (8, 8), (9, 16), (10, 32), (11, 60), (500, 60)])
def test_the_wait_grows_with_each_failure_by_hand(failures, minutes):
    assert throttle_delay(failures) == timedelta(minutes=minutes)


def test_throttle_until_by_hand():
    assert throttle_until([]) is None
    assert throttle_until([at(0), at(1), at(2), at(3)]) is None
    assert throttle_until([at(3), at(0), at(1), at(2), at(9)]) == at(10)  # 5th: + 1 min
    assert throttle_until([at(m) for m in range(7)]) == at(6 + 4)  # 7th: + 4 min


@pytest.mark.slow
def test_strangers_elsewhere_never_lock_the_owner_out(model):
    for m in range(30):  # 30 wrong passwords for root from one address, each after its wait
        with pytest.raises(LoginFailed):
            accounts.authenticate(model, "root", "guess", ip="10.6.6.6", now=at(m * 61))
    with pytest.raises(LoginRefused):  # that address now waits an hour
        accounts.authenticate(model, "root", PW, ip="10.6.6.6", now=at(29 * 61 + 59))
    # ... and from many addresses: the owner's own address is never held up.
    for m in range(20):
        with pytest.raises(LoginFailed):
            accounts.authenticate(model, "root", "guess", ip=f"10.7.0.{m}", now=at(m))
    assert accounts.authenticate(model, "root", PW, ip="10.1.1.1", now=at(21)).username == "root"


def test_the_pair_waits_longer_after_each_failure_and_a_success_clears_it(model):
    ip = "10.6.6.6"
    for m in range(5):
        with pytest.raises(LoginFailed):
            accounts.authenticate(model, "root", "guess", ip=ip, now=at(m))
    with pytest.raises(LoginRefused) as info:  # 5th failure at minute 4: wait 1 minute
        accounts.authenticate(model, "root", PW, ip=ip, now=at(4.5))
    assert info.value.until == at(5) and info.value.retry_after == 30
    assert "for this account from this address" in str(info.value)
    with pytest.raises(LoginFailed):  # 6th failure at minute 5: wait 2 minutes
        accounts.authenticate(model, "root", "guess", ip=ip, now=at(5))
    with pytest.raises(LoginRefused) as info:
        accounts.authenticate(model, "root", PW, ip=ip, now=at(6.9))
    assert info.value.until == at(7)
    assert accounts.authenticate(model, "root", PW, ip=ip, now=at(7))
    with pytest.raises(LoginFailed):  # counting starts again after the success
        accounts.authenticate(model, "root", "guess", ip=ip, now=at(7.1))
    assert accounts.authenticate(model, "root", PW, ip=ip, now=at(7.2))
    outcomes = [r["outcome"] for r in _rows(model, login_attempts)]
    assert outcomes == ["failure"] * 5 + ["refused", "failure", "refused", "success",
                                          "failure", "success"]


def test_failures_older_than_a_day_are_forgotten(model):
    for m in range(8):  # an hour apart: each after its wait
        with pytest.raises(LoginFailed):
            accounts.authenticate(model, "root", "guess", ip="10.6.6.6", now=at(m * 60))
    with pytest.raises(LoginRefused):  # the 8th waits 8 minutes
        accounts.authenticate(model, "root", PW, ip="10.6.6.6", now=at(7 * 60 + 7))
    # A day after the 7th failure only the 8th is remembered: one failure, no wait.
    assert accounts.authenticate(model, "root", PW, ip="10.6.6.6", now=at(7 * 60 + 24 * 60))


def _rows(engine, table):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(table.c.id)).mappings()]


# -- 4. passwords ----------------------------------------------------------------------


@pytest.mark.parametrize("password", [
    "password1234", "qwertyuiop12", "iloveyou1234", "Password2024!", "123456789012",
    "aaaaaaaaaaaa", "rootroot1234"])
def test_common_and_guessable_passwords_are_refused_on_creation(model, password):
    with pytest.raises(Invalid, match="too easy to guess"):
        accounts.create_user(model, "bob", "analyst", password)
    assert [u.username for u in accounts.list_users(model)] == ["root"]


def test_guessable_passwords_are_refused_on_change_too(model):
    with pytest.raises(AccountError, match="too easy to guess"):
        accounts.set_password(model, "root", "letmein12345")
    with pytest.raises(AccountError, match="too easy to guess"):
        accounts.change_own_password(model, "root", PW, "Welcome12345", ip="10.0.0.1")
    accounts.authenticate(model, "root", PW, ip="10.0.0.1")  # unchanged


@pytest.mark.parametrize("password", [PW, "twelve chars", "abcd-efgh-jkmn-pqrs",
                                      "stocktake is a good tool"])
def test_long_unguessable_phrases_are_accepted(model, password):
    accounts.create_user(model, "bob", "analyst", password)


# -- 5. the audit log --------------------------------------------------------------------


def test_sign_ins_failures_and_changes_are_audited_with_who_when_and_where(model):
    accounts.authenticate(model, "root", PW, ip="10.0.0.1", now=at(1))
    with pytest.raises(LoginFailed):
        accounts.authenticate(model, "root", "guess", ip="10.0.0.2", now=at(2))
    with pytest.raises(LoginFailed):
        accounts.authenticate(model, "ghost", "guess", ip="10.0.0.3", now=at(3))
    accounts.create_user(model, "pat", "provider", PW, unit="A", by="root", ip="10.0.0.1",
                         now=at(4))
    accounts.set_role(model, "pat", "provider", unit="B", by="root", ip="10.0.0.1", now=at(5))
    accounts.disable_user(model, "pat", by="root", ip="10.0.0.1", now=at(6))
    log = audit.read_log(model)[::-1]  # oldest first
    got = [(e.action, e.actor, e.subject, e.ip, e.at) for e in log]
    assert got == [
        ("model_loaded", "t", "model", None, T0),
        ("user_created", "cli", "root", None, T0),
        ("sign_in", "root", "root", "10.0.0.1", at(1)),
        ("sign_in_failed", "anonymous", "root", "10.0.0.2", at(2)),
        ("sign_in_failed", "anonymous", "ghost", "10.0.0.3", at(3)),
        ("user_created", "root", "pat", "10.0.0.1", at(4)),
        ("role_changed", "root", "pat", "10.0.0.1", at(5)),
        ("user_disabled", "root", "pat", "10.0.0.1", at(6)),
    ]
    assert log[6].detail["before"]["unit"] == "A" and log[6].detail["after"]["unit"] == "B"
    assert [e.action for e in audit.read_log(model, subject="pat")] == [
        "user_disabled", "role_changed", "user_created"]


def test_model_loads_are_audited(model, small_model_dir):
    load_model(model, small_model_dir, loaded_by="root", ip="10.0.0.9", now=at(1))
    load_model(model, small_model_dir, loaded_by="root", dry_run=True, now=at(2))  # not kept
    entry, first = audit.read_log(model, action="model_loaded")  # newest first
    assert (entry.actor, entry.ip, entry.at) == ("root", "10.0.0.9", at(1))
    assert (first.actor, first.ip, first.at) == ("t", None, T0)


def test_the_audit_log_refuses_changes_in_the_database_itself(model):
    before = _rows(model, audit_log)
    assert before
    for statement in (update(audit_log).values(actor="someone else"), delete(audit_log)):
        with pytest.raises(DBAPIError, match="append-only"), model.begin() as conn:
            conn.execute(statement)
    assert _rows(model, audit_log) == before
    with model.begin() as conn:  # appending still works
        audit.record(conn, "sign_in", actor="x", at=T0)
    assert len(_rows(model, audit_log)) == len(before) + 1


def test_an_unknown_action_is_a_clear_not_found(model):
    with pytest.raises(Exception, match="no audit action 'sign_inn' .did you mean 'sign_in'"):
        audit.read_log(model, action="sign_inn")
