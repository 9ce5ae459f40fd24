"""`policy impact`: what loading a pack version would do, without loading it (POL-4).

The same checks as loading (POL-3: `parse_pack`, then `problems_against` the stored
versions; every problem listed), then each shop of the market as it stands today
goes through the pure preview (domain/policy_impact.py). Nothing is written: run it
with `usecase.read`.
"""

from __future__ import annotations

from datetime import datetime

from depositdesk.domain.errors import FieldProblem, PolicyProblems
from depositdesk.domain.policy import PolicyBook
from depositdesk.domain.policy_impact import PolicyImpact, ShopStanding, preview, takes_effect_at
from depositdesk.domain.policy_toml import parse_pack
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.funding import position
from depositdesk.services.policies import Progress, problems_against
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import load_shop


def decode_document(raw: bytes) -> str:
    """A pack's text from bytes: UTF-8 (a BOM allowed), else a problem (POL-3)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyProblems(
            [
                FieldProblem(
                    "toml",
                    "utf8",
                    f"the pack is not UTF-8 text (byte {exc.start}); save it as UTF-8",
                )
            ]
        ) from None


def impact(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    *,
    document: str,
    progress: Progress | None = None,
) -> PolicyImpact:
    """POL-4 as a preview: for each shop of the pack's market, the required deposit
    under the new version and whether the seller would owe a top-up (DEP-5) or get a
    difference back (REF-2), with totals per category and for the market.
    `progress` is told (done, total) as each shop is read. Changes nothing."""
    require(who, Role.PLATFORM_ADMIN)
    pack = parse_pack(document)
    book = PolicyBook(uow.policies.versions())
    problems = problems_against(book, pack)
    if problems:
        raise PolicyProblems(problems)
    at = takes_effect_at(pack, now)
    before = book.in_force(pack.pack, at) if book.latest(pack.pack) is not None else None
    shop_ids = uow.shops.ids_in_market(pack.pack) if before is not None else []
    standings: list[ShopStanding] = []
    for done, shop_id in enumerate(shop_ids, start=1):
        view = load_shop(uow, None, at, shop_id, book=book)
        pos = position(uow, view)
        standings.append(
            ShopStanding(
                shop_id=view.shop.id,
                seller_id=view.shop.seller_id,
                status=view.shop.status,
                categories=view.categories,
                held=pos.held,
                receivable=pos.receivable,
                case=view.shop.case,
            )
        )
        if progress is not None:
            progress(done, len(shop_ids))
    return preview(pack, before, standings, now)
