"""The web pages (issue 12): the Seller Center under `/seller/…`, the operations
console under `/ops/…`, sign-in at `/`. Server-rendered Jinja2 with HTMX, served by
the API's own FastAPI app from the package's templates and static files; the pages
call the same use cases as the API and are left out of its OpenAPI schema."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from depositdesk.entrypoints.web import (
    audit_pages,
    auth,
    console,
    console_unlinks,
    enforcement_board,
    fallback,
    seller,
    unlink_pages,
)


def install(api: FastAPI) -> None:
    api.mount("/static", StaticFiles(packages=[("depositdesk", "static")]), name="static")
    for module in (
        auth,
        seller,
        console,
        unlink_pages,
        console_unlinks,
        enforcement_board,
        audit_pages,
        fallback,  # last: any other /seller/… or /ops/… address is the 404 page
    ):
        api.include_router(module.router)
