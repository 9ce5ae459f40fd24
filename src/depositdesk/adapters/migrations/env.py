"""Alembic environment: runs against the connection handed in by depositdesk.adapters.db.migrate."""

from __future__ import annotations

from alembic import context

from depositdesk.adapters.db.tables import metadata

config = context.config
connection = config.attributes.get("connection")


def run() -> None:
    if connection is None:
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _configure(conn)
    else:
        _configure(connection)


def _configure(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        if conn.dialect.name == "postgresql":  # type: ignore[attr-defined]
            context.execute("SET LOCAL lock_timeout = '10s'")
        context.run_migrations()


run()
