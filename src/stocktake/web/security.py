"""Two ASGI middlewares around the whole app (issue #15): the client's real address and
scheme behind a trusted reverse proxy, and the security headers on every response.

Forwarded headers (``X-Forwarded-For``, ``X-Forwarded-Proto``) are honoured only when the
request comes straight from a configured proxy (``STOCKTAKE_TRUSTED_PROXIES``: addresses or
networks, comma-separated); from anyone else they are ignored, so nobody can pose as another
address to the sign-in throttle or the audit log. ``stocktake serve`` turns uvicorn's own
proxy handling off, so this is the only place that decides.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import Invalid

TRUSTED_PROXIES_ENV = "STOCKTAKE_TRUSTED_PROXIES"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The app's own pages: scripts and styles only from its own files, never inline, so an
# injected <script> or style attribute does nothing; no framing (clickjacking).
APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
           "frame-ancestors 'none'")
# Self-contained documents (the public site, packs as HTML) carry their styles inside them,
# because the same files are published and downloaded; they have no script and no form.
DOCUMENT_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
COMMON_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}
HSTS = "max-age=31536000"


def is_document(path: str) -> bool:
    return path.startswith("/public/") or path.endswith("/pack.html")


def may_be_cached(path: str) -> bool:
    """Static files and the public site (the same for everyone) may be cached; everything
    else is a signed-in page, an API response, or a sign-in form with its CSRF token."""
    return path.startswith(("/static/", "/public/"))


def security_headers(path: str, scheme: str) -> dict[str, str]:
    headers = {"content-security-policy": DOCUMENT_CSP if is_document(path) else APP_CSP,
               **COMMON_HEADERS}
    if not may_be_cached(path):
        headers["cache-control"] = "no-store"
    if scheme == "https":
        headers["strict-transport-security"] = HSTS
    return headers


class SecurityHeaders:
    """Adds the security headers to every HTTP response (a route's own CSP is kept)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], scope.get("scheme", "http"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name == "content-security-policy":
                        headers.setdefault(name, value)
                    else:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


# -- behind a proxy ---------------------------------------------------------------------


def parse_networks(text: str | None, setting: str) -> tuple[Network, ...]:
    """``10.0.0.1, 10.1.0.0/16, ::1`` as networks. Raises Invalid naming the setting and a
    bad entry."""
    networks = []
    for item in (text or "").replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise Invalid(f"{setting}: '{item}' is not an IP address or network "
                             f"(write e.g. 10.0.0.1, 10.1.0.0/16 or ::1)") from None
    return tuple(networks)


def parse_proxies(text: str | None) -> tuple[Network, ...]:
    """The trusted proxies' networks. Raises Invalid naming a bad entry."""
    return parse_networks(text, TRUSTED_PROXIES_ENV)


def trusted_proxies_from_env() -> tuple[Network, ...]:
    return parse_proxies(os.environ.get(TRUSTED_PROXIES_ENV))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _in(address: Any, networks: Iterable[Network]) -> bool:
    return address is not None and any(address in n for n in networks)


def forwarded_client(peer: str, forwarded_for: str | None,
                     proxies: tuple[Network, ...]) -> str:
    """The client's address: the peer itself, unless it is a trusted proxy; then the nearest
    address in X-Forwarded-For (read from the right, past further trusted proxies) that is
    not a trusted proxy. A malformed entry stops the walk at the last trustworthy hop."""
    if not _in(_address(peer), proxies):
        return peer
    client = peer
    for hop in reversed((forwarded_for or "").split(",")):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not _in(address, proxies):
            break
    return client


class ForwardedHeaders:
    """Rewrites the client address and scheme from a trusted proxy's forwarded headers."""

    def __init__(self, app: ASGIApp, proxies: tuple[Network, ...]):
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and self.proxies and client:
            peer = client[0]
            if _in(_address(peer), self.proxies):
                headers = Headers(scope=scope)
                scope = dict(scope)
                scope["client"] = (forwarded_client(peer, headers.get("x-forwarded-for"),
                                                    self.proxies), client[1])
                proto = (headers.get("x-forwarded-proto") or "").split(",")[-1].strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto if scope["type"] == "http" else (
                        "wss" if proto == "https" else "ws")
        await self.app(scope, receive, send)
