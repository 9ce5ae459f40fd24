"""Tampering with the audit log as an attacker with database access would: the
append-only triggers turned off first (AUD-1 tests)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

SQLITE_TRIGGERS = {
    "update": "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (AUD-1): UPDATE refused'); END",
    "delete": "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (AUD-1): DELETE refused'); END",
}


def without_triggers(engine: Engine, *statements: tuple[str, dict[str, object]]) -> None:
    with engine.begin() as conn:
        _off(conn)
        for sql, params in statements:
            conn.execute(text(sql), params)
        _on(conn)


def _off(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    else:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))


def _on(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    else:
        for sql in SQLITE_TRIGGERS.values():
            conn.execute(text(sql))


def tamper(engine: Engine, how: str, seq: int) -> str:
    """Alter, delete, or swap record `seq` with the next; returns the reason verify
    should give at `seq`."""
    if how == "altered":
        without_triggers(
            engine,
            (
                "UPDATE audit_log SET actor = 'platform_admin:someone-else' WHERE seq = :s",
                {"s": seq},
            ),
        )
        return "altered"
    if how == "deleted":
        without_triggers(engine, ("DELETE FROM audit_log WHERE seq = :s", {"s": seq}))
        return "missing"
    if how == "reordered":
        without_triggers(
            engine,
            ("UPDATE audit_log SET seq = -1 WHERE seq = :s", {"s": seq}),
            ("UPDATE audit_log SET seq = :s WHERE seq = :n", {"s": seq, "n": seq + 1}),
            ("UPDATE audit_log SET seq = :n WHERE seq = -1", {"n": seq + 1}),
        )
        return "out_of_order"
    raise ValueError(how)
