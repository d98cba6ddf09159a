"""Plans and chains in two languages (issue #18) on a real database: the French names of
interventions, milestones, risks and actors kept in each version beside the English and
shown only where given; a missing one warned about at its file, line and key, or refused
(storing nothing) with --require-languages en,fr; the CLI's --json carrying both."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.errors import Invalid
from stocktake.services.routines.chains import load_chain, show_chain
from stocktake.services.routines.plans import diff_plan, load_plan, show_plan
from stocktake.store import schema

from .test_delivery import CHAIN, PLAN, rows
from .test_delivery import world as world  # noqa: F401  (the fixture)

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
AT = datetime(2024, 2, 1)

# French for the first intervention, the first milestone and the risk of plan.yaml: the
# second intervention (youth_programmes) and milestone (youth_sites_open) have none.
PLAN_FRENCH = {
    "    name: Focused deterrence in the worst neighbourhoods\n":
        "    name_fr: Dissuasion ciblée dans les quartiers les plus touchés\n",
    "    name: Funding agreed with both provinces\n":
        "    name_fr: Financement conclu avec les deux provinces\n",
    "    description: Not enough youth workers in rural regions\n":
        "    description_fr: Trop peu d’intervenants jeunesse en région rurale\n"}


def french_plan(tmp_path: Path, french: dict[str, str] = PLAN_FRENCH) -> Path:
    text = PLAN.read_text(encoding="utf-8")
    for english, added in french.items():
        assert english in text
        text = text.replace(english, english + added)
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_french_names_are_kept_in_the_version_and_the_missing_ones_warned(world, tmp_path):
    path = french_plan(tmp_path)
    done = load_plan(world, "P1", path, author="DU", reason="", at=AT)
    assert [str(p) for p in done.warnings] == [
        f"{path}:{line_of(path, '  - code: youth_programmes')}: interventions[1].name_fr: "
        "plan item 'youth_programmes' has no French translation (name_fr)",
        f"{path}:{line_of(path, '  - code: youth_sites_open')}: milestones[1].name_fr: "
        "plan item 'youth_sites_open' has no French translation (name_fr)"]
    plan = show_plan(world, "P1").plan
    assert plan["interventions"][0]["name_fr"] == ("Dissuasion ciblée dans les quartiers les "
                                                   "plus touchés")
    assert plan["interventions"][0]["name"] == "Focused deterrence in the worst neighbourhoods"
    assert "name_fr" not in plan["interventions"][1]  # the French only where given
    assert plan["risks"][0]["description_fr"].startswith("Trop peu")


def test_a_plan_without_french_is_stored_as_before_and_warns_of_nothing(world):
    done = load_plan(world, "P1", PLAN, author="DU", reason="", at=AT)
    assert done.warnings is None and "warnings" not in done.to_json()
    plan = show_plan(world, "P1").plan
    assert set(plan["interventions"][0]) == {"code", "name", "owner", "start", "ramp",
                                             "effect", "units"}
    assert set(plan["risks"][0]) == {"code", "description", "likelihood", "impact", "owner",
                                     "mitigation"}


def test_a_translation_added_is_a_new_version_whose_diff_shows_it(world, tmp_path):
    load_plan(world, "P1", PLAN, author="DU", reason="", at=AT)
    done = load_plan(world, "P1", french_plan(tmp_path), author="DU", reason="French names",
                     at=datetime(2024, 3, 1))
    assert (done.version, done.changed) == (2, True)
    changed = {c["code"]: c["fields"] for c in diff_plan(world, "P1", 1, 2).diff["milestones"]
               ["changed"]}
    assert changed == {"deterrence_funded": {"name_fr": {
        "old": None, "new": "Financement conclu avec les deux provinces"}}}
    # Version 1, read again, still has no French.
    assert "name_fr" not in show_plan(world, "P1", version=1).plan["milestones"][0]


def test_require_french_refuses_a_plan_missing_any_and_stores_nothing(world, tmp_path):
    with pytest.raises(Invalid) as caught:
        load_plan(world, "P1", french_plan(tmp_path), author="DU", reason="", at=AT,
                  require_languages=("en", "fr"))
    assert [p.where.rsplit(": ", 1)[-1] for p in caught.value.problems] == [
        "interventions[1].name_fr", "milestones[1].name_fr"]
    assert rows(world, schema.plan_versions) == 0
    complete = french_plan(tmp_path, PLAN_FRENCH | {
        "    name: Youth intervention programmes\n":
            "    name_fr: Programmes d’intervention auprès des jeunes\n",
        "    name: Ten youth programme sites open\n":
            "    name_fr: Dix sites du programme jeunesse ouverts\n"})
    done = load_plan(world, "P1", complete, author="DU", reason="", at=AT,
                     require_languages=("en", "fr"))
    assert (done.version, done.warnings) == (1, None)


def french_chain(tmp_path: Path) -> Path:
    """chain.yaml with French names for the ministry and Province A, and the French of the
    weak link's evidence: the other five actors have none."""
    text = CHAIN.read_text(encoding="utf-8")
    for english, french in (("name: Ministry of Public Safety,",
                             "name_fr: Ministère de la Sécurité publique,"),
                            ("name: Province A justice ministry,",
                             "name_fr: Ministère de la Justice de la province A,"),
                            ("assessed_on: 2024-06-30}", "evidence_fr: \"Les déclarations de "
                             "la province B arrivent avec deux mois de retard\"}")):
        assert english in text
        text = text.replace(english, f"{english} {french}"
                            if english.endswith(",") else f"{english[:-1]}, {french}")
    path = tmp_path / "chain.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_chain_keeps_its_french_names_and_warns_of_the_missing_ones(world, tmp_path):
    path = french_chain(tmp_path)
    done = load_chain(world, "P1", path, author="DU", at=AT)
    # The five actors without French, each at the line of its entry in the file.
    lines = path.read_text(encoding="utf-8").splitlines()
    expected = [f"{path}:{lines.index(next(t for t in lines if f'code: {code},' in t)) + 1}: "
                f"actors[{n}].name_fr"
                for n, code in ((2, "province_b"), (3, "police_a1"), (4, "patrol_a1"),
                                (5, "patrol_b"), (6, "stats"))]
    assert [p.where for p in done.warnings] == expected
    actors = {a["code"]: a for a in show_chain(world, "P1").chain["actors"]}
    assert actors["ministry"]["name_fr"] == "Ministère de la Sécurité publique"
    assert "name_fr" not in actors["stats"]
    weak = [k for k in show_chain(world, "P1").chain["links"] if k["strength"] == "weak"]
    assert weak[0]["evidence_fr"].startswith("Les déclarations")
    with pytest.raises(Invalid):
        load_chain(world, "P1", path, author="DU", reason="again", at=datetime(2024, 3, 1),
                   require_languages=("en", "fr"))
    assert rows(world, schema.chain_versions) == 1


@SQLITE_ONLY
def test_the_cli_warns_refuses_and_its_json_carries_both_names(world, tmp_path, db_url):
    runner = CliRunner()
    path = french_plan(tmp_path)
    refused = runner.invoke(app, ["plan", "load", "P1", str(path), "--db", db_url,
                                  "--require-languages", "en,fr"])
    assert refused.exit_code == 2, refused.output
    where = f"{path.name}:{line_of(path, '  - code: youth_programmes')}"
    # Rich wraps a long path anywhere: read the output without its line breaks.
    assert where in "".join(refused.output.split()) and "name_fr" in refused.output
    loaded = runner.invoke(app, ["plan", "load", "P1", str(path), "--db", db_url])
    assert loaded.exit_code == 0, loaded.output
    assert "2 missing French translation(s)" in loaded.stderr
    shown = json.loads(runner.invoke(app, ["plan", "show", "P1", "--db", db_url,
                                           "--json"]).stdout)
    first = shown["plan"]["milestones"][0]
    assert (first["name"], first["name_fr"]) == ("Funding agreed with both provinces",
                                                 "Financement conclu avec les deux provinces")
    assert runner.invoke(app, ["chain", "load", "P1", str(french_chain(tmp_path)), "--db",
                               db_url]).exit_code == 0
    chain = json.loads(runner.invoke(app, ["chain", "show", "P1", "--db", db_url,
                                           "--json"]).stdout)
    assert chain["chain"]["actors"][0]["name_fr"] == "Ministère de la Sécurité publique"
