"""The demo's indicator definitions (indicators.yaml) and where each one is reported.

Five priorities of a federal-provincial agenda, each with a headline, lead indicators,
a counter indicator that catches gaming or perverse effects, and the component counts
the headline is computed from. Ratio indicators are computed from their components and
never reported; everything else is reported by the units named in ``REPORTED_AT``.
"""

from __future__ import annotations

from typing import Any

import yaml

from .french import INDICATOR_DEFINITIONS_FR, INDICATOR_NAMES_FR, UNITS_OF_MEASURE_FR

SOURCE = "Simulated for the stocktake demo"

HEALTH = "Health data team (simulated)"
SAFETY = "Public safety data team (simulated)"
EDUCATION = "Education data team (simulated)"
HOUSING = "Housing data team (simulated)"
STATS = "Statistics office (simulated)"


def _count(code: str, name: str, definition: str, unit: str, owner: str, *,
           kind: str = "input", polarity: str = "neutral", period_type: str = "month",
           modelled_on: str = "") -> dict[str, Any]:
    return {
        "code": code, "name": name, "definition": definition, "unit": unit,
        "polarity": polarity, "period_type": period_type, "aggregation": "sum", "kind": kind,
        "source": SOURCE + (f" (modelled on {modelled_on})" if modelled_on else ""),
        "owner": owner, "min": 0, "integer": True,
    }


def _ratio(code: str, name: str, definition: str, unit: str, owner: str, numerator: str,
           denominator: str, scale: int, *, kind: str, polarity: str,
           modelled_on: str = "") -> dict[str, Any]:
    return {
        "code": code, "name": name, "definition": definition, "unit": unit,
        "polarity": polarity, "period_type": "month", "aggregation": "ratio",
        "numerator": numerator, "denominator": denominator, "scale": scale, "kind": kind,
        "source": SOURCE + (f" (modelled on {modelled_on})" if modelled_on else ""),
        "owner": owner, "min": 0, "decimals": 1,
        **({"max": 100} if unit == "percent" else {}),  # a share cannot pass 100%
    }


def _percent_weighted(code: str, name: str, definition: str, owner: str, weight: str, *,
                      kind: str, polarity: str, modelled_on: str = "") -> dict[str, Any]:
    return {
        "code": code, "name": name, "definition": definition, "unit": "percent",
        "polarity": polarity, "period_type": "month", "aggregation": "weighted_mean",
        "weight": weight, "kind": kind,
        "source": SOURCE + (f" (modelled on {modelled_on})" if modelled_on else ""),
        "owner": owner, "min": 0, "max": 100, "decimals": 1,
    }


INDICATORS: list[dict[str, Any]] = [
    # -- context ---------------------------------------------------------------------
    _count("population", "Population", "Estimated population on the first day of the month "
           "(interpolated from quarterly estimates; revised each spring).", "people", STATS,
           kind="context", modelled_on="Statistics Canada population estimates"),
    # -- surgical wait times -------------------------------------------------------------
    _count("surg_completed", "Priority surgeries completed",
           "Scheduled hip, knee, cataract, cancer and cardiac surgeries completed in the month.",
           "surgeries", HEALTH, modelled_on="CIHI wait times for priority procedures"),
    _count("surg_within_benchmark", "Priority surgeries completed within benchmark",
           "Of the surgeries completed, those done within the medically recommended wait "
           "measured from the decision to treat.", "surgeries", HEALTH),
    _ratio("surg_within_benchmark_pct", "Surgeries within the benchmark wait",
           "Share of priority surgeries completed within the medically recommended wait.",
           "percent", HEALTH, "surg_within_benchmark", "surg_completed", 100,
           kind="headline", polarity="up"),
    _count("or_hours", "Operating-room hours delivered",
           "Staffed operating-room hours used for scheduled surgery in the month.", "hours",
           HEALTH, kind="lead", polarity="up"),
    _count("surg_referrals", "Surgical referrals received",
           "New patients added to surgical wait lists in the month.", "patients", HEALTH,
           kind="lead", polarity="neutral"),
    _count("surg_removed_without_surgery", "Patients removed from the list without surgery",
           "Patients taken off a surgical wait list in the month for any reason other than "
           "having the surgery (validation, transfer, death, declined).", "patients", HEALTH),
    _count("surg_list_exits", "All exits from the surgical wait list",
           "Surgeries completed plus patients removed without surgery.", "patients", HEALTH),
    _ratio("surg_removed_pct", "Wait-list exits without surgery",
           "Share of patients leaving a surgical wait list without having the surgery: a "
           "rise can mean lists are being cleaned to flatter wait times.", "percent", HEALTH,
           "surg_removed_without_surgery", "surg_list_exits", 100,
           kind="counter", polarity="down"),
    # -- violent crime --------------------------------------------------------------------
    _count("violent_incidents", "Violent criminal incidents",
           "Police-reported violent Criminal Code incidents in the month, after excluding "
           "unfounded reports.", "incidents", SAFETY, polarity="down",
           modelled_on="the Uniform Crime Reporting Survey"),
    _count("unfounded_incidents", "Violent reports classified unfounded",
           "Reports of violent incidents that police classified as unfounded (no crime "
           "occurred or was attempted).", "reports", SAFETY),
    _count("violent_reports", "Violent incidents reported to police",
           "All reports of violent incidents: founded incidents plus unfounded reports.",
           "reports", SAFETY),
    _ratio("violent_crime_rate", "Violent crime rate",
           "Police-reported violent incidents per 100,000 population in the month.",
           "incidents per 100,000 per month", SAFETY, "violent_incidents", "population",
           100000, kind="headline", polarity="down"),
    _count("weapons_calls", "Calls for service involving weapons",
           "Calls to police for service in which a weapon was reported.", "calls", SAFETY,
           kind="lead", polarity="down"),
    _count("youth_program_participants", "Youth violence-prevention participants",
           "Young people taking part in funded violence-prevention programmes in the month.",
           "participants", SAFETY, kind="lead", polarity="up"),
    _ratio("unfounded_pct", "Violent reports classified unfounded",
           "Share of violent reports classified as unfounded: a rise can mean incidents are "
           "being recorded away rather than prevented.", "percent", SAFETY,
           "unfounded_incidents", "violent_reports", 100, kind="counter", polarity="down"),
    _count("police_officers", "Police officers", "Sworn police officers on 15 May.",
           "officers", STATS, period_type="year", modelled_on="the Police Administration Survey"),
    # -- early-grade literacy -------------------------------------------------------------
    _count("grade3_enrolled", "Grade 3 enrolment", "Students enrolled in grade 3.",
           "students", EDUCATION, kind="context"),
    _count("grade3_assessed", "Grade 3 students assessed",
           "Grade 3 students who sat the monthly reading benchmark assessment.", "students",
           EDUCATION),
    _count("grade3_exempted", "Grade 3 students exempted",
           "Grade 3 students exempted from the reading benchmark assessment.", "students",
           EDUCATION),
    _percent_weighted("grade3_reading_pct", "Grade 3 students reading at grade level",
                      "Share of assessed grade 3 students meeting the reading benchmark.",
                      EDUCATION, "grade3_assessed", kind="headline", polarity="up"),
    _ratio("grade3_exempted_pct", "Grade 3 students exempted from assessment",
           "Share of grade 3 students exempted: a rise can mean weak readers are kept out "
           "of the results.", "percent", EDUCATION, "grade3_exempted", "grade3_enrolled", 100,
           kind="counter", polarity="down"),
    _count("k3_enrolment", "Kindergarten to grade 3 enrolment",
           "Students enrolled from kindergarten to grade 3.", "students", EDUCATION,
           kind="context"),
    _count("students_screened", "Early-grade students screened",
           "Kindergarten to grade 3 students screened for reading difficulties in the last "
           "12 months.", "students", EDUCATION),
    _ratio("literacy_screening_pct", "Early-grade reading screening",
           "Share of kindergarten to grade 3 students screened for reading difficulties in "
           "the last 12 months.", "percent", EDUCATION, "students_screened", "k3_enrolment",
           100, kind="lead", polarity="up"),
    {**_count("reading_tutors_fte", "Reading tutors in post",
              "Full-time-equivalent early reading tutors funded by the province.", "FTE",
              EDUCATION, kind="lead", polarity="up"), "integer": False, "decimals": 1},
    # -- housing completions --------------------------------------------------------------
    _count("housing_permits", "Dwelling units authorised by permits",
           "New dwelling units in building permits issued in the month.", "dwellings",
           STATS, kind="lead", polarity="up", modelled_on="the Building Permits Survey"),
    _count("housing_starts", "Housing starts",
           "Dwelling units on which construction started in the month.", "dwellings",
           HOUSING, kind="lead", polarity="up",
           modelled_on="the Starts and Completions Survey"),
    _count("housing_completions", "Housing completions",
           "Dwelling units completed in the month.", "dwellings", HOUSING, kind="headline",
           polarity="up", modelled_on="the Starts and Completions Survey"),
    _count("affordable_completions", "Affordable housing completions",
           "Completed dwelling units with rents or prices below 80% of the local market.",
           "dwellings", HOUSING),
    _ratio("affordable_share_pct", "Affordable share of completions",
           "Share of completed dwellings that are affordable: a fall can mean the target is "
           "being met with homes few people in need can pay for.", "percent", HOUSING,
           "affordable_completions", "housing_completions", 100, kind="counter",
           polarity="up"),
    _ratio("completions_per_100k", "Housing completions per 100,000 people",
           "Dwelling units completed per 100,000 population in the month.",
           "dwellings per 100,000", HOUSING, "housing_completions", "population", 100000,
           kind="context", polarity="up"),
    # -- chronic homelessness -------------------------------------------------------------
    _count("chronic_homeless", "People in chronic homelessness",
           "People on the community's by-name list who have been homeless for six months "
           "or more in the past year.", "people", HOUSING, kind="headline", polarity="down",
           modelled_on="Reaching Home by-name lists"),
    _count("eviction_filings", "Eviction applications",
           "Landlord applications to the tenancy tribunal to end a tenancy for arrears.",
           "applications", HOUSING, kind="lead", polarity="down"),
    _count("housing_placements", "People housed from homelessness",
           "People moved from homelessness into permanent housing in the month.", "people",
           HOUSING, kind="lead", polarity="up"),
    _percent_weighted("returns_to_homelessness_pct", "Returns to homelessness",
                      "Share of people housed in the month who are back on the by-name list "
                      "within six months: a rise can mean placements that do not last.",
                      HOUSING, "housing_placements", kind="counter", polarity="down"),
    _count("shelter_beds", "Emergency shelter beds",
           "Emergency shelter beds available on the last day of the quarter.", "beds",
           HOUSING, period_type="quarter"),
]

# Indicators that should move in proportion (indicators.yaml ``related``): a lasting change
# of their ratio at one unit that its peers do not show raises an alert. Each pair is what a
# planted gaming case (demo.series.GAMING) changes at one unit: removals per list exit,
# unfounded per violent report, exemptions per enrolled student, affordable per completed.
RELATED = {
    "surg_removed_without_surgery": ["surg_list_exits"],
    "unfounded_incidents": ["violent_reports"],
    "grade3_exempted": ["grade3_enrolled"],
    "affordable_completions": ["housing_completions"],
}
for _item in INDICATORS:
    if _item["code"] in RELATED:
        _item["related"] = RELATED[_item["code"]]

# Where each reported indicator comes from. Ratios are computed, never reported.
REGION_MONTHLY = [
    "population",
    "surg_completed", "surg_within_benchmark", "or_hours", "surg_referrals",
    "surg_removed_without_surgery", "surg_list_exits",
    "violent_incidents", "unfounded_incidents", "violent_reports", "weapons_calls",
    "youth_program_participants",
    "grade3_enrolled", "grade3_assessed", "grade3_exempted", "grade3_reading_pct",
    "k3_enrolment", "students_screened",
    "housing_starts", "housing_completions", "affordable_completions",
    "chronic_homeless", "housing_placements", "returns_to_homelessness_pct",
]
PROVINCE_MONTHLY = ["eviction_filings", "reading_tutors_fte"]
STATS_OFFICE_MONTHLY = ["housing_permits"]  # by province, from the statistics office
REGION_QUARTERLY = ["shelter_beds"]
PROVINCE_YEARLY = ["police_officers"]  # from the statistics office
NATIONAL_TOTAL = "housing_completions"  # also published for CA by the statistics office

# Indicators of each priority (by priority code), for grouping and gap planting.
PRIORITY_INDICATORS = {
    "SURG": ["surg_completed", "surg_within_benchmark", "or_hours", "surg_referrals",
             "surg_removed_without_surgery", "surg_list_exits"],
    "CRIME": ["violent_incidents", "unfounded_incidents", "violent_reports", "weapons_calls",
              "youth_program_participants"],
}


def indicators_yaml() -> str:
    header = (
        "# Indicators of the stocktake demo federation. Every figure is simulated.\n"
        "# Ratio indicators are computed from their components; the rest are reported.\n"
        "# The French names, definitions and units (name_fr, definition_fr, unit_fr) are\n"
        "# simulated translations too.\n"
    )
    items = [_with_french_name(i) for i in INDICATORS]
    return header + yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=100)


def _with_french_name(indicator: dict[str, Any]) -> dict[str, Any]:
    """The indicator with its French name, definition and unit just after the English
    ones."""
    out: dict[str, Any] = {}
    for key, value in indicator.items():
        out[key] = value
        if key == "name":
            out["name_fr"] = INDICATOR_NAMES_FR[indicator["code"]]
        if key == "definition":
            out["definition_fr"] = INDICATOR_DEFINITIONS_FR[indicator["code"]]
        if key == "unit":
            out["unit_fr"] = UNITS_OF_MEASURE_FR[value]
    return out
