"""The one place settings choose the real or the stub gateway (style.md "Habits")."""

from __future__ import annotations

from dataclasses import dataclass

from depositdesk.adapters.files import LocalFileStore
from depositdesk.adapters.mail import SmtpMailer, StubMailer
from depositdesk.adapters.payouts import StubPayoutGateway
from depositdesk.adapters.webhooks import HttpWebhookSender
from depositdesk.domain.clock import Clock
from depositdesk.services.ports.gateways import FileStore, Mailer, PayoutGateway, WebhookSender
from depositdesk.settings import Settings


@dataclass(frozen=True, slots=True)
class Gateways:
    mailer: Mailer
    webhooks: WebhookSender
    payouts: PayoutGateway
    files: FileStore


def build_gateways(settings: Settings, clock: Clock | None = None) -> Gateways:
    """SMTP when `smtp_url` is set, else the stub mailer; real webhooks; the stub
    payout gateway (bank adapters come with refunds); files under `data_dir/files`.
    `clock` stamps the stub payout receipts (pass the app's clock, sandbox or not)."""
    mailer: Mailer = (
        SmtpMailer(settings.smtp_url, sender=settings.mail_from)
        if settings.smtp_url
        else StubMailer()
    )
    return Gateways(
        mailer=mailer,
        webhooks=HttpWebhookSender(),
        payouts=StubPayoutGateway(clock),
        files=LocalFileStore(settings.data_dir / "files"),
    )
