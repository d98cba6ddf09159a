"""Composing reminders (delivery.reminders, pure): the event key of each kind names its
event, so the same event keys alike and a new one (a new late return, an item turning
overdue, the next week) keys afresh."""

from __future__ import annotations

from datetime import date

from stocktake.delivery import reminders as dr

TO = dr.Recipient("Region B1 data team", "b1@example.test")
LATE = [dr.LateReturn("B1", "incidents", "Violent incidents", "2024-09", date(2024, 10, 30), 72),
        dr.LateReturn("B1", "incidents", "Violent incidents", "2024-10", date(2024, 11, 30), 41)]


def late(items):
    return dr.late_returns(TO, "B1", "Region B1", items, base_url="https://st.example.test")


def test_the_same_late_returns_key_alike_in_any_order_and_a_new_one_keys_afresh():
    first = late(LATE)
    assert late(list(reversed(LATE))).event_key == first.event_key
    more = late([*LATE, dr.LateReturn("B1", "incidents", "Violent incidents", "2024-11",
                                      date(2024, 12, 30), 11)])
    assert more.event_key != first.event_key
    assert first.subject == "Region B1: 2 data returns late"
    assert first.why == "2 late returns for B1, the oldest 72 days late"
    assert "https://st.example.test/data/template?unit=B1&period=2024-10" in first.body


def test_an_item_turning_overdue_is_told_again_and_the_digest_keys_by_week():
    coming = dr.DueItem("action", "P1", "A1", "Agree funding", "Ministry", date(2024, 11, 30), 0)
    overdue = dr.DueItem("action", "P1", "A1", "Agree funding", "Ministry", date(2024, 11, 30),
                         3)
    later = dr.DueItem("action", "P1", "A1", "Agree funding", "Ministry", date(2024, 11, 30), 9)
    to = dr.Recipient("Ministry", "m@example.test")
    a = dr.due_items(to, [coming], date(2024, 11, 27))
    b = dr.due_items(to, [overdue], date(2024, 12, 3))
    c = dr.due_items(to, [later], date(2024, 12, 9))
    assert a.event_key != b.event_key == c.event_key  # overdue once, not every day
    assert a.subject == "Actions and milestones: 1 coming due"
    assert "due 2024-11-30, 3 days overdue" in b.body
    monday, sunday, next_monday = date(2025, 1, 6), date(2025, 1, 12), date(2025, 1, 13)
    keys = [dr.digest(to, d, late=0, late_units=0, overdue=[], coming=[], meetings=[],
                      base_url="").event_key for d in (monday, sunday, next_monday)]
    assert keys == ["digest:m@example.test:2025-W02", "digest:m@example.test:2025-W02",
                    "digest:m@example.test:2025-W03"]
