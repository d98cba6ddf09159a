"""Delivery chains: the actors through which a priority reaches citizens, and how strong each
link between them is (deliverology idea 6). In a federal system the chain shows where the
centre depends on other governments: what it controls and what it only influences.

Pure: one parsed document in (YAML or the stored JSON form), typed objects and plain dicts out.
Links run downstream, from the actor that delivers or passes something on to the one that
receives it, so a chain has no cycles; its top-level actors (roots) are those with no
incoming link.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..errors import did_you_mean
from ..model.entities import DeliveryModel
from ..text import Text
from .errors import DeliveryError, problem_at
from .wording import DOMAIN, ENGLISH, N_, Language

LEVELS = ("federal", "provincial", "municipal", "frontline", "external")
LINK_TYPES = ("funding", "legislation", "guidance", "data", "service")
STRENGTHS = ("strong", "adequate", "weak", "broken")
WEAK = ("weak", "broken")
GOVERNMENT_LEVELS = ("provincial", "municipal")  # other governments the centre depends on

CHAIN_KEYS = ("actors", "links")
ACTOR_KEYS = ("code", "name", "level", "units", "indicators", "controls", "name_fr")
LINK_KEYS = ("from", "to", "type", "strength", "evidence", "assessed_on", "evidence_fr")
CODE = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class Actor:
    code: str
    name: str
    level: str
    units: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    controls: bool = False  # whether the centre controls it (else it only influences it)
    name_fr: str = ""  # the French beside the English (issue #18), "" where none is given

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "level": self.level,
                "units": list(self.units), "indicators": list(self.indicators),
                "controls": self.controls,
                **({"name_fr": self.name_fr} if self.name_fr else {})}


@dataclass(frozen=True)
class Link:
    source: str  # upstream actor code ("from" in the document)
    target: str  # downstream actor code ("to")
    type: str
    strength: str
    evidence: str = ""
    assessed_on: date | None = None
    evidence_fr: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.target, "type": self.type,
                "strength": self.strength, "evidence": self.evidence,
                "assessed_on": self.assessed_on.isoformat() if self.assessed_on else None,
                **({"evidence_fr": self.evidence_fr} if self.evidence_fr else {})}


@dataclass(frozen=True)
class Chain:
    actors: tuple[Actor, ...]
    links: tuple[Link, ...]

    def actor(self, code: str) -> Actor:
        for a in self.actors:
            if a.code == code:
                return a
        raise KeyError(code)

    def roots(self) -> list[Actor]:
        """Top-level actors: those no link runs into."""
        targets = {link.target for link in self.links}
        return [a for a in self.actors if a.code not in targets]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; ``parse_chain(chain.to_dict(), model) == chain``."""
        return {"actors": [a.to_dict() for a in self.actors],
                "links": [link.to_dict() for link in self.links]}


# ----------------------------------------------------------------------------- parsing

def _suggest(word: Any, choices: Iterable[str]) -> str:
    # A YAML key or value may be a number: no hint for those.
    if not isinstance(word, str):
        return ""
    return did_you_mean(word, choices)


def _unknown_keys(item: Mapping[Any, Any], allowed: tuple[str, ...], where: str,
                  problems: list[str]) -> None:
    for key in item:
        if key not in allowed:
            problems.append(problem_at(f"{where}{key}", N_(
                "unknown field%(hint)s; expected one of %(allowed)s"),
                hint=_suggest(key, allowed), allowed=", ".join(allowed)))


def _what(kind: str) -> Text:
    """"unit" or "indicator", in the words of a page's language."""
    return Text.in_catalogue(DOMAIN, {"unit": N_("unit"), "indicator": N_("indicator")}[kind])


def _text(item: Mapping[str, Any], key: str, where: str, problems: list[str], *,
          required: bool) -> str | None:
    value = item.get(key)
    if value is None:
        if required:
            problems.append(problem_at(f"{where}.{key}", N_("required")))
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(problem_at(f"{where}.{key}", N_("must be non-empty text, got %(value)s")
                                   if required else N_("must be text, got %(value)s"),
                                   value=repr(value)))
        return None
    return value.strip()


def _choice(item: Mapping[str, Any], key: str, choices: tuple[str, ...], where: str,
            problems: list[str]) -> str | None:
    value = _text(item, key, where, problems, required=True)
    if value is not None and value not in choices:
        problems.append(problem_at(f"{where}.{key}", N_(
            "must be one of %(choices)s, got %(value)s%(hint)s"), choices=", ".join(choices),
            value=repr(value), hint=_suggest(value, choices)))
        return None
    return value


def _codes(item: Mapping[str, Any], key: str, known: Mapping[str, Any], what: str,
           where: str, problems: list[str]) -> tuple[str, ...]:
    value = item.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(problem_at(f"{where}.{key}", N_(
            "must be a list of %(what)s codes, got %(value)s"), what=_what(what),
            value=repr(value)))
        return ()
    out = []
    for i, code in enumerate(value):
        if not isinstance(code, str):
            problems.append(problem_at(f"{where}.{key}[{i}]", N_(
                "must be a %(what)s code, got %(value)s"), what=_what(what), value=repr(code)))
        elif code not in known:
            problems.append(problem_at(f"{where}.{key}[{i}]", N_(
                "unknown %(what)s '%(code)s'%(hint)s"), what=_what(what), code=code,
                hint=_suggest(code, known)))
        elif code in out:
            problems.append(problem_at(f"{where}.{key}[{i}]", N_("'%(code)s' listed twice"),
                                       code=code))
        else:
            out.append(code)
    return tuple(out)


def _date(value: Any, where: str, problems: list[str]) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # YAML reads "2026-06-30 10:00" as a datetime
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(problem_at(where, N_("must be an ISO date like 2026-06-30, got %(value)s"),
                               value=repr(value)))
    return None


def _parse_actor(raw: Any, i: int, model: DeliveryModel,
                 problems: list[str]) -> Actor | None:
    where = f"actors[{i}]"
    if not isinstance(raw, Mapping):
        problems.append(problem_at(where, N_(
            "must be a mapping with code, name and level, got %(value)s"), value=repr(raw)))
        return None
    start = len(problems)
    _unknown_keys(raw, ACTOR_KEYS, f"{where}.", problems)
    code = _text(raw, "code", where, problems, required=True)
    if code is not None and not CODE.fullmatch(code):
        problems.append(problem_at(f"{where}.code", N_(
            "must be lower-case letters, digits and _, got %(value)s"), value=repr(code)))
        code = None
    name = _text(raw, "name", where, problems, required=True)
    name_fr = _text(raw, "name_fr", where, problems, required=False)
    level = _choice(raw, "level", LEVELS, where, problems)
    units = _codes(raw, "units", model.units, "unit", where, problems)
    indicators = _codes(raw, "indicators", model.indicators, "indicator", where, problems)
    controls = raw.get("controls")
    if controls is not None and not isinstance(controls, bool):
        problems.append(problem_at(f"{where}.controls", N_(
            "must be true or false, got %(value)s"), value=repr(controls)))
    if len(problems) > start or code is None or name is None or level is None:
        return None
    return Actor(code, name, level, units, indicators,
                 controls if isinstance(controls, bool) else level == "federal", name_fr or "")


def _parse_link(raw: Any, j: int, codes: set[str], problems: list[str]) -> Link | None:
    where = f"links[{j}]"
    if not isinstance(raw, Mapping):
        problems.append(problem_at(where, N_(
            "must be a mapping with from, to, type and strength, got %(value)s"),
            value=repr(raw)))
        return None
    start = len(problems)
    _unknown_keys(raw, LINK_KEYS, f"{where}.", problems)
    ends = {}
    for key in ("from", "to"):
        code = _text(raw, key, where, problems, required=True)
        if code is not None and code not in codes:
            problems.append(problem_at(f"{where}.{key}", N_("unknown actor '%(code)s'%(hint)s"),
                                       code=code, hint=_suggest(code, codes)))
        ends[key] = code
    if ends["from"] is not None and ends["from"] == ends["to"]:
        problems.append(problem_at(where, N_("links actor '%(code)s' to itself"),
                                   code=ends["from"]))
    kind = _choice(raw, "type", LINK_TYPES, where, problems)
    strength = _choice(raw, "strength", STRENGTHS, where, problems)
    evidence = _text(raw, "evidence", where, problems, required=False)
    evidence_fr = _text(raw, "evidence_fr", where, problems, required=False)
    if strength in WEAK and not evidence and isinstance(raw.get("evidence"), str | None):
        problems.append(problem_at(f"{where}.evidence", N_(
            "required when strength is %(strength)s"),
            strength=Text.in_catalogue(DOMAIN, strength)))
    assessed_on = _date(raw.get("assessed_on"), f"{where}.assessed_on", problems)
    if len(problems) > start:
        return None
    return Link(ends["from"], ends["to"], kind, strength, evidence or "", assessed_on,
                evidence_fr or "")


def missing_french(chain: Chain) -> list[tuple[str, str, str]]:
    """(item path, its code, French key) of every actor lacking its French name and every
    link lacking the French of its evidence, e.g. ``("actors[3]", "mb", "name_fr")``."""
    return [(f"actors[{n}]", a.code, "name_fr") for n, a in enumerate(chain.actors)
            if a.name and not a.name_fr] + [
        (f"links[{n}]", f"{link.source}->{link.target}", "evidence_fr")
        for n, link in enumerate(chain.links) if link.evidence and not link.evidence_fr]


def has_french(chain: Chain) -> bool:
    """Does any actor or link of the chain carry a French field?"""
    return any(a.name_fr for a in chain.actors) or any(k.evidence_fr for k in chain.links)


def _cycles(links: list[Link]) -> list[list[str]]:
    """One cycle (as a closed list of codes) for each back edge a depth-first search finds."""
    out_links: dict[str, list[str]] = {}
    for link in links:
        out_links.setdefault(link.source, []).append(link.target)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []
    found: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()

    def visit(code: str) -> None:
        state[code] = 1
        stack.append(code)
        for nxt in out_links.get(code, []):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                if frozenset(cycle) not in seen_sets:
                    seen_sets.add(frozenset(cycle))
                    found.append(cycle)
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[code] = 2

    for link in links:
        if link.source not in state:
            visit(link.source)
    return found


def parse_chain(raw: Any, model: DeliveryModel) -> Chain:
    """Check a chain document against the delivery model; raise DeliveryError with every
    problem, each prefixed by the path of its field."""
    if not isinstance(raw, Mapping):
        raise DeliveryError(problem_at("chain", N_(
            "must be a mapping with actors and links, got %(type)s"), type=type(raw).__name__))
    problems: list[str] = []
    _unknown_keys(raw, CHAIN_KEYS, "", problems)
    raw_actors = raw.get("actors")
    if raw_actors is None:
        problems.append(problem_at("actors", N_("required")))
        raw_actors = []
    elif not isinstance(raw_actors, list):
        problems.append(problem_at("actors", N_("must be a list, got %(type)s"),
                                   type=type(raw_actors).__name__))
        raw_actors = []
    raw_links = raw.get("links")
    if raw_links is None:
        raw_links = []
    elif not isinstance(raw_links, list):
        problems.append(problem_at("links", N_("must be a list, got %(type)s"),
                                   type=type(raw_links).__name__))
        raw_links = []

    actors: list[Actor] = []
    first_at: dict[str, int] = {}
    codes: set[str] = set()  # every well-formed code, so links are checked against them
    for i, item in enumerate(raw_actors):
        actor = _parse_actor(item, i, model, problems)
        code = item.get("code") if isinstance(item, Mapping) else None
        if isinstance(code, str) and CODE.fullmatch(code.strip()):
            code = code.strip()
            if code in first_at:
                problems.append(problem_at(f"actors[{i}].code", N_(
                    "duplicate '%(code)s' (also %(other)s)"), code=code,
                    other=f"actors[{first_at[code]}]"))
                continue
            first_at[code] = i
            codes.add(code)
        if actor is not None:
            actors.append(actor)

    links: list[Link] = []
    seen: dict[tuple[str, ...], int] = {}
    for j, item in enumerate(raw_links):
        link = _parse_link(item, j, codes, problems)
        # Duplicates are found from the raw fields, so one is reported even when its twin
        # has problems of its own.
        ends = [item.get(k) for k in ("from", "to", "type")] if isinstance(item, Mapping) else []
        if ends and all(isinstance(e, str) for e in ends):
            key = tuple(e.strip() for e in ends)
            if key in seen:
                problems.append(problem_at(f"links[{j}]", N_(
                    "duplicate of %(other)s (%(source)s -> %(target)s, %(type)s)"),
                    other=f"links[{seen[key]}]", source=key[0], target=key[1], type=key[2]))
                continue
            seen[key] = j
        if link is not None:
            links.append(link)
    for cycle in _cycles(links):
        problems.append(problem_at("links", N_(
            "%(cycle)s is a cycle; links run downstream, from the actor that delivers to the "
            "one that receives"), cycle=" -> ".join(cycle)))
    if problems:
        raise DeliveryError(problems)
    return Chain(tuple(actors), tuple(links))


# ----------------------------------------------------------------------------- analysis

def _reach(chain: Chain, starts: Iterable[str], *, without_actor: str | None = None,
           without_link: int | None = None, strengths: tuple[str, ...] = STRENGTHS
           ) -> set[str]:
    """Actors reachable from ``starts`` along links, optionally with one actor or one link
    taken out, or using only links of the given strengths."""
    seen = {s for s in starts if s != without_actor}
    frontier = list(seen)
    while frontier:
        nxt = []
        for j, link in enumerate(chain.links):
            if (link.source in frontier and j != without_link and link.target not in seen
                    and link.target != without_actor and link.strength in strengths):
                seen.add(link.target)
                nxt.append(link.target)
        frontier = nxt
    return seen


def _reverse_reach(chain: Chain, starts: Iterable[str]) -> set[str]:
    seen = set(starts)
    frontier = list(seen)
    while frontier:
        nxt = [link.source for link in chain.links
               if link.target in frontier and link.source not in seen]
        seen.update(nxt)
        frontier = nxt
    return seen


def _least_weak_path(chain: Chain, roots: list[str], goal: str) -> list[int]:
    """Link indexes of the path from a root to ``goal`` with the fewest broken links, then
    the fewest weak links, then the fewest links (Dijkstra on those costs in that order)."""
    cost = {"broken": (1, 0, 1), "weak": (0, 1, 1)}
    best: dict[str, tuple[int, int, int]] = {r: (0, 0, 0) for r in roots}
    back: dict[str, int] = {}
    heap = [((0, 0, 0), i, r) for i, r in enumerate(roots)]
    pushed = len(heap)  # tie-breaker, so equal costs keep chain order
    done: set[str] = set()
    while heap:
        dist, _, code = heapq.heappop(heap)
        if code in done:
            continue
        done.add(code)
        if code == goal:
            break
        for j, link in enumerate(chain.links):
            if link.source != code:
                continue
            step = cost.get(link.strength, (0, 0, 1))
            new = (dist[0] + step[0], dist[1] + step[1], dist[2] + step[2])
            if link.target not in best or new < best[link.target]:
                best[link.target] = new
                back[link.target] = j
                pushed += 1
                heapq.heappush(heap, (new, pushed, link.target))
    path: list[int] = []
    code = goal
    while code in back:
        path.append(back[code])
        code = chain.links[back[code]].source
    return path[::-1]


def _check_quality(quality: Mapping[str, float] | None, poor_quality_below: float) -> None:
    if (isinstance(poor_quality_below, bool) or not isinstance(poor_quality_below, int | float)
            or not 0 <= poor_quality_below <= 100):
        raise ValueError(f"poor_quality_below: must be a number from 0 to 100, "
                         f"got {poor_quality_below!r}")
    if quality is None:
        return
    if not isinstance(quality, Mapping):
        raise ValueError(f"quality: must map unit codes to scores, got {type(quality).__name__}")
    bad = [f"quality[{unit!r}]: must be a score from 0 to 100, got {score!r}"
           for unit, score in quality.items()
           if isinstance(score, bool) or not isinstance(score, int | float)
           or not math.isfinite(score) or not 0 <= score <= 100]
    if bad:
        raise ValueError("; ".join(bad))


def analyse_chain(chain: Chain, *, quality: Mapping[str, float] | None = None,
                  poor_quality_below: float = 75.0) -> dict[str, Any]:
    """Where the chain is weak: weak and broken links, actors whose units report poor data,
    the other governments delivery passes through, single points of failure (actors and
    links whose loss cuts a frontline actor off from the top), and frontline actors that
    every route reaches through a weak or broken link.

    ``quality`` maps reporting unit codes to data-quality scores (0-100); an actor is poor
    when any unit tied to it scores below ``poor_quality_below``.
    """
    _check_quality(quality, poor_quality_below)
    names = {a.code: a.name for a in chain.actors}
    roots = [a.code for a in chain.roots()]
    frontline = [a.code for a in chain.actors if a.level == "frontline"]
    reached = _reach(chain, roots)
    served = [f for f in frontline if f in reached]

    weak_links = ([link.to_dict() for link in chain.links if link.strength == "broken"]
                  + [link.to_dict() for link in chain.links if link.strength == "weak"])

    poor = []
    for actor in chain.actors:
        scored = [{"unit": u, "score": float(quality[u])} for u in actor.units
                  if quality is not None and u in quality]
        if any(s["score"] < poor_quality_below for s in scored):
            poor.append({"actor": actor.code, "name": actor.name, "units": scored,
                         "mean_score": sum(s["score"] for s in scored) / len(scored)})
    poor.sort(key=lambda p: p["mean_score"])  # worst first; stable, so ties keep chain order

    federal = [a.code for a in chain.actors if a.level == "federal"]
    from_centre = _reach(chain, federal)
    to_frontline = _reverse_reach(chain, frontline)
    cross = []
    for level in GOVERNMENT_LEVELS:
        for actor in chain.actors:
            if (actor.level == level and actor.code in from_centre
                    and actor.code in to_frontline):
                via = [link.to_dict() for link in chain.links
                       if link.target == actor.code and link.source in from_centre]
                cross.append({"actor": actor.code, "name": actor.name, "level": level,
                              "controls": actor.controls, "via": via})

    spof = []
    for actor in chain.actors:
        if actor.code in roots or actor.level == "frontline":
            continue
        left = _reach(chain, roots, without_actor=actor.code)
        cut = [f for f in served if f not in left]
        if cut:
            spof.append({"actor": actor.code, "name": actor.name, "frontline_cut_off": cut})

    single_links = []
    for j, link in enumerate(chain.links):
        left = _reach(chain, roots, without_link=j)
        cut = [f for f in served if f not in left]
        if cut:
            single_links.append({**link.to_dict(), "frontline_cut_off": cut})

    sound = _reach(chain, roots, strengths=("strong", "adequate"))
    broken_paths = []
    for f in served:
        if f not in sound:
            path = _least_weak_path(chain, roots, f)
            codes = [chain.links[path[0]].source] + [chain.links[j].target for j in path]
            broken_paths.append({
                "frontline": f, "name": names[f], "path": codes,
                "weak_links": [chain.links[j].to_dict() for j in path
                               if chain.links[j].strength in WEAK]})

    counts = {"actors": len(chain.actors), "links": len(chain.links)}
    counts.update({s: sum(link.strength == s for link in chain.links) for s in STRENGTHS})
    return {"weak_links": weak_links, "poor_quality_actors": poor,
            "cross_government": cross, "single_points_of_failure": spof,
            "single_links": single_links, "broken_paths": broken_paths, "counts": counts,
            "roots": roots, "names": names,
            "parameters": {"poor_quality_below": float(poor_quality_below),
                           "quality_scores": quality is not None}}


# ----------------------------------------------------------------------------- sentences

# The words of a chain the sentences name (LINK_TYPES, STRENGTHS, LEVELS), marked for
# `pybabel extract`: a French summary says them from the catalogue.
WORDS = (N_("funding"), N_("legislation"), N_("guidance"), N_("data"), N_("service"),
         N_("strong"), N_("adequate"), N_("weak"), N_("broken"),
         N_("federal"), N_("provincial"), N_("municipal"), N_("frontline"), N_("external"))


def link_title(source: str, target: str, wording: Language = ENGLISH) -> str:
    """A link as the chain diagram's tooltip names it: "A to B"."""
    return wording.say("%(source)s to %(target)s", source=source, target=target)


def _listed(items: list[str], w: Language, most: int = 4) -> str:
    shown = "; ".join(items[:most])
    if len(items) <= most:
        return shown
    return w.count("%(shown)s; and %(num)d more", "%(shown)s; and %(num)d more",
                   len(items) - most, shown=shown)


def _reached(item: Mapping[str, Any], name: Any, w: Language) -> str:
    cut = item["frontline_cut_off"]  # names may hold commas: list one, else count them
    return name(cut[0]) if len(cut) == 1 else w.count(
        "%(num)d frontline actor", "%(num)d frontline actors", len(cut))


def actor_names(chain: Chain, lang: str = "en") -> dict[str, str]:
    """Each actor's name in ``lang``: its French name where French is asked and given."""
    return {a.code: (a.name_fr if lang == "fr" and a.name_fr else a.name)
            for a in chain.actors}


def chain_summary_lines(analysis: Mapping[str, Any], wording: Language = ENGLISH,
                        names: Mapping[str, str] | None = None) -> list[str]:
    """Short sentences for a briefing pack, from the result of analyse_chain, in the
    language of ``wording`` (English by default), the actors called by ``names`` (code to
    name; default the analysis's own, the English: see actor_names)."""
    missing = [k for k in ("counts", "weak_links", "names") if k not in analysis]
    if missing:
        raise ValueError(f"analysis: not a result of analyse_chain (no {', '.join(missing)})")
    names = {**analysis["names"], **(names or {})}
    w = wording
    say = w.say

    def name(code: str) -> str:
        return names.get(code, code)

    def ends(link: Mapping[str, Any]) -> dict[str, str]:
        return {"source": name(link["from"]), "target": name(link["to"]),
                "kind": say(link["type"]), "strength": say(link["strength"])}

    c = analysis["counts"]
    lines = [say("%(actors)s and %(links)s: %(strong)d strong, %(adequate)d adequate, "
                 "%(weak)d weak, %(broken)d broken.",
                 actors=w.count("%(num)d actor", "%(num)d actors", c["actors"]),
                 links=w.count("%(num)d link", "%(num)d links", c["links"]),
                 strong=c["strong"], adequate=c["adequate"], weak=c["weak"],
                 broken=c["broken"])]
    # Each list is written before its sentence: `pybabel extract` loses a plural message
    # whose arguments hold another message.
    weak = analysis["weak_links"]
    if weak:
        items = _listed([say("%(source)s -> %(target)s (%(kind)s, %(strength)s)", **ends(x))
                         for x in weak], w)
        lines.append(w.count("%(num)d weak or broken link: %(items)s.",
                             "%(num)d weak or broken links: %(items)s.", len(weak), items=items))
    else:
        lines.append(say("No weak or broken links."))
    broken = analysis.get("broken_paths") or []
    if broken:
        def via(link: Mapping[str, Any]) -> str:
            return say("%(source)s -> %(target)s %(strength)s", **ends(link))

        items = _listed([say("%(name)s (weakest route via %(links)s)", name=name(b["frontline"]),
                             links=", ".join(map(via, b["weak_links"]))) for b in broken], w)
        lines.append(w.count(
            "%(num)d frontline actor reached only through weak or broken links: %(items)s.",
            "%(num)d frontline actors reached only through weak or broken links: %(items)s.",
            len(broken), items=items))
    spof = analysis.get("single_points_of_failure") or []
    if spof:
        items = _listed([say("%(name)s (sole route to %(reached)s)", name=name(s["actor"]),
                             reached=_reached(s, name, w)) for s in spof], w)
        lines.append(w.count("%(num)d single point of failure: %(items)s.",
                             "%(num)d single points of failure: %(items)s.", len(spof),
                             items=items))
    single = analysis.get("single_links") or []
    if single:
        items = _listed([say("%(source)s -> %(target)s (%(kind)s)", **ends(x))
                         for x in single], w)
        lines.append(w.count(
            "%(num)d link is the only route to a frontline actor: %(items)s.",
            "%(num)d links are the only route to a frontline actor: %(items)s.",
            len(single), items=items))
    cross = analysis.get("cross_government") or []
    if cross:
        by_level = [say("%(num)d %(level)s", num=sum(x["level"] == lv for x in cross),
                        level=say(lv))
                    for lv in GOVERNMENT_LEVELS if any(x["level"] == lv for x in cross)]
        controlled = sum(bool(x.get("controls")) for x in cross)
        levels = ", ".join(by_level)
        lines.append(w.count(
            "Delivery passes through %(num)d actor in other governments (%(levels)s), which "
            "the centre influences but does not control.",
            "Delivery passes through %(num)d actors in other governments (%(levels)s), which "
            "the centre influences but does not control.", len(cross), levels=levels)
            if not controlled else w.count(
            "Delivery passes through %(num)d actor in other governments (%(levels)s), of "
            "which the centre controls %(controlled)d.",
            "Delivery passes through %(num)d actors in other governments (%(levels)s), of "
            "which the centre controls %(controlled)d.", len(cross), levels=levels,
            controlled=controlled))
    poor = analysis.get("poor_quality_actors") or []
    if poor:
        below = analysis.get("parameters", {}).get("poor_quality_below", 75.0)
        items = _listed([say("%(name)s (mean %(mean)s; %(units)s)", name=name(p["actor"]),
                             mean=w.number(p["mean_score"], 1),
                             units=", ".join(f"{u['unit']} {w.number(u['score'], 1)}"
                                             for u in p["units"])) for p in poor], w)
        lines.append(w.count(
            "%(num)d actor with data quality below %(below)s: %(items)s.",
            "%(num)d actors with data quality below %(below)s: %(items)s.", len(poor),
            below=w.number(below, None), items=items))
    return lines
