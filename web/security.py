"""Safe by default: an ASGI middleware in front of every route (pages, API, static files).

- Without a token the server answers only requests whose Host is a loopback name: a web page
  cannot use DNS rebinding to read a dashboard bound to 127.0.0.1.
- With a token every request must carry it: ``Authorization: Bearer T``, ``?token=T`` (the answer
  then sets a cookie so the page's own requests carry it), or that cookie. The cookie holds an HMAC
  of the token, not the token, and tokens are compared in constant time.
- Every answer gets a strict Content-Security-Policy (our own scripts and styles only, nothing
  inline) and nosniff: agents' and models' text is data, and a browser must never run it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "dgm_session"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # a ?token= in the address never leaves in a Referer
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):  # [::1]:8000
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def session_value(token: str) -> str:
    return hmac.new(token.encode(), b"dgm-dashboard-session", hashlib.sha256).hexdigest()


class Guard:
    """Host check, token check and security headers for every HTTP request."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token
        self.session = session_value(token) if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _with_headers(refusal, set_cookie=None)(scope, receive, send)
            return
        query = self._query_token(scope) if self.token is not None else None
        from_query = query is not None and self.token is not None and _same(query, self.token)
        no_store = not scope.get("path", "").startswith("/static/")  # live data is never served stale
        await self.app(scope, receive, _header_sender(send, self.session if from_query else None, no_store))

    def _refusal(self, scope: Scope, headers: Headers) -> PlainTextResponse | None:
        if self.token is None:
            if _host_name(headers.get("host", "")).lower() not in LOOPBACK_NAMES:
                return PlainTextResponse("this dashboard answers only on a loopback address", status_code=400)
            return None
        if self._authorized(scope, headers):
            return None
        return PlainTextResponse("access token missing or wrong: open the address `dgm serve` printed "
                                 "(it carries ?token=...) or send 'Authorization: Bearer <token>'", status_code=401,
                                 headers={"www-authenticate": "Bearer"})

    def _authorized(self, scope: Scope, headers: Headers) -> bool:
        assert self.token is not None and self.session is not None
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and _same(auth[7:].strip(), self.token):
            return True
        query = self._query_token(scope)
        if query is not None and _same(query, self.token):
            return True
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is simply no cookie
            return False
        return COOKIE in cookie and _same(cookie[COOKIE].value, self.session)

    def _query_token(self, scope: Scope) -> str | None:
        values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
        return values[0] if values else None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def _header_sender(send: Send, set_cookie: str | None, no_store: bool = True) -> Send:
    async def sender(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for key, value in HEADERS.items():
                headers[key] = value
            if no_store:
                headers["cache-control"] = "no-store"
            if set_cookie is not None:
                headers.append("set-cookie", f"{COOKIE}={set_cookie}; Path=/; HttpOnly; SameSite=Strict")
        await send(message)
    return sender


def _with_headers(response: PlainTextResponse, set_cookie: str | None) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await response(scope, receive, _header_sender(send, set_cookie))
    return app
