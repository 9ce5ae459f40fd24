"""A shop read with its lock is remembered for the unit of work (adapters/db/
repositories.ShopRepository), so a money write reads it once: the remembered shop
must be what the database holds, and the repository must forget it when it changes
the shop or its categories (DEP-1: the required deposit follows the categories)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from depositdesk.bootstrap import App
from depositdesk.domain.shop_state import CategoryActivity
from tests.builders import open_shop


def test_a_locked_read_is_the_row_and_its_categories(app: App) -> None:
    open_shop(app, app.clock.now(), ["apparel", "jewellery"])
    with app.uow() as uow:
        plain = uow.shops.get("shop1")
        plain_categories = uow.shops.categories("shop1")
    with app.uow() as uow:
        locked = uow.shops.get("shop1", lock=True)
        assert locked == plain
        assert uow.shops.categories("shop1") == plain_categories
        assert [c.category for c in plain_categories] == ["apparel", "jewellery"]
        assert uow.shops.get("shop1", lock=True) is locked  # remembered, not read again
        assert uow.shops.get("nope", lock=True) is None


def test_a_saved_shop_is_read_as_saved(app: App) -> None:
    open_shop(app, app.clock.now(), ["apparel"])
    with app.uow() as uow:
        shop = uow.shops.get("shop1", lock=True)
        assert shop is not None
        renamed = replace(shop, name="Renamed", funded_at=app.clock.now())
        uow.shops.save(renamed)
        again = uow.shops.get("shop1", lock=True)
        assert again is not None and again.name == "Renamed"
        assert again.funded_at == renamed.funded_at
        uow.commit()


def test_a_category_changed_in_the_transaction_is_read_changed(app: App) -> None:
    now = app.clock.now()
    open_shop(app, now, ["apparel"])
    with app.uow() as uow:
        assert uow.shops.get("shop1", lock=True) is not None
        before = uow.shops.categories("shop1")
        uow.shops.upsert_category(
            "shop1", CategoryActivity("jewellery", True, now + timedelta(minutes=1), "test")
        )
        after = uow.shops.categories("shop1")
        assert [c.category for c in before] == ["apparel"]
        assert [(c.category, c.active) for c in after] == [("apparel", True), ("jewellery", True)]


def test_categories_handed_out_are_copies(app: App) -> None:
    open_shop(app, app.clock.now(), ["apparel"])
    with app.uow() as uow:
        uow.shops.get("shop1", lock=True)
        uow.shops.categories("shop1").clear()
        assert [c.category for c in uow.shops.categories("shop1")] == ["apparel"]
