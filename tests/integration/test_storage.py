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


def test_an_email_written_in_a_use_case_transaction_is_sent_after_commit(app: App) -> None:
    """The outbox through the application's own unit of work (architecture.md, Outbox):
    a message written and committed is sent once; one not committed is never sent."""
    from depositdesk.domain.outbox import Channel, OutboxMessage, email_payload
    from depositdesk.services.outbox import send_due
    from tests.fakes import FakeMailer, FakeSenders, FakeWebhookSender

    now = app.clock.now()

    def write(dedupe: str, commit: bool) -> None:
        with app.uow() as uow:
            payload = email_payload("s@example.com", "Top up", "Please pay", "en")
            uow.outbox.add(OutboxMessage.new(Channel.EMAIL, "notice.topup", dedupe, payload, now))
            if commit:
                uow.commit()

    write("ntc-1", commit=True)
    write("ntc-2", commit=False)  # rolled back with its change
    mailer = FakeMailer()
    report = send_due(app.uow, FakeSenders(mailer, FakeWebhookSender()), now)
    assert report.sent == 1
    assert [m.subject for m in mailer.sent] == ["Top up"]
    assert send_due(app.uow, FakeSenders(mailer, FakeWebhookSender()), now).sent == 0


def test_settings_choose_smtp_or_the_stub_mailer(engine: Engine, tmp_path) -> None:
    from depositdesk.adapters.mail import SmtpMailer, StubMailer
    from depositdesk.bootstrap import build
    from depositdesk.settings import Settings

    url = str(engine.url)
    stub = build(Settings(database_url=url, data_dir=tmp_path), engine=engine)
    assert isinstance(stub.gateways.mailer, StubMailer)
    smtp = build(
        Settings(database_url=url, data_dir=tmp_path, smtp_url="smtp://127.0.0.1:1025"),
        engine=engine,
    )
    assert isinstance(smtp.gateways.mailer, SmtpMailer)
