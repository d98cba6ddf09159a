"""Sending mail: the one interface the reminders use, over the standard library's smtplib.

Configured from the environment: ``STOCKTAKE_SMTP_URL`` says where and how
(``smtp://host:port``, plain; ``smtps://user:password@host:port``, TLS from the start;
``smtp+starttls://user:password@host:port``, upgraded with STARTTLS) and
``STOCKTAKE_MAIL_FROM`` the sender's address. Over TLS (smtps, smtp+starttls) the server's
certificate is checked against the system's authorities and its name against the host, or,
with ``STOCKTAKE_SMTP_CA_FILE``, against the certificates in that file (a server with a
certificate of the organisation's own authority). The password is never shown: the
config's text form and every error leave it out.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from ...errors import Invalid, StocktakeError

SMTP_URL_VAR = "STOCKTAKE_SMTP_URL"
MAIL_FROM_VAR = "STOCKTAKE_MAIL_FROM"
CA_FILE_VAR = "STOCKTAKE_SMTP_CA_FILE"
SCHEMES = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}
TIMEOUT = 30  # seconds: a server that does not answer fails the send, not the pass


class MailNotConfigured(StocktakeError):
    """STOCKTAKE_SMTP_URL or STOCKTAKE_MAIL_FROM is not set: its own exit code (6), so that
    cron can tell "nothing to do here" from a bad argument."""

    exit_code = 6
    http_status = 503


@dataclass(frozen=True)
class MailConfig:
    scheme: str
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None  # the certificates a TLS server's is checked against

    def tls_context(self) -> ssl.SSLContext:
        """Certificates checked, and the host name against them (never switched off)."""
        return ssl.create_default_context(cafile=self.ca_file)

    def __str__(self) -> str:
        who = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{who}{self.host}:{self.port} from {self.sender}"

    @classmethod
    def parse(cls, url: str, sender: str, ca_file: str | None = None) -> MailConfig:
        parts = urlsplit(url.strip())
        if parts.scheme not in SCHEMES:
            raise Invalid(f"must start with {', '.join(s + '://' for s in SCHEMES)}; got "
                          f"{parts.scheme or 'no scheme'}", source=SMTP_URL_VAR)
        try:
            port = parts.port or SCHEMES[parts.scheme]
        except ValueError:
            raise Invalid("the port is not a number", source=SMTP_URL_VAR) from None
        if not parts.hostname:
            raise Invalid("names no host, e.g. smtp://mail.example.org:25",
                          source=SMTP_URL_VAR)
        if "@" not in sender:
            raise Invalid(f"{sender!r} is not an e-mail address", source=MAIL_FROM_VAR)
        if ca_file:
            try:
                ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise Invalid(f"cannot read certificates from {ca_file}: {exc}",
                              source=CA_FILE_VAR) from None
        return cls(parts.scheme, parts.hostname, port, sender.strip(),
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None, ca_file or None)

    @classmethod
    def from_env(cls) -> MailConfig:
        url, sender = os.environ.get(SMTP_URL_VAR), os.environ.get(MAIL_FROM_VAR)
        missing = [name for name, v in ((SMTP_URL_VAR, url), (MAIL_FROM_VAR, sender)) if not v]
        if missing:
            raise MailNotConfigured(
                f"mail is not configured: set {' and '.join(missing)} (e.g. "
                f"{SMTP_URL_VAR}=smtp+starttls://user:password@mail.example.org:587 and "
                f"{MAIL_FROM_VAR}=delivery-unit@example.org); nothing was sent")
        return cls.parse(url or "", sender or "", os.environ.get(CA_FILE_VAR) or None)


def message(config: MailConfig, to: str, subject: str, body: str, *,
            attachment: tuple[str, bytes] | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=config.sender.rsplit("@", 1)[-1])
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to reminders
    msg.set_content(body)
    if attachment is not None:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return msg


class Mailer:
    """One SMTP connection for a pass (opened on first use); ``send`` raises ``OSError`` or
    ``smtplib.SMTPException`` when a message cannot be sent."""

    def __init__(self, config: MailConfig):
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=TIMEOUT,
                                                  context=c.tls_context())
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT)
            if c.scheme == "smtp+starttls":
                try:
                    smtp.starttls(context=c.tls_context())
                except BaseException:
                    smtp.close()  # nothing is sent in the clear
                    raise
        if c.user:
            smtp.login(c.user, c.password or "")
        return smtp

    def send(self, msg: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        self._smtp.send_message(msg)

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None


def describe_failure(exc: BaseException, config: MailConfig) -> str:
    """The error as kept in the record: its type and text, any password taken out."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        text = (f"the mail server's certificate is not trusted ({exc.verify_message}); "
                f"if it is signed by your organisation's own authority, set {CA_FILE_VAR} "
                f"to that authority's certificate. {text}")
    if config.password:
        text = text.replace(config.password, "***")
    return text[:500]
