"""The operations console (`/ops/…`): the review queue with SLA clocks and the
refund review page."""

from __future__ import annotations

from fastapi import APIRouter

from depositdesk.entrypoints.web import pages

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)
