"""Request bodies, each field bounded. Unknown fields are refused so a typo never
passes silently; the bounds show in /openapi.json."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from depositdesk.domain.json_shape import bad_character

# JSON Schema / pydantic patterns: `$` is the end of the text here (Rust regex and
# ECMAScript), unlike Python's `re`, where it also matches before a final newline.
MARKETPLACE_ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$"
CATEGORY_PATTERN = "^[a-z0-9_]{1,40}$"
PACK_PATTERN = "^[a-z0-9-]{1,40}$"
CURRENCY_PATTERN = "^[A-Z]{3}$"
AMOUNT_PATTERN = "^-?[0-9]{1,18}(\\.[0-9]{1,4})?$"
EMAIL_PATTERN = "^[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+$"


def _one_line(value: str) -> str:
    char = bad_character(value, one_line=True)
    if char is not None:
        raise ValueError(f"holds the character U+{ord(char):04X} (control or bidi override)")
    return value


def _text(value: str) -> str:
    char = bad_character(value)
    if char is not None:
        raise ValueError(f"holds the character U+{ord(char):04X} (control or bidi override)")
    return value


def documented(pattern: str, max_length: int) -> Any:
    """A bound the use case enforces with its own rule name (`marketplace_id`,
    `decimal_string`, …): shown in the schema, checked by the service."""
    return Field(max_length=max_length, json_schema_extra={"pattern": pattern})


MarketplaceId = Annotated[str, documented(MARKETPLACE_ID_PATTERN, 64)]
CategoryCode = Annotated[str, documented(CATEGORY_PATTERN, 40)]
# A name or reference: one line, printable.
Line = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_one_line)]
# A bank route (domain/bank_route): key:value pairs joined by ";", on one line.
Route = Annotated[str, StringConstraints(min_length=1, max_length=400), AfterValidator(_one_line)]
# Free text (reasons, notes): line breaks allowed, no other control characters.
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_text)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyIn(Body):
    amount: str = Field(
        examples=["5000.00"],
        description="decimal string in major units with the currency's exact digits",
        max_length=24,
        json_schema_extra={"pattern": AMOUNT_PATTERN},
    )
    currency: str = Field(examples=["CNY"], pattern=CURRENCY_PATTERN)


class SellerIn(Body):
    id: MarketplaceId | None = Field(default=None, description="the marketplace's own id")
    name: Line
    email: str = Field(max_length=320, json_schema_extra={"pattern": EMAIL_PATTERN})
    language: str | None = Field(
        default=None, examples=["en", "zh"], max_length=8, json_schema_extra={"enum": ["en", "zh"]}
    )


class ShopIn(Body):
    id: MarketplaceId | None = None
    seller_id: MarketplaceId
    name: Line
    market: str = Field(
        examples=["gb"],
        description="a policy pack name",
        max_length=40,
        json_schema_extra={"pattern": PACK_PATTERN},
    )
    categories: list[CategoryCode] = Field(
        examples=[["apparel", "home"]], min_length=1, max_length=50
    )


class CategoriesIn(Body):
    categories: list[CategoryCode] = Field(min_length=1, max_length=50)


class TerminateIn(Body):
    reason: Text


class PayInIn(Body):
    amount: MoneyIn
    reference: Line = Field(description="the bank transfer reference")
    payer: Route | None = Field(
        default=None,
        description=(
            "the account the money came from, as route text "
            "(`iban:…;bic:…;name:…` or `account:…;bank:…;name:…`): refunds to the "
            "original route are paid there (REF-6)"
        ),
    )


class ReturnIn(Body):
    """DEP-9: part or all of a violation's deduction, given back."""

    amount: MoneyIn = Field(description="in the shop's currency; at most what is left to return")
    note: Text | None = Field(default=None, description="why, for the record")


class EventsIn(Body):
    events: list[Any] = Field(
        max_length=10_000, description="event objects {id, type, shop_id, occurred_at, data}"
    )


class ClockIn(Body):
    """Exactly one of `advance` and `now`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": ["advance"]}, {"required": ["now"]}]},
    )

    advance: timedelta | None = Field(
        default=None,
        examples=["P3D"],
        description="ISO 8601 duration to move forward, at most 3650 days",
    )
    now: AwareDatetime | None = Field(
        default=None, description="RFC 3339 time with its offset to move to"
    )

    @model_validator(mode="after")
    def _one_of(self) -> ClockIn:
        if (self.advance is None) == (self.now is None):
            raise ValueError("give either advance (an ISO 8601 duration like P3D) or now")
        return self


class DestinationIn(Body):
    """REF-4: another account than the original pay-in route, with the reason."""

    account: Line = Field(description="the account to pay (as your bank names it)")
    currency: str | None = Field(
        default=None,
        json_schema_extra={"pattern": CURRENCY_PATTERN},
        max_length=3,
        description="the account's currency; the payout converts at the payout day's rate",
    )
    reason: Text = Field(description="why not the original route (recorded; a security signal)")


class RefundIn(Body):
    """REF-3/REF-4: an application for a full or a difference refund."""

    kind: str = Field(max_length=20, description="`full` or `difference`")
    category: CategoryCode | None = Field(
        default=None, description="difference refunds: the category left"
    )
    reason: Text
    destination: DestinationIn | None = Field(
        default=None, description="default: the original pay-in route"
    )
    attachment_ids: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=20, description="proof files (POST /v1/attachments)"
    )


class DecisionIn(Body):
    """REF-5: approve, or reject with a code and a message the seller can act on."""

    decision: str = Field(max_length=10, description="`approve` or `reject`")
    reason_code: str | None = Field(
        default=None,
        max_length=40,
        description="rejections: proof_invalid, info_incorrect, violation_present, "
        "not_eligible, other",
    )
    message: Text | None = None


class PayoutResultIn(Body):
    """REF-6: the bank's answer for a payout (integration)."""

    status: str = Field(max_length=10, description="`paid` or `failed`")
    bank_reference: Line | None = None
    reason: Text | None = Field(default=None, description="failed: why the bank did not pay")
