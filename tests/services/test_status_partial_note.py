"""A unit whose every period is a partial roll-up reads "no data" with the reason, not a bare
"no data" (found on Gapminder: one country with gaps left its continent unread)."""

from __future__ import annotations

from datetime import datetime

from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import priority_status

T0 = datetime(2024, 3, 1)
T1 = datetime(2024, 3, 10)


def test_all_partial_periods_say_why_there_is_no_reading(engine, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "units.csv").write_text("code,name,level,parent\nN,Nation,nation,\n"
                                     "R1,Region 1,region,N\nR2,Region 2,region,N\n")
    (model / "indicators.yaml").write_text(
        "- code: deaths\n  name: Deaths\n  unit: people\n  polarity: down\n"
        "  period_type: year\n  aggregation: sum\n  kind: headline\n")
    (model / "priorities.yaml").write_text(
        "- code: P\n  title: Fewer deaths\n  headline: deaths\n  scope: N\n"
        "  baseline: {period: '2018', value: 100}\n  target: {period: '2030', value: 50}\n")
    load_model(engine, model, loaded_by="t", now=T0)
    # R2 never reports: every national figure is a partial sum of R1 alone.
    rows = [("deaths", "R1", str(y), 40 + y - 2018) for y in range(2018, 2024)]
    assert submit_rows(engine, rows, submitter="t", now=T1).accepted
    (p,) = priority_status(Snapshot(engine), priority="P").priorities
    assert p.status == "no_data" and p.latest is None
    assert p.status_note.startswith("no complete period: 6 reported only in part "
                                       "(latest 2023: a unit below did not report)")
    by_unit = {u.unit: u for u in p.units}
    assert by_unit["R1"].status_note is None and by_unit["R1"].latest.value == 45
    assert by_unit["R2"].status == "no_data" and by_unit["R2"].status_note is None
    # The CLI says both: why the nation has no reading, and that R1's limits are trial ones
    # (6 points), so "common cause" is read with care.
    from typer.testing import CliRunner

    from stocktake.cli import app

    out = CliRunner().invoke(app, ["status", "--db", engine.url.render_as_string(
        hide_password=False), "--priority", "P"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "no data: no complete period: 6 reported only in part" in out.output
    # cells wrap: read each column's words in order (R1's SPC cell holds the caveat)
    spc_cells = " ".join(line.split("│")[7].strip() for line in out.output.splitlines()
                         if line.count("│") > 8)
    assert "(trial limits: fewer than 12 points)" in " ".join(spc_cells.split())
