"""Repositories for the small tables: policies, sellers, shops, tokens, notices,
idempotency keys and the sandbox clock offset."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, insert, or_, select, update

from depositdesk.adapters.db.tables import (
    api_tokens,
    idempotency_keys,
    notices,
    policy_versions,
    sandbox_clock,
    sellers,
    shop_categories,
    shops,
)


class PolicyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def versions(self, pack: str | None = None) -> list[RowMapping]:
        q = select(policy_versions).order_by(policy_versions.c.pack, policy_versions.c.version)
        if pack is not None:
            q = q.where(policy_versions.c.pack == pack)
        return list(self.conn.execute(q).mappings())

    def add(
        self,
        pack: str,
        version: int,
        effective_from: date,
        currency: str,
        document: str,
        checksum: str,
        loaded_at: datetime,
        loaded_by: str,
    ) -> None:
        self.conn.execute(
            insert(policy_versions).values(
                pack=pack,
                version=version,
                effective_from=effective_from,
                currency=currency,
                document=document,
                checksum=checksum,
                loaded_at=loaded_at,
                loaded_by=loaded_by,
            )
        )


class SellerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, **values: Any) -> None:
        self.conn.execute(insert(sellers).values(**values))

    def get(self, seller_id: str) -> RowMapping | None:
        return (
            self.conn.execute(select(sellers).where(sellers.c.id == seller_id)).mappings().first()
        )


class ShopRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres

    def add(self, **values: Any) -> None:
        self.conn.execute(insert(shops).values(**values))

    def get(self, shop_id: str, lock: bool = False) -> RowMapping | None:
        """A shop row; `lock` serialises money writes on it (PostgreSQL FOR UPDATE;
        SQLite already has one writer)."""
        q = select(shops).where(shops.c.id == shop_id)
        if lock and self.postgres:
            q = q.with_for_update()
        return self.conn.execute(q).mappings().first()

    def many(self, shop_ids: Iterable[str], lock: bool = False) -> dict[str, RowMapping]:
        ids = sorted(set(shop_ids))
        if not ids:
            return {}
        q = select(shops).where(shops.c.id.in_(ids)).order_by(shops.c.id)
        if lock and self.postgres:
            q = q.with_for_update()
        return {row["id"]: row for row in self.conn.execute(q).mappings()}

    def ids_in_market(self, market: str) -> list[str]:
        q = select(shops.c.id).where(shops.c.market == market).order_by(shops.c.id)
        return list(self.conn.execute(q).scalars())

    def page(self, seller_id: str | None, after: str | None, limit: int) -> list[RowMapping]:
        """Newest first, keyset-paginated on (created_at, id)."""
        q = select(shops).order_by(shops.c.created_at.desc(), shops.c.id.desc()).limit(limit)
        if seller_id is not None:
            q = q.where(shops.c.seller_id == seller_id)
        if after is not None:
            cursor_row = self.get(after)
            if cursor_row is not None:
                q = q.where(
                    or_(
                        shops.c.created_at < cursor_row["created_at"],
                        and_(shops.c.created_at == cursor_row["created_at"], shops.c.id < after),
                    )
                )
        return list(self.conn.execute(q).mappings())

    def update(self, shop_id: str, **values: Any) -> None:
        self.conn.execute(update(shops).where(shops.c.id == shop_id).values(**values))

    def categories(self, shop_id: str) -> list[RowMapping]:
        q = (
            select(shop_categories)
            .where(shop_categories.c.shop_id == shop_id)
            .order_by(shop_categories.c.category)
        )
        return list(self.conn.execute(q).mappings())

    def upsert_category(
        self, shop_id: str, category: str, active: bool, changed_at: datetime, changed_by: str
    ) -> None:
        exists = self.conn.execute(
            select(shop_categories.c.category).where(
                shop_categories.c.shop_id == shop_id, shop_categories.c.category == category
            )
        ).first()
        values = {"active": active, "changed_at": changed_at, "changed_by": changed_by}
        if exists:
            self.conn.execute(
                update(shop_categories)
                .where(shop_categories.c.shop_id == shop_id, shop_categories.c.category == category)
                .values(**values)
            )
        else:
            self.conn.execute(
                insert(shop_categories).values(shop_id=shop_id, category=category, **values)
            )


class TokenRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, **values: Any) -> None:
        self.conn.execute(insert(api_tokens).values(**values))

    def by_hash(self, token_hash: str) -> RowMapping | None:
        return (
            self.conn.execute(
                select(api_tokens).where(
                    api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
                )
            )
            .mappings()
            .first()
        )


class NoticeRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, **values: Any) -> None:
        values["data"] = json.dumps(values.get("data", {}), sort_keys=True)
        self.conn.execute(insert(notices).values(**values))

    def latest(self, shop_id: str, kind: str) -> RowMapping | None:
        q = (
            select(notices)
            .where(notices.c.shop_id == shop_id, notices.c.kind == kind)
            .order_by(notices.c.created_at.desc(), notices.c.id.desc())
            .limit(1)
        )
        return self.conn.execute(q).mappings().first()

    def for_shops(
        self, shop_ids: list[str] | None, limit: int, before: tuple[datetime, str] | None = None
    ) -> list[RowMapping]:
        q = select(notices).order_by(notices.c.created_at.desc(), notices.c.id.desc()).limit(limit)
        if shop_ids is not None:
            q = q.where(notices.c.shop_id.in_(shop_ids))
        if before is not None:
            q = q.where(
                or_(
                    notices.c.created_at < before[0],
                    and_(notices.c.created_at == before[0], notices.c.id < before[1]),
                )
            )
        return list(self.conn.execute(q).mappings())


class IdempotencyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, scope: str, key: str) -> RowMapping | None:
        return (
            self.conn.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
                )
            )
            .mappings()
            .first()
        )

    def put(
        self,
        scope: str,
        key: str,
        request_hash: str,
        status_code: int,
        response: str,
        created_at: datetime,
    ) -> None:
        self.conn.execute(
            insert(idempotency_keys).values(
                scope=scope,
                key=key,
                request_hash=request_hash,
                status_code=status_code,
                response=response,
                created_at=created_at,
            )
        )


class SandboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def offset_seconds(self) -> int:
        value = self.conn.execute(
            select(sandbox_clock.c.offset_seconds).where(sandbox_clock.c.id == 1)
        ).scalar()
        return int(value or 0)

    def set_offset_seconds(self, seconds: int) -> None:
        if self.conn.execute(select(func.count()).select_from(sandbox_clock)).scalar():
            self.conn.execute(
                update(sandbox_clock).where(sandbox_clock.c.id == 1).values(offset_seconds=seconds)
            )
        else:
            self.conn.execute(insert(sandbox_clock).values(id=1, offset_seconds=seconds))
