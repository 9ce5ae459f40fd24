"""Sign-in (email, password and the authenticator's code), sign-out, the language
switch and TOTP enrolment with a QR code: the API's sign-in use cases, for a browser."""

from __future__ import annotations

import segno
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from starlette.responses import Response

from depositdesk.bootstrap import App
from depositdesk.domain.errors import DomainError
from depositdesk.entrypoints.web import pages, preferences
from depositdesk.entrypoints.web.i18n import gettext as _
from depositdesk.entrypoints.web.pages import Page, redirect, render, signed_in
from depositdesk.services import second_factor, sessions
from depositdesk.services.access import Principal, Role
from depositdesk.services.usecase import read, run
from depositdesk.services.users import get_me

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)


def home_of(who: Principal) -> str:
    if who.is_seller:
        return "/seller/shops"
    return "/ops/audit" if who.role is Role.AUDITOR else "/ops/reviews"  # auditors read


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site (no `//host`, no scheme): no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _refusal_text(code: str, detail: str) -> str:
    texts = {
        "invalid_credentials": _("The email or the password is wrong."),
        "too_many_attempts": _(
            "Too many failed sign-ins for this account or from this address. "
            "Try again after the lock ends."
        ),
        "email_unverified": _("Confirm your email address first: open the link we mailed to it."),
        "totp_not_enrolled": _(
            "This account has no authenticator app yet: sign in without a code, then set one up."
        ),
        "invalid_totp": _("The authenticator code is wrong. Check the time on your phone."),
        "totp_reused": _("This code was used already. Wait for the next one."),
    }
    return texts.get(code, detail)


@router.get("/", response_class=Response)
def sign_in_page(request: Request, next: str | None = None) -> Response:
    page = pages.page_of(request)
    if page.who is not None and page.who.user_id is not None:
        return redirect(page, _safe_next(next) or home_of(page.who))
    return render(page, "sign_in.html", next=_safe_next(next) or "", error=None, email="")


@router.post("/", response_class=Response)
def sign_in(
    request: Request,
    email: str = Form("", max_length=254),
    password: str = Form("", max_length=200),
    totp: str = Form("", max_length=20),
    next: str = Form("", max_length=500),
) -> Response:
    page = pages.page_of(request, who=False)
    application = page.app
    client = request.client.host if request.client else "unknown"
    device = f"{request.headers.get('user-agent', '')[:300]}|{client}"
    code = totp.replace(" ", "").strip() or None
    # As POST /v1/auth/login: the attempt commits what it changed (failure counts, a
    # lock, a signal, its audit record) even when it is refused.
    with application.uow() as uow:
        outcome = sessions.login(
            uow,
            page.now,
            email=email,
            password=password,
            totp=code,
            client=client,
            device=device,
        )
        uow.commit()
    if outcome.refusal is not None or outcome.session is None:
        refusal = outcome.refusal
        text = _refusal_text(refusal.code, refusal.detail) if refusal else _("Sign-in refused.")
        status = refusal.status if refusal else 401
        return render(
            page,
            "sign_in.html",
            status=status,
            next=_safe_next(next) or "",
            error=text,
            email=email,
        )
    page.cookie = page.cookie.signed_in(outcome.session.token)
    who = outcome.session.principal
    if who.user_id is not None:
        # The language the user chose last time, on any browser (remembered per user).
        stored = preferences.language_of(application, who.user_id)
        if stored:
            page.cookie = page.cookie.with_lang(stored)
    target = _safe_next(next) or home_of(who)
    if not outcome.session.mfa:
        if read(application, get_me, who, page.now).totp:
            # The pages ask for the second factor of every user who has one: this
            # password-only session ends at once, and the form asks for the code.
            run(application, sessions.logout, who, page.now)
            page.cookie = page.cookie.signed_out()
            text = _("Enter the code from your authenticator app as well.")
            again = _safe_next(next) or ""
            return render(page, "sign_in.html", status=401, next=again, error=text, email=email)
        if who.is_seller:
            target = "/account/totp"  # no second factor yet: set one up first
    return redirect(page, target)


SANDBOX_SALT = "depositdesk.pages.sandbox-sign-in"
SANDBOX_LINK_DAYS = 30


def sandbox_link(application: App, email: str, base: str | None = None) -> str:
    """A one-click sign-in link for a demo user (`depositdesk demo` prints it): signed
    with the secret key, and refused unless the app runs in sandbox mode."""
    signer = URLSafeTimedSerializer(application.settings.secret_key, salt=SANDBOX_SALT)
    root = (base or application.settings.public_url).rstrip("/")
    return f"{root}/sandbox/sign-in?token={signer.dumps({'e': email})}"


@router.get("/sandbox/sign-in", response_class=Response)
def sandbox_sign_in(request: Request, token: str = "") -> Response:
    page = pages.page_of(request, who=False)
    if not page.app.settings.sandbox:
        raise HTTPException(404, _("There is no such page."))  # only in sandbox mode
    signer = URLSafeTimedSerializer(page.app.settings.secret_key, salt=SANDBOX_SALT)
    try:
        data = signer.loads(token, max_age=SANDBOX_LINK_DAYS * 86400)
    except BadSignature:
        raise HTTPException(404, _("This sign-in link is not valid.")) from None
    email = data.get("e") if isinstance(data, dict) else None
    if not isinstance(email, str):
        raise HTTPException(404, _("This sign-in link is not valid."))
    with page.app.uow() as uow:
        session = sessions.sandbox_session(uow, page.now, email=email)
        uow.commit()
    page.cookie = page.cookie.signed_in(session.token)
    who = session.principal
    stored = preferences.language_of(page.app, who.user_id) if who.user_id else None
    if stored:
        page.cookie = page.cookie.with_lang(stored)
    return redirect(page, home_of(who))


@router.post("/logout", response_class=Response)
def logout(request: Request) -> Response:
    page = pages.page_of(request)
    if page.who is not None and page.who.user_id is not None:
        run(page.app, sessions.logout, page.who, page.now)
    page.cookie = page.cookie.signed_out()
    return redirect(page, "/")


@router.get("/account/totp", response_class=Response)
def totp_page(page: Page = Depends(signed_in)) -> Response:

    assert page.who is not None
    me = read(page.app, get_me, page.who, page.now)
    return render(page, "totp.html", enrolled=me.totp, qr=None, secret=None, codes=None)


@router.post("/account/totp", response_class=Response)
def totp_start(page: Page = Depends(signed_in)) -> Response:
    assert page.who is not None
    enrolment = run(page.app, second_factor.start_enrolment, page.who, page.now)
    return render(
        page,
        "totp.html",
        enrolled=False,
        qr=qr_svg(enrolment.uri),
        secret=enrolment.secret,
        codes=None,
        error=None,
    )


@router.post("/account/totp/verify", response_class=Response)
def totp_verify(
    page: Page = Depends(signed_in),
    code: str = Form("", max_length=20),
    secret: str = Form("", max_length=64),
) -> Response:
    assert page.who is not None
    try:
        codes = run(
            page.app,
            second_factor.finish_enrolment,
            page.who,
            page.now,
            code=code.replace(" ", "").strip(),
        )
    except DomainError as exc:
        return render(
            page,
            "totp.html",
            status=exc.status,
            enrolled=False,
            qr=None,
            secret=secret,
            codes=None,
            error=_("The code does not match. Enter the code your app shows now."),
            detail=exc.detail,
        )
    return render(page, "totp.html", enrolled=True, qr=None, secret=None, codes=list(codes))


def qr_svg(uri: str) -> Markup:
    """The otpauth:// URI as an inline SVG QR code (segno), labelled for screen readers."""
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=4, dark="#111", light="#fff", title=_("QR code for your app"))
    return Markup(svg)
