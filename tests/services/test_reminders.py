"""Reminders by e-mail on real databases (SQLite and PostgreSQL), sent over real SMTP to an
aiosmtpd server in the test process: who gets what, the pack attached, never twice, a failed
send retried, two passes at once, preferences, and mail not configured.

The world, worked out by hand (the pass runs as of 2025-01-10):
- Region A1 reports incidents 2024-01..2024-11, Region B1 2024-01..2024-08: the implicit
  data set runs to 2024-11 with 30 days' grace after each month's end, so B1 owes 2024-09,
  -10 and -11 (due 2024-10-30, 2024-11-30, 2024-12-30: 72, 41 and 11 days late).
- The stocktake of 2024-10-15 raised A1 (Ministry of Public Safety, due 2024-11-30: 41
  days overdue) and A2 (Province B justice ministry, due 2024-11-15: 56 days overdue).
- The plan's milestone youth_sites_open (Province A) was due 2024-12-31: 10 days overdue.
- Stocktakes every 3 months from 2024-10-15: the next, 2025-01-15, is within 7 days.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po
from sqlalchemy import Engine, func, select

from stocktake.delivery import reminders as dr
from stocktake.errors import Invalid, NotFound
from stocktake.intake.service import submit_rows
from stocktake.services.admin.accounts import create_user, list_users, set_language
from stocktake.services.admin.addresses import set_address
from stocktake.services.admin.mailer import MailConfig, MailNotConfigured
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.dues import dues
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.routines.plans import load_plan
from stocktake.services.routines.reminders import (
    composed_in,
    message_log,
    parse_interval,
    remind,
    run_every,
)
from stocktake.services.routines.stocktakes import record_stocktake, set_schedule
from stocktake.store import mail as mail_store
from stocktake.store.db import set_meta, writing
from stocktake.store.schema_mail import mail_messages

from ..mailserver import MailServer

EXAMPLES = Path(__file__).parents[2] / "examples" / "delivery"
AS_OF = datetime(2025, 1, 10, 9, 0)
PASSWORD = "correct horse battery staple 42"


def months(last: int, year: int = 2024) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, last + 1)]


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture
def world(engine: Engine, small_model_dir: Path) -> Engine:
    return build_world(engine, small_model_dir)


def build_world(engine: Engine, small_model_dir: Path) -> Engine:
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    rows = [("incidents", "A1", p, 100) for p in months(11)]
    rows += [("incidents", "B1", p, 90) for p in months(8)]
    rows += [("population", u, p, 1000) for u in ("A1", "B1") for p in months(8)]
    assert submit_rows(engine, rows, submitter="t", now=datetime(2024, 12, 20)).accepted
    load_plan(engine, "P1", EXAMPLES / "plan.yaml", author="t", reason="",
              at=datetime(2024, 12, 21))
    set_schedule(engine, "P1", {"every": 3, "unit": "months", "start": "2024-10-15"}, by="t",
                 at=datetime(2024, 12, 21))
    record_stocktake(engine, "P1", EXAMPLES / "stocktake.yaml", by="t",
                     at=datetime(2024, 12, 22))
    return engine


def address_everyone(engine: Engine) -> None:
    create_user(engine, "prov.b", "provider", PASSWORD, unit="B")
    create_user(engine, "prov.a", "provider", PASSWORD, unit="A")
    create_user(engine, "ana", "analyst", PASSWORD)
    for kind, key, address, wanted in [
            ("unit", "B1", "b1-data@example.test", None),
            ("user", "prov.b", "prov.b@example.test", None),
            ("user", "prov.a", "prov.a@example.test", None),
            ("user", "ana", "ana@example.test", ["digest"]),
            ("person", "Ministry of Public Safety", "mps@example.test", None),
            ("person", "Province B justice ministry", "pbj@example.test", None),
            ("person", "Province A", "pa@example.test", None),
            ("person", "Prime Minister", "pm@example.test", None),
            # Wants only the digest, which goes to analysts' accounts: nothing for them.
            ("person", "Head of the Delivery Unit", "hdu@example.test", ["digest"])]:
        set_address(engine, kind, key, address, reminders=wanted, by="t")


def config(server: MailServer) -> MailConfig:
    return MailConfig.parse(server.url, "delivery-unit@example.test")


def recorded(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(mail_messages)).scalar_one()


EXPECTED = {  # address -> (kind, subject)
    "b1-data@example.test": ("late_returns", "Region B1: 3 data returns late"),
    "prov.b@example.test": ("late_returns", "Region B1: 3 data returns late"),
    "mps@example.test": ("due", "Actions and milestones: 1 overdue"),
    "pbj@example.test": ("due", "Actions and milestones: 1 overdue"),
    "pa@example.test": ("due", "Actions and milestones: 1 overdue"),
    "pm@example.test": ("stocktakes", "Stocktake on 2025-01-15: Cut violent crime"),
    "ana@example.test": ("digest", "Weekly digest, week 2 of 2025: 3 late returns, 3 overdue"),
}


@pytest.mark.slow  # the pack's PDF: a few seconds
def test_one_pass_mails_each_reminder_once_with_the_pack(world):
    address_everyone(world)
    with MailServer() as server:
        first = remind(world, as_of=AS_OF, config=config(server))
        got = server.inbox.received
        assert sorted(a for r in got for a in r.envelope_to) == sorted(EXPECTED)
        assert len(got) == len(EXPECTED) == len(first.sent)
        for r in got:
            [to] = r.envelope_to
            assert r.message["To"] == to
            assert r.message["From"] == "delivery-unit@example.test"
            assert r.subject == EXPECTED[to][1]

        [late] = server.inbox.to("b1-data@example.test")
        for period, due, days in (("2024-09", "2024-10-30", 72), ("2024-10", "2024-11-30", 41),
                                  ("2024-11", "2024-12-30", 11)):
            assert (f"Violent incidents (incidents), {period}: due {due}, {days} days late"
                    in late.body)
        assert "/data/submit" in late.body
        assert "/data/template?unit=B1&period=2024-11" in late.body
        [a2] = server.inbox.to("pbj@example.test")
        assert "action A2 (P1): Explain the late returns from Province B" in a2.body
        assert "due 2024-11-15, 56 days overdue" in a2.body
        [ms] = server.inbox.to("pa@example.test")
        assert "milestone youth_sites_open (P1)" in ms.body and "10 days overdue" in ms.body
        [pm] = server.inbox.to("pm@example.test")
        [(name, pdf)] = pm.attachments
        assert name == "pack-P1.pdf" and pdf.startswith(b"%PDF-")
        assert "Wednesday 15 January 2025" in pm.body
        assert not server.inbox.to("prov.a@example.test")  # region A1 is not late
        assert not server.inbox.to("hdu@example.test")  # wants only the digest

        again = remind(world, as_of=AS_OF, config=config(server))
        assert len(server.inbox.received) == len(EXPECTED)  # nothing new
        assert again.sent == () and len(again.already) == len(EXPECTED)
    log = message_log(world)
    assert {m.recipient for m in log} == set(EXPECTED)
    assert {m.status for m in log} == {"sent"} and {m.attempts for m in log} == {1}
    assert [m.attachment for m in log if m.kind == "stocktakes"] == ["pack-P1.pdf"]


# The late-returns mail to B1's contact, worked out from the world above and the English the
# reminders have always said (an address without an account: English).
ENGLISH_LATE = """Dear Region B1 data team,

Region B1 (B1) has 3 returns past its deadline and not yet received:

- Violent incidents (incidents), 2024-09: due 2024-10-30, 72 days late
- Violent incidents (incidents), 2024-10: due 2024-11-30, 41 days late
- Violent incidents (incidents), 2024-11: due 2024-12-30, 11 days late

Send them on the upload page: https://st.example.test/data/submit

The Excel template, filled in with the indicators you report:
- 2024-09: https://st.example.test/data/template?unit=B1&period=2024-09
- 2024-10: https://st.example.test/data/template?unit=B1&period=2024-10
- 2024-11: https://st.example.test/data/template?unit=B1&period=2024-11

-- stocktake (an automatic reminder; reply to the delivery unit)
"""


def test_each_account_is_mailed_in_its_language_and_an_address_in_english(world,
                                                                           monkeypatch):
    monkeypatch.setenv("STOCKTAKE_BASE_URL", "https://st.example.test")
    create_user(world, "prov.b", "provider", PASSWORD, unit="B")
    create_user(world, "ana", "analyst", PASSWORD)
    for name in ("prov.b", "ana"):
        [user] = [u for u in list_users(world) if u.username == name]
        set_language(world, user.id, "fr")
    set_address(world, "unit", "B1", "b1-data@example.test", reminders=["late_returns"],
                by="t")
    set_address(world, "user", "prov.b", "prov.b@example.test", reminders=["late_returns"],
                by="t")
    set_address(world, "user", "ana", "ana@example.test", reminders=["digest"], by="t")
    with MailServer() as server:
        remind(world, as_of=AS_OF, config=config(server))
        [english] = server.inbox.to("b1-data@example.test")
        [french] = server.inbox.to("prov.b@example.test")
        [digest] = server.inbox.to("ana@example.test")
    assert english.subject == "Region B1: 3 data returns late"
    assert english.body.replace("\r\n", "\n") == ENGLISH_LATE  # SMTP's line ends
    assert french.subject == "Region B1 : 3 déclarations de données en retard"
    assert ("Region B1 (B1) a 3 déclarations de données dont l'échéance est passée et qui "
            "n'ont pas encore été reçues :") in french.body
    assert ("- Violent incidents (incidents), 2024-09 : attendue le 2024-10-30, 72 jours de "
            "retard") in french.body
    assert french.body.startswith("Bonjour prov.b,\r\n")
    # week 2 of 2025; 3 returns late from 1 unit (B1); A1, A2 and the milestone overdue
    assert digest.subject == ("Résumé hebdomadaire, semaine 2 de 2025 — déclarations en "
                              "retard : 3; mesures et jalons en retard : 3")
    assert "Déclarations de données en retard : 3, de 1 unité déclarante" in digest.body
    assert "- mesure A2 (P1, Province B justice ministry) : 56 jours" in digest.body


def test_every_reminder_message_is_translated_and_a_meeting_day_is_french():
    """pybabel finds every message of delivery/reminders.py in its French catalogue,
    translated, with the same placeholders; a meeting's day in French words."""
    source = Path(dr.__file__)
    with (dr.CATALOGUES / "fr" / "LC_MESSAGES" / "reminders.po").open("rb") as f:
        catalogue = read_po(f, locale="fr")
    found = {m for _l, m, _c, _x in extract_from_file(
        "python", source, keywords=DEFAULT_KEYWORDS | {"N_": None})}
    assert len(found) > 25
    for message in found:
        entry = catalogue.get(message)
        assert entry is not None and not entry.fuzzy, message
        assert all(entry.string if isinstance(entry.string, tuple) else [entry.string]), message
    assert [e for _m, errors in catalogue.check() for e in errors] == []
    meeting = dr.ComingStocktake("P1", "Cut violent crime", date(2025, 1, 15), ())
    to = dr.Recipient("Prime Minister", "pm@example.test", "fr")
    french = dr.stocktake(to, meeting, base_url="", language=composed_in("fr"))
    assert "aura lieu le mercredi 15 janvier 2025." in french.body
    english = dr.stocktake(to, meeting, base_url="", language=composed_in(None))
    assert "is on Wednesday 15 January 2025." in english.body


def test_a_dry_run_lists_the_same_reminders_and_sends_and_records_nothing(world):
    address_everyone(world)
    preview = remind(world, as_of=AS_OF, dry_run=True)
    assert {(r.to.address, r.kind, r.subject) for r in preview.reminders} == {
        (a, k, s) for a, (k, s) in EXPECTED.items()}
    assert recorded(world) == 0


def test_a_failed_send_is_recorded_and_retried_by_the_next_pass(world):
    create_user(world, "ana", "analyst", PASSWORD)
    set_address(world, "user", "ana", "ana@example.test", reminders=["digest"], by="t")
    set_address(world, "person", "Province A", "pa@example.test", by="t")
    dead = MailConfig.parse(f"smtps://u:s3cret-pw@127.0.0.1:{MailServer().port}",
                            "du@example.test")
    first = remind(world, as_of=AS_OF, config=dead)
    assert first.sent == () and len(first.failed) == 2
    log = message_log(world)
    assert {m.status for m in log} == {"failed"}
    assert all("ConnectionRefusedError" in m.error for m in log)
    assert not any("s3cret-pw" in m.error for m in log)  # never a password
    with MailServer() as server:
        second = remind(world, as_of=AS_OF, config=config(server))
        assert len(server.inbox.received) == 2 and len(second.sent) == 2
    assert {(m.status, m.attempts, m.error) for m in message_log(world)} == {("sent", 2, None)}


@pytest.mark.slow  # the pack's PDF
def test_two_passes_at_once_send_each_message_once(world):
    address_everyone(world)
    with MailServer() as server:
        results = []
        gate = threading.Barrier(2)

        def one_pass() -> None:
            gate.wait()
            results.append(remind(world, as_of=AS_OF, config=config(server)))

        threads = [threading.Thread(target=one_pass) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(a for r in server.inbox.received for a in r.envelope_to) == sorted(
            EXPECTED)
    assert sum(len(r.sent) for r in results) == len(EXPECTED)
    assert recorded(world) == len(EXPECTED)


def test_a_claimed_event_is_not_claimed_again_and_a_lease_has_one_holder(engine):
    t0, t1 = datetime(2025, 1, 1, 9), datetime(2025, 1, 1, 9, 30)
    values = dict(kind="due", recipient="a@example.test", name="a", subject="s", body="b",
                  attachment=None)
    with writing(engine) as conn:
        assert mail_store.claim(conn, "k1", at=t0, **values)
    with writing(engine) as conn:
        assert not mail_store.claim(conn, "k1", at=t0, **values)  # being sent or sent
        assert mail_store.take_lease(conn, "job", "one", now=t0, until=t1)
        assert mail_store.take_lease(conn, "job", "one", now=t0, until=t1)  # renewed
        assert not mail_store.take_lease(conn, "job", "two", now=t0, until=t1)
        assert mail_store.take_lease(conn, "job", "two", now=t1, until=t1.replace(hour=10))
        assert mail_store.lease_holder(conn, "job")["holder"] == "two"


def test_without_mail_configured_nothing_is_sent_or_recorded(world, monkeypatch):
    set_address(world, "person", "Province A", "pa@example.test", by="t")
    monkeypatch.delenv("STOCKTAKE_SMTP_URL", raising=False)
    monkeypatch.setenv("STOCKTAKE_MAIL_FROM", "du@example.test")
    with pytest.raises(MailNotConfigured, match="STOCKTAKE_SMTP_URL") as caught:
        remind(world, as_of=AS_OF)
    assert caught.value.exit_code == 6
    assert recorded(world) == 0


@pytest.mark.parametrize("url, problem", [
    ("http://mail.example.test", "must start with smtp://"),
    ("smtp://:25", "names no host"),
    ("smtp://host:port", "the port is not a number")])
def test_a_bad_smtp_url_says_what_is_wrong(url, problem):
    with pytest.raises(Invalid, match=problem):
        MailConfig.parse(url, "du@example.test")


def test_a_password_never_shows_in_the_config():
    c = MailConfig.parse("smtp+starttls://me:pa%40ss@mail.example.test", "du@example.test")
    assert (c.user, c.password, c.port) == ("me", "pa@ss", 587)
    assert "pa@ss" not in str(c) and "pa@ss" not in repr(c)


def test_bad_addresses_and_kinds_are_refused_and_nothing_is_stored(world):
    with pytest.raises(Invalid) as caught:
        set_address(world, "team", "B1", "not-an-address", reminders=["gossip"])
    assert [p.where for p in caught.value.problems] == ["kind", "address"]
    with pytest.raises(Invalid, match="'gossip' is not a kind of reminder"):
        set_address(world, "unit", "B1", "b1@example.test", reminders=["gossip"])
    with pytest.raises(NotFound, match="did you mean 'B1'"):
        set_address(world, "unit", "b1", "b1@example.test")
    with pytest.raises(NotFound, match="no account"):
        set_address(world, "user", "nobody", "n@example.test")
    with world.connect() as conn:
        assert mail_store.addresses(conn) == []


@pytest.mark.parametrize("text, minutes", [("30m", 30), ("1h", 60), ("2d", 2880)])
def test_an_interval_reads_as_minutes_hours_or_days(text, minutes):
    assert parse_interval(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["1x", "0h", "h", "1.5h", ""])
def test_a_bad_interval_is_refused(text):
    with pytest.raises(Invalid, match="is not an interval"):
        parse_interval(text)


def test_the_schedule_runs_a_pass_from_the_environment_until_stopped(world, monkeypatch):
    set_address(world, "person", "Province A", "pa@example.test", by="t")
    with writing(world) as conn:  # the world's clock: the pass reads as of AS_OF
        set_meta(conn, "clock", AS_OF.isoformat())
    stop, results = threading.Event(), []

    def seen(result) -> None:
        results.append(result)
        stop.set()

    with MailServer() as server:
        monkeypatch.setenv("STOCKTAKE_SMTP_URL", server.url)
        monkeypatch.setenv("STOCKTAKE_MAIL_FROM", "du@example.test")
        run_every(world, timedelta(hours=1), stop, seen)  # returns once stopped
        [got] = server.inbox.received
    assert got.envelope_to == ["pa@example.test"] and got.message["From"] == "du@example.test"
    [result] = results
    assert len(result.sent) == 1


def test_what_is_due_reads_a_provider_s_units_only_with_their_rejected_rows(world):
    """A partial batch for B1 with one bad value: that row is set aside (rejected) and shows
    in B's dues, not in A's; the late returns are B1's three."""
    result = submit_rows(world, [("incidents", "B1", "2024-12", "n/a"),
                                 ("incidents", "A1", "2024-12", 100)],
                         submitter="t", now=datetime(2025, 1, 5), partial=True)
    assert result.accepted
    snap = Snapshot(world, AS_OF)
    b = dues(snap, ["B", "B1"])
    assert [(r.unit, r.period, r.days_late) for r in b.late] == [
        ("B1", "2024-09", 72), ("B1", "2024-10", 41), ("B1", "2024-11", 11)]
    [rejected] = b.rejected
    assert (rejected.unit, rejected.indicator, rejected.period, rejected.value) == (
        "B1", "incidents", "2024-12", "n/a")
    assert rejected.problem
    a = dues(snap, ["A", "A1", "A2"])
    assert a.late == () and a.rejected == ()
    assert a.coming == ()  # A1 sent 2024-12; population stopped in 2024-08
    assert [(r.unit, r.indicator, r.period) for r in b.coming] == [("B1", "incidents", "2024-12")]
