"""`depositdesk demo` seeds a marketplace that shows each rule it promises."""

from __future__ import annotations

from rich.console import Console

from depositdesk.bootstrap import App
from depositdesk.demo.seed import seed
from depositdesk.domain.eligibility import BlockerCode
from depositdesk.domain.funding import FundingStatus
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.policy import LADDER_STEPS
from depositdesk.domain.shop import ShopStatus
from depositdesk.services import deposits, shops
from depositdesk.services.eligibility import EligibilityAnswer, eligibility
from depositdesk.services.usecase import read
from tests.conftest import ADMIN


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

    before = read(app, deposits.ledger, ADMIN, now, "acme-cn-01", cursor=None, limit=500)
    again = seed(app, console)
    after = read(app, deposits.ledger, ADMIN, now, "acme-cn-01", cursor=None, limit=500)
    assert after == before
    assert {t for _, _, t in again}.isdisjoint({t for _, _, t in tokens})  # fresh tokens
