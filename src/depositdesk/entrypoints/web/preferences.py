"""The page language each user chose, remembered across browsers (users.language).

A preference of the pages alone, so it is read and written here rather than through
a use case: it changes nothing any rule depends on."""

from __future__ import annotations

from sqlalchemy import select, update

from depositdesk.adapters.db.tables import users
from depositdesk.bootstrap import App
from depositdesk.entrypoints.web import i18n


def language_of(app: App, user_id: str) -> str | None:
    with app.uow(read_only=True) as uow:
        assert uow.conn is not None
        value = uow.conn.execute(
            select(users.c.language).where(users.c.id == user_id)
        ).scalar_one_or_none()
    return i18n.language(value)


def remember_language(app: App, user_id: str, lang: str) -> None:
    with app.uow() as uow:
        assert uow.conn is not None
        uow.conn.execute(update(users).where(users.c.id == user_id).values(language=lang))
        uow.commit()
