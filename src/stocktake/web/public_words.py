"""The words of the public pages that Python builds (status sentences, the tolerance rule,
signed percentages), in the language of the page.

In English each filter gives back what the service wrote (reports.formatting's sentences),
so an English page is what it always was (the tolerance with its figure grouped: 2,100); in
another language it says the same from the same figures through the catalogue and Babel
(i18n).
"""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal

from ..analysis.spc import ICON_LABELS
from ..analysis.trajectory.base import METHODS
from ..delivery.commitments import STATUSES as COMMITMENT_STATUSES
from ..model.entities import is_percent
from ..reports.formatting import CONCLUDED, STATUS_WORDS, expected_decimals
from ..reports.formatting import tolerance as english_tolerance
from ..reports.said import said_in
from ..services.admin.accounts import ROLES
from ..services.reading.readings import PARTIAL_RULE
from ..text import Text
from . import i18n
from .i18n import gettext as _

# Messages the pages translate that Python, not a template, holds: the catalogue must have
# them too (tests/web/test_translations.py).
FROM_PYTHON = (*STATUS_WORDS.values(), PARTIAL_RULE, *ICON_LABELS.values(), *METHODS,
               *ROLES, *COMMITMENT_STATUSES.values())


def tr(message: Any) -> Any:
    """A message held in Python, in the page's language (an empty one stays empty)."""
    return _(message) if isinstance(message, str) and message else message


def percent_change(value: float) -> str:
    """A signed percentage: +3.9%, −3,9 %."""
    if i18n.current() == i18n.DEFAULT:
        return f"{value:+.1f}%"
    text = format_decimal(abs(value), format="0.0", locale=i18n.current())
    return ("+" if value > 0 else "−" if value < 0 else "") + text + "\u00a0%"


def _figure(value: Any, unit_of_measure: str | None, decimals: int | None) -> str:
    if value is None:
        return "–"
    if is_percent(unit_of_measure):
        return i18n.number(value, 1 if decimals is None else decimals) + "\u00a0%"
    return i18n.number(value, decimals)


def tolerance(p: dict[str, Any]) -> str:
    """How far from the trajectory is still on track (services.reading.status): its rule, a
    Sentence, said in the page's language; a rule read back as plain English, rebuilt."""
    if isinstance(p["tolerance"], Text):
        return said_in(p["tolerance"], i18n.current())
    if i18n.current() == i18n.DEFAULT:  # the rule's words, its figure grouped (2,100)
        return english_tolerance(p["tolerance_value"], p["tolerance_mode"])
    tol = i18n.number(p["tolerance_value"], None if p["tolerance_value"] % 1 else 0)
    if p["tolerance_mode"] == "relative":
        return _("within %(tol)s%% of the expected value is on track; outside it, ahead or "
                 "off track by the indicator's polarity") % {"tol": tol}
    return _("within %(tol)s (in the headline's units) of the expected value is on track; "
             "outside it, ahead or off track by the indicator's polarity") % {"tol": tol}


def _verdict(status: str, v: Any, uom: str | None, decimals: int | None) -> str:
    def a(x: Any) -> str:
        return _figure(x, uom, decimals)

    when = v.actual_period
    if v.read_earlier:
        when += _(" (the last complete period before the target period %(period)s)") % {
            "period": v.period}
    gap = v.gap or 0.0
    size = i18n.FILTERS["difference"](gap, uom, decimals)
    side = (_("exactly on it") if gap == 0 else
            _("%(gap)s above") % {"gap": size} if gap > 0 else _("%(gap)s below") % {"gap": size})
    text = _("%(status)s: %(value)s in %(when)s against a target of %(target)s (%(side)s).") % {
        "status": i18n.FILTERS["status_word"](v.status), "value": a(v.actual), "when": when,
        "target": a(v.target), "side": side}
    since = v.since
    if since.period and since.period != v.actual_period:
        change = since.change or 0.0
        by = i18n.FILTERS["difference"](change, uom, decimals)
        moved = (_("unchanged") if change == 0 else
                 _("%(change)s higher") % {"change": by} if change > 0
                 else _("%(change)s lower") % {"change": by})
        holds = (_("still meeting the target") if since.meets_target
                 else _("not meeting the target now"))
        text += _(" Since then: %(value)s in %(period)s, %(moved)s, %(holds)s.") % {
            "value": a(since.value), "period": since.period, "moved": moved, "holds": holds}
    return text


def status_text(row: dict[str, Any]) -> str:
    """One reading in words (reports.formatting.status_sentence, in the page's language)."""
    if i18n.current() == i18n.DEFAULT:
        return row["status_text"]
    uom, decimals = row["unit_of_measure"], row["decimals"]
    word = i18n.FILTERS["status_word"](row["status"])
    latest, expected, verdict = row["latest"], row["expected"], row["at_target_period"]
    if latest is None:
        return _("%(status)s: no complete period has been reported yet.") % {"status": word}
    if verdict and row["status"] in CONCLUDED:
        return _verdict(row["status"], verdict, uom, decimals)
    text = _("%(status)s: %(value)s in %(period)s") % {
        "status": word, "value": _figure(latest.value, uom, decimals), "period": latest.period}
    if expected is not None:
        text += _(", against %(expected)s expected on the trajectory") % {
            "expected": _figure(expected, uom, expected_decimals(expected, decimals))}
        if row["gap_pct"] is not None:
            text += f" ({percent_change(row['gap_pct'])})"
    direction = {"up": _("; higher is better."), "down": _("; lower is better.")}
    return text + direction.get(row.get("polarity") or "", ".")


FILTERS = {"tr": tr, "percent_change": percent_change, "tolerance": tolerance,
           "status_text": status_text}


def N_(message: str) -> str:
    """Marks a message for `pybabel extract` (babel.cfg passes ``-k N_``)."""
    return message


# FROM_PYTHON as literals, so that `pybabel extract` finds them (tests/web/
# test_translations.py checks that the two are the same).
EXTRACTED = (
    N_("On track"), N_("Ahead"), N_("Off track"), N_("No data"), N_("No trajectory"),
    N_("Outside trajectory"), N_("Target met"), N_("Target missed"),
    N_("periods whose value is a partial roll-up (an expected child, or a child's child, "
       "has not reported) are left out; reported totals count as complete"),
    N_("Too few points to judge"),
    N_("Common cause: no significant change"),
    N_("Improvement: special cause, higher values"),
    N_("Improvement: special cause, lower values"),
    N_("Concern: special cause, higher values"),
    N_("Concern: special cause, lower values"),
    N_("Special cause, higher values (neither good nor bad)"),
    N_("Special cause, lower values (neither good nor bad)"),
    N_("Consistently passes the target"),
    N_("Consistently fails the target"),
    N_("Hit and miss: the target lies within the process limits"),
    N_("linear"), N_("constant_rate"), N_("s_curve"), N_("front_loaded"), N_("back_loaded"),
    N_("landmarks"), N_("interventions"),
    N_("admin"), N_("analyst"), N_("owner"), N_("provider"), N_("executive"),
    N_("completed fully"), N_("completed, modified"), N_("underway, on track"),
    N_("underway, facing challenges"), N_("not being pursued"),
)
