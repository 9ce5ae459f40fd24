"""The pages' cookie: the session token (from sign-in, the API's session), the CSRF
token of this browser and the language, signed with the app's secret key
(itsdangerous) so that it cannot be forged or altered.

`HttpOnly` (no script reads it), `SameSite=Lax` (not sent on another site's POST),
`Secure` when the page is served over https. Every form carries the CSRF token,
compared with the cookie's on every POST (a post without it: the 403 page)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from depositdesk.domain.users import SESSION_LIFETIME

COOKIE = "dd_page"
SALT = "depositdesk.pages.cookie"
MAX_AGE = int(SESSION_LIFETIME.total_seconds())


@dataclass(frozen=True, slots=True)
class PageCookie:
    csrf: str
    session: str | None = None  # the session token (dds_…) once signed in
    lang: str | None = None

    @classmethod
    def fresh(cls, lang: str | None = None) -> PageCookie:
        return cls(secrets.token_urlsafe(24), None, lang)

    def signed_in(self, token: str) -> PageCookie:
        """A new CSRF token with the new session (no token from before sign-in lives on)."""
        return PageCookie(secrets.token_urlsafe(24), token, self.lang)

    def signed_out(self) -> PageCookie:
        return PageCookie(secrets.token_urlsafe(24), None, self.lang)

    def with_lang(self, lang: str) -> PageCookie:
        return replace(self, lang=lang)

    def csrf_ok(self, sent: object) -> bool:
        return isinstance(sent, str) and hmac.compare_digest(sent.encode(), self.csrf.encode())


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def read(request: Request, secret: str) -> PageCookie | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(secret).loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), str):
        return None
    session, lang = data.get("s"), data.get("l")
    return PageCookie(
        data["c"],
        session if isinstance(session, str) else None,
        lang if isinstance(lang, str) else None,
    )


def write(response: Response, request: Request, cookie: PageCookie, secret: str) -> None:
    value = _serializer(secret).dumps({"c": cookie.csrf, "s": cookie.session, "l": cookie.lang})
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
