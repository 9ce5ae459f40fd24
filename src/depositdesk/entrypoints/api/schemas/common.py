"""Shapes every resource shares: money, times, policy references, lists."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from depositdesk.domain.clock import rfc3339
from depositdesk.domain.money import Money
from depositdesk.domain.policy import PolicyRef

# RFC 3339 UTC with "Z" (interface.md, "Times").
Time = Annotated[
    datetime,
    PlainSerializer(rfc3339, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-03-02T09:00:00Z"}),
]


class Out(BaseModel):
    """Base of response models."""

    model_config = ConfigDict(frozen=True)


class MoneyOut(Out):
    amount: str = Field(
        examples=["5000.00"], description="decimal string with the currency's exact digits"
    )
    currency: str = Field(examples=["CNY"], description="ISO 4217")

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(amount=money.format(), currency=money.currency)


class PolicyRefOut(Out):
    """The policy pack version a computation used (POL-1)."""

    pack: str
    version: int

    @classmethod
    def of(cls, ref: PolicyRef) -> PolicyRefOut:
        return cls(pack=ref.pack, version=ref.version)
