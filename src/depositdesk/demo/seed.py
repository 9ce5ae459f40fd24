"""`seed(application, console)`: the demo marketplace through the services, once per
database, and fresh tokens on every run (tokens are stored hashed, so they can only
be shown when they are made)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from depositdesk.bootstrap import App
from depositdesk.demo.plans import (
    CATEGORY_ADDED_DAYS_AGO,
    LADDER_CATEGORY_ADDED_DAYS_AGO,
    SELLERS,
    SHOPS,
    TERMINATED_DAYS_AGO,
)
from depositdesk.demo.refund_stages import make_refunds
from depositdesk.demo.scenarios import build_events
from depositdesk.demo.unlinks import make_unlinks
from depositdesk.domain.errors import NotFound
from depositdesk.services.access import Principal, Role
from depositdesk.services.deposits import pay_in
from depositdesk.services.ingestion import ingest
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.sellers import create_seller, get_seller
from depositdesk.services.shops import create_shop, set_categories, terminate
from depositdesk.services.timers import run_due
from depositdesk.services.tokens import create_token
from depositdesk.services.usecase import read, run
from depositdesk.services.users import create_platform_user, create_user

MARKER_SELLER = "demo-acme"
ADMIN = Principal.system(Role.PLATFORM_ADMIN, "demo seed")
INTEGRATION = Principal.system(Role.INTEGRATION, "demo seed")
TOKENS = (  # (role, seller, who): one token each, printed by `depositdesk demo`
    ("platform_admin", None, "operations"),
    ("reviewer", None, "refund review"),
    ("auditor", None, "audit"),
    ("integration", None, "marketplace systems"),
    ("owner", "demo-acme", "demo-acme"),
    ("staff", "demo-acme", "demo-acme"),
    ("owner", "demo-cedar", "demo-cedar"),
    ("owner", "demo-falcon", "demo-falcon"),
    ("owner", "demo-gull", "demo-gull"),
)


def _setup(uow: UnitOfWork, now: datetime) -> None:
    """One unit of work: either the whole marketplace is there, or none of it."""
    day = timedelta(days=1)
    for s in SELLERS:
        create_seller(
            uow,
            ADMIN,
            now - timedelta(days=200),
            id=s.id,
            name=s.name,
            email=s.email,
            language=s.language,
        )
    for plan in SHOPS:
        opened = now - plan.opened_days_ago * day
        create_shop(
            uow,
            ADMIN,
            opened,
            id=plan.id,
            seller_id=plan.seller,
            name=plan.name,
            market=plan.market,
            categories=list(plan.categories),
        )
        for i, amount in enumerate(plan.payins):
            key = f"demo-payin-{plan.id}" + (f"-{i + 1}" if i else "")
            pay_in(
                uow,
                INTEGRATION,
                opened + (1 + 6 * i) * day + timedelta(hours=3),
                plan.id,
                amount=amount,
                currency=plan.currency,
                reference=f"TRF-{plan.id.upper()}-{i + 1:02d}",
                idempotency_key=key,
                payer=plan.payer,
            )
    # REF-9: the platform ends a contract; no new orders after this moment.
    terminate(
        uow,
        ADMIN,
        now - TERMINATED_DAYS_AGO * day,
        "dragon-uk-01",
        reason="repeated counterfeit reports; contract ended by the platform",
    )


def _after_events(uow: UnitOfWork, now: datetime) -> None:
    """What happens after the shops' trading history: required deposits rise (DEP-5),
    opening under-funding cases whose ladder timers `_replay_timers` runs."""
    day = timedelta(days=1)
    # DEP-5: a new, costlier category raises the required deposit to 20,000 CNY.
    set_categories(
        uow,
        ADMIN,
        now - CATEGORY_ADDED_DAYS_AGO * day,
        "bluefin-cn-01",
        categories=["electronics", "food", "home"],
    )
    # DEP-6: one eagle-uk shop on each ladder step.
    for i, days_ago in enumerate(LADDER_CATEGORY_ADDED_DAYS_AGO, start=1):
        set_categories(
            uow, ADMIN, now - days_ago * day, f"eagle-uk-0{i}", categories=["apparel", "jewellery"]
        )


def _replay_timers(application: App, now: datetime) -> int:
    """Run the timers day by day up to now, so each ladder step (DEP-6) and each late
    review (REF-5) carries the date it would have had with a worker running all along."""
    at = now - timedelta(days=max(LADDER_CATEGORY_ADDED_DAYS_AGO))
    ran = 0
    while at < now:
        at = min(at + timedelta(days=1), now)
        ran += run_due(application.uow, at)
    return ran


def _seeded(application: App) -> bool:
    try:
        read(application, get_seller, ADMIN, application.now_refreshed(), MARKER_SELLER)
    except NotFound:
        return False
    return True


def _seed_data(application: App, console: Console) -> None:
    started = time.monotonic()
    now = application.now_refreshed()
    with console.status("creating sellers and shops…"):
        run(application, _setup, now)
    events = build_events(now)
    with Progress(
        TextColumn("[bold]ingesting demo events[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("ingest", total=len(events))
        result = ingest(
            application.uow,
            INTEGRATION,
            application.now_refreshed,
            events,
            chunk=1000,
            progress=lambda n: progress.advance(task, n),
        )
    run(application, _after_events, application.now_refreshed())
    make_refunds(application, application.now_refreshed())
    make_unlinks(application, application.now_refreshed())  # UNL: the gull-uk shops
    _replay_timers(application, application.now_refreshed())
    if result.rejected:
        console.print(f"[yellow]{len(result.rejected)} demo events were rejected[/yellow]")
        for rejection in result.rejected[:5]:
            console.print(f"  {rejection}")
    console.print(
        f"[green]seeded[/green] {len(SELLERS)} sellers, {len(SHOPS)} shops, "
        f"{result.accepted:,} events in {time.monotonic() - started:.1f} s"
    )


def _tokens(application: App) -> list[tuple[str, str, str]]:
    now = application.now_refreshed()
    rows = []
    for role, seller, who in TOKENS:
        issued = run(
            application,
            create_token,
            ADMIN,
            now,
            role=role,
            seller_id=seller,
            name=f"demo {role} ({who})",
        )
        rows.append((role, who, issued.token))
    return rows


# Users of the pages (issue 12): a Falcon owner (refunds at every stage), a Gull
# owner (unlinks) and a reviewer of the console; `depositdesk demo` prints a one-click
# sign-in link for each (sandbox only). They can also sign in at / with this password.
DEMO_PASSWORD = "falcon-harbour-lantern-2026"
USERS = (  # (seller or None for a platform user, role, email)
    ("demo-falcon", "owner", "owner@falcon.example"),
    ("demo-gull", "owner", "owner@gull.example"),  # the unlink wizard (gull-uk-01)
    (None, "reviewer", "reviewer@depositdesk.example"),
)


def _users(uow: UnitOfWork, now: datetime) -> None:
    """The demo's page users, made once (a demo database seeded before they existed
    gets them on its next run)."""
    for seller, role, email in USERS:
        if uow.users.by_email(email) is not None:
            continue
        if seller is None:
            create_platform_user(uow, ADMIN, now, email=email, password=DEMO_PASSWORD, role=role)
        else:
            create_user(
                uow,
                ADMIN,
                now,
                seller,
                email=email,
                password=DEMO_PASSWORD,
                role=role,
                email_verified=True,
            )


def seed(application: App, console: Console) -> list[tuple[str, str, str]]:
    """Seed the demo marketplace (once per database) and return fresh tokens as
    (role, who, token) rows."""
    if _seeded(application):
        console.print(
            f"demo marketplace already seeded (seller {MARKER_SELLER} exists); "
            "creating fresh tokens only"
        )
    else:
        _seed_data(application, console)
    console.print("shops: " + ", ".join(f"{p.id} ({p.market})" for p in SHOPS))
    run(application, _users, application.now_refreshed())
    return _tokens(application)
