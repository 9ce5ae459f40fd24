"""Settings from DEPOSITDESK_* environment variables (pydantic-settings); all optional."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOSITDESK_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./depositdesk.db",
        description="SQLAlchemy URL: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB",
    )
    # Each API process (`serve --workers N` starts N) keeps its own pool; a request holds
    # one connection from its token lookup to its answer, and at most db_pool_size
    # requests of a process hold one at a time (the rest wait their turn without a
    # thread). The overflow is for the in-process worker and the routes that open
    # transactions of their own. PostgreSQL sees at most
    # N x (db_pool_size + db_max_overflow) connections from the API.
    db_pool_size: int = Field(
        default=10, ge=1, le=200, description="database connections per API process"
    )
    db_max_overflow: int = Field(
        default=5, ge=0, le=200, description="extra connections a process may open briefly"
    )
    # Of those db_pool_size turns, how many reads (GET, HEAD) may run at once in one API
    # process; writes have the rest, so a read never waits behind writers queued for a
    # lock. A read is Python work under one GIL: more readers at once than this only
    # switch threads (at 16 clients, 10 at once gave eligibility a quarter fewer answers
    # a second than 3, and a p99 of 80-92 ms against 54; issue 9).
    api_readers: int = Field(
        default=3, ge=1, le=200, description="reads that run at once in an API process"
    )
    sandbox: bool = Field(default=False, description="1 enables the movable sandbox clock")
    smtp_url: str | None = Field(default=None, description="smtp://host:port for notices")
    mail_from: str = Field(
        default="noreply@depositdesk.invalid", description="the From address of notices"
    )
    secret_key: str = Field(default="dev-only-change-me", description="signs sessions")
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        max_length=200,
        description="where users reach depositdesk: the base of links in emails",
    )
    data_dir: Path = Field(default=Path("./data"), description="archives and attachments")
    # Proof files (REF-4). At most 15 MiB: the API refuses any body over 16 MiB unread.
    attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1, le=15 * 1024 * 1024, description="largest proof file"
    )
    # At most Pillow's own decompression-bomb limit (89,478,485).
    attachment_max_pixels: int = Field(
        default=40_000_000, ge=1, le=89_478_485, description="largest image, width x height"
    )
    log_level: str = Field(default="INFO")
    log_json: bool = Field(default=True, description="structured JSON logs")
    # Payouts and exchange (REF-6, REF-7): README "Payouts and exchange".
    payout_gateway: Literal["stub", "sandbox", "bank-file"] | None = Field(
        default=None, description="unset: sandbox when DEPOSITDESK_SANDBOX=1, else bank-file"
    )
    bank_file_debtor: str | None = Field(
        default=None, description="the account EUR bank files pay from: iban:…;bic:…;name:…"
    )
    sandbox_payout_fail: Literal["none", "send", "settle"] = Field(
        default="none", description="make every sandbox payout fail when sent or when settled"
    )
    fx_rates_file: Path | None = Field(
        default=None, description="CSV date,base,quote,rate; unset: the shipped ECB history"
    )
