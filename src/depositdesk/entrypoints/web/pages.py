"""What every page shares: the page's context (the app, the cookie, the language, the
signed-in user), rendering with Jinja2, the error pages, the CSRF check of every POST
and the redirect to sign-in.

The pages call the same use cases as the API (`run` / `read` on the services): no
rule lives here. Their routes are left out of the OpenAPI schema."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from depositdesk.bootstrap import App
from depositdesk.domain.errors import DomainError
from depositdesk.entrypoints.api.problems import _audit_refusal as audit_refusal
from depositdesk.entrypoints.web import cookies, i18n, preferences
from depositdesk.entrypoints.web.i18n import gettext as _
from depositdesk.services.access import Principal, Role
from depositdesk.services.tokens import authenticate
from depositdesk.services.usecase import read

CONSOLE_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.REVIEWER, Role.AUDITOR})

ENV = Environment(
    loader=PackageLoader("depositdesk", "templates/pages"),
    autoescape=select_autoescape(["html", "svg"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
ENV.globals.update(
    money=i18n.money,
    when=i18n.when,
    day=i18n.day,
    day_of=i18n.day_of,
    zone_name=i18n.zone_name,
    LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
)


class SignInRequired(Exception):
    """No session (or an ended one): to the sign-in page, then back."""


class CsrfRefused(Exception):
    pass


@dataclass
class Page:
    request: Request
    app: App
    cookie: cookies.PageCookie
    lang: str
    now: datetime
    who: Principal | None = None

    @property
    def csrf(self) -> str:
        return self.cookie.csrf

    @property
    def is_seller(self) -> bool:
        return self.who is not None and self.who.is_seller

    @property
    def is_console(self) -> bool:
        return self.who is not None and self.who.role in CONSOLE_ROLES

    def url_with_lang(self, lang: str) -> str:
        query = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        query.append(("lang", lang))
        return self.request.url.path + "?" + "&".join(f"{k}={quote(v)}" for k, v in query)


def app_of(request: Request) -> App:
    application: App = request.app.state.depositdesk
    return application


def _language(request: Request, cookie: cookies.PageCookie | None) -> tuple[str, bool]:
    """The page's language and whether it was asked for now (`?lang=`)."""
    asked = i18n.language(request.query_params.get("lang"))
    if asked:
        return asked, True
    if cookie is not None and cookie.lang:
        return cookie.lang, False
    return i18n.from_accept(request.headers.get("accept-language")) or i18n.DEFAULT, False


def page_of(request: Request, *, who: bool = True) -> Page:
    """The page's context: the cookie (a new one when missing or forged), the language,
    the signed-in user when the session is in force."""
    application = app_of(request)
    secret = application.settings.secret_key
    cookie = cookies.read(request, secret)
    lang, asked = _language(request, cookie)
    if cookie is None:
        cookie = cookies.PageCookie.fresh(lang)
    elif asked:
        cookie = cookie.with_lang(lang)
    now = application.now_refreshed()
    page = Page(request, application, cookie, lang, now)
    if who and cookie.session:
        page.who = read(application, authenticate, cookie.session, now)
        request.state.who = page.who  # a refusal is audited with its caller (AUD-1)
        if asked and page.who is not None and page.who.user_id is not None:
            # The switch is remembered for the user, on every browser (not only this one).
            preferences.remember_language(application, page.who.user_id, lang)
    i18n.use(lang)
    return page


def render(page: Page, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    i18n.use(page.lang)
    html = ENV.get_template(template).render(page=page, who=page.who, lang=page.lang, **context)
    response = HTMLResponse(html, status_code=status)
    cookies.write(response, page.request, page.cookie, page.app.settings.secret_key)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def fragment(page: Page, template: str, **context: Any) -> HTMLResponse:
    """A piece of a page for HTMX to swap in."""
    i18n.use(page.lang)
    html = ENV.get_template(template).render(page=page, who=page.who, lang=page.lang, **context)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def redirect(page: Page, to: str) -> RedirectResponse:
    response = RedirectResponse(to, status_code=303)
    cookies.write(response, page.request, page.cookie, page.app.settings.secret_key)
    return response


def error_page(request: Request, status: int, detail: str) -> Response:
    try:
        page = page_of(request, who=False)
    except Exception:  # the database itself failing: the page still answers
        page = Page(
            request,
            app_of(request),
            cookies.PageCookie.fresh(),
            i18n.DEFAULT,
            datetime.now().astimezone(),
        )
    return render(page, "error.html", status=status, status_code=status, detail=detail)


def _sign_in_redirect(request: Request) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(f"/?next={quote(target, safe='')}", status_code=303)


class PageRoute(APIRoute):
    """A page's route: a POST is refused (403 page) unless its form carries the CSRF
    token of this browser's cookie; errors of the use cases become pages (another
    seller's shop: the 404 page); a missing session goes to sign-in."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            # The language, set here in the request's own task: FastAPI runs each sync
            # dependency and the endpoint in a thread with a *copy* of this context, so
            # a language set inside the page dependency (page_of) would not reach the
            # endpoint's own words (a chart's labels, a refusal's message).
            cookie = cookies.read(request, app_of(request).settings.secret_key)
            i18n.use(_language(request, cookie)[0])
            try:
                if request.method == "POST":
                    await _check_csrf(request)
                return await handler(request)
            except SignInRequired:
                return _sign_in_redirect(request)
            except CsrfRefused:
                await audit_refusal(request, 403, "csrf_refused")
                return error_page(
                    request,
                    403,
                    _(
                        "This form has expired or did not come from this site. Go back, "
                        "reload the page and try again."
                    ),
                )
            except DomainError as exc:
                if exc.status == 401:
                    return _sign_in_redirect(request)
                if exc.status == 403:  # AUD-1: a refused call is recorded, as in the API
                    await audit_refusal(request, 403, exc.code)
                return error_page(request, exc.status, exc.detail)
            except (HTTPException, StarletteHTTPException) as exc:
                return error_page(request, exc.status_code, str(exc.detail))
            except RequestValidationError:
                return error_page(request, 404, _("There is no such page."))
            finally:
                await request.close()  # the form's uploaded files, spooled to disk

        return page_handler


async def _check_csrf(request: Request) -> None:
    application = app_of(request)
    cookie = cookies.read(request, application.settings.secret_key)
    form = await request.form(max_files=5, max_fields=50)
    if cookie is None or not cookie.csrf_ok(form.get("csrf")):
        raise CsrfRefused()


def signed_in(request: Request) -> Page:
    page = page_of(request)
    if page.who is None or page.who.user_id is None:
        raise SignInRequired()
    return page


def seller_page(request: Request) -> Page:
    page = signed_in(request)
    if not page.is_seller:
        raise HTTPException(404, _("The Seller Center is for sellers' users."))
    return page


def console_page(request: Request) -> Page:
    page = signed_in(request)
    if not page.is_console:
        raise HTTPException(404, _("The operations console is for the marketplace's staff."))
    return page
