"""The words and figures of the delivery pages (plan, chain, assessments, stocktakes,
actions, the risk register and the milestone timeline) in the page's language.

In English each filter gives what these pages always showed (reports.formatting's words
and figures), so an English page is what it was; in French the same through the catalogue
and Babel (i18n, reports.locale). The words Python holds are written out here with ``N_``
so that `pybabel extract` finds them; tests/web/test_translations.py checks that these
lists are the domain's words.
"""

from __future__ import annotations

import re
from typing import Any

from ..reports import formatting as rf
from ..reports import locale as documents
from . import i18n
from .i18n import gettext as _
from .public_words import N_, tr

# An action's status (delivery.stocktakes.ACTION_STATUSES) and a milestone's, as words.
ACTION_WORDS = {"open": N_("Open"), "in_progress": N_("In progress"), "done": N_("Done"),
                "dropped": N_("Dropped")}
MILESTONE_WORDS = {"overdue": N_("Overdue"), "not_started": N_("Not started"),
                   "on_track": N_("On track"), "at_risk": N_("At risk"), "late": N_("Late"),
                   "done": N_("Done"), "dropped": N_("Dropped")}
# How a criterion's rating moved since the last round.
DIRECTION_WORDS = {"improved": N_("Improved"), "worse": N_("Worse"), "same": N_("No change"),
                   "new": N_("First rating"), "removed": N_("No longer rated")}
# A line of a plan diff (delivery.plans.diff_lines): '+ ...', '- ...', '~ ...'.
DIFF_WORDS = {"+": N_("Added"), "-": N_("Removed"), "~": N_("Changed")}

# The domain's words, translated where the pages show them (`tr`): reports.formatting.
# LIKELIHOOD_WORDS and "Not assessed"; delivery.assessments' criteria and their scales;
# delivery.stocktakes.FIVE_QUESTIONS; delivery.chains' link kinds, strengths and levels.
LIKELIHOOD = (N_("Green"), N_("Amber/green"), N_("Amber/red"), N_("Red"), N_("Not assessed"))
CRITERIA = (N_("Degree of challenge"), N_("Quality of planning"),
            N_("Quality of implementation"), N_("Quality of performance management"),
            N_("Capacity to drive progress"), N_("Stage of delivery"),
            N_("Likelihood of delivery"))
RATINGS = (N_("Low"), N_("Medium"), N_("High"), N_("Very high"), N_("Policy development"),
           N_("Early implementation"), N_("Implementation well under way"), N_("Embedded"))
FIVE_QUESTIONS = (N_("What are you trying to do?"), N_("How are you going to do it?"),
                  N_("How do you know you are succeeding?"),
                  N_("If you are not succeeding, what will you change?"),
                  N_("How can we help?"))
# delivery.plans.CHECKS: the plan's quality checklist (each check's detail the domain
# writes in the page's language: delivery/locale's chains_plans catalogue).
CHECKS = (N_("Every intervention has an owner"), N_("Every intervention has a milestone"),
          N_("Every intervention has an expected effect"),
          N_("The trajectory is built bottom-up from the interventions"),
          N_("The interventions add up to the target"), N_("Every milestone has an owner"),
          N_("No milestone is overdue"), N_("At least one risk is recorded"),
          N_("Every risk has an owner and a mitigation"), N_("High risks have a mitigation"),
          N_("At least one assumption is stated"))
LINK_TYPES = (N_("funding"), N_("legislation"), N_("guidance"), N_("data"), N_("service"))
STRENGTHS = (N_("strong"), N_("adequate"), N_("weak"), N_("broken"))
LEVELS = (N_("federal"), N_("provincial"), N_("municipal"), N_("frontline"), N_("external"))


def likelihood_word(value: Any) -> str:
    return tr(rf.likelihood_word(value))


def icon_word(value: Any) -> str:
    return tr(rf.icon_word(value))


def action_word(value: Any) -> str:
    return tr(ACTION_WORDS.get(str(value), str(value)))


def milestone_word(value: Any) -> str:
    return tr(MILESTONE_WORDS.get(str(value), str(value)))


def direction_word(value: Any) -> str:
    return tr(DIRECTION_WORDS.get(str(value), str(value or "–")))


def diff_word(sign: str) -> str:
    return tr(DIFF_WORDS.get(sign, ""))


def change_sentence(change: dict[str, Any]) -> str:
    """How the likelihood moved since the last round (delivery.assessments.change's
    sentence, said again in the page's language from the same fields)."""
    if i18n.current() == i18n.DEFAULT:
        return change["sentence"]
    like = change["criteria"]["likelihood"]
    fields = {"old": tr(like.get("old_label")), "new": tr(like.get("new_label")),
              "round": change["round"], "since": change["since"]}
    if change["since"] is None or like["direction"] == "new":
        return _("Likelihood first assessed as %(new)s in %(round)s") % fields
    if like["direction"] == "same":
        return _("Likelihood unchanged at %(new)s since %(since)s") % fields
    if like["direction"] == "improved":
        return _("Likelihood improved from %(old)s to %(new)s since %(since)s") % fields
    return _("Likelihood worsened from %(old)s to %(new)s since %(since)s") % fields


# Where the rating and the statistics disagree (delivery.assessments.disagreement), by flag.
FLAG_MESSAGES = {
    "rated_above_forecast": N_("Rated %(rating)s, but the forecast gives a %(pct)s probability "
                               "of meeting the target"),
    "rated_below_forecast": N_("Rated %(rating)s, but the forecast gives a %(pct)s probability "
                               "of meeting the target"),
    "green_but_off_track": N_("Rated %(rating)s, but the latest figure is off track against "
                              "the trajectory"),
    "red_but_on_track": N_("Rated %(rating)s, but the latest figure is %(where)s the "
                           "trajectory"),
    "rated_above_missed": N_("Rated %(rating)s, but the target was missed at its deadline"),
    "rated_below_met": N_("Rated %(rating)s, but the target was met at its deadline"),
    "green_but_concern": N_("Rated %(rating)s, but the latest figure shows special-cause "
                            "variation of concern"),
}
WHERE_WORDS = {"ahead of": N_("ahead of"), "on track against": N_("on track against")}


def flag_message(flag: dict[str, Any], likelihood: str) -> str:
    """A disagreement in the page's language: the same flag, its figure (the percentage
    the domain wrote, rounded its way) in the locale's form."""
    message = flag["message"]
    if i18n.current() == i18n.DEFAULT or flag.get("flag") not in FLAG_MESSAGES:
        return message
    pct = re.search(r"(\d+(?:\.\d+)?)%", message)
    where = next((w for w in WHERE_WORDS if f" is {w} the " in message), "")
    return _(FLAG_MESSAGES[flag["flag"]]) % {
        "rating": likelihood_word(likelihood), "where": tr(WHERE_WORDS.get(where, "")),
        "pct": (documents.number(float(pct.group(1)), i18n.current(),
                                 len(pct.group(1).partition(".")[2])) + "\u00a0%")
        if pct else ""}
