"""After anything that changes what is held or required: first funding (DEP-4) or a
written top-up notice (DEP-5). The rules are pure (domain/funding.py); this module
reads what they need and stores what they decide."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from depositdesk.domain.funding import Cause, first_funding, topup_demand
from depositdesk.domain.ids import new_id
from depositdesk.domain.ledger import DepositPosition
from depositdesk.domain.notices import Notice, NoticeKind
from depositdesk.domain.outbox import Channel, OutboxMessage, email_payload
from depositdesk.domain.shop import Language, ShopStatus
from depositdesk.services.notice_texts import render
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView


def position(uow: UnitOfWork, view: ShopView) -> DepositPosition:
    """Held, receivable and proceeds against what the shop requires now."""
    return DepositPosition.from_balances(view.required, uow.ledger.balances(view.shop.id))


def review_funding(uow: UnitOfWork, view: ShopView, now: datetime, cause: Cause) -> None:
    """Mark a first full funding (DEP-4) or issue a top-up notice when what the seller
    owes grew (DEP-5). `cause` says why, in the notice."""
    pos = position(uow, view)
    shop = view.shop
    if first_funding(shop.status, pos):
        uow.shops.save(replace(shop, status=ShopStatus.ACTIVE, funded_at=now))
        return
    last = uow.notices.latest(shop.id, NoticeKind.TOPUP)
    last_owed = int(last.data.get("owed_minor", 0)) if last is not None else None
    demand = topup_demand(shop.status, pos, last_owed, now, view.pack.topup_grace_days, cause)
    if demand is None:
        return
    seller = uow.sellers.get(shop.seller_id)
    language = seller.language if seller is not None else Language.EN
    subject, body = render(NoticeKind.TOPUP, language, shop=shop, demand=demand)
    notice = Notice(
        id=new_id("ntc"),
        shop_id=shop.id,
        kind=NoticeKind.TOPUP,
        subject=subject,
        body=body,
        data=demand.data(),
        created_at=now,
        due_at=demand.due_at,
        policy=view.policy,
    )
    uow.notices.add(notice)
    if seller is not None:
        send_notice(uow, notice, seller.email, language, now)


def send_notice(
    uow: UnitOfWork, notice: Notice, to: str, language: Language, now: datetime
) -> None:
    """DEP-5 "stored, emailed": the email goes into the outbox in the transaction that
    stores the notice, so it is sent (by the worker) exactly when the notice exists.
    One notice, one message: its dedupe key is the notice's id."""
    payload = email_payload(to, notice.subject, notice.body, language.value)
    topic = f"notice.{notice.kind}"
    uow.outbox.add(OutboxMessage.new(Channel.EMAIL, topic, f"{notice.id}:email", payload, now))
