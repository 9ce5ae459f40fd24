"""Repositories for the small tables: policies, sellers, shops, tokens, notices and
the sandbox clock offset. Each returns domain dataclasses, never rows."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, bindparam, insert, or_, select, update

from depositdesk.adapters.db.prepared import (
    OnceAhead,
    Prepared,
    flush_ahead,
    read_ahead,
    together,
)
from depositdesk.adapters.db.tables import (
    api_tokens,
    notices,
    policy_versions,
    sandbox_clock,
    sellers,
    shop_categories,
    shops,
)
from depositdesk.domain.enforcement import Case
from depositdesk.domain.notices import Notice, NoticeKind
from depositdesk.domain.policy import PolicyPack, PolicyRef
from depositdesk.domain.policy_toml import parse_pack
from depositdesk.domain.shop import ClosureFlag, Language, Seller, Shop, ShopStatus
from depositdesk.domain.shop_state import CategoryActivity
from depositdesk.services.access import Principal, Role
from depositdesk.services.paging import CreatedCursor, ShopCursor

_parsed: dict[str, PolicyPack] = {}
_parsed_lock = threading.Lock()


_CHECKSUMS = Prepared(
    select(policy_versions.c.checksum).order_by(policy_versions.c.pack, policy_versions.c.version)
)


class PolicyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._checksums: list[str] | None = None  # read once a unit of work
        self._coming = False  # read ahead, not delivered yet

    def read_ahead(self) -> None:
        """Have the checksums read with the next statement sent (PostgreSQL)."""
        if self._checksums is None and not self._coming:
            self._coming = read_ahead(self.conn, _CHECKSUMS, {}, self._take_checksums)

    def _take_checksums(self, rows: list[tuple[Any, ...]]) -> None:
        self._checksums = [row[0] for row in rows]
        self._coming = False

    def versions(self) -> list[PolicyPack]:
        """Every stored version, parsed; parsing is cached by checksum, as a stored
        version never changes, so only the checksums are read (once a unit of work:
        the audit record and the use case both ask), and a document only when its
        checksum is new to this process."""
        pv = policy_versions.c
        if self._checksums is None and self._coming:
            flush_ahead(self.conn)
        if self._checksums is None:
            self._checksums = _CHECKSUMS.scalars(self.conn)
        checksums = self._checksums
        missing = [c for c in checksums if c not in _parsed]
        if missing:
            q = select(pv.document, pv.checksum).where(pv.checksum.in_(missing))
            for document, checksum in self.conn.execute(q):
                pack = parse_pack(document)
                with _parsed_lock:
                    _parsed[checksum] = pack
        return [_parsed[c] for c in checksums]

    def add(
        self, pack: PolicyPack, document: str, checksum: str, loaded_at: datetime, loaded_by: str
    ) -> None:
        self._checksums = None
        self.conn.execute(
            insert(policy_versions).values(
                pack=pack.pack,
                version=pack.version,
                effective_from=pack.effective_from,
                currency=pack.currency,
                document=document,
                checksum=checksum,
                loaded_at=loaded_at,
                loaded_by=loaded_by,
            )
        )


def _seller(row: RowMapping) -> Seller:
    return Seller(
        row["id"], row["name"], row["email"], Language(row["language"]), row["created_at"]
    )


class SellerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # Sellers read in this unit of work (a seller never changes once added):
        # every notice reads its shop's seller, and ingestion issues one per deduction.
        self._known: dict[str, Seller | None] = {}

    def add(self, seller: Seller) -> None:
        self._known[seller.id] = seller
        self.conn.execute(
            insert(sellers).values(
                id=seller.id,
                name=seller.name,
                email=seller.email,
                language=seller.language,
                created_at=seller.created_at,
            )
        )

    def get(self, seller_id: str) -> Seller | None:
        if seller_id not in self._known:
            q = select(sellers).where(sellers.c.id == seller_id)
            row = self.conn.execute(q).mappings().first()
            self._known[seller_id] = None if row is None else _seller(row)
        return self._known[seller_id]


def _shop(row: Mapping[Any, Any]) -> Shop:
    return Shop(
        id=row["id"],
        seller_id=row["seller_id"],
        name=row["name"],
        market=row["market"],
        status=ShopStatus(row["status"]),
        created_at=row["created_at"],
        funded_at=row["funded_at"],
        orders_cutoff_at=row["orders_cutoff_at"],
        terminated_at=row["terminated_at"],
        termination_reason=row["termination_reason"],
        case=_case(row),
        closure_flag=_closure_flag(row),
        payin_route=row["payin_route"],
    )


def _case(row: Mapping[Any, Any]) -> Case | None:
    if row["case_opened_at"] is None:
        return None
    return Case(
        opened_at=row["case_opened_at"],
        due_at=row["case_due_at"],
        noticed_owed_minor=row["case_noticed_owed_minor"],
        step=row["enforcement_step"],
        step_at=row["enforcement_step_at"],
    )


def _closure_flag(row: Mapping[Any, Any]) -> ClosureFlag | None:
    if row["closure_flagged_at"] is None:
        return None
    return ClosureFlag(
        row["closure_violation_id"], row["closure_violation_type"], row["closure_flagged_at"]
    )


def _shop_values(shop: Shop) -> dict[str, object]:
    """The columns of a shop that may change."""
    case, flag = shop.case, shop.closure_flag
    return {
        "name": shop.name,
        "status": shop.status,
        "funded_at": shop.funded_at,
        "orders_cutoff_at": shop.orders_cutoff_at,
        "terminated_at": shop.terminated_at,
        "termination_reason": shop.termination_reason,
        "case_opened_at": case.opened_at if case else None,
        "case_due_at": case.due_at if case else None,
        "case_noticed_owed_minor": case.noticed_owed_minor if case else None,
        "enforcement_step": case.step if case else None,
        "enforcement_step_at": case.step_at if case else None,
        "closure_violation_id": flag.violation_id if flag else None,
        "closure_violation_type": flag.violation_type if flag else None,
        "closure_flagged_at": flag.flagged_at if flag else None,
        "payin_route": shop.payin_route,
    }


_SHOP = Prepared(select(shops).where(shops.c.id == bindparam("shop_id")))
_SHOP_FOR_UPDATE = Prepared(
    select(shops).where(shops.c.id == bindparam("shop_id")).with_for_update()
)
_CATEGORIES = Prepared(
    select(
        shop_categories.c.category,
        shop_categories.c.active,
        shop_categories.c.changed_at,
        shop_categories.c.changed_by,
    )
    .where(shop_categories.c.shop_id == bindparam("shop_id"))
    .order_by(shop_categories.c.category)
)


def _activity(row: Sequence[Any]) -> CategoryActivity:
    category, active, changed_at, changed_by = row
    return CategoryActivity(category, active, changed_at, changed_by)


class ShopRepository:
    """Shops and their categories. A shop read with `lock` is remembered, with its
    categories, for the rest of the unit of work: no other transaction can change it
    until this one ends (PostgreSQL's row lock; SQLite's writer holds the whole
    database), and this repository is the only writer of both tables, so it forgets a
    shop it changes. A money write reads its shop twice (the audit record's before,
    then the use case); the second read is free, and the first is one round trip
    for the row and its categories."""

    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres
        self._locked: dict[str, tuple[Shop, list[CategoryActivity]]] = {}
        # Categories read ahead with the shop (`read_ahead`), for the next ask only.
        self._coming = OnceAhead(conn, _CATEGORIES)

    def read_ahead(self, shop_id: str) -> None:
        """Have the shop's categories read with the next statement sent (PostgreSQL):
        the shop's own read, in `load_shop`. They answer the next `categories` call,
        once."""
        if shop_id not in self._locked:
            self._coming.queue(shop_id, {"shop_id": shop_id})

    def add(self, shop: Shop) -> None:
        self.conn.execute(
            insert(shops).values(
                id=shop.id,
                seller_id=shop.seller_id,
                market=shop.market,
                created_at=shop.created_at,
                **_shop_values(shop),
            )
        )

    def get(self, shop_id: str, lock: bool = False) -> Shop | None:
        """A shop; `lock` serialises money writes on it (PostgreSQL FOR UPDATE;
        SQLite already has one writer)."""
        if not lock:
            row = _SHOP.first(self.conn, shop_id=shop_id)
            return None if row is None else _shop(row)
        held = self._locked.get(shop_id)
        if held is not None:
            return held[0]
        shop_read = _SHOP_FOR_UPDATE if self.postgres else _SHOP
        found, activities = together(
            self.conn, (shop_read, {"shop_id": shop_id}), (_CATEGORIES, {"shop_id": shop_id})
        )
        if not found:
            return None
        row = dict(
            zip(shop_read.keys(self.conn), shop_read.convert(self.conn, found[0]), strict=True)
        )
        shop = _shop(row)
        held_categories = [_activity(_CATEGORIES.convert(self.conn, r)) for r in activities]
        self._locked[shop_id] = (shop, held_categories)
        return shop

    def many(self, shop_ids: Iterable[str], lock: bool = False) -> dict[str, Shop]:
        ids = sorted(set(shop_ids))
        if not ids:
            return {}
        q = select(shops).where(shops.c.id.in_(ids)).order_by(shops.c.id)
        if lock and self.postgres:
            q = q.with_for_update()
        return {row["id"]: _shop(row) for row in self.conn.execute(q).mappings()}

    def ids_in_market(self, market: str) -> list[str]:
        q = select(shops.c.id).where(shops.c.market == market).order_by(shops.c.id)
        return list(self.conn.execute(q).scalars())

    def ids_of_seller(self, seller_id: str) -> list[str]:
        q = select(shops.c.id).where(shops.c.seller_id == seller_id).order_by(shops.c.id)
        return list(self.conn.execute(q).scalars())

    def page(self, seller_id: str | None, after: ShopCursor | None, limit: int) -> list[Shop]:
        """Newest first, keyset-paginated on (created_at, id). The cursor is a position,
        never a look-up of another shop, so it tells nothing of shops one cannot see."""
        q = select(shops).order_by(shops.c.created_at.desc(), shops.c.id.desc()).limit(limit)
        if seller_id is not None:
            # UNL-7a: an unlinked shop leaves the seller's active shops (still read by id).
            q = q.where(shops.c.seller_id == seller_id, shops.c.status != "unlinked")
        if after is not None:
            q = q.where(
                or_(
                    shops.c.created_at < after.created_at,
                    and_(shops.c.created_at == after.created_at, shops.c.id < after.shop_id),
                )
            )
        return [_shop(row) for row in self.conn.execute(q).mappings()]

    def with_open_case(self, limit: int) -> list[Shop]:
        """Shops with an open under-funding case (DEP-5/6), the earliest due first."""
        q = (
            select(shops)
            .where(shops.c.case_opened_at.is_not(None))
            .order_by(shops.c.case_due_at, shops.c.id)
            .limit(limit)
        )
        return [_shop(row) for row in self.conn.execute(q).mappings()]

    def save(self, shop: Shop) -> None:
        """Store a changed shop (its id and seller never change)."""
        self._locked.pop(shop.id, None)
        self.conn.execute(update(shops).where(shops.c.id == shop.id).values(**_shop_values(shop)))

    def categories(self, shop_id: str) -> list[CategoryActivity]:
        held = self._locked.get(shop_id)
        if held is not None:
            return list(held[1])
        rows = self._coming.take(shop_id)
        if rows is None:
            rows = _CATEGORIES.rows(self.conn, shop_id=shop_id)
        return [_activity(row) for row in rows]

    def upsert_category(self, shop_id: str, activity: CategoryActivity) -> None:
        self._locked.pop(shop_id, None)
        self._coming.forget(shop_id)
        c = shop_categories.c
        values = {
            "active": activity.active,
            "changed_at": activity.changed_at,
            "changed_by": activity.changed_by,
        }
        exists = self.conn.execute(
            select(c.category).where(c.shop_id == shop_id, c.category == activity.category)
        ).first()
        if exists:
            self.conn.execute(
                update(shop_categories)
                .where(c.shop_id == shop_id, c.category == activity.category)
                .values(**values)
            )
        else:
            self.conn.execute(
                insert(shop_categories).values(
                    shop_id=shop_id, category=activity.category, **values
                )
            )


# Every request runs it: built once, so only its parameters change (building a
# statement costs more than running this one on SQLite).
_TOKEN_BY_HASH = Prepared(
    select(
        api_tokens.c.id,
        api_tokens.c.role,
        api_tokens.c.seller_id,
        api_tokens.c.name,
        api_tokens.c.user_id,
        api_tokens.c.mfa_at,
        api_tokens.c.expires_at,
    ).where(api_tokens.c.token_hash == bindparam("token_hash"), api_tokens.c.revoked_at.is_(None))
)


class TokenRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, principal: Principal, token_hash: str, created_at: datetime) -> None:
        self.conn.execute(
            insert(api_tokens).values(
                id=principal.token_id,
                token_hash=token_hash,
                role=principal.role,
                seller_id=principal.seller_id,
                name=principal.name,
                created_at=created_at,
            )
        )

    def add_session(
        self, principal: Principal, token_hash: str, created_at: datetime, expires_at: datetime
    ) -> None:
        """A signed-in user's session token (issue 10)."""
        self.conn.execute(
            insert(api_tokens).values(
                id=principal.token_id,
                token_hash=token_hash,
                role=principal.role,
                seller_id=principal.seller_id,
                name=principal.name,
                created_at=created_at,
                user_id=principal.user_id,
                mfa_at=principal.mfa_at,
                expires_at=expires_at,
            )
        )

    def by_hash(self, token_hash: str, now: datetime | None = None) -> Principal | None:
        """The holder of a token in force: not revoked, and (a session) not expired
        at `now`."""
        row = _TOKEN_BY_HASH.first(self.conn, token_hash=token_hash)
        if row is None:
            return None
        if row["expires_at"] is not None and (now is None or now >= row["expires_at"]):
            return None
        return Principal(
            row["id"],
            Role(row["role"]),
            row["seller_id"],
            row["name"],
            user_id=row["user_id"],
            mfa_at=row["mfa_at"],
        )

    def revoke_sessions(self, user_id: str, at: datetime) -> int:
        """End every session of a user (a password change, …)."""
        t = api_tokens.c
        done = self.conn.execute(
            update(api_tokens)
            .where(t.user_id == user_id, t.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return done.rowcount

    def revoke(self, token_id: str, at: datetime) -> bool:
        t = api_tokens.c
        done = self.conn.execute(
            update(api_tokens).where(t.id == token_id, t.revoked_at.is_(None)).values(revoked_at=at)
        )
        return done.rowcount == 1


def _notice(row: Mapping[Any, Any]) -> Notice:
    pack, version = row["policy_pack"], row["policy_version"]
    return Notice(
        id=row["id"],
        shop_id=row["shop_id"],
        kind=NoticeKind(row["kind"]),
        subject=row["subject"],
        body=row["body"],
        data=json.loads(row["data"]),
        created_at=row["created_at"],
        due_at=row["due_at"],
        policy=PolicyRef(pack, version) if pack is not None else None,
    )


_ADD_NOTICE = insert(notices).values({c.name: bindparam(c.name, type_=c.type) for c in notices.c})


class NoticeRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, notice: Notice) -> None:
        # A statement built once with bound parameters (ingestion adds notices per
        # money event; one built with inline values is compiled at every call).
        self.conn.execute(
            _ADD_NOTICE,
            {
                "id": notice.id,
                "shop_id": notice.shop_id,
                "kind": notice.kind.value,
                "subject": notice.subject,
                "body": notice.body,
                "data": json.dumps(notice.data, sort_keys=True),
                "created_at": notice.created_at,
                "due_at": notice.due_at,
                "policy_pack": notice.policy.pack if notice.policy else None,
                "policy_version": notice.policy.version if notice.policy else None,
            },
        )

    def latest(self, shop_id: str, kind: NoticeKind) -> Notice | None:
        q = (
            select(notices)
            .where(notices.c.shop_id == shop_id, notices.c.kind == kind)
            .order_by(notices.c.created_at.desc(), notices.c.id.desc())
            .limit(1)
        )
        row = self.conn.execute(q).mappings().first()
        return None if row is None else _notice(row)

    def of_kind(self, shop_id: str, kind: NoticeKind) -> list[Notice]:
        q = (
            select(notices)
            .where(notices.c.shop_id == shop_id, notices.c.kind == kind)
            .order_by(notices.c.created_at, notices.c.id)
        )
        return [_notice(row) for row in self.conn.execute(q).mappings()]

    def for_shops(
        self, shop_ids: list[str] | None, limit: int, after: CreatedCursor | None = None
    ) -> list[Notice]:
        """Newest first; all shops when `shop_ids` is None."""
        if shop_ids is not None and len(shop_ids) == 1 and after is None:  # a deposit's
            found = _SHOP_NOTICES.mappings(self.conn, shop_id=shop_ids[0], limit=limit)
            return [_notice(row) for row in found]
        c = notices.c
        q = select(notices).order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        if shop_ids is not None:
            q = q.where(c.shop_id.in_(shop_ids))
        if after is not None:
            q = q.where(
                or_(
                    c.created_at < after.created_at,
                    and_(c.created_at == after.created_at, c.id < after.id),
                )
            )
        return [_notice(row) for row in self.conn.execute(q).mappings()]


_SHOP_NOTICES = Prepared(
    select(notices)
    .where(notices.c.shop_id == bindparam("shop_id"))
    .order_by(notices.c.created_at.desc(), notices.c.id.desc())
    .limit(bindparam("limit"))
)
_SANDBOX_OFFSET = Prepared(select(sandbox_clock.c.offset_seconds).where(sandbox_clock.c.id == 1))


class SandboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def offset_seconds(self) -> int:
        found = _SANDBOX_OFFSET.scalars(self.conn)
        return int(found[0] or 0) if found else 0

    def set_offset_seconds(self, seconds: int) -> None:
        done = self.conn.execute(
            update(sandbox_clock).where(sandbox_clock.c.id == 1).values(offset_seconds=seconds)
        )
        if not done.rowcount:
            self.conn.execute(insert(sandbox_clock).values(id=1, offset_seconds=seconds))
