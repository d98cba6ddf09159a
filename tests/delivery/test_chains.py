"""Delivery chains: parsing with every problem at once, and the analysis checked against
small chains worked out by hand and, on random chains, against a brute force over every
path from the top to the frontline."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest

from stocktake.delivery.chains import (
    LEVELS,
    LINK_TYPES,
    STRENGTHS,
    Actor,
    Chain,
    Link,
    analyse_chain,
    chain_summary_lines,
    parse_chain,
)
from stocktake.delivery.errors import DeliveryError
from stocktake.model.entities import Aggregation, DeliveryModel, Indicator, Polarity, Unit

MODEL = DeliveryModel(
    units={u: Unit(u, u, "x") for u in ("CA", "ON", "QC", "TOR", "MTL")},
    indicators={"grade3_reading": Indicator("grade3_reading", "Grade 3 reading", "%",
                                            Polarity.UP, "year", Aggregation.MEAN)})


def actor(code: str, level: str, **extra) -> dict:
    return {"code": code, "name": code.replace("_", " ").title(), "level": level, **extra}


def link(source: str, target: str, strength: str = "adequate", kind: str = "funding",
         **extra) -> dict:
    out = {"from": source, "to": target, "type": kind, "strength": strength, **extra}
    if strength in ("weak", "broken") and "evidence" not in out:
        out["evidence"] = "seen at the review"
    return out


def small_doc(strengths: dict[tuple[str, str], str] | None = None) -> dict:
    """fed -> prov_a -> muni_1 -> school_1 and fed -> prov_b -> {muni_2, muni_3} -> school_2."""
    strengths = strengths or {}
    edges = [("fed", "prov_a"), ("prov_a", "muni_1"), ("muni_1", "school_1"),
             ("fed", "prov_b"), ("prov_b", "muni_2"), ("prov_b", "muni_3"),
             ("muni_2", "school_2"), ("muni_3", "school_2")]
    return {
        "actors": [actor("fed", "federal", units=["CA"]),
                   actor("prov_a", "provincial", units=["ON"]),
                   actor("prov_b", "provincial", units=["QC"]),
                   actor("muni_1", "municipal", units=["TOR", "ON"]),
                   actor("muni_2", "municipal", units=["MTL"]),
                   actor("muni_3", "municipal"),
                   actor("school_1", "frontline"), actor("school_2", "frontline")],
        "links": [link(s, t, strengths.get((s, t), "adequate")) for s, t in edges]}


def test_single_points_of_failure_and_single_links_in_the_small_chain():
    result = analyse_chain(parse_chain(small_doc(), MODEL))
    assert result["roots"] == ["fed"]
    # prov_b alone reaches school_2; muni_2 and muni_3 back each other up.
    assert result["single_points_of_failure"] == [
        {"actor": "prov_a", "name": "Prov A", "frontline_cut_off": ["school_1"]},
        {"actor": "prov_b", "name": "Prov B", "frontline_cut_off": ["school_2"]},
        {"actor": "muni_1", "name": "Muni 1", "frontline_cut_off": ["school_1"]}]
    assert [(s["from"], s["to"], s["frontline_cut_off"]) for s in result["single_links"]] == [
        ("fed", "prov_a", ["school_1"]), ("prov_a", "muni_1", ["school_1"]),
        ("muni_1", "school_1", ["school_1"]), ("fed", "prov_b", ["school_2"])]
    assert result["weak_links"] == [] and result["broken_paths"] == []
    assert result["counts"] == {"actors": 8, "links": 8, "strong": 0, "adequate": 8,
                                "weak": 0, "broken": 0}


def test_a_second_link_type_between_the_same_actors_is_another_route():
    doc = small_doc()
    doc["links"].append(link("fed", "prov_a", kind="guidance"))
    result = analyse_chain(parse_chain(doc, MODEL))
    assert ("fed", "prov_a") not in [(s["from"], s["to"]) for s in result["single_links"]]
    assert [s["actor"] for s in result["single_points_of_failure"]] == [
        "prov_a", "prov_b", "muni_1"]


def test_cross_government_finds_the_provincial_and_municipal_actors_on_the_way():
    doc = small_doc()
    doc["actors"] += [actor("prov_c", "provincial"), actor("muni_x", "municipal"),
                      actor("agency", "external")]
    doc["links"] += [link("prov_c", "muni_x"),  # not reached from the centre
                     link("fed", "agency"), link("agency", "school_1")]
    result = analyse_chain(parse_chain(doc, MODEL))
    cross = result["cross_government"]
    assert [(c["actor"], c["level"]) for c in cross] == [
        ("prov_a", "provincial"), ("prov_b", "provincial"),
        ("muni_1", "municipal"), ("muni_2", "municipal"), ("muni_3", "municipal")]
    assert all(c["controls"] is False for c in cross)
    assert [(v["from"], v["to"]) for v in cross[3]["via"]] == [("prov_b", "muni_2")]
    # Each via link exactly as the chain stores it.
    assert cross[0]["via"] == [parse_chain(doc, MODEL).links[0].to_dict()]
    # A provincial actor reached from the centre but leading to no frontline is not on a
    # delivery path.
    doc["links"].append(link("fed", "prov_c"))
    cross = analyse_chain(parse_chain(doc, MODEL))["cross_government"]
    assert "prov_c" not in [c["actor"] for c in cross]


def test_weak_links_broken_first_and_frontline_reached_only_through_them():
    doc = small_doc({("muni_1", "school_1"): "broken", ("prov_b", "muni_2"): "weak",
                     ("muni_3", "school_2"): "broken", ("fed", "prov_a"): "weak"})
    chain = parse_chain(doc, MODEL)
    result = analyse_chain(chain)
    assert [(w["from"], w["to"], w["strength"]) for w in result["weak_links"]] == [
        ("muni_1", "school_1", "broken"), ("muni_3", "school_2", "broken"),
        ("fed", "prov_a", "weak"), ("prov_b", "muni_2", "weak")]
    # school_2: the route through muni_2 has one weak link, through muni_3 one broken: the
    # weak one is the better of two bad routes.
    assert result["broken_paths"] == [
        {"frontline": "school_1", "name": "School 1",
         "path": ["fed", "prov_a", "muni_1", "school_1"],
         "weak_links": [chain.links[0].to_dict(), chain.links[2].to_dict()]},
        {"frontline": "school_2", "name": "School 2",
         "path": ["fed", "prov_b", "muni_2", "school_2"],
         "weak_links": [chain.links[4].to_dict()]}]
    assert result["counts"]["weak"] == 2 and result["counts"]["broken"] == 2


def test_one_sound_route_is_enough():
    doc = small_doc({("prov_b", "muni_2"): "weak", ("muni_3", "school_2"): "strong"})
    assert analyse_chain(parse_chain(doc, MODEL))["broken_paths"] == []


def test_poor_quality_actors_from_their_units_scores():
    chain = parse_chain(small_doc(), MODEL)
    quality = {"CA": 95, "ON": 60.0, "QC": 90, "TOR": 80, "MTL": 74.9}
    result = analyse_chain(chain, quality=quality)
    # muni_1 has TOR 80 and ON 60: mean 70, and one unit below 75. Worst mean first.
    assert result["poor_quality_actors"] == [
        {"actor": "prov_a", "name": "Prov A", "units": [{"unit": "ON", "score": 60.0}],
         "mean_score": 60.0},
        {"actor": "muni_1", "name": "Muni 1",
         "units": [{"unit": "TOR", "score": 80.0}, {"unit": "ON", "score": 60.0}],
         "mean_score": 70.0},
        {"actor": "muni_2", "name": "Muni 2", "units": [{"unit": "MTL", "score": 74.9}],
         "mean_score": 74.9}]
    lower = analyse_chain(chain, quality=quality, poor_quality_below=70)
    assert [p["actor"] for p in lower["poor_quality_actors"]] == ["prov_a", "muni_1"]
    assert lower["parameters"]["poor_quality_below"] == 70.0
    assert analyse_chain(chain)["poor_quality_actors"] == []


@pytest.mark.parametrize("quality, below, message", [
    ({"ON": 120}, 75, "quality['ON']"),
    ({"ON": "good"}, 75, "quality['ON']"),
    ({"ON": float("nan")}, 75, "quality['ON']"),
    ({"ON": True}, 75, "quality['ON']"),
    ({"ON": 50}, 150, "poor_quality_below"),
])
def test_bad_quality_scores_are_named(quality, below, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        analyse_chain(parse_chain(small_doc(), MODEL), quality=quality,
                      poor_quality_below=below)


def _brute_force(chain: Chain) -> dict:
    """Every route (as a list of link indexes) from a top-level actor to each frontline
    actor, and what follows from them, by plain enumeration."""
    incoming = {link.target for link in chain.links}
    roots = [a.code for a in chain.actors if a.code not in incoming]
    frontline = [a.code for a in chain.actors if a.level == "frontline"]

    def paths_from(code: str) -> list[tuple[list[int], str]]:
        out = [([], code)]
        for j, link in enumerate(chain.links):
            if link.source == code:
                out += [([j, *p], end) for p, end in paths_from(link.target)]
        return out

    routes: dict[str, list[list[int]]] = {f: [] for f in frontline}
    for r in roots:
        for p, end in paths_from(r):
            if end in routes:
                routes[end].append(p)
    reached = [f for f in frontline if routes[f]]

    def inner_actors(p: list[int]) -> set[str]:
        return {chain.links[j].target for j in p[:-1]}

    spof = {}
    for a in chain.actors:
        if a.code in roots or a.level == "frontline":
            continue
        cut = [f for f in reached if all(a.code in inner_actors(p) for p in routes[f])]
        if cut:
            spof[a.code] = cut
    single = {j: [f for f in reached if all(j in p for p in routes[f])]
              for j in range(len(chain.links))}
    weak = {f: min((sum(chain.links[j].strength == "broken" for j in p),
                    sum(chain.links[j].strength == "weak" for j in p), len(p))
                   for p in routes[f])
            for f in reached
            if all(any(chain.links[j].strength in ("weak", "broken") for j in p)
                   for p in routes[f])}
    federal = [a.code for a in chain.actors if a.level == "federal"]
    on_the_way = set()
    for fed in federal:
        for p, end in paths_from(fed):
            if end in frontline:
                on_the_way |= inner_actors(p)
    cross = [a.code for level in ("provincial", "municipal") for a in chain.actors
             if a.level == level and a.code in on_the_way]
    return {"spof": spof, "single": {j: c for j, c in single.items() if c}, "weak": weak,
            "cross": cross}


def _random_chain(seed: int) -> Chain:
    rng = random.Random(seed)
    n = rng.randint(6, 12)
    levels = sorted((rng.choice(LEVELS[:4]) for _ in range(n)), key=LEVELS.index)
    levels[0] = "federal"
    actors = [{"code": f"a{i}", "name": f"Actor {i}", "level": lv}
              for i, lv in enumerate(levels)]
    links = []
    for i in range(1, n):  # links only run to later actors, so there is no cycle
        for source in rng.sample(range(i), k=min(i, rng.choice((1, 1, 2, 3)))):
            links.append(link(f"a{source}", f"a{i}", rng.choice(STRENGTHS),
                              rng.choice(LINK_TYPES)))
    if rng.random() < 0.5:  # an extra root now and then
        links = [k for k in links if k["to"] != "a1"]
    return parse_chain({"actors": actors, "links": links}, MODEL)


@pytest.mark.parametrize("seed", range(40))
def test_analysis_agrees_with_a_brute_force_over_every_route(seed):
    chain = _random_chain(seed)
    result = analyse_chain(chain)
    expected = _brute_force(chain)
    assert {s["actor"]: s["frontline_cut_off"]
            for s in result["single_points_of_failure"]} == expected["spof"]
    dicts = [k.to_dict() for k in chain.links]
    assert {dicts.index({k: v for k, v in s.items() if k != "frontline_cut_off"}):
            s["frontline_cut_off"] for s in result["single_links"]} == expected["single"]
    assert [c["actor"] for c in result["cross_government"]] == expected["cross"]
    found = {}
    for b in result["broken_paths"]:
        path = b["path"]
        steps = []
        for s, t in zip(path, path[1:], strict=False):  # the path follows real links
            options = [k for k in chain.links if (k.source, k.target) == (s, t)]
            assert options
            steps.append(min(options, key=lambda k: STRENGTHS.index(k.strength)))
        found[b["frontline"]] = (sum(k.strength == "broken" for k in steps),
                                 sum(k.strength == "weak" for k in steps), len(steps))
        assert [w["strength"] for w in b["weak_links"]] == [
            k.strength for k in steps if k.strength in ("weak", "broken")]
    assert found == expected["weak"]


def test_parse_defaults_and_round_trip():
    doc = small_doc({("fed", "prov_a"): "weak"})
    doc["actors"][0]["indicators"] = ["grade3_reading"]
    doc["actors"][1]["controls"] = True
    doc["links"][1]["assessed_on"] = date(2026, 6, 30)
    doc["links"][2]["assessed_on"] = "2026-05-01"
    chain = parse_chain(doc, MODEL)
    assert chain.actors[0] == Actor("fed", "Fed", "federal", ("CA",), ("grade3_reading",), True)
    assert chain.actors[1].controls is True  # said so
    assert chain.actors[2].controls is False  # provincial default
    assert chain.links[0] == Link("fed", "prov_a", "funding", "weak", "seen at the review")
    assert chain.links[1].assessed_on == date(2026, 6, 30)
    assert chain.links[2].assessed_on == date(2026, 5, 1)
    stored = json.loads(json.dumps(chain.to_dict()))
    assert stored["links"][1]["assessed_on"] == "2026-06-30"
    assert stored["links"][0]["from"] == "fed" and stored["links"][0]["to"] == "prov_a"
    assert parse_chain(stored, MODEL) == chain
    assert parse_chain({"actors": [actor("x", "federal", controls=False)]},
                       MODEL).actors[0].controls is False


def test_every_problem_is_reported_with_its_path():
    doc = {"actor_list": 1, "actors": [
        actor("fed", "federal"),
        actor("fed", "federal"),
        actor("prov", "provincal"),
        {"code": "muni", "level": "municipal"},
        actor("school", "frontline", units=["ON", "XX"], indicators=["grade3_readin"]),
        {"code": "Bad-Code", "name": "X", "level": "external", "contols": True},
        actor("ngo", "external", controls="yes"),
    ], "links": [
        link("fed", "provv"),
        link("fed", "fed"),
        link("fed", "prov", "weakish"),
        {"from": "prov", "to": "muni", "type": "guidance", "strength": "weak"},
        link("fed", "school", kind="fund", assessed_on="30/06/2026"),
        link("muni", "school", "broken", kind="service", notes="x"),
        link("muni", "school", "weak", kind="service"),
        "junk",
    ]}
    with pytest.raises(DeliveryError) as caught:
        parse_chain(doc, MODEL)
    assert caught.value.problems == [
        "actor_list: unknown field (did you mean 'actors'?); expected one of actors, links",
        "actors[1].code: duplicate 'fed' (also actors[0])",
        "actors[2].level: must be one of federal, provincial, municipal, frontline, external, "
        "got 'provincal' (did you mean 'provincial'?)",
        "actors[3].name: required",
        "actors[4].units[1]: unknown unit 'XX'",
        "actors[4].indicators[0]: unknown indicator 'grade3_readin' "
        "(did you mean 'grade3_reading'?)",
        "actors[5].contols: unknown field (did you mean 'controls'?); expected one of code, "
        "name, level, units, indicators, controls, name_fr",
        "actors[5].code: must be lower-case letters, digits and _, got 'Bad-Code'",
        "actors[6].controls: must be true or false, got 'yes'",
        "links[0].to: unknown actor 'provv' (did you mean 'prov'?)",
        "links[1]: links actor 'fed' to itself",
        "links[2].strength: must be one of strong, adequate, weak, broken, got 'weakish' "
        "(did you mean 'weak'?)",
        "links[3].evidence: required when strength is weak",
        "links[4].type: must be one of funding, legislation, guidance, data, service, "
        "got 'fund' (did you mean 'funding'?)",
        "links[4].assessed_on: must be an ISO date like 2026-06-30, got '30/06/2026'",
        "links[5].notes: unknown field; expected one of from, to, type, strength, evidence, "
        "assessed_on, evidence_fr",
        "links[6]: duplicate of links[5] (muni -> school, service)",
        "links[7]: must be a mapping with from, to, type and strength, got 'junk'",
    ]
    assert "18 problems" in str(caught.value)


@pytest.mark.parametrize("raw, problem", [
    ([], "chain: must be a mapping with actors and links, got list"),
    ({}, "actors: required"),
    ({"actors": {"a": 1}}, "actors: must be a list, got dict"),
    ({"actors": [], "links": "x"}, "links: must be a list, got str"),
    ({"actors": [actor("a", "federal", units="CA")]},
     "actors[0].units: must be a list of unit codes, got 'CA'"),
    ({"actors": [actor("a", "federal", units=["CA", "CA"])]},
     "actors[0].units[1]: 'CA' listed twice"),
    ({"actors": [{"code": "a", "name": " ", "level": "federal"}]},
     "actors[0].name: must be non-empty text, got ' '"),
    ({"actors": [actor("a", "federal"), actor("b", "frontline")],
      "links": [link("a", "b", "broken", evidence="")]},
     "links[0].evidence: required when strength is broken"),
    ({"actors": [actor("a", "federal"), actor("b", "frontline")],
      "links": [{"to": "b", "type": "data", "strength": "strong"}]},
     "links[0].from: required"),
])
def test_single_problems(raw, problem):
    with pytest.raises(DeliveryError) as caught:
        parse_chain(raw, MODEL)
    assert caught.value.problems == [problem]


def test_a_cycle_is_refused():
    doc = {"actors": [actor(c, "municipal") for c in ("a", "b", "c")],
           "links": [link("a", "b"), link("b", "c"), link("c", "a", kind="data")]}
    with pytest.raises(DeliveryError) as caught:
        parse_chain(doc, MODEL)
    assert caught.value.problems == [
        "links: a -> b -> c -> a is a cycle; links run downstream, from the actor that "
        "delivers to the one that receives"]


def test_summary_lines():
    doc = small_doc({("muni_1", "school_1"): "broken", ("prov_b", "muni_2"): "weak"})
    doc["links"][0]["strength"] = "strong"
    chain = parse_chain(doc, MODEL)
    lines = chain_summary_lines(analyse_chain(chain, quality={"ON": 60, "TOR": 80}))
    assert lines == [
        "8 actors and 8 links: 1 strong, 5 adequate, 1 weak, 1 broken.",
        "2 weak or broken links: Muni 1 -> School 1 (funding, broken); "
        "Prov B -> Muni 2 (funding, weak).",
        "1 frontline actor reached only through weak or broken links: School 1 (weakest "
        "route via Muni 1 -> School 1 broken).",
        "3 single points of failure: Prov A (sole route to School 1); Prov B (sole route to "
        "School 2); Muni 1 (sole route to School 1).",
        "4 links are the only route to a frontline actor: Fed -> Prov A (funding); "
        "Prov A -> Muni 1 (funding); Muni 1 -> School 1 (funding); Fed -> Prov B (funding).",
        "Delivery passes through 5 actors in other governments (2 provincial, 3 municipal), "
        "which the centre influences but does not control.",
        "2 actors with data quality below 75: Prov A (mean 60.0; ON 60.0); "
        "Muni 1 (mean 70.0; TOR 80.0, ON 60.0).",
    ]
    clean = chain_summary_lines(analyse_chain(parse_chain(
        {"actors": [actor("a", "federal"), actor("b", "frontline")],
         "links": [link("a", "b"), link("a", "b", kind="data")]}, MODEL)))
    assert clean == ["2 actors and 2 links: 0 strong, 2 adequate, 0 weak, 0 broken.",
                     "No weak or broken links."]
    hub = chain_summary_lines(analyse_chain(parse_chain(
        {"actors": [actor("a", "federal"), actor("hub", "provincial"),
                    {"code": "s1", "name": "Schools, north", "level": "frontline"},
                    {"code": "s2", "name": "Schools, south", "level": "frontline"}],
         "links": [link("a", "hub"), link("hub", "s1"), link("hub", "s2")]}, MODEL)))
    assert hub[2] == "1 single point of failure: Hub (sole route to 2 frontline actors)."
    with pytest.raises(ValueError, match="not a result of analyse_chain"):
        chain_summary_lines({"weak_links": []})
