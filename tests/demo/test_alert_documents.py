"""The demo's alerts in its documents: the crime pack carries the planted Winnipeg case,
the delivery report warns before crediting a unit whose figures an alert questions and
lists no such unit above one without, and the monthly note names every priority with
alerts standing. What is expected is read from the alerts service on its own."""

from __future__ import annotations

import html
import re
from datetime import datetime

from stocktake.demo.series import GAMING
from stocktake.model.periods import Period
from stocktake.reports.render import render_pack
from stocktake.services.publishing.briefings import delivery_report_context, monthly_note_context
from stocktake.services.publishing.packs import pack_context
from stocktake.services.reading.alerts import alerts
from stocktake.services.reading.snapshot import Snapshot

STANDING = ("open", "confirmed")


def _text(page: str) -> str:
    body = re.sub(r"</?(strong|em|span|code|a)\b[^>]*>", "", page.split("<body", 1)[-1])
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_crime_pack_carries_the_winnipeg_alert(demo_engine):
    unit, start, _ = GAMING["CRIME"]
    c = pack_context(demo_engine, "CRIME")
    winnipeg = [a for a in c["trust"]["alerts"] if a.unit == unit]
    assert winnipeg, [a.unit for a in c["trust"]["alerts"]]
    a = min(winnipeg, key=lambda a: abs(Period.parse(a.start).ordinal
                                        - Period.parse(start).ordinal))
    assert abs(Period.parse(a.start).ordinal - Period.parse(start).ordinal) <= 2
    assert a.unit_name == "Winnipeg" and a.status == "open"
    text = _text(render_pack(c))
    assert "3 · Can we trust these numbers?" in text
    # a shift that built up over months is dated where its slope changed, with its interval
    assert f"From about {a.start} (between" in text and "Winnipeg records" in text
    assert "more violent reports classified unfounded" in text
    assert a.id in text


def test_the_report_warns_before_credit_and_lists_flagged_units_first(demo_engine):
    report = delivery_report_context(demo_engine)
    standing = [a for a in alerts(Snapshot(demo_engine)).alerts
                if a.status in STANDING and a.priorities]
    league = report["quality"]["units"]
    flagged = {e.quality.unit for e in league if e.alerts}
    assert flagged == {a.unit for a in standing} & {e.quality.unit for e in league}
    # worst first: the flagged units lead, then the others from the lowest score up
    assert flagged and league[0].alerts and not league[-1].alerts
    assert [bool(e.alerts) for e in league] == sorted((bool(e.alerts) for e in league),
                                                      reverse=True)
    calm = [e.quality.score for e in league if not e.alerts]
    assert calm == sorted(calm)
    warned = 0
    for s in report["successes"]:
        questioned = {a.unit_name for a in standing if s["code"] in a.priorities}
        expected = [u for u in s["credit_units"] if u in questioned]
        assert [q["unit_name"] for q in s["credit_alerts"]] == expected, s["code"]
        warned += len(expected)
    assert warned  # the demo credits units whose figures an alert questions (Manitoba, ...)


def test_the_note_names_every_priority_with_alerts_standing(demo_engine):
    note = monthly_note_context(demo_engine, "2026-10")
    moment = datetime.fromisoformat(note["as_of"]) if note["as_of"] else None
    then = alerts(Snapshot(demo_engine, moment)).alerts  # as the note reads them
    expected = [p for p in ("SURG", "CRIME", "LIT", "HOUS", "HOME")
                if any(a.status in STANDING and p in a.priorities for a in then)]
    assert expected and [c["code"] for c in note["care"]] == expected
    for c in note["care"]:
        first = next(a for a in then if a.status in STANDING and c["code"] in a.priorities)
        assert first.unit_name in c["units"] or c["more_units"]
