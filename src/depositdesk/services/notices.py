"""Notices to sellers: issuing one (stored, emailed, announced) and listing them
(interface.md `GET /v1/notices`)."""

from __future__ import annotations

from datetime import datetime

from depositdesk.domain.ids import new_ordered_id
from depositdesk.domain.notices import Notice, NoticeKind
from depositdesk.domain.outbox import Channel, OutboxMessage, email_payload
from depositdesk.domain.shop import Language
from depositdesk.services import audit
from depositdesk.services.access import Principal
from depositdesk.services.notice_texts import render, render_html
from depositdesk.services.paging import CreatedCursor, Page
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView, load_shop
from depositdesk.services.webhooks import publish, time_data


def list_notices(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    *,
    shop_id: str | None,
    cursor: CreatedCursor | None = None,
    limit: int,
) -> Page[Notice]:
    """Newest first: one shop's, or every shop `who` can see; a page at a time."""
    if shop_id is not None:
        load_shop(uow, who, now, shop_id)
        shop_ids: list[str] | None = [shop_id]
    elif who.is_seller:
        shop_ids = uow.shops.ids_of_seller(who.seller_id or "")
    else:
        shop_ids = None
    rows = uow.notices.for_shops(shop_ids, limit + 1, after=cursor)
    items = rows[:limit]
    last = items[-1] if len(rows) > limit else None
    return Page.of(items, CreatedCursor(last.created_at, last.id) if last else None)


def issue_notice(
    uow: UnitOfWork,
    view: ShopView,
    kind: NoticeKind,
    now: datetime,
    data: dict[str, str | int],
    due_at: datetime | None,
    **context: object,
) -> Notice:
    """Write a notice to the shop's seller: stored (GET /v1/notices), emailed in the
    seller's language and announced as `notice.sent`, all in the transaction of the
    change it reports (DEP-5 "stored, emailed, webhook"). `context` feeds the
    templates of `kind` (services/notice_texts.py)."""
    shop = view.shop
    seller = uow.sellers.get(shop.seller_id)
    language = seller.language if seller is not None else Language.EN
    subject, body = render(kind, language, view.pack.timezone, shop=shop, **context)
    notice = Notice(
        id=new_ordered_id("ntc"),
        shop_id=shop.id,
        kind=kind,
        subject=subject,
        body=body,
        data=data,
        created_at=now,
        due_at=due_at,
        policy=view.policy,
    )
    uow.notices.add(notice)
    if seller is not None:
        # One notice, one email: its dedupe key is the notice's id.
        html = render_html(notice.subject, notice.body, language)
        payload = email_payload(seller.email, notice.subject, notice.body, language.value, html)
        message = OutboxMessage.new(
            Channel.EMAIL, f"notice.{kind}", f"{notice.id}:email", payload, now
        )
        uow.outbox.add(message)
    publish(
        uow,
        "notice.sent",
        notice.id,
        {
            "notice_id": notice.id,
            "shop_id": shop.id,
            "kind": kind.value,
            "subject": notice.subject,
            "language": language.value,
            "due_at": time_data(due_at) if due_at is not None else None,
        },
        now,
    )
    audit.record(  # AUD-1: the notice as issued, by whoever caused it
        uow,
        audit.current_actor(),
        now,
        "notices.issued",
        target=f"notice:{notice.id}",
        shop_id=shop.id,
        after={"kind": kind.value, "due_at": time_data(due_at) if due_at is not None else None},
    )
    return notice
