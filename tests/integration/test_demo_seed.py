"""`depositdesk demo` seeds a marketplace that shows each rule it promises."""

from __future__ import annotations

from rich.console import Console

from depositdesk.bootstrap import App
from depositdesk.demo.seed import seed
from depositdesk.domain.eligibility import BlockerCode
from depositdesk.domain.funding import FundingStatus
from depositdesk.services import deposits
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

    before = read(app, deposits.ledger, ADMIN, now, "acme-cn-01", cursor=None, limit=500)
    again = seed(app, console)
    after = read(app, deposits.ledger, ADMIN, now, "acme-cn-01", cursor=None, limit=500)
    assert after == before
    assert {t for _, _, t in again}.isdisjoint({t for _, _, t in tokens})  # fresh tokens
