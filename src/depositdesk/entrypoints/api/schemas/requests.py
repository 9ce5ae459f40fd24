"""Request bodies. Unknown fields are refused so a typo never passes silently."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyIn(Body):
    amount: str = Field(examples=["5000.00"], description="decimal string in major units")
    currency: str = Field(examples=["CNY"], min_length=3, max_length=3)


class SellerIn(Body):
    id: str | None = Field(default=None, description="the marketplace's own id, optional")
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=320)
    language: str | None = Field(default=None, examples=["en", "zh"])


class ShopIn(Body):
    id: str | None = None
    seller_id: str
    name: str = Field(min_length=1, max_length=200)
    market: str = Field(examples=["gb"], description="a policy pack name")
    categories: list[str] = Field(examples=[["apparel", "home"]])


class CategoriesIn(Body):
    categories: list[str]


class TerminateIn(Body):
    reason: str = Field(min_length=1, max_length=2000)


class PayInIn(Body):
    amount: MoneyIn
    reference: str = Field(description="the bank transfer reference", max_length=200)


class EventsIn(Body):
    events: list[Any] = Field(
        max_length=10_000, description="event objects {id, type, shop_id, occurred_at, data}"
    )


class ClockIn(Body):
    advance: timedelta | None = Field(
        default=None, examples=["P3D"], description="ISO 8601 duration to move forward"
    )
    now: datetime | None = Field(default=None, description="RFC 3339 time to move to")
