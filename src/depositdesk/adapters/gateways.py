"""The one place settings choose the real or the stub gateway (style.md "Habits")."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from depositdesk.adapters.db.engine import make_engine
from depositdesk.adapters.files import LocalFileStore
from depositdesk.adapters.fx import rate_source
from depositdesk.adapters.mail import SmtpMailer, StubMailer
from depositdesk.adapters.payouts import (
    BankFilePayoutGateway,
    SandboxPayoutGateway,
    StubPayoutGateway,
)
from depositdesk.adapters.webhooks import HttpWebhookSender
from depositdesk.domain.clock import Clock
from depositdesk.services.ports.gateways import FileStore, Mailer, PayoutGateway, WebhookSender
from depositdesk.services.ports.rates import RateSource
from depositdesk.settings import Settings


@dataclass(frozen=True, slots=True)
class Gateways:
    mailer: Mailer
    webhooks: WebhookSender
    payouts: PayoutGateway
    files: FileStore
    rates: RateSource  # exchange rates for payouts (REF-7)


def payout_gateway_name(settings: Settings) -> str:
    """`DEPOSITDESK_PAYOUT_GATEWAY`, else `sandbox` in the sandbox and `bank-file`
    otherwise (files for the operator: nothing is paid without a person uploading)."""
    return settings.payout_gateway or ("sandbox" if settings.sandbox else "bank-file")


def build_gateways(
    settings: Settings, clock: Clock | None = None, engine: Engine | None = None
) -> Gateways:
    """SMTP when `smtp_url` is set, else the stub mailer; real webhooks; the payout
    gateway `payout_gateway_name` names; files under `data_dir/files`; the rates
    file when `fx_rates_file` is set, else the shipped ECB history. `clock` stamps
    payout receipts and dates bank files (pass the app's clock, sandbox or not);
    `engine` is the database the sandbox bank records payouts in (default: a new
    engine on `database_url`)."""
    mailer: Mailer = (
        SmtpMailer(settings.smtp_url, sender=settings.mail_from)
        if settings.smtp_url
        else StubMailer()
    )
    payouts: PayoutGateway
    name = payout_gateway_name(settings)
    if name == "sandbox":
        payouts = SandboxPayoutGateway(
            engine or make_engine(settings.database_url), clock, fail=settings.sandbox_payout_fail
        )
    elif name == "bank-file":
        payouts = BankFilePayoutGateway(settings.data_dir, clock, settings.bank_file_debtor)
    else:
        payouts = StubPayoutGateway(clock)
    return Gateways(
        mailer=mailer,
        webhooks=HttpWebhookSender(),
        payouts=payouts,
        files=LocalFileStore(settings.data_dir / "files"),
        rates=rate_source(settings.fx_rates_file, sandbox=settings.sandbox),
    )
