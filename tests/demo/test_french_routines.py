"""The demo in two languages (issue #18): its model files pass `stocktake load
--require-languages en,fr` (every indicator's unit in French too); every plan version's
interventions, milestones and risks and every chain's actors and evidence carry their
French; three commitments in four carry a French text and rationale (the rest are what a
load would warn of)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stocktake.delivery import chains as dc
from stocktake.delivery import plans as dp
from stocktake.demo.commitments import COMMITMENTS
from stocktake.demo.delivery import STORIES
from stocktake.demo.world import build_world
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.series_data import read_model
from stocktake.services.routines.commitments import read_commitments
from stocktake.store import delivery as store


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_demo_model_loads_with_french_required(engine, tmp_path: Path):
    world = build_world()
    for name, text in (("units.csv", world.units_csv), ("indicators.yaml",
                                                         world.indicators_yaml),
                       ("priorities.yaml", world.priorities_yaml)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    summary = load_model(engine, tmp_path, loaded_by="t", require_languages=("en", "fr"))
    assert summary.count("priority", "added") == len(STORIES)
    assert not summary.warnings
    # every indicator's unit of measure in French too, labelled simulated like the rest
    assert all(i.unit_fr for i in read_model(engine).indicators.values())
    assert "units (name_fr, definition_fr, unit_fr) are\n# simulated" in world.indicators_yaml


def test_every_plan_version_and_chain_of_the_demo_has_its_french(demo_engine):
    model = read_model(demo_engine)
    for code in STORIES:
        with demo_engine.connect() as conn:
            versions = store.versions(conn, "plan", code)
            chain_document = store.versions(conn, "chain", code)[-1]["document"]
        assert len(versions) >= 2, code  # the plans are refined: every version is checked
        for row in versions:
            plan = dp.parse_plan(row["document"], model, code)
            assert dp.missing_french(plan) == [], (code, row["version"])
        chain = dc.parse_chain(chain_document, model)
        assert dc.missing_french(chain) == [], code
        assert any(link.evidence_fr for link in chain.links), code


def test_three_demo_commitments_in_four_carry_their_french(demo_engine):
    every = read_commitments(demo_engine)
    assert len(every) == COMMITMENTS
    french = [c for c in every if c.text_fr]
    assert len(french) == COMMITMENTS * 3 // 4  # all but every fourth
    assert all(c.text_fr.endswith("(simulé)") and c.rationale_fr for c in french)
    assert all(not c.rationale_fr for c in every if not c.text_fr)
