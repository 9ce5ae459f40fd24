"""Mail: SMTP for real, or a stub that sends nothing (adapters/gateways.py chooses)."""

from __future__ import annotations

import email.message
import email.utils
import re
import smtplib
from collections import deque
from urllib.parse import unquote, urlsplit

import structlog

from depositdesk.domain.gateway_messages import EmailMessage

log = structlog.get_logger("depositdesk.mail")

DEFAULT_SENDER = "depositdesk <noreply@depositdesk.invalid>"


class SmtpMailer:
    """Sends through an SMTP server named by `smtp://[user:password@]host[:port]`
    (`smtps://` for TLS from the first byte). One connection per message: the
    worker sends a few notices at a time, not a newsletter."""

    def __init__(
        self,
        url: str,
        sender: str = DEFAULT_SENDER,
        timeout: float = 30.0,
        message_id_domain: str = "depositdesk",
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP URL must start smtp:// or smtps://, not {parts.scheme!r}")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        self.sender = sender
        self.timeout = timeout
        self.message_id_domain = message_id_domain

    def send(self, message: EmailMessage) -> None:
        mime = self.mime(message)
        smtp_class = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        with smtp_class(self.host, self.port, timeout=self.timeout) as smtp:
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(mime)

    def mime(self, message: EmailMessage) -> email.message.EmailMessage:
        """Text, with an HTML alternative when there is one. The Message-ID comes from
        the outbox message id, so a resend is recognisably the same mail."""
        mime = email.message.EmailMessage()
        mime["From"] = self.sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = email.utils.formatdate(usegmt=True)
        mime["Message-ID"] = f"<{message.message_id}@{self.message_id_domain}>"
        mime.set_content(message.text)
        if message.html is not None:
            mime.add_alternative(message.html, subtype="html")
        # After the body: setting content clears or moves the Content-* headers.
        mime["Content-Language"] = message.language
        return mime


LINK = re.compile(r"https?://[^\s<>\"']+")


class StubMailer:
    """A STUB: sends nothing. It logs each message as not sent and keeps the last
    1,000 in `sent` for inspection (development, the demo, tests). Set
    DEPOSITDESK_SMTP_URL to send real mail."""

    def __init__(self, keep: int = 1000) -> None:
        self.sent: deque[EmailMessage] = deque(maxlen=keep)

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)
        # The links a reader would follow (an email verification, say), so that the demo
        # is usable without a mail server.
        links = LINK.findall(message.text)
        log.info(
            "stub mailer: email NOT sent (no SMTP configured)",
            to=message.to,
            subject=message.subject,
            message_id=message.message_id,
            **({"links": links} if links else {}),
        )
