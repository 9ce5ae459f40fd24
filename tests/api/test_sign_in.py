"""Issue 10, UNL-1: seller users sign in with a password and a TOTP second factor;
sessions expire and end at logout; failed sign-ins lock for a while; a changed
payout account needs a recent second factor (step-up); signals are recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
from sqlalchemy import Engine, select

from depositdesk.adapters.db.tables import outbox, security_signals
from depositdesk.domain.clock import FixedClock
from tests.conftest import Api, TokenFactory

PASSWORD = "correct horse battery staple 42"
EMAIL = "mei@falcon.example"


def add_user(
    api: Api, who: dict[str, str], *, email: str = EMAIL, role: str = "owner", **extra: Any
) -> Any:
    body = {"email": email, "password": PASSWORD, "role": role, **extra}
    return api.c.post("/v1/sellers/s1/users", headers=who, json=body)


def login(api: Api, email: str = EMAIL, password: str = PASSWORD, **extra: Any) -> Any:
    return api.c.post("/v1/auth/login", json={"email": email, "password": password, **extra})


def bearer(answer: Any) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture
def seller(api: Api) -> Api:
    api.seller()
    return api


def enrol(api: Api, session: dict[str, str], clock: FixedClock) -> tuple[pyotp.TOTP, list[str]]:
    started = api.c.post("/v1/me/totp", headers=session)
    assert started.status_code == 201, started.text
    assert started.json()["uri"].startswith("otpauth://totp/depositdesk:mei%40falcon.example")
    totp = pyotp.TOTP(started.json()["secret"])
    done = api.c.post("/v1/me/totp/verify", headers=session, json={"code": totp.at(clock.now())})
    assert done.status_code == 200, done.text
    codes = done.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return totp, codes


def test_a_user_signs_in_sees_itself_and_signs_out(seller: Api, clock: FixedClock) -> None:
    api = seller
    made = add_user(api, api.admin, email_verified=True)
    assert made.status_code == 201, made.text
    assert made.json()["email_verified"] is True and made.json()["totp"] is False
    answer = login(api, email="  Mei@Falcon.example ")  # addresses are not case-sensitive
    session = bearer(answer)
    assert answer.json()["mfa"] is False
    assert answer.json()["expires_at"] == (clock.now() + timedelta(hours=12)).isoformat().replace(
        "+00:00", "Z"
    )
    me = api.c.get("/v1/me", headers=session)
    assert me.json()["email"] == EMAIL and me.json()["role"] == "owner"
    assert api.c.get("/v1/shops", headers=session).status_code == 200  # the seller's role
    assert api.c.post("/v1/auth/logout", headers=session).status_code == 204
    after = api.c.get("/v1/me", headers=session)
    assert after.status_code == 401 and after.json()["code"] == "unauthorized"


def test_a_session_ends_after_its_lifetime(seller: Api, clock: FixedClock) -> None:
    api = seller
    add_user(api, api.admin, email_verified=True)
    session = bearer(login(api))
    clock.advance(timedelta(hours=11, minutes=59))
    assert api.c.get("/v1/me", headers=session).status_code == 200
    clock.advance(timedelta(minutes=1))
    assert api.c.get("/v1/me", headers=session).status_code == 401


def test_an_owner_adds_users_and_the_address_is_verified_by_the_mailed_link(
    seller: Api, auth: TokenFactory, engine: Engine
) -> None:
    api = seller
    owner = auth("owner", seller="s1")
    # Only a platform admin may say an address is verified.
    refused = add_user(api, owner, email_verified=True)
    assert refused.status_code == 403
    made = add_user(api, owner, role="staff")
    assert made.status_code == 201 and made.json()["email_verified"] is False
    unverified = login(api)
    assert unverified.status_code == 403 and unverified.json()["code"] == "email_unverified"

    with engine.connect() as conn:
        [payload] = conn.execute(
            select(outbox.c.payload).where(outbox.c.topic == "user.verify_email")
        ).scalars()
    text = payload if isinstance(payload, str) else str(payload)
    link = text[text.index("/v1/auth/verify-email?token=") :].split("\\n")[0].split('"')[0]
    assert api.c.get(link).status_code == 200
    assert api.c.get(link).status_code == 404  # a link works once
    assert login(api).status_code == 200

    # The same address twice is a conflict; a staff user adds nobody.
    assert add_user(api, owner, role="staff").status_code == 409
    staff = bearer(login(api))
    assert add_user(api, staff, email="x@falcon.example").status_code == 403


def test_role_boundaries_of_adding_users(seller: Api, auth: TokenFactory) -> None:
    api = seller
    api.seller("s2")
    other_owner = auth("owner", seller="s2")
    assert add_user(api, other_owner).status_code == 404  # another seller's: not there
    for role in ("reviewer", "auditor", "integration"):
        assert add_user(api, auth(role)).status_code == 403
    admin_of_seller = auth("admin", seller="s1")
    assert add_user(api, admin_of_seller).status_code == 403


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short1!", "password_length"),
        ("password12345", "password_strength"),  # a common password
        ("mei@falcon.example", "password_strength"),  # the user's own address
        ("x" * 129, "validation_error"),
    ],
)
def test_weak_passwords_are_refused(seller: Api, password: str, rule: str) -> None:
    api = seller
    answer = api.c.post(
        "/v1/sellers/s1/users",
        headers=api.admin,
        json={"email": EMAIL, "password": password, "role": "owner"},
    )
    assert answer.status_code == 422, answer.text
    rules = {e["rule"] for e in answer.json().get("errors", [])}
    assert rule in rules or answer.json()["code"] == rule
    assert login(api).status_code == 401  # nothing was made: no such user


def test_totp_signs_in_with_mfa_once_per_code_and_recovery_codes_work_once(
    seller: Api, clock: FixedClock
) -> None:
    api = seller
    add_user(api, api.admin, email_verified=True)
    totp, codes = enrol(api, bearer(login(api)), clock)
    assert api.c.get("/v1/me", headers=bearer(login(api))).json()["totp"] is True

    clock.advance(timedelta(seconds=31))
    code = totp.at(clock.now())
    answer = login(api, totp=code)
    assert answer.status_code == 200 and answer.json()["mfa"] is True
    replay = login(api, totp=code)
    assert replay.status_code == 401 and replay.json()["code"] == "totp_reused"
    wrong = login(api, totp="000000" if code != "000000" else "111111")
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_totp"
    # A recovery code stands in for the app, once.
    assert login(api, totp=codes[0]).json()["mfa"] is True
    assert login(api, totp=codes[0]).json()["code"] == "invalid_totp"
    # New recovery codes replace the old ones.
    fresh = api.c.post("/v1/me/recovery-codes", headers=bearer(login(api)))
    assert fresh.status_code == 200 and codes[1] not in fresh.json()["recovery_codes"]
    assert login(api, totp=codes[1]).status_code == 401
    assert login(api, totp=fresh.json()["recovery_codes"][0]).json()["mfa"] is True


def test_failed_sign_ins_lock_the_account_until_the_lock_ends(
    seller: Api, clock: FixedClock
) -> None:
    api = seller
    add_user(api, api.admin, email_verified=True)
    for _ in range(4):
        wrong = login(api, password="not the password at all")
        assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
    fifth = login(api, password="not the password at all")
    assert fifth.status_code == 429 and fifth.json()["code"] == "too_many_attempts"
    until = fifth.json()["locked_until"]
    assert until == (clock.now() + timedelta(minutes=15)).isoformat().replace("+00:00", "Z")
    # While locked, even the right password is refused; after the lock, it works.
    assert login(api).status_code == 429
    clock.advance(timedelta(minutes=15))
    assert login(api).status_code == 200
    # An unknown address is answered like a wrong password.
    unknown = login(api, email="nobody@falcon.example")
    assert unknown.status_code == 401 and unknown.json()["code"] == "invalid_credentials"


def test_step_up_a_changed_payout_account_needs_a_recent_second_factor(
    seller: Api, clock: FixedClock, engine: Engine
) -> None:
    """Issue 10 step-up, UNL-1: the gb pack's step_up_minutes is 15."""
    api = seller
    api.shop(categories=["apparel"])
    assert api.pay_in("shop1", "1000.00").status_code == 201
    api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"})
    add_user(api, api.admin, email_verified=True)
    totp, _ = enrol(api, bearer(login(api)), clock)
    body = {
        "kind": "full",
        "reason": "closing",
        "destination": {"account": "GB00 BANK 1234", "currency": "GBP", "reason": "moved bank"},
    }

    def apply(session: dict[str, str], key: str) -> Any:
        return api.c.post(
            "/v1/shops/shop1/refunds", headers={**session, "Idempotency-Key": key}, json=body
        )

    no_mfa = apply(bearer(login(api)), "k1")
    assert no_mfa.status_code == 403 and no_mfa.json()["code"] == "step_up_required"
    clock.advance(timedelta(seconds=31))
    stepped = bearer(login(api, totp=totp.at(clock.now())))
    clock.advance(timedelta(minutes=15, seconds=1))
    late = apply(stepped, "k2")
    assert late.status_code == 403 and late.json()["code"] == "step_up_required"
    assert api.deposit("shop1")["held"]["amount"] == "1000.00"  # nothing reserved
    stepped = bearer(login(api, totp=totp.at(clock.now())))
    ok = apply(stepped, "k3")
    assert ok.status_code == 201, ok.text
    # To the original route, no second factor is needed.
    with engine.connect() as conn:
        kinds = conn.execute(select(security_signals.c.kind)).scalars().all()
    assert "payout_account_changed" in kinds


def test_signals_repeated_wrong_codes_and_a_new_device(
    seller: Api, clock: FixedClock, engine: Engine
) -> None:
    """UNL-1: the policy's count of wrong second-factor codes, and a sign-in from a
    device the user never used, are recorded as security signals."""
    api = seller
    api.shop(categories=["apparel"])  # the gb pack: max_failed_second_factor = 5
    add_user(api, api.admin, email_verified=True)
    totp, _ = enrol(api, bearer(login(api)), clock)
    clock.advance(timedelta(minutes=16))
    for _ in range(5):
        clock.advance(timedelta(minutes=4))  # slow enough not to lock the account
        login(api, totp="123456" if totp.at(clock.now()) != "123456" else "654321")
    other = api.c.post(
        "/v1/auth/login",
        json={"email": EMAIL, "password": PASSWORD},
        headers={"User-Agent": "a new phone"},
    )
    assert other.status_code == 200
    with engine.connect() as conn:
        kinds = conn.execute(select(security_signals.c.kind)).scalars().all()
    assert kinds.count("failed_second_factor") == 1
    assert kinds.count("new_device") == 1


def test_aud1_every_sign_in_attempt_is_audited_without_its_secrets(
    seller: Api, auth: TokenFactory
) -> None:
    api = seller
    add_user(api, api.admin, email_verified=True)
    assert login(api, password="wrong password, twice over").status_code == 401
    assert login(api).status_code == 200
    assert login(api, email="nobody@falcon.example").status_code == 401
    rows = api.c.get("/v1/audit?limit=50", headers=auth("auditor")).json()["items"]
    attempts = [r for r in rows if r["action"].startswith("sessions.login")]
    outcomes = sorted((r["action"], r["after"]["outcome"], r["target"]) for r in attempts)
    user_id = api.c.get("/v1/me", headers=bearer(login(api))).json()["id"]
    assert outcomes == [
        ("sessions.login", "signed_in", f"user:{user_id}"),
        ("sessions.login_refused", "invalid_credentials", "email:nobody@falcon.example"),
        ("sessions.login_refused", "invalid_credentials", f"user:{user_id}"),
    ]
    assert PASSWORD not in str(rows) and "wrong password" not in str(rows)
    assert api.c.get("/v1/audit/verify", headers=auth("auditor")).json()["ok"] is True


def test_aud1_refused_calls_are_audited_with_their_caller(seller: Api, auth: TokenFactory) -> None:
    """Issue 10 "bad input": a staff user on an owner action, a missing step-up, an
    unknown token: each refused, and each attempt audited."""
    api = seller
    api.shop(categories=["apparel"])
    staff = auth("staff", seller="s1")
    denied = api.c.put("/v1/shops/shop1/categories", headers=staff, json={"categories": ["home"]})
    assert denied.status_code == 403
    unknown = api.c.get("/v1/shops", headers={"Authorization": "Bearer dd_000000000000_nope"})
    assert unknown.status_code == 401
    rows = api.c.get("/v1/audit?limit=100", headers=auth("auditor")).json()["items"]
    refused = [
        (r["role"], r["target"], r["after"]) for r in rows if r["action"] == "access.refused"
    ]
    assert ("staff", "PUT /v1/shops/shop1/categories", {"status": 403, "code": "forbidden"}) in (
        refused
    )
    assert ("anonymous", "GET /v1/shops", {"status": 401, "code": "unauthorized"}) in refused
    assert api.c.get("/v1/audit/verify", headers=auth("auditor")).json()["ok"] is True
    # Nothing the refused call tried happened.
    assert api.c.get("/v1/shops/shop1", headers=api.admin).json()["categories"] == ["apparel"]
