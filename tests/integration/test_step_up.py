"""Step-up inside a session (UNL-1; the pages' "enter your code again"): the
authenticator's code gives a new session whose second factor is fresh and ends the old
one; a wrong or reused code is refused and counted, the session left as it was. On
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from depositdesk.bootstrap import App
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.errors import Refused
from depositdesk.services import second_factor, sessions
from depositdesk.services.access import Principal, Role
from depositdesk.services.sellers import create_seller
from depositdesk.services.tokens import authenticate
from depositdesk.services.usecase import read, run
from depositdesk.services.users import create_user
from tests.conftest import ADMIN

EMAIL = "owner@s1.example"
PASSWORD = "violet-harbour-kettle-93"


def _signed_in(app: App, clock: FixedClock) -> tuple[sessions.Session, pyotp.TOTP]:
    run(app, create_seller, ADMIN, clock.now(), id="s1", name="S1", email=EMAIL, language="en")
    run(
        app,
        create_user,
        ADMIN,
        clock.now(),
        "s1",
        email=EMAIL,
        password=PASSWORD,
        role="owner",
        email_verified=True,
    )
    with app.uow() as uow:
        first = sessions.login(uow, clock.now(), email=EMAIL, password=PASSWORD)
        uow.commit()
    assert first.session is not None
    enrolment = run(app, second_factor.start_enrolment, first.session.principal, clock.now())
    totp = pyotp.TOTP(enrolment.secret)
    code = totp.at(clock.now())
    run(app, second_factor.finish_enrolment, first.session.principal, clock.now(), code=code)
    return first.session, totp


def test_unl1_a_code_in_the_session_gives_a_fresh_second_factor(
    app: App, clock: FixedClock
) -> None:
    session, totp = _signed_in(app, clock)
    assert session.principal.mfa_at is None
    clock.advance(timedelta(minutes=20))

    wrong = run(app, sessions.step_up, session.principal, clock.now(), code="000000")
    assert wrong.session is None and wrong.refusal is not None
    assert wrong.refusal.code == "invalid_totp"
    assert read(app, authenticate, session.token, clock.now()) is not None  # unchanged
    with app.uow(read_only=True) as uow:
        user = uow.users.by_email(EMAIL)
    assert user is not None and user.failed_totp == 1  # counted, committed

    done = run(app, sessions.step_up, session.principal, clock.now(), code=totp.at(clock.now()))
    assert done.session is not None and done.session.mfa
    assert done.session.principal.mfa_at == clock.now()
    assert read(app, authenticate, session.token, clock.now()) is None  # the old one ended
    fresh = read(app, authenticate, done.session.token, clock.now())
    assert fresh is not None and fresh.mfa_at == clock.now()

    again = run(app, sessions.step_up, fresh, clock.now(), code=totp.at(clock.now()))
    assert again.refusal is not None and again.refusal.code == "totp_reused"


def test_a_machine_token_has_no_second_factor_to_pass(app: App, clock: FixedClock) -> None:
    machine = Principal("t1", Role.OWNER, "s1", "a CLI token")
    with pytest.raises(Refused) as refused:
        run(app, sessions.step_up, machine, clock.now(), code="123456")
    assert refused.value.code == "not_a_session"
