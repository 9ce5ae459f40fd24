"""`depositdesk demo` seeds a marketplace that shows each rule it promises."""

from __future__ import annotations

from rich.console import Console

from depositdesk.bootstrap import App
from depositdesk.entrypoints.demo_seed import seed
from depositdesk.services import deposits
from depositdesk.services.access import Principal
from depositdesk.services.eligibility import eligibility
from depositdesk.services.usecase import read

ADMIN = Principal("t", "platform_admin", None, "test")


def _elig(app: App, shop: str, kind: str = "full", category: str | None = None) -> dict:
    return read(app, eligibility, ADMIN, app.clock.now(), shop, kind, category, None)


def test_demo_seed_shows_its_scenarios_and_runs_twice_without_duplicating(app: App) -> None:
    console = Console(quiet=True)
    tokens = seed(app, console)
    assert {role for role, _, _ in tokens} >= {"platform_admin", "integration", "owner"}

    dragon = _elig(app, "dragon-uk-01")
    assert [b["code"] for b in dragon["blockers"]] == ["after_sales_period"]  # REF-3
    assert dragon["earliest_at"] == dragon["blockers"][0]["clears_at"]
    assert _elig(app, "acme-uk-02", "difference", "electronics")["eligible"] is True  # REF-2
    cedar = read(app, deposits.deposit_json, None, "cedar-us-01", app.clock.now())
    assert cedar["receivable"]["amount"] != "0.00"  # DEP-8
    bluefin = read(app, deposits.deposit_json, None, "bluefin-cn-01", app.clock.now())
    assert bluefin["status"] == "underfunded" and bluefin["notices"]  # DEP-5

    before = read(app, deposits.ledger_json, ADMIN, "acme-cn-01", app.clock.now(), None, 500)
    again = seed(app, console)
    after = read(app, deposits.ledger_json, ADMIN, "acme-cn-01", app.clock.now(), None, 500)
    assert after == before
    assert {t for _, _, t in again}.isdisjoint({t for _, _, t in tokens})  # fresh tokens
