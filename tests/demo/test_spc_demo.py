"""SPC on the demo world: the crime headline's summers are read against the usual seasonal
pattern, the surgery headline gets suggested rebases, and a rebase an analyst accepts changes
the icons from then on (not --as-of before), on the plain and the batch path alike."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.errors import StocktakeError
from stocktake.results import encode
from stocktake.results.status import SpcHeadline, Unavailable
from stocktake.services.reading.readings import spc_chart
from stocktake.services.reading.rebases import accept_rebase, rebase_history, remove_rebase
from stocktake.services.reading.series_data import SeriesData, read_model
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import (
    _below,
    _reading,
    _readings,
    _Splits,
    priority_codes,
    priority_status,
    trajectory_of,
)
from stocktake.store.db import open_engine, utcnow


@pytest.fixture
def demo_copy(demo_engine, tmp_path):
    """A private copy of the demo database (rebases are written to it)."""
    if not demo_engine.url_text.startswith("sqlite"):
        pytest.skip("the copy is of the SQLite demo")
    path = tmp_path / "demo.db"
    shutil.copy(Path(demo_engine.url_text.removeprefix("sqlite:///")), path)
    engine = open_engine(f"sqlite:///{path}")
    engine.url_text = f"sqlite:///{path}"
    yield engine
    engine.dispose()


def _status(engine, code, as_of=None):
    (row,) = priority_status(Snapshot(engine, as_of), priority=code).priorities
    return row.spc


def test_crime_summers_are_read_against_the_seasonal_pattern(demo_engine):
    raw = spc_chart(Snapshot(demo_engine), "violent_crime_rate", "CA", seasonal="off")
    adjusted = spc_chart(Snapshot(demo_engine), "violent_crime_rate", "CA")
    assert raw.method == "XmR (Making Data Count)"
    assert adjusted.method == "XmR (Making Data Count) on seasonally adjusted values"
    season = adjusted.seasonal_adjustment
    assert season["detected"] and season["applied"] and season["season_length"] == 12
    assert season["p_value"] < 1e-6
    by_raw = {p.period: p.point_type for p in raw.points}
    by_adj = {p.period: p.point_type for p in adjusted.points}
    summer = ["2026-07", "2026-08"]
    assert [by_raw[p] for p in summer] == ["concern", "concern"]  # the season itself
    assert [by_adj[p] for p in summer] == ["common_cause", "common_cause"]
    assert raw.variation_icon == "concern_high"
    spc = _status(demo_engine, "CRIME")
    assert spc.variation_icon == "common_cause"
    assert spc.method.endswith("on seasonally adjusted values")
    assert spc.seasonal_adjustment["detected"]
    # The reported values stay beside the adjusted ones.
    last = adjusted.points[-1]
    assert last.observed == pytest.approx(raw.points[-1].value)
    if season["model"] == "multiplicative":
        assert last.value == pytest.approx(last.observed / last.seasonal_factor)
    else:
        assert last.value == pytest.approx(last.observed - last.seasonal_effect)


def test_surgery_gets_suggested_rebases_and_an_accepted_one_changes_the_icons(demo_copy):
    chart = spc_chart(Snapshot(demo_copy), "surg_within_benchmark_pct", "CA")
    suggested = [s["period"] for s in chart.rebase_suggestions]
    assert "2020-06" in suggested  # the pandemic dip
    assert chart.parameters["rebase_at"] == []  # suggested, not applied
    assert chart.variation_icon == "improvement_high"
    before = _status(demo_copy, "SURG")
    assert before.variation_icon == "improvement_high"
    assert [s["period"] for s in before.rebase_suggestions] == suggested
    assert "2020-06" in chart.reading_note and "Not applied" in chart.reading_note

    accepted_at = utcnow()
    accept_rebase(demo_copy, "surg_within_benchmark_pct", "CA", "2023-10", by="analyst",
                  reason="pooled referral lists in place from October 2023", now=accepted_at)
    after = _status(demo_copy, "SURG")
    assert after.rebased_at == ("2023-10",)
    assert after.variation_icon != "improvement_high"
    chart = spc_chart(Snapshot(demo_copy), "surg_within_benchmark_pct", "CA")
    assert chart.parts[-1].first_period == "2023-10"
    assert chart.accepted_rebases[0]["accepted_by"] == "analyst"
    assert "2023-10" not in [s["period"] for s in chart.rebase_suggestions]
    # As known before the acceptance, the old limits.
    earlier = _status(demo_copy, "SURG", as_of=accepted_at - timedelta(seconds=1))
    assert earlier.variation_icon == "improvement_high" and earlier.rebased_at == ()
    remove_rebase(demo_copy, "surg_within_benchmark_pct", "CA", "2023-10", by="analyst",
                  reason="premature", now=accepted_at + timedelta(seconds=1))
    assert _status(demo_copy, "SURG").variation_icon == "improvement_high"
    assert [h.action for h in rebase_history(demo_copy, "surg_within_benchmark_pct",
                                                "CA")] == ["accept", "remove"]


def test_bad_rebases_are_refused_with_what_and_where(demo_copy):
    with pytest.raises(StocktakeError, match="needs a reason"):
        accept_rebase(demo_copy, "surg_within_benchmark_pct", "CA", "2023-10", by="a",
                      reason=" ")
    with pytest.raises(StocktakeError, match="is a quarter but a month is expected"):
        accept_rebase(demo_copy, "surg_within_benchmark_pct", "CA", "2023-Q4", by="a",
                      reason="x")
    with pytest.raises(StocktakeError, match="not a unit"):
        accept_rebase(demo_copy, "surg_within_benchmark_pct", "XX", "2023-10", by="a",
                      reason="x")
    with pytest.raises(StocktakeError, match="no accepted rebase"):
        remove_rebase(demo_copy, "surg_within_benchmark_pct", "CA", "2023-10", by="a",
                      reason="x")


def test_batch_and_plain_paths_agree_with_seasons_and_accepted_rebases(demo_copy):
    accept_rebase(demo_copy, "surg_within_benchmark_pct", "ON", "2023-10", by="a",
                  reason="test", now=datetime(2026, 1, 1))
    accept_rebase(demo_copy, "violent_crime_rate", "BC", "2025-03", by="a", reason="test",
                  now=datetime(2026, 1, 1))
    model = read_model(demo_copy)
    chosen = [model.priorities["SURG"], model.priorities["CRIME"]]
    data = SeriesData.load(demo_copy, model, priority_codes(model, chosen), None)
    seen = set()
    for p in chosen:
        splits = _Splits(data, p, trajectory_of(p))
        units = _below(model, data, p.scope, None)
        found = [splits.at(u)[:2] for u in units]
        fast = _readings(data, p, units, found, with_forecast=False)
        for row, unit, (traj, reason) in zip(fast, units, found, strict=True):
            plain = _reading(data, p, unit, traj, reason, with_forecast=False)
            assert row == plain, (p.code, unit)
            assert list(encode(row.spc)) == list(encode(plain.spc))
            if isinstance(row.spc, SpcHeadline):
                seen.add((p.code, bool(row.spc.rebased_at),
                          row.spc.seasonal_adjustment.get("applied")))
    assert ("SURG", True, False) in seen and ("CRIME", True, True) in seen
    assert ("CRIME", False, True) in seen


def test_cli_spc_and_spc_rebase(demo_copy):
    runner = CliRunner()
    db = ["--db", demo_copy.url_text]
    out = runner.invoke(app, ["spc", "violent_crime_rate", "--unit", "CA", *db])
    assert out.exit_code == 0, out.output
    assert "seasonally adjusted" in out.output and "Seasonal test" in out.output
    js = json.loads(runner.invoke(app, ["spc", "violent_crime_rate", "--unit", "CA",
                                        "--seasonal", "off", "--json", *db]).output)
    assert js["method"] == "XmR (Making Data Count)"
    assert js["seasonal_adjustment"]["detected"] and not js["seasonal_adjustment"]["applied"]
    bad = runner.invoke(app, ["spc", "violent_crime_rate", "--unit", "CA", "--seasonal",
                              "maybe", *db])
    assert bad.exit_code == 2 and "seasonal mode 'maybe'" in bad.output
    out = runner.invoke(app, ["spc", "surg_within_benchmark_pct", "--unit", "CA", *db])
    assert "Suggested rebases" in out.output and "2020-06" in out.output
    out = runner.invoke(app, ["spc-rebase", "surg_within_benchmark_pct", "--unit", "CA",
                              "--at", "2023-10", "--reason", "pooled lists", *db])
    assert out.exit_code == 0 and "accepted" in out.output, out.output
    js = json.loads(runner.invoke(app, ["spc", "surg_within_benchmark_pct", "--unit", "CA",
                                        "--json", *db]).output)
    assert js["accepted_rebases"][0]["reason"] == "pooled lists"
    out = runner.invoke(app, ["spc-rebase", "surg_within_benchmark_pct", "--unit", "CA", *db])
    assert "pooled lists" in out.output
    out = runner.invoke(app, ["spc-rebase", "surg_within_benchmark_pct", "--unit", "CA",
                              "--remove", *db])
    assert out.exit_code == 2 and "--remove needs --at" in out.output


def test_an_analyst_accepts_and_withdraws_a_rebase_on_the_priority_page(demo_copy):
    import re

    from fastapi.testclient import TestClient

    from stocktake.services.admin import accounts
    from stocktake.web import auth
    from stocktake.web.app import create_app

    client = TestClient(create_app(demo_copy))

    def signed_in(role: str) -> dict[str, str]:
        if role not in {u.username for u in accounts.list_users(demo_copy)}:
            accounts.create_user(demo_copy, role, role, "correct horse battery")
        return {"Cookie": f"{auth.SESSION_COOKIE}={accounts.start_session(demo_copy, role).token}"}

    analyst = signed_in("analyst")
    page = client.get("/priorities/SURG", headers=analyst)
    assert page.status_code == 200
    assert "Rebase the process limits: 6 suggested, 0 accepted" in page.text
    assert "Accept rebase at 2023-10" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    # The executive reads the page but is offered no form.
    assert "Accept rebase" not in client.get("/priorities/SURG", headers=signed_in(
        "executive")).text
    r = client.post("/priorities/SURG/rebases", headers=analyst, follow_redirects=False,
                    data={"csrf_token": csrf, "action": "accept", "period": "2023-10",
                          "reason": ""})
    assert r.status_code == 400 and "needs a reason" in r.text
    r = client.post("/priorities/SURG/rebases", headers=analyst, follow_redirects=False,
                    data={"csrf_token": csrf, "action": "accept", "period": "2023-10",
                          "reason": "pooled referral lists"})
    assert r.status_code == 303 and r.headers["location"] == "/priorities/SURG#spc"
    page = client.get("/priorities/SURG", headers=analyst).text
    assert "accepted by analyst" in page and "Limits restart at 2023-10" in page
    assert "rebased 2023-10" in page  # marked on the chart
    assert _status(demo_copy, "SURG").rebased_at == ("2023-10",)
    r = client.post("/priorities/SURG/rebases", headers=analyst, follow_redirects=False,
                    data={"csrf_token": csrf, "action": "remove", "period": "2023-10",
                          "reason": "premature"})
    assert r.status_code == 303
    assert _status(demo_copy, "SURG").rebased_at == ()


def test_assurance_is_qualified_where_the_level_has_moved_from_its_limits(demo_engine):
    """SURG's latest point is a special cause and its level has changed (rebases suggested,
    none accepted): "consistently fails" is read against whole-history limits, and the
    status says so, naming the latest suggested rebase. CRIME's latest point is common
    cause: its assurance stands unqualified."""
    surg = _status(demo_engine, "SURG")
    assert surg.variation_icon != "common_cause" and surg.assurance_icon
    assert surg.rebase_suggestions and not surg.rebased_at
    latest = surg.rebase_suggestions[-1]["period"]
    assert surg.assurance_note == (f"limits over the whole history; the level has changed "
                                      f"since {latest} (a suggested rebase, not applied)")
    crime = _status(demo_engine, "CRIME")
    assert crime.variation_icon == "common_cause" and crime.assurance_note is None
    # The batch path (units below the scope) carries the same field.
    (row,) = priority_status(Snapshot(demo_engine), priority="SURG").priorities
    for unit in row.units:
        spc = unit.spc
        if isinstance(spc, Unavailable):
            continue
        qualified = bool(spc.assurance_icon and spc.rebase_suggestions
                         and spc.variation_icon != "common_cause")
        assert (spc.assurance_note is not None) == qualified
