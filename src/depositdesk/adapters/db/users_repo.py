"""Seller users, their second factor, verification links, devices and sign-in
throttles (issue 10) on SQLAlchemy Core."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from depositdesk.adapters.db.tables import (
    email_verifications,
    login_throttle,
    recovery_codes,
    user_devices,
    users,
)
from depositdesk.domain.users import Throttle, User


def _user(row: RowMapping) -> User:
    return User(**{name: row[name] for name in User.__dataclass_fields__})


class UserRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres

    def add(self, user: User) -> bool:
        """False when the email is taken."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(users).values(**asdict(user)))
        except IntegrityError:
            return False
        return True

    def get(self, user_id: str, lock: bool = False) -> User | None:
        q = select(users).where(users.c.id == user_id)
        if lock and self.postgres:
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        return None if row is None else _user(row)

    def by_email(self, email: str, lock: bool = False) -> User | None:
        q = select(users).where(users.c.email == email)
        if lock and self.postgres:
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        return None if row is None else _user(row)

    def save(self, user: User) -> None:
        values = asdict(user)
        del values["id"], values["seller_id"], values["created_at"]
        self.conn.execute(update(users).where(users.c.id == user.id).values(**values))

    # --- recovery codes
    def replace_recovery_codes(self, user_id: str, hashes: list[str], now: datetime) -> None:
        self.conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
        self.conn.execute(
            insert(recovery_codes),
            [{"user_id": user_id, "code_hash": h, "created_at": now} for h in hashes],
        )

    def use_recovery_code(self, user_id: str, code_hash: str, now: datetime) -> bool:
        c = recovery_codes.c
        done = self.conn.execute(
            update(recovery_codes)
            .where(c.user_id == user_id, c.code_hash == code_hash, c.used_at.is_(None))
            .values(used_at=now)
        )
        return done.rowcount == 1

    # --- email verification links
    def add_verification(self, token_hash: str, user_id: str, expires_at: datetime) -> None:
        self.conn.execute(
            insert(email_verifications).values(
                token_hash=token_hash, user_id=user_id, expires_at=expires_at
            )
        )

    def use_verification(self, token_hash: str, now: datetime) -> str | None:
        """The user of an unused, unexpired link, which is now used."""
        c = email_verifications.c
        row = self.conn.execute(
            select(c.user_id).where(
                c.token_hash == token_hash, c.used_at.is_(None), c.expires_at > now
            )
        ).first()
        if row is None:
            return None
        self.conn.execute(
            update(email_verifications).where(c.token_hash == token_hash).values(used_at=now)
        )
        return str(row[0])

    # --- devices
    def seen_device(self, user_id: str, device: str, now: datetime) -> bool:
        """Remember the device; True when it is new for the user."""
        c = user_devices.c
        known = self.conn.execute(
            select(c.device).where(c.user_id == user_id, c.device == device)
        ).first()
        if known is not None:
            return False
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(user_devices).values(user_id=user_id, device=device, first_seen=now)
                )
        except IntegrityError:
            return False
        return True

    def has_devices(self, user_id: str) -> bool:
        c = user_devices.c
        return (
            self.conn.execute(select(c.device).where(c.user_id == user_id).limit(1)).first()
            is not None
        )

    # --- sign-in throttles
    def throttle(self, key: str) -> Throttle | None:
        row = (
            self.conn.execute(select(login_throttle).where(login_throttle.c.key == key))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return Throttle(row["key"], row["failures"], row["first_at"], row["locked_until"])

    def save_throttle(self, throttle: Throttle) -> None:
        values = {
            "failures": throttle.failures,
            "first_at": throttle.first_at,
            "locked_until": throttle.locked_until,
        }
        done = self.conn.execute(
            update(login_throttle).where(login_throttle.c.key == throttle.key).values(**values)
        )
        if done.rowcount == 0:
            self.conn.execute(insert(login_throttle).values(key=throttle.key, **values))

    def clear_throttle(self, key: str) -> None:
        self.conn.execute(delete(login_throttle).where(login_throttle.c.key == key))
