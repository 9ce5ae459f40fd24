"""Seller users, sign-in, sessions and the TOTP second factor (issue 10)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request, Response

from depositdesk.bootstrap import App
from depositdesk.entrypoints.api.deps import Call, SellerId, get_app, get_call, get_now
from depositdesk.entrypoints.api.schemas.auth import (
    CodeIn,
    EnrolmentOut,
    LoginIn,
    RecoveryCodesOut,
    SessionOut,
    UserIn,
    UserOut,
)
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services import second_factor, sessions, users
from depositdesk.services.usecase import read, run

router = APIRouter(
    prefix="/v1",
    tags=["users and sign-in"],
    route_class=StrictJsonRoute,
    responses=problem_responses(401, 403, 404, 422, 500),
)


@router.post(
    "/sellers/{seller_id}/users",
    status_code=201,
    summary="Add a user to a seller (platform_admin, or the seller's owner)",
    responses=problem_responses(409),
)
def create_user(seller_id: SellerId, body: UserIn, c: Call = Depends(get_call)) -> UserOut:
    view = run(
        c,
        users.create_user,
        c.who,
        c.now,
        seller_id,
        email=body.email,
        password=body.password,
        role=body.role,
        email_verified=body.email_verified,
        link_base=c.app.settings.public_url,
    )
    return UserOut.of(view)


@router.post(
    "/auth/login",
    summary="Sign in: a session token; mfa true when a valid TOTP code was given",
    responses=problem_responses(429),
)
def login(
    body: LoginIn,
    request: Request,
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
) -> SessionOut:
    client = request.client.host if request.client else "unknown"
    device = f"{request.headers.get('user-agent', '')[:300]}|{client}"
    # The attempt commits what it changed (failure counts, a lock, a signal) even when
    # it is refused; the refusal is answered after.
    # Not through run(): the attempt writes its own audit record (AUD-1: the account,
    # the outcome; never the password), and commits it with the failure counts.
    with app.uow() as uow:
        outcome = sessions.login(
            uow,
            now,
            email=body.email,
            password=body.password,
            totp=body.totp,
            client=client,
            device=device,
        )
        uow.commit()
    if outcome.refusal is not None:
        raise outcome.refusal
    assert outcome.session is not None
    return SessionOut.of(outcome.session)


@router.post("/auth/logout", status_code=204, summary="End this session")
def logout(c: Call = Depends(get_call)) -> Response:
    run(c, sessions.logout, c.who, c.now)
    return Response(status_code=204)


@router.get(
    "/auth/verify-email",
    summary="The link mailed to a new user: confirms the address (once, within 48 hours)",
)
def verify_email(
    token: str = Query(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$"),
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
) -> UserOut:
    return UserOut.of(run(app, users.verify_email, now, token=token))


@router.get("/me", summary="The signed-in user")
def me(c: Call = Depends(get_call)) -> UserOut:
    return UserOut.of(read(c, users.get_me, c.who, c.now))


@router.post(
    "/me/totp",
    status_code=201,
    summary="Start enrolling a TOTP second factor: the secret and an otpauth:// URI",
    responses=problem_responses(409),
)
def start_totp(c: Call = Depends(get_call)) -> EnrolmentOut:
    enrolment = run(c, second_factor.start_enrolment, c.who, c.now)
    return EnrolmentOut(secret=enrolment.secret, uri=enrolment.uri)


@router.post(
    "/me/totp/verify",
    summary="Finish enrolling with a code from the app: the recovery codes, shown once",
    responses=problem_responses(409),
)
def verify_totp(body: CodeIn, c: Call = Depends(get_call)) -> RecoveryCodesOut:
    codes = run(c, second_factor.finish_enrolment, c.who, c.now, code=body.code)
    return RecoveryCodesOut(recovery_codes=list(codes))


@router.post(
    "/me/recovery-codes",
    summary="New single-use recovery codes (the old ones stop working), shown once",
    responses=problem_responses(409),
)
def recovery_codes(c: Call = Depends(get_call)) -> RecoveryCodesOut:
    return RecoveryCodesOut(
        recovery_codes=list(run(c, second_factor.new_recovery_codes, c.who, c.now))
    )
