"""A real SMTP server in the test process (aiosmtpd), keeping every message it receives, for
the reminder tests to read: envelope recipients, headers, body and attachments. Over TLS
too (``tls="smtps"`` from the start, ``tls="starttls"`` upgraded, with a login), with a
certificate made at run time by ``certificate()`` (openssl; nothing downloaded)."""

from __future__ import annotations

import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass
class Received:
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def attachments(self) -> list[tuple[str, bytes]]:
        return [(part.get_filename(), part.get_content())
                for part in self.message.iter_attachments()]


@dataclass
class Inbox:
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Received(list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.envelope_to]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (an EC key: quick to make), and its key."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@dataclass
class Login:
    """The one account the server accepts (AUTH, over TLS only: aiosmtpd's default)."""

    user: str
    password: str
    tried: list[str] = field(default_factory=list)

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.tried.append(auth_data.login.decode())
        ok = (auth_data.login.decode(), auth_data.password.decode()) == (self.user,
                                                                         self.password)
        return AuthResult(success=ok)


class MailServer:
    """Started and stopped by the ``mail_server`` fixture; ``url`` is its STOCKTAKE_SMTP_URL.
    With ``tls`` and ``cert`` (a certificate and its key), TLS from the start ("smtps") or
    after STARTTLS ("starttls", required before anything is sent); with ``login``, AUTH."""

    def __init__(self, tls: str | None = None, cert: tuple[Path, Path] | None = None,
                 login: Login | None = None) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.tls = tls
        options: dict = {"authenticator": login, "auth_required": True} if login else {}
        if tls:
            assert cert is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*cert)
            if tls == "smtps":  # aiosmtpd sees only STARTTLS as TLS: AUTH allowed here
                options.update(ssl_context=context, auth_require_tls=False)
            else:
                options.update(tls_context=context, require_starttls=True)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                     **options)

    @property
    def url(self) -> str:
        scheme = {None: "smtp", "smtps": "smtps", "starttls": "smtp+starttls"}[self.tls]
        return f"{scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
