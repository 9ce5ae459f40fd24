"""Schema and journal rules that live in the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text, update
from sqlalchemy.exc import DBAPIError

from depositdesk.adapters.db.engine import upgrade
from depositdesk.adapters.db.tables import journal_entries, metadata, postings
from depositdesk.bootstrap import App


def test_migrations_build_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables
    upgrade(engine)  # at head already: a no-op, not an error


def test_dep3_journal_is_append_only(app: App, api) -> None:
    api.seller()
    api.shop()
    api.pay_in("shop1", "10.00")
    with app.engine.connect() as conn:
        for stmt in (
            update(postings).values(amount_minor=1),
            update(journal_entries).values(memo="edited"),
            text("DELETE FROM postings"),
        ):
            with pytest.raises(DBAPIError, match="append-only"), conn.begin():
                conn.execute(stmt)
    assert api.deposit("shop1")["held"]["amount"] == "10.00"
