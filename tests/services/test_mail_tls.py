"""Reminders over TLS (issue #17): ``smtps://`` (TLS from the start) and
``smtp+starttls://`` (upgraded) to a real aiosmtpd server holding a certificate made at run
time, the client trusting it through STOCKTAKE_SMTP_CA_FILE, with a login. A server whose
certificate is not trusted gets nothing, not even the password: the pass records a clear
error and the next pass sends the messages."""

from __future__ import annotations

import pytest

from stocktake.errors import Invalid
from stocktake.services.admin.accounts import create_user
from stocktake.services.admin.addresses import set_address
from stocktake.services.admin.mailer import CA_FILE_VAR, MAIL_FROM_VAR, SMTP_URL_VAR
from stocktake.services.routines.reminders import message_log, remind

from ..mailserver import Login, MailServer, certificate
from .test_reminders import AS_OF, PASSWORD, build_world, recorded

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no SQL here
USER, SECRET = "du-mailer", "s3cret pw"

pytestmark = [SQLITE_ONLY, pytest.mark.usefixtures("cheap_hashing"),
              # aiosmtpd warns of AUTH without STARTTLS: under smtps, TLS came first
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """The certificate the client trusts, and another (a server it must not trust)."""
    folder = tmp_path_factory.mktemp("tls")
    return certificate(folder, "trusted"), certificate(folder, "stranger")


@pytest.fixture
def world(engine, small_model_dir):
    """Two messages due (worked out in test_reminders): the analyst's weekly digest and
    Province A's overdue milestone."""
    build_world(engine, small_model_dir)
    create_user(engine, "ana", "analyst", PASSWORD)
    set_address(engine, "user", "ana", "ana@example.test", reminders=["digest"], by="t")
    set_address(engine, "person", "Province A", "pa@example.test", by="t")
    return engine


def configure(monkeypatch, server: MailServer, ca_file) -> None:
    scheme, rest = server.url.split("://")
    monkeypatch.setenv(SMTP_URL_VAR, f"{scheme}://{USER}:{SECRET.replace(' ', '%20')}@{rest}")
    monkeypatch.setenv(MAIL_FROM_VAR, "delivery-unit@example.test")
    monkeypatch.setenv(CA_FILE_VAR, str(ca_file))


@pytest.mark.parametrize("tls", ["smtps", "starttls"])
def test_reminders_go_over_tls_to_a_trusted_server(world, certificates, tls, monkeypatch):
    trusted, _ = certificates
    login = Login(USER, SECRET)
    with MailServer(tls, trusted, login) as server:
        configure(monkeypatch, server, trusted[0])
        result = remind(world, as_of=AS_OF)
    assert len(result.sent) == 2 and result.failed == ()
    assert sorted(a for r in server.inbox.received for a in r.envelope_to) == [
        "ana@example.test", "pa@example.test"]
    assert login.tried == [USER]  # one login, on the one connection of the pass
    assert {m.status for m in message_log(world)} == {"sent"}


@pytest.mark.parametrize("tls", ["smtps", "starttls"])
def test_an_untrusted_certificate_sends_nothing_and_the_next_pass_retries(
        world, certificates, tls, monkeypatch):
    trusted, stranger = certificates
    login = Login(USER, SECRET)
    with MailServer(tls, stranger, login) as impostor:
        configure(monkeypatch, impostor, trusted[0])
        first = remind(world, as_of=AS_OF)
    assert first.sent == () and len(first.failed) == 2
    assert impostor.inbox.received == [] and login.tried == []  # not even the password
    for m in message_log(world):
        assert m.status == "failed"
        assert m.error.startswith("the mail server's certificate is not trusted "
                                  "(self-signed certificate); if it is signed by your "
                                  f"organisation's own authority, set {CA_FILE_VAR}")
        assert SECRET not in m.error
    with MailServer(tls, trusted, login) as server:
        configure(monkeypatch, server, trusted[0])
        second = remind(world, as_of=AS_OF)
    assert len(second.sent) == 2 and len(server.inbox.received) == 2
    assert {(m.status, m.attempts) for m in message_log(world)} == {("sent", 2)}


def test_a_ca_file_that_cannot_be_read_is_refused_before_anything_is_sent(
        world, tmp_path, monkeypatch):
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate\n")
    for ca_file in (tmp_path / "missing.pem", not_pem):
        monkeypatch.setenv(SMTP_URL_VAR, "smtps://127.0.0.1:465")
        monkeypatch.setenv(MAIL_FROM_VAR, "delivery-unit@example.test")
        monkeypatch.setenv(CA_FILE_VAR, str(ca_file))
        with pytest.raises(Invalid, match=f"{CA_FILE_VAR}.*cannot read certificates from "
                                          f"{ca_file}"):
            remind(world, as_of=AS_OF)
    assert recorded(world) == 0
