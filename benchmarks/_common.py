"""Helpers shared by the benchmarks: databases, shops, formatting."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from depositdesk.bootstrap import App, build, migrate
from depositdesk.services import policies
from depositdesk.services.access import Principal, Role
from depositdesk.services.sellers import create_seller
from depositdesk.services.shops import create_shop
from depositdesk.services.usecase import run
from depositdesk.settings import Settings

ADMIN = Principal.system(Role.PLATFORM_ADMIN, "bench")
INTEGRATION = Principal.system(Role.INTEGRATION, "bench")
MARKET = "gb"
GB_CATEGORIES = ("apparel", "home", "beauty", "food", "electronics", "jewellery")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fresh_app(db: Path) -> App:
    """A freshly migrated SQLite database with the shipped policy packs loaded."""
    app = build(Settings(database_url=sqlite_url(db), sandbox=False))
    migrate(app)
    run(app, policies.ensure_default_packs, ADMIN, app.clock.now())
    return app


def create_shops(app: App, shops: Iterable[tuple[str, list[str]]]) -> None:
    """One seller owning the given (shop id, categories) shops in the gb market."""
    now = app.clock.now()
    run(
        app,
        create_seller,
        ADMIN,
        now,
        id="bench-seller",
        name="Bench Seller",
        email="bench@example.com",
        language="en",
    )
    for shop_id, categories in shops:
        run(
            app,
            create_shop,
            ADMIN,
            now,
            id=shop_id,
            seller_id="bench-seller",
            name=f"Shop {shop_id}",
            market=MARKET,
            categories=categories,
        )


@dataclass
class Outcome:
    """One line of the final summary."""

    name: str
    value: str
    target: str
    met: bool | None  # None: informative only

    def line(self) -> str:
        verdict = "" if self.met is None else ("target met" if self.met else "TARGET NOT MET")
        return f"  {self.name:<52} {self.value:>18}  {self.target:<10} {verdict}"


@dataclass
class Report:
    title: str
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, name: str, value: str, target: str = "", met: bool | None = None) -> None:
        self.outcomes.append(Outcome(name, value, target, met))

    def print(self) -> None:
        print(f"{self.title}")
        for outcome in self.outcomes:
            print(outcome.line())


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} events/s"


def say(message: str) -> None:
    print(message, flush=True)
