"""Stocktakes, actions and their follow-up, and the schedule. Dates are worked out by hand
(month ends, leap years); next_after is also checked against a plain day-by-day scan."""

import json
from datetime import date, timedelta

import pytest
import yaml

from stocktake.delivery.errors import DeliveryError
from stocktake.delivery.stocktakes import (
    ACTION_STATUSES,
    FIVE_QUESTIONS,
    Action,
    ActionUpdate,
    Cadence,
    apply_update,
    carried_over,
    follow_up_summary,
    parse_action,
    parse_action_update,
    parse_cadence,
    parse_stocktake,
)

DOC = """
held_on: 2026-06-12
chair: Prime Minister
attendees: [Prime Minister, Minister of Education, Head of Delivery Unit]
pack: {as_of: "2026-06-10T00:00:00+00:00", data_as_of: 2026-06-09T12:00:00Z,
       file: packs/lit-2026-06.pdf}
summary: Reading is behind in the north.
decisions:
  - Refocus tutoring on the 20 lowest-performing regions
  - {text: Move the tutoring start to September, plan_change: true}
actions:
  - text: Publish revised tutoring allocation
    owner: Ministry of Education
    due: 2026-07-31
  - code: A1
    text: Report tutor vacancies by region
    owner: Delivery Unit
    due: 2026-06-30
    status: done
    closed_on: 2026-06-20
  - text: Agree data sharing with the provinces
    owner: Ministry of Education
    due: 2026-09-30
    status: in_progress
"""


def test_parse_reads_the_record():
    s = parse_stocktake(yaml.safe_load(DOC))
    assert s.held_on == date(2026, 6, 12)
    assert s.chair == "Prime Minister"
    assert s.attendees == ("Prime Minister", "Minister of Education", "Head of Delivery Unit")
    # YAML read the unquoted data_as_of as a date-time; it is kept as ISO text.
    assert s.pack == {"as_of": "2026-06-10T00:00:00+00:00",
                      "data_as_of": "2026-06-09T12:00:00+00:00", "file": "packs/lit-2026-06.pdf"}
    assert s.decisions == (
        {"text": "Refocus tutoring on the 20 lowest-performing regions", "plan_change": False},
        {"text": "Move the tutoring start to September", "plan_change": True})
    # Codes: A1 is taken by the second action, so the first gets A2 and the third A3.
    assert [a.code for a in s.actions] == ["A2", "A1", "A3"]
    assert s.action("A1") == Action("A1", "Report tutor vacancies by region", "Delivery Unit",
                                    date(2026, 6, 30), "done", date(2026, 6, 12),
                                    date(2026, 6, 20))
    assert s.action("A2").status == "open"
    assert all(a.raised_on == date(2026, 6, 12) for a in s.actions)
    with pytest.raises(KeyError):
        s.action("A9")


def test_to_dict_is_json_safe_and_round_trips():
    s = parse_stocktake(yaml.safe_load(DOC))
    d = json.loads(json.dumps(s.to_dict()))
    assert parse_stocktake(d) == s
    assert d["actions"][0] == {"code": "A2", "text": "Publish revised tutoring allocation",
                               "owner": "Ministry of Education", "due": "2026-07-31",
                               "status": "open"}
    minimal = parse_stocktake({"held_on": "2026-01-05"})
    assert minimal.to_dict() == {"held_on": "2026-01-05", "attendees": [], "decisions": [],
                                 "actions": []}
    assert parse_stocktake(minimal.to_dict()) == minimal


def test_every_problem_is_reported_with_its_path():
    raw = yaml.safe_load("""
held_on: 2026-06-12
chiar: x
attendees: [a, a, 3]
pack: {asof: 1, data_as_of: "yesterday"}
decisions: [{text: "", plan_change: "yes"}, 5]
actions:
  - {code: a1, text: t, owner: o, due: 2026-06-01, status: closed}
  - {code: a1, text: t, due: "2026-13-01", closed_on: 2026-06-13}
  - {code: "a 2", text: t, owner: o, due: 2026-07-01, status: done, closed_on: 2026-06-11}
  - nope
""")
    with pytest.raises(DeliveryError) as err:
        parse_stocktake(raw)
    assert err.value.problems == [
        "chiar: unknown field (did you mean 'chair'?)",
        "attendees[1]: 'a' is listed twice",
        "attendees[2]: expected a name, got 3 (a number)",
        "pack.asof: unknown field (did you mean 'as_of'?)",
        "pack.data_as_of: expected an ISO date-time such as 2026-06-10T00:00:00+00:00, got "
        "'yesterday' (text)",
        "decisions[0].text: required",
        "decisions[0].plan_change: expected true or false, got 'yes' (text)",
        "decisions[1]: expected text or {text, plan_change}, got 5 (a number)",
        "actions[0].status: 'closed' is not one of open, in_progress, done, dropped",
        "actions[0].due: 2026-06-01 is before the action was raised (2026-06-12)",
        "actions[1].owner: required",
        "actions[1].due: '2026-13-01' is not a real date (month must be in 1..12)",
        "actions[1].closed_on: only a done or dropped action has a closing date; this one is "
        "open",
        "actions[2].code: 'a 2' is not a code (letters, digits, _ . -)",
        "actions[2].closed_on: 2026-06-11 is before the action was raised (2026-06-12)",
        "actions[3]: expected a mapping, got 'nope' (text)",
    ]


def test_duplicate_codes_and_missing_documents():
    with pytest.raises(DeliveryError) as err:
        parse_stocktake({"held_on": "2026-06-12", "actions": [
            {"code": "x", "text": "t", "owner": "o", "due": "2026-07-01"},
            {"code": "x", "text": "u", "owner": "o", "due": "2026-07-01"}]})
    assert err.value.problems == ["actions[1].code: 'x' is already the code of actions[0]"]
    with pytest.raises(DeliveryError, match="a stocktake needs at least held_on"):
        parse_stocktake(None)
    with pytest.raises(DeliveryError) as err:
        parse_stocktake({"held_on": "2026-06-12T10:00:00", "summary": 3})
    assert err.value.problems == [
        "held_on: expected a date (YYYY-MM-DD), got '2026-06-12T10:00:00' (text)",
        "summary: expected text, got 3 (a number)"]


# -- actions -------------------------------------------------------------------------------

OPEN = Action("A1", "Publish allocation", "Ministry of Education", date(2026, 7, 31), "open",
              raised_on=date(2026, 6, 12))


def test_days_overdue_at_the_boundaries():
    assert OPEN.days_overdue(date(2026, 7, 30)) == 0
    assert OPEN.days_overdue(date(2026, 7, 31)) == 0  # due today is not late
    assert OPEN.days_overdue(date(2026, 8, 1)) == 1
    assert OPEN.days_overdue(date(2026, 9, 11)) == 42  # 31 days of August + 11
    done = Action("A1", "t", "o", date(2026, 7, 31), "done")
    assert done.days_overdue(date(2026, 9, 11)) == 0
    assert OPEN.is_open and not done.is_open
    assert Action("A1", "t", "o", date(2026, 7, 31), "in_progress").is_open
    assert ACTION_STATUSES == ("open", "in_progress", "done", "dropped")
    with pytest.raises(ValueError, match="status 'closed' is not one of"):
        Action("A1", "t", "o", date(2026, 7, 31), "closed")


def test_a_stored_action_round_trips_and_needs_its_code():
    assert parse_action(json.loads(json.dumps(OPEN.to_dict()))) == OPEN
    with pytest.raises(DeliveryError) as err:
        parse_action({"text": "t", "owner": "o", "due": "2026-07-01", "raised_on": "2026-07-02"})
    assert err.value.problems == [
        "due: 2026-07-01 is before the action was raised (2026-07-02)", "code: required"]


def test_closing_reopening_and_refusals():
    done = apply_update(OPEN, {"status": "done", "on": "2026-07-20", "by": "MoE"})
    assert (done.status, done.closed_on) == ("done", date(2026, 7, 20))
    with pytest.raises(DeliveryError) as err:
        apply_update(done, {"status": "open", "on": "2026-07-25", "by": "DU"})
    assert str(err.value) == ("update to action A1: note: required to reopen an action that is "
                              "done: say why it is open again")
    reopened = apply_update(done, {"status": "open", "on": "2026-07-25", "by": "DU",
                                   "note": "Allocation published without the northern regions"})
    assert reopened == OPEN  # open again, no closing date
    with pytest.raises(DeliveryError) as err:
        apply_update(done, {"status": "in_progress", "on": "2026-07-19", "by": "DU",
                            "note": "n"})
    assert err.value.problems == ["on: 2026-07-19 is before the action was closed (2026-07-20)"]
    with pytest.raises(DeliveryError) as err:
        apply_update(OPEN, {"status": "finished", "on": "2026-06-11", "by": "DU"})
    # the document is read first: its bad status is the one problem reported
    assert err.value.problems == [
        "status: 'finished' is not one of open, in_progress, done, dropped"]
    with pytest.raises(DeliveryError) as err:
        apply_update(OPEN, {"status": "done", "on": "2026-06-11", "by": "DU"})
    assert err.value.problems == ["on: 2026-06-11 is before the action was raised (2026-06-12)"]
    dropped = apply_update(OPEN, {"status": "dropped", "on": "2026-06-30", "by": "PM"})
    assert dropped.closed_on == date(2026, 6, 30)
    with pytest.raises(DeliveryError, match="note: required to reopen an action that is dropped"):
        apply_update(dropped, {"status": "in_progress", "on": "2026-07-01", "by": "PM"})


def test_an_update_document_in_yaml_with_its_on_key():
    # YAML 1.1 reads a bare `on:` key as true; the update still reads.
    u = parse_action_update(yaml.safe_load("status: in_progress\non: 2026-06-20\nby: MoE\n"
                                           "note: Tender issued"))
    assert u == ActionUpdate(date(2026, 6, 20), "MoE", "in_progress", "Tender issued")
    assert parse_action_update(json.loads(json.dumps(u.to_dict()))) == u
    assert apply_update(OPEN, u).status == "in_progress"
    note_only = parse_action_update({"note": "Chased", "on": "2026-06-21", "by": "DU"})
    assert apply_update(OPEN, note_only) is OPEN
    with pytest.raises(DeliveryError) as err:
        parse_action_update({"by": "DU", "when": "2026-06-21"})
    assert err.value.problems == ["when: unknown field", "on: required",
                                  "an update needs a status, a note or both"]


# -- the schedule --------------------------------------------------------------------------


def test_monthly_from_the_31st_clamps_to_month_ends_in_a_leap_year():
    c = Cadence(1, "months", date(2024, 1, 31))
    assert c.dates(date(2024, 5, 31)) == [date(2024, 1, 31), date(2024, 2, 29),
                                          date(2024, 3, 31), date(2024, 4, 30),
                                          date(2024, 5, 31)]
    assert Cadence(1, "months", date(2023, 1, 31)).dates(date(2023, 3, 1)) == [
        date(2023, 1, 31), date(2023, 2, 28)]


def test_quarterly_and_across_a_year_end():
    c = parse_cadence({"every": 3, "unit": "months", "start": "2024-03-15"})
    assert c.dates(date(2025, 3, 15)) == [date(2024, 3, 15), date(2024, 6, 15),
                                          date(2024, 9, 15), date(2024, 12, 15),
                                          date(2025, 3, 15)]
    assert c.dates(date(2024, 3, 14)) == []
    assert c.next_after(date(2024, 1, 1)) == date(2024, 3, 15)
    assert c.next_after(date(2024, 3, 15)) == date(2024, 6, 15)
    assert c.next_after(date(2024, 12, 16)) == date(2025, 3, 15)
    # every 12 months from a leap day: Feb 28 in ordinary years, Feb 29 again in 2028
    leap = Cadence(12, "months", date(2024, 2, 29))
    assert leap.dates(date(2028, 3, 1)) == [date(2024, 2, 29), date(2025, 2, 28),
                                            date(2026, 2, 28), date(2027, 2, 28),
                                            date(2028, 2, 29)]
    assert leap.next_after(date(2027, 2, 28)) == date(2028, 2, 29)


def test_fortnightly_across_the_leap_day():
    c = Cadence(2, "weeks", date(2024, 2, 26))
    assert c.dates(date(2024, 3, 25)) == [date(2024, 2, 26), date(2024, 3, 11),
                                          date(2024, 3, 25)]
    assert c.next_after(date(2024, 3, 10)) == date(2024, 3, 11)
    assert c.next_after(date(2024, 3, 11)) == date(2024, 3, 25)


@pytest.mark.parametrize("cadence", [
    Cadence(1, "months", date(2024, 1, 31)), Cadence(2, "months", date(2023, 12, 30)),
    Cadence(3, "months", date(2024, 3, 15)), Cadence(1, "weeks", date(2024, 2, 29)),
    Cadence(3, "weeks", date(2024, 1, 1)),
])
def test_next_after_agrees_with_a_day_by_day_scan(cadence):
    scheduled = set(cadence.dates(date(2026, 12, 31)))
    d = date(2023, 11, 1)
    while d < date(2026, 6, 1):
        scan = d + timedelta(days=1)
        while scan not in scheduled:
            scan += timedelta(days=1)
        assert cadence.next_after(d) == scan, d
        d += timedelta(days=1)


def test_cadence_round_trip_and_errors():
    c = parse_cadence({"every": 6, "unit": "weeks", "start": date(2024, 1, 8)})
    assert parse_cadence(json.loads(json.dumps(c.to_dict()))) == c
    with pytest.raises(DeliveryError) as err:
        parse_cadence({"every": 0, "unit": "month", "strat": "2024-01-01"})
    assert err.value.problems == [
        "strat: unknown field (did you mean 'start'?)",
        "every: expected a whole number >= 1, got 0 (a number)",
        "unit: 'month' is not one of months, weeks (did you mean 'months'?)",
        "start: required"]
    with pytest.raises(ValueError, match="every must be a whole number >= 1"):
        Cadence(0, "weeks", date(2024, 1, 1))


# -- follow-up across three stocktakes ------------------------------------------------------

MARCH, JUNE, SEPTEMBER = date(2026, 3, 12), date(2026, 6, 12), date(2026, 9, 11)


def _history() -> list[tuple[date, Action]]:
    """Three stocktakes' actions as they stand on 11 September 2026, deliberately unsorted."""
    def act(code, held, due, status, closed=None):
        return held, Action(code, f"{code} at {held}", "MoE", due, status, held, closed)
    return [
        act("A1", JUNE, date(2026, 7, 31), "in_progress"),
        act("A1", SEPTEMBER, date(2026, 10, 31), "open"),
        act("A1", MARCH, date(2026, 4, 30), "open"),
        act("A2", MARCH, date(2026, 5, 31), "done", date(2026, 5, 20)),
        act("A2", JUNE, date(2026, 9, 1), "open"),
        act("A3", JUNE, date(2026, 8, 1), "done", date(2026, 8, 5)),
        act("A4", JUNE, date(2026, 8, 1), "dropped", date(2026, 7, 1)),
    ]


def test_carried_over_lists_the_open_actions_of_earlier_stocktakes_oldest_first():
    rows = carried_over(_history(), before=SEPTEMBER)
    assert rows == [
        # 30 Apr -> 11 Sep: 31 (May) + 30 (Jun) + 31 (Jul) + 31 (Aug) + 11 = 134 days
        {"raised_on": "2026-03-12", "code": "A1", "text": "A1 at 2026-03-12", "owner": "MoE",
         "due": "2026-04-30", "status": "open", "days_overdue": 134},
        {"raised_on": "2026-06-12", "code": "A1", "text": "A1 at 2026-06-12", "owner": "MoE",
         "due": "2026-07-31", "status": "in_progress", "days_overdue": 42},
        {"raised_on": "2026-06-12", "code": "A2", "text": "A2 at 2026-06-12", "owner": "MoE",
         "due": "2026-09-01", "status": "open", "days_overdue": 10},
    ]
    # before the June stocktake only March's open action is carried (counted at 12 June)
    assert [(r["raised_on"], r["code"], r["days_overdue"])
            for r in carried_over(_history(), before=JUNE)] == [("2026-03-12", "A1", 43)]
    assert carried_over(_history(), before=MARCH) == []


def test_carried_over_refuses_contradictions():
    a = Action("A1", "t", "o", date(2026, 7, 31), "open", raised_on=JUNE)
    with pytest.raises(ValueError, match="raised on 2026-06-12, not at the stocktake of "
                                         "2026-03-12"):
        carried_over([(MARCH, a)], before=SEPTEMBER)
    with pytest.raises(ValueError, match="listed twice"):
        carried_over([(JUNE, a), (JUNE, a)], before=SEPTEMBER)
    with pytest.raises(ValueError, match=r"actions\[0\]: expected an Action or a \(held_on"):
        carried_over([JUNE], before=SEPTEMBER)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="has no raised_on date"):
        carried_over([Action("A1", "t", "o", date(2026, 7, 31), "open")], before=SEPTEMBER)


def test_actions_that_know_their_stocktake_need_no_pair():
    bare = [a for _, a in _history()]
    assert carried_over(bare, before=SEPTEMBER) == carried_over(_history(), before=SEPTEMBER)
    assert follow_up_summary(bare, SEPTEMBER) == follow_up_summary(_history(), SEPTEMBER)


def test_follow_up_summary_counts():
    s = follow_up_summary(_history(), SEPTEMBER)
    assert s == {
        "as_of": "2026-09-11", "since": "2026-06-12",  # the last stocktake before today
        "total": 7, "open": 4, "in_progress": 1,
        "overdue": 3, "most_days_overdue": 134,  # the September action is not yet due
        "done": 2, "dropped": 1,
        "done_since_last": 1,  # A3 closed 5 Aug; A2 of March closed in May
    }
    # On the June stocktake's day only March's and June's actions count. Each action is
    # counted as it is passed in (here as it stands in September): the caller passes the
    # state at the date asked about.
    s = follow_up_summary(_history(), JUNE, since=MARCH)
    assert (s["total"], s["open"], s["overdue"], s["done"], s["done_since_last"]) == (
        6, 3, 1, 2, 1)
    assert follow_up_summary([], SEPTEMBER)["done_since_last"] is None
    # done on the day of the last stocktake: reported there, not "since"
    on_the_day = (JUNE, Action("A9", "t", "o", JUNE, "done", JUNE, JUNE))
    assert follow_up_summary([on_the_day], SEPTEMBER, since=JUNE)["done_since_last"] == 0
    day_after = (JUNE, Action("A9", "t", "o", JUNE, "done", JUNE, date(2026, 6, 13)))
    assert follow_up_summary([day_after], SEPTEMBER, since=JUNE)["done_since_last"] == 1


def test_the_five_questions_in_order():
    assert FIVE_QUESTIONS == (
        "What are you trying to do?",
        "How are you going to do it?",
        "How do you know you are succeeding?",
        "If you are not succeeding, what will you change?",
        "How can we help?",
    )


def test_kept_counts_scheduled_stocktakes_held_missed_and_off_schedule():
    from stocktake.delivery.stocktakes import Cadence, kept

    quarterly = Cadence(3, "months", date(2025, 1, 15))
    # Scheduled 15 Jan, 15 Apr, 15 Jul, 15 Oct 2025 (the window is half of 91.2 days:
    # 45.6 days). Held 20 Jan (for Jan), 1 Apr (for Apr), none near July, 14 Oct, and an
    # extra on 1 Nov; on 10 Dec the next date (15 Jan 2026) is not yet due.
    held = [date(2025, 1, 20), date(2025, 4, 1), date(2025, 10, 14), date(2025, 11, 1)]
    r = kept(quarterly, held, date(2025, 12, 10))
    assert (r["scheduled"], r["held"]) == (4, 3)
    assert r["missed"] == ["2025-07-15"]
    assert r["off_schedule"] == ["2025-11-01"]
    assert r["kept_share"] == 0.75
    # A date whose window is still open is not yet missed: on 20 Jul, 15 Jul is pending.
    early = kept(quarterly, held[:2], date(2025, 7, 20))
    assert (early["scheduled"], early["missed"]) == (2, [])
    # One stocktake cannot keep two dates.
    weekly = Cadence(1, "weeks", date(2025, 3, 3))
    r = kept(weekly, [date(2025, 3, 6)], date(2025, 3, 20))
    assert (r["scheduled"], r["held"], r["missed"]) == (
        2, 1, ["2025-03-10"])  # 3 Mar kept by 6 Mar; 10 Mar missed; 17 Mar's window open
