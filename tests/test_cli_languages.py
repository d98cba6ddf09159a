"""The model in two languages through the CLI: French names loaded and stored, a missing
translation warned about (or refused with --require-languages en,fr), and --json carrying
the French names only where the model has them."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stocktake.cli import app

runner = CliRunner()


def run(*args, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok and result.exit_code != 0:
        raise AssertionError(f"exit {result.exit_code}: {result.output}\n{result.exception!r}")
    return result


def add_french(model: Path, *, all_units: bool = True) -> None:
    """French beside the English: every unit (or all but B1), incidents and P1."""
    units = (model / "units.csv").read_text().splitlines()
    french = {"N": "Nation", "A": "Province A", "B": "Province B", "A1": "Région A1",
              "A2": "Région A2", "B1": "Région B1" if all_units else ""}
    rows = [units[0] + ",name_fr"] + [f"{row},{french[row.split(',')[0]]}" for row in units[1:]]
    (model / "units.csv").write_text("\n".join(rows) + "\n")
    indicators = (model / "indicators.yaml").read_text()
    indicators = indicators.replace(
        "  name: Violent incidents\n",
        "  name: Violent incidents\n  name_fr: Incidents violents\n"
        "  definition_fr: Incidents violents enregistrés par la police dans le mois.\n")
    indicators = indicators.replace("  unit: incidents\n",
                                    "  unit: incidents\n  unit_fr: incidents\n")
    (model / "indicators.yaml").write_text(indicators)
    priorities = (model / "priorities.yaml").read_text().replace(
        "  title: Cut violent crime\n",
        "  title: Cut violent crime\n  title_fr: Réduire la criminalité violente\n")
    (model / "priorities.yaml").write_text(priorities)


@pytest.mark.slow  # four commands: about two seconds
def test_a_model_without_french_loads_without_warnings_and_json_has_no_french(
        db_url, small_model_dir):
    result = run("load", small_model_dir, "--db", db_url, "--json")
    assert "warnings" not in json.loads(result.stdout)
    assert "French" not in result.stderr
    units = json.loads(run("units", "--db", db_url, "--json").stdout)
    indicators = json.loads(run("indicators", "--db", db_url, "--json").stdout)
    overview = json.loads(run("priorities", "--db", db_url, "--json").stdout)
    for row in units + indicators + overview["priorities"]:
        assert not [key for key in row if key.endswith("_fr")], row


def test_french_is_loaded_and_each_missing_translation_is_warned_once(db_url, small_model_dir):
    add_french(small_model_dir, all_units=False)
    result = run("load", small_model_dir, "--db", db_url)
    # B1 lacks its French name; population, incident_rate and screening their French names
    # and the first two their French units ('%' wants none; incidents has all of its own);
    # P1 its French aspiration.
    text = " ".join(result.stderr.split())  # as one line, however the console wraps it
    assert text == " ".join([
        "Warning: 5 missing French translation(s):",
        "units.csv:7: field 'name_fr': unit 'B1' has no French translation (name_fr)",
        "indicators.yaml:15: field 'name_fr': indicator 'population' has no French "
        "translation (name_fr, unit_fr)",
        "indicators.yaml:22: field 'name_fr': indicator 'incident_rate' has no French "
        "translation (name_fr, unit_fr)",
        "indicators.yaml:32: field 'name_fr': indicator 'screening' has no French "
        "translation (name_fr)",
        "priorities.yaml:1: field 'aspiration_fr': priority 'P1' has no French translation "
        "(aspiration_fr)",
    ])
    again = json.loads(run("load", small_model_dir, "--db", db_url, "--dry-run", "--json")
                       .stdout)
    assert (again["changes"], len(again["warnings"])) == ([], 5)  # warned on every load
    assert again["warnings"][0] == {"file": "units.csv", "line": 7, "field": "name_fr",
                                    "message": "unit 'B1' has no French translation (name_fr)"}
    units = {u["code"]: u for u in json.loads(run("units", "--db", db_url, "--json").stdout)}
    assert units["A1"]["name_fr"] == "Région A1"
    assert "name_fr" not in units["B1"]  # absent, not empty
    assert "name_fr" not in units["A1"]["attributes"]  # a name, not an attribute
    assert units["A1"]["attributes"] == {"population": 350000}
    indicators = {i["code"]: i for i in
                  json.loads(run("indicators", "--db", db_url, "--json").stdout)}
    assert indicators["incidents"]["name_fr"] == "Incidents violents"
    assert indicators["incidents"]["definition_fr"].startswith("Incidents violents enregistrés")
    assert indicators["incidents"]["unit_fr"] == "incidents"
    assert "unit_fr" not in indicators["screening"]  # none given: absent, not empty
    assert "name_fr" not in indicators["population"]
    p1 = json.loads(run("priorities", "--db", db_url, "--json").stdout)["priorities"][0]
    assert (p1["title"], p1["title_fr"]) == ("Cut violent crime",
                                             "Réduire la criminalité violente")
    assert p1["scope_name_fr"] == "Nation"
    assert "headline_name_fr" not in p1  # incident_rate has no French name
    assert list(p1).index("title_fr") == list(p1).index("title") + 1


def test_require_languages_refuses_a_model_missing_french_and_stores_nothing(
        db_url, small_model_dir):
    add_french(small_model_dir, all_units=False)
    result = run("load", small_model_dir, "--db", db_url, "--require-languages", "en,fr",
                 "--json", ok=False)
    assert result.exit_code == 2
    out = json.loads(result.stdout)
    assert out["loaded"] is False
    assert len(out["problems"]) == 5
    assert out["problems"][0] == {"file": "units.csv", "line": 7, "field": "name_fr",
                                  "message": "unit 'B1' has no French translation (name_fr)"}
    assert json.loads(run("units", "--db", db_url, "--json").stdout) == []


def test_require_languages_accepts_a_complete_model_and_rejects_unknown_languages(
        db_url, small_model_dir):
    add_french(small_model_dir)
    indicators = (small_model_dir / "indicators.yaml").read_text()
    for code, fr in (("population", "Population"), ("incident_rate",
                     "Incidents violents pour 100 000 personnes"),
                     ("screening", "Taux de dépistage")):
        indicators = indicators.replace(f"- code: {code}\n",
                                        f"- code: {code}\n  name_fr: {fr}\n")
    indicators = indicators.replace("  unit: people\n", "  unit: people\n  unit_fr: personnes\n")
    indicators = indicators.replace("  unit: per 100,000\n",
                                    "  unit: per 100,000\n  unit_fr: pour 100 000\n")
    (small_model_dir / "indicators.yaml").write_text(indicators)
    priorities = (small_model_dir / "priorities.yaml").read_text().replace(
        "  owner:", "  aspiration_fr: Des rues plus sûres dans chaque province\n  owner:")
    (small_model_dir / "priorities.yaml").write_text(priorities)
    bad = run("load", small_model_dir, "--db", db_url, "--require-languages", "en,de",
              ok=False)
    assert bad.exit_code == 2
    assert "--require-languages" in bad.output
    result = run("load", small_model_dir, "--db", db_url, "--require-languages", "en,fr")
    assert "Warning" not in result.stderr
    status = json.loads(run("status", "--db", db_url, "--json").stdout)
    row = status["priorities"][0] if "priorities" in status else status[0]
    assert row["title_fr"] == "Réduire la criminalité violente"
    assert row["headline_name_fr"] == "Incidents violents pour 100 000 personnes"
