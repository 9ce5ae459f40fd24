"""Webhook endpoints on SQLAlchemy Core."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, RowMapping, and_, insert, or_, select, update

from depositdesk.adapters.db.tables import webhook_endpoints
from depositdesk.domain.webhook_endpoints import WebhookEndpoint
from depositdesk.services.paging import CreatedCursor


def _endpoint(row: RowMapping) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row["id"],
        url=row["url"],
        events=tuple(json.loads(row["events"])),
        secret=row["secret"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        disabled_at=row["disabled_at"],
    )


class WebhookEndpointRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # Every publish asks for the endpoints (ingestion: several per money event);
        # they are read once per unit of work, again after a change made in it.
        self._all: list[WebhookEndpoint] | None = None

    def add(self, endpoint: WebhookEndpoint) -> None:
        self._all = None
        self.conn.execute(
            insert(webhook_endpoints).values(
                id=endpoint.id,
                url=endpoint.url,
                events=json.dumps(list(endpoint.events)),
                secret=endpoint.secret,
                created_at=endpoint.created_at,
                created_by=endpoint.created_by,
                disabled_at=endpoint.disabled_at,
            )
        )

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        q = select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
        row = self.conn.execute(q).mappings().first()
        return None if row is None else _endpoint(row)

    def all(self) -> list[WebhookEndpoint]:
        if self._all is None:
            q = select(webhook_endpoints).order_by(
                webhook_endpoints.c.created_at, webhook_endpoints.c.id
            )
            self._all = [_endpoint(row) for row in self.conn.execute(q).mappings()]
        return list(self._all)

    def page(self, after: CreatedCursor | None, limit: int) -> list[WebhookEndpoint]:
        c = webhook_endpoints.c
        q = select(webhook_endpoints).order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        if after is not None:
            q = q.where(
                or_(
                    c.created_at < after.created_at,
                    and_(c.created_at == after.created_at, c.id < after.id),
                )
            )
        return [_endpoint(row) for row in self.conn.execute(q).mappings()]

    def disable(self, endpoint_id: str, at: datetime) -> None:
        self._all = None
        self.conn.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.id == endpoint_id)
            .values(disabled_at=at)
        )
