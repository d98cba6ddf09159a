"""Commitments in two languages (issue #18) on a real database: the French text and
rationale loaded from CSV beside the English, a missing translation warned about (refused,
storing nothing, with --require-languages en,fr), the French only where it is given in the
JSON, both languages in the CSV, and the public site's French tracker showing the French."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.errors import Invalid
from stocktake.services.routines.commitments import (
    commitments_csv,
    commitments_report,
    load_commitments,
)
from stocktake.store.schema_commitments import commitments

from .test_commitments import EXAMPLE, T0
from .test_commitments import world as world  # noqa: F401  (the fixture)

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

# C1 and C2 carry French; C3 has a French text but no French rationale (its rationale is
# empty, so nothing is missing); C4 has no French at all.
FRENCH = {"C1": ("Embaucher 100 infirmières", "Pénurie"), "C2": ("Ouvrir deux cliniques", ""),
          "C3": ("Réformer le code fiscal", ""), "C4": ("", "")}


def french_csv(tmp_path: Path, french: dict[str, tuple[str, str]] = FRENCH) -> Path:
    rows = list(csv.DictReader(io.StringIO(EXAMPLE.read_text())))
    out = io.StringIO()
    w = csv.DictWriter(out, [*rows[0], "text_fr", "rationale_fr"], lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r | dict(zip(("text_fr", "rationale_fr"), french[r["code"]], strict=True)))
    path = tmp_path / "commitments.csv"
    path.write_text(out.getvalue())
    return path


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(commitments)).scalar_one()


def test_french_is_stored_and_each_missing_translation_is_warned_at_its_row(world, tmp_path):
    done = load_commitments(world, french_csv(tmp_path), by="ana", at=T0)
    assert done.added == 4
    # Only C4 lacks a French text; C1's rationale is translated and the others have none.
    assert [(p.where, p.message) for p in done.warnings] == [
        ("commitments.csv:5", "commitment 'C4' has no French translation (text_fr)")]
    shown = {c["code"]: c for c in commitments_report(world).commitments}
    assert shown["C1"]["text_fr"] == "Embaucher 100 infirmières"
    assert shown["C1"]["rationale_fr"] == "Pénurie"
    assert shown["C1"]["text"] == "Hire 100 nurses"  # the English is unchanged
    assert "rationale_fr" not in shown["C2"]
    assert not [k for k in shown["C4"] if k.endswith("_fr")]  # the French only where given
    # A search finds a commitment by its French words too.
    assert [c["code"] for c in commitments_report(world, search="cliniques").commitments] \
        == ["C2"]


def test_a_file_without_french_loads_without_warnings(world):
    done = load_commitments(world, EXAMPLE, by="ana", at=T0)
    assert done.warnings is None
    assert "warnings" not in done.to_json()


def test_require_french_refuses_the_file_at_each_row_and_stores_nothing(world, tmp_path):
    missing = FRENCH | {"C1": ("", "Pénurie")}
    with pytest.raises(Invalid) as caught:
        load_commitments(world, french_csv(tmp_path, missing), by="ana", at=T0,
                         require_languages=("en", "fr"))
    assert [str(p) for p in caught.value.problems] == [
        "commitments.csv:2: commitment 'C1' has no French translation (text_fr)",
        "commitments.csv:5: commitment 'C4' has no French translation (text_fr)"]
    assert count(world) == 0
    complete = FRENCH | {"C4": ("Réparer les routes", "")}
    done = load_commitments(world, french_csv(tmp_path, complete), by="ana", at=T0,
                            require_languages=("en", "fr"))
    assert (done.added, done.warnings) == (4, None)


def test_the_csv_carries_both_languages(world, tmp_path):
    load_commitments(world, french_csv(tmp_path), by="ana", at=T0)
    rows = list(csv.DictReader(io.StringIO(commitments_csv(commitments_report(world)))))
    assert [(r["code"], r["text"], r["text_fr"], r["rationale_fr"]) for r in rows] == [
        ("C1", "Hire 100 nurses", "Embaucher 100 infirmières", "Pénurie"),
        ("C2", "Open two clinics", "Ouvrir deux cliniques", ""),
        ("C3", "Reform the tax code", "Réformer le code fiscal", ""),
        ("C4", "Fix the roads", "", "")]


@SQLITE_ONLY
def test_the_cli_warns_refuses_and_its_json_carries_the_french(world, tmp_path, db_url):
    runner = CliRunner()
    path = french_csv(tmp_path)
    refused = runner.invoke(app, ["commitments", "load", str(path), "--db", db_url,
                                  "--require-languages", "en,fr"])
    assert refused.exit_code == 2, refused.output
    assert "commitments.csv:5" in refused.output and "text_fr" in refused.output
    loaded = runner.invoke(app, ["commitments", "load", str(path), "--db", db_url, "--json"])
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.stdout)["warnings"] == [
        {"message": "commitment 'C4' has no French translation (text_fr)",
         "where": "commitments.csv:5"}]
    listed = runner.invoke(app, ["commitments", "--db", db_url, "--json"])
    rows = {c["code"]: c for c in json.loads(listed.stdout)["commitments"]}
    assert rows["C2"]["text_fr"] == "Ouvrir deux cliniques" and "text_fr" not in rows["C4"]


@SQLITE_ONLY
def test_the_french_public_tracker_shows_the_french_text(world, tmp_path):
    from stocktake.web.public import publish_site

    load_commitments(world, french_csv(tmp_path), by="ana", at=T0)
    publish_site(world, tmp_path / "site")
    english = (tmp_path / "site" / "commitments.html").read_text()
    french = (tmp_path / "site" / "fr" / "commitments.html").read_text()
    assert "Hire 100 nurses" in english and "Embaucher" not in english
    assert "Embaucher 100 infirmières" in french and "Hire 100 nurses" not in french
    # Only public commitments (C1, C2) are published; the French CSV keeps both languages.
    for name in ("commitments.csv", "fr/commitments.csv"):
        rows = list(csv.DictReader(io.StringIO((tmp_path / "site" / name).read_text())))
        assert [(r["text"], r["text_fr"]) for r in rows] == [
            ("Hire 100 nurses", "Embaucher 100 infirmières"),
            ("Open two clinics", "Ouvrir deux cliniques")], name
