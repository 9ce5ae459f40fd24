"""`depositdesk demo` seeds a marketplace that shows each rule it promises."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Engine

from depositdesk.bootstrap import App, build
from depositdesk.demo.plans import FALCON_ACCOUNT
from depositdesk.demo.refund_stages import FX_ACCOUNT, REJECTION, STAGES
from depositdesk.demo.seed import seed
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.eligibility import BlockerCode
from depositdesk.domain.funding import FundingStatus
from depositdesk.domain.money import Money
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.payouts import PayoutStatus
from depositdesk.domain.policy import LADDER_STEPS
from depositdesk.domain.refunds import RefundStatus, RejectionCode, SlaState
from depositdesk.domain.shop import ShopStatus
from depositdesk.services import deposits, policies, refunds, shops
from depositdesk.services.eligibility import EligibilityAnswer, eligibility
from depositdesk.services.refunds import RefundView
from depositdesk.services.usecase import read, run
from depositdesk.settings import Settings
from tests.conftest import ADMIN


@pytest.fixture
def app(engine: Engine, clock: FixedClock, tmp_path: Path) -> App:
    """As `depositdesk demo` runs: DEPOSITDESK_SANDBOX=1, so the sandbox bank pays."""
    settings = Settings(database_url=str(engine.url), data_dir=tmp_path / "data", sandbox=True)
    application = build(settings, clock=clock, engine=engine)
    run(application, policies.ensure_default_packs, ADMIN, clock.now())
    return application


def _elig(
    app: App, shop: str, kind: str = "full", category: str | None = None
) -> EligibilityAnswer:
    return read(app, eligibility, ADMIN, app.clock.now(), shop, kind=kind, category=category)


def test_demo_seed_shows_its_scenarios_and_runs_twice_without_duplicating(app: App) -> None:
    console = Console(quiet=True)
    tokens = seed(app, console)
    assert {role for role, _, _ in tokens} >= {"platform_admin", "integration", "owner"}

    now = app.clock.now()
    dragon = _elig(app, "dragon-uk-01").result
    assert dragon.codes() == [BlockerCode.AFTER_SALES_PERIOD]  # REF-3
    assert dragon.earliest_at == dragon.blockers[0].clears_at
    assert _elig(app, "acme-uk-02", "difference", "electronics").result.eligible  # REF-2
    cedar = read(app, deposits.deposit, None, now, "cedar-us-01")
    assert cedar.position.receivable.is_positive()  # DEP-8
    bluefin = read(app, deposits.deposit, None, now, "bluefin-cn-01")
    assert bluefin.status is FundingStatus.UNDERFUNDED and bluefin.notices  # DEP-5
    assert bluefin.enforcement is not None and bluefin.enforcement_step is None
    # DEP-6: one eagle shop on each ladder step, each step dated as a worker would have.
    steps = [
        read(app, deposits.deposit, None, now, f"eagle-uk-0{i}").enforcement_step
        for i in range(1, 7)
    ]
    assert steps == list(LADDER_STEPS)
    top = read(app, shops.get_shop, ADMIN, now, "eagle-uk-06").shop
    assert top.status is ShopStatus.RESTRICTED
    kinds = [n.kind for n in read(app, deposits.deposit, None, now, "eagle-uk-06").notices]
    assert kinds.count(NoticeKind.ENFORCEMENT) == 6 and kinds.count(NoticeKind.TOPUP) == 1
    # DEP-7: cedar-us-03's shortfall was taken from its proceeds and it is funded again.
    cedar3 = read(app, deposits.deposit, None, now, "cedar-us-03")
    assert cedar3.status is FundingStatus.FUNDED and cedar3.enforcement is None
    assert {n.kind for n in cedar3.notices} >= {NoticeKind.OFFSET, NoticeKind.FUNDED}
    _refunds_at_every_stage(app)

    before = read(app, deposits.ledger, ADMIN, now, "acme-cn-01", cursor=None, limit=500)
    again = seed(app, console)
    after = read(app, deposits.ledger, ADMIN, now, "acme-cn-01", cursor=None, limit=500)
    assert after == before
    assert {t for _, _, t in again}.isdisjoint({t for _, _, t in tokens})  # fresh tokens


def _refund(app: App, shop_id: str) -> RefundView:
    page = read(app, refunds.list_refunds, ADMIN, app.clock.now(), shop_id, cursor=None, limit=5)
    [view] = page.items
    return view


def _events(app: App, shop_id: str) -> list[str]:
    notices = read(app, deposits.deposit, None, app.clock.now(), shop_id).notices
    return [str(n.data["event"]) for n in reversed(notices) if n.kind is NoticeKind.REFUND]


def _refunds_at_every_stage(app: App) -> None:
    """REF-2..8: the falcon-uk shops' difference refunds, one at each stage, made
    through the services at past moments, with the notices each step sent."""
    views = {shop_id: _refund(app, shop_id) for shop_id in STAGES}
    for shop_id, view in views.items():
        offers = [
            n
            for n in read(app, deposits.deposit, None, app.clock.now(), shop_id).notices
            if n.kind is NoticeKind.DIFFERENCE_AVAILABLE
        ]
        assert [n.data["amount_minor"] for n in offers] == [150_000]  # REF-2, once
        assert view.refund.amount.minor == 150_000 and view.refund.category == "electronics"

    on_time = views["falcon-uk-01"]
    assert on_time.refund.status is RefundStatus.SUBMITTED and on_time.sla is SlaState.ON_TIME
    late = views["falcon-uk-02"]
    assert late.refund.status is RefundStatus.SUBMITTED and late.sla is SlaState.LATE
    assert _events(app, "falcon-uk-02") == ["submitted", "review_late"]

    approved = views["falcon-uk-03"]
    assert approved.refund.status is RefundStatus.APPROVED
    assert approved.payout is not None and approved.payout.status is PayoutStatus.PENDING

    paying = views["falcon-uk-04"]
    assert paying.refund.status is RefundStatus.PAYING
    assert paying.payout is not None and paying.payout.status is PayoutStatus.SENT
    assert paying.payout.bank_reference and paying.payout.fx is None
    # REF-6: to the original route, the account falcon's pay-ins named.
    assert paying.payout.route == FALCON_ACCOUNT and paying.account == FALCON_ACCOUNT

    paid = views["falcon-uk-05"]
    assert paid.refund.status is RefundStatus.PAID
    assert paid.refund.destination.route == FX_ACCOUNT
    payout = paid.payout
    assert payout is not None and payout.status is PayoutStatus.PAID
    assert payout.fx is not None and payout.dest_amount is not None
    assert payout.dest_amount.currency == "CNY" and payout.fx.rate > 5  # GBP -> CNY
    assert payout.bank_reference == "ICBC-DEMO-20481"
    assert payout.fee == Money("CNY", 10_000)  # REF-7: the gb pack's CNY bank fee
    assert [s.status for s in paid.steps] == [
        RefundStatus.SUBMITTED,
        RefundStatus.APPROVED,
        RefundStatus.PAYING,
        RefundStatus.PAID,
    ]
    assert _events(app, "falcon-uk-05") == ["submitted", "approved", "paying", "paid"]
    held = read(app, deposits.deposit, None, app.clock.now(), "falcon-uk-05").position.held
    assert held.minor == 100_000  # 2,500 paid in, 1,500 paid back

    rejected = views["falcon-uk-06"].refund
    assert rejected.status is RefundStatus.REJECTED
    assert rejected.reason_code is RejectionCode.PROOF_INVALID and rejected.message == REJECTION
    assert views["falcon-uk-07"].refund.status is RefundStatus.WITHDRAWN
