"""The demo's sellers and shops, and the moments its scenarios turn on."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from depositdesk.domain.policy_toml import load_default_packs


@cache
def _market_currencies() -> dict[str, str]:
    """Each shipped market's currency, as its policy pack states it (POL-1)."""
    return {pack.pack: pack.currency for pack in load_default_packs()}


@dataclass(frozen=True)
class SellerPlan:
    id: str
    name: str
    email: str
    language: str = "en"


SELLERS = (
    SellerPlan("demo-acme", "Acme Trading Ltd", "ops@acme.example"),
    SellerPlan("demo-bluefin", "Bluefin Home & Living Co.", "deposit@bluefin.example", "zh"),
    SellerPlan("demo-cedar", "Cedar Beauty Inc.", "finance@cedar.example"),
    SellerPlan("demo-dragon", "Dragon Electronics Ltd", "accounts@dragon.example"),
    SellerPlan("demo-eagle", "Eagle Outdoor Ltd", "billing@eagle.example"),
    SellerPlan("demo-falcon", "Falcon Sports Ltd", "refunds@falcon.example"),
)


@dataclass(frozen=True)
class ShopPlan:
    id: str
    seller: str
    name: str
    market: str
    categories: tuple[str, ...]
    opened_days_ago: int
    orders: int
    payins: tuple[str, ...] = ()  # amounts in major units, paid a few days apart
    payer: str | None = None  # the account the pay-ins came from (REF-6's original route)

    @property
    def currency(self) -> str:
        return _market_currencies()[self.market]


# Falcon's pay-ins name the account they came from: its refunds to the original route
# are paid there (the sample IBAN of ISO 13616).
FALCON_ACCOUNT = "iban:GB82WEST12345698765432;bic:WESTGB22;name:Falcon Sports Ltd"

SHOPS = (
    ShopPlan(
        "acme-uk-01",
        "demo-acme",
        "Acme Apparel UK",
        "gb",
        ("apparel", "beauty"),
        170,
        640,
        ("1500.00",),
    ),
    ShopPlan(
        "acme-uk-02",
        "demo-acme",
        "Acme Gadgets & Wear UK",
        "gb",
        ("apparel", "electronics"),
        165,
        420,
        ("2500.00",),
    ),
    ShopPlan(
        "acme-cn-01",
        "demo-acme",
        "Acme Cross-border",
        "cn-crossborder",
        ("apparel", "home"),
        160,
        520,
        ("3000.00", "2000.00"),
    ),
    ShopPlan(
        "bluefin-cn-01",
        "demo-bluefin",
        "Bluefin Home",
        "cn-crossborder",
        ("food", "home"),
        150,
        380,
        ("5000.00",),
    ),
    ShopPlan(
        "bluefin-cn-02", "demo-bluefin", "Bluefin Kids", "cn-crossborder", ("apparel",), 2, 14
    ),
    ShopPlan(
        "cedar-us-01",
        "demo-cedar",
        "Cedar Beauty US",
        "us",
        ("apparel", "beauty"),
        140,
        260,
        ("500.00",),
    ),
    ShopPlan(
        "cedar-us-02", "demo-cedar", "Cedar Home US", "us", ("food", "home"), 120, 300, ("500.00",)
    ),
    ShopPlan(
        "dragon-uk-01",
        "demo-dragon",
        "Dragon Electronics UK",
        "gb",
        ("electronics", "home"),
        175,
        260,
        ("2500.00",),
    ),
    ShopPlan(
        "cedar-us-03", "demo-cedar", "Cedar Outdoor US", "us", ("home",), 100, 60, ("500.00",)
    ),
    *(
        ShopPlan(
            f"eagle-uk-0{i + 1}",
            "demo-eagle",
            f"Eagle Outdoor UK {i + 1}",
            "gb",
            ("apparel",),
            130,
            30,
            ("1000.00",),
        )
        for i in range(6)
    ),
    *(
        ShopPlan(
            f"falcon-uk-0{i + 1}",
            "demo-falcon",
            f"Falcon Sports UK {i + 1}",
            "gb",
            ("apparel", "electronics"),
            170,
            36,
            ("2500.00",),
            FALCON_ACCOUNT,
        )
        for i in range(7)
    ),
)

# DEP-6: the eagle-uk shops add jewellery (required 1,000 → 4,000 GBP) this many days
# ago, so that, with the gb pack's 30 grace days and ladder offsets 0/7/14/30/45/60,
# each stands on the next ladder step: warning … marketplace_suspended.
LADDER_CATEGORY_ADDED_DAYS_AGO = (31, 38, 45, 61, 76, 91)

# The scenario moments, in days before now.
CATEGORY_ADDED_DAYS_AGO = 3  # bluefin-cn-01 adds electronics
TERMINATED_DAYS_AGO = 12  # dragon-uk-01's contract ends
STOPPED_DAYS_AGO = 75  # acme-uk-02 stops electronics
LAST_ELECTRONICS_ORDER_DAYS_AGO = 82  # ... after its last electronics order
# The falcon-uk shops sell electronics until this many days ago (60-day after-sales
# periods in gb), then stop it, each one's difference refund standing at one stage
# (demo/refund_stages.py).
FALCON_LAST_ELECTRONICS_ORDER_DAYS_AGO = 120
FALCON_STOPPED_DAYS_AGO = 45
