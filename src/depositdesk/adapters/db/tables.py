"""The schema, as SQLAlchemy Core tables.

Core rather than ORM classes: ingestion writes a million rows with executemany,
and the projection is read with hand-shaped indexed queries (EVT-3). Alembic
migrations build this schema; it is never created with create_all.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from depositdesk.adapters.db.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 64  # marketplace ids for sellers and shops: [A-Za-z0-9_-]{1,64}
RID = 128  # ids carried in events

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("pack", String(40), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("effective_from", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("document", Text, nullable=False),
    Column("checksum", String(64), nullable=False),
    Column("loaded_at", UTCDateTime, nullable=False),
    Column("loaded_by", String(200), nullable=False),
)

sellers = Table(
    "sellers",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("language", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

shops = Table(
    "shops",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("seller_id", String(ID), ForeignKey("sellers.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("market", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("funded_at", UTCDateTime),
    Column("orders_cutoff_at", UTCDateTime),
    Column("terminated_at", UTCDateTime),
    Column("termination_reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    # DEP-5/6: the open under-funding case (all null when funded) and its ladder step.
    Column("case_opened_at", UTCDateTime),
    Column("case_due_at", UTCDateTime),
    Column("case_noticed_owed_minor", BigInteger),
    Column("enforcement_step", String(30)),
    Column("enforcement_step_at", UTCDateTime),
    # DEP-8: a closure-grade violation flagged the shop for closure.
    Column("closure_violation_id", String(RID)),
    Column("closure_violation_type", String(RID)),
    Column("closure_flagged_at", UTCDateTime),
    # REF-4/6: the account the deposit came from (the latest pay-in that named one),
    # where a refund to "the original route" is paid.
    Column("payin_route", Text),
)

shop_categories = Table(
    "shop_categories",
    metadata,
    Column("shop_id", String(ID), ForeignKey("shops.id"), primary_key=True),
    Column("category", String(RID), primary_key=True),
    Column("active", Boolean, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("changed_by", String(200), nullable=False),
)

category_orders = Table(
    "category_orders",
    metadata,
    Column("shop_id", String(ID), primary_key=True),
    Column("category", String(RID), primary_key=True),
    Column("last_order_at", UTCDateTime, nullable=False),
)

# UNL-6a: when the shop's last order was finished (delivered), kept by ingestion so
# the waiting period is read in one row, whatever the shop's history.
shop_order_activity = Table(
    "shop_order_activity",
    metadata,
    Column("shop_id", String(ID), primary_key=True),
    Column("last_finished_at", UTCDateTime, nullable=False),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("shop_id", String(ID), ForeignKey("shops.id"), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("memo", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("source", String(300), nullable=False),  # request / event that caused it
)

postings = Table(
    "postings",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("entry_id", BigInteger, ForeignKey("journal_entries.id"), nullable=False, index=True),
    Column("shop_id", String(ID), nullable=False),
    Column("account", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
)

# DEP-3: each account's running balance, kept by LedgerRepository.post in the
# transaction of the entry (as pgledger and Blnk keep theirs), so reading a balance
# costs the same whatever the shop's history. Always the sum of the account's postings.
account_balances = Table(
    "account_balances",
    metadata,
    Column("shop_id", String(ID), ForeignKey("shops.id"), primary_key=True),
    Column("account", String(40), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("balance_minor", BigInteger, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("seller_id", String(ID), ForeignKey("sellers.id")),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    # Session tokens (POST /v1/auth/login): the user, when the session ends, and when
    # its second factor was last passed (step-up). Null for the CLI's machine tokens.
    Column("user_id", String(32)),
    Column("expires_at", UTCDateTime),
    Column("mfa_at", UTCDateTime),
)

# Seller users (issue 10): argon2id password hashes, an optional TOTP second factor.
users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    # None: a platform user (reviewer, platform_admin, auditor: the console's users)
    Column("seller_id", String(ID), ForeignKey("sellers.id"), index=True),
    Column("email", String(254), nullable=False, unique=True),  # lower case
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("email_verified_at", UTCDateTime),
    Column("totp_secret", String(64)),  # base32, once enrolment is verified
    Column("totp_pending_secret", String(64)),  # enrolment started, not verified yet
    Column("totp_enabled_at", UTCDateTime),
    Column("totp_last_step", BigInteger),  # the last time step used: a code works once
    Column("failed_totp", Integer, nullable=False),  # wrong codes in a row
    Column("language", String(5)),  # the pages' language the user chose (en, zh)
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id"), primary_key=True),
    Column("code_hash", String(64), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)

email_verifications = Table(
    "email_verifications",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)

# Devices a user signed in from (a hash of the client's address and agent): a new one
# is a security signal (UNL-1).
user_devices = Table(
    "user_devices",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id"), primary_key=True),
    Column("device", String(64), primary_key=True),
    Column("first_seen", UTCDateTime, nullable=False),
)

# Failed sign-ins per account ("email:<address>") and per client ("addr:<ip>").
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime),
)

events = Table(
    "events",
    metadata,
    Column("id", String(RID), primary_key=True),
    Column("shop_id", String(ID), nullable=False),
    Column("type", String(40), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("data", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    # One shop's events in time order (its archive's sales history, UNL-4) without
    # reading every shop's.
    Index("ix_events_shop_time", "shop_id", "occurred_at", "id"),
)

orders = Table(
    "orders",
    metadata,
    Column("shop_id", String(ID), primary_key=True),
    Column("order_id", String(RID), primary_key=True),
    Column("state", String(12), nullable=False),
    Column("category", String(RID)),
    Column("amount_minor", BigInteger),
    Column("currency", String(3)),
    Column("customer_id", String(RID)),
    Column("placed_at", UTCDateTime),
    Column("placed_event", String(RID)),
    Column("shipped_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Column("cancelled_at", UTCDateTime),
    Column("after_sales_ends_at", UTCDateTime),
    # Only open orders are indexed by state: finished history costs nothing here.
    Index(
        "ix_orders_open",
        "shop_id",
        "category",
        sqlite_where=text("state = 'open'"),
        postgresql_where=text("state = 'open'"),
    ),
    Index("ix_orders_after_sales", "shop_id", "after_sales_ends_at"),
    Index("ix_orders_category_after_sales", "shop_id", "category", "after_sales_ends_at"),
)

shop_records = Table(
    "shop_records",
    metadata,
    Column("shop_id", String(ID), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("record_id", String(RID), primary_key=True),
    Column("order_id", String(RID)),
    Column("is_open", Boolean, nullable=False),
    Column("opened_at", UTCDateTime),
    Column("opened_event", String(RID)),
    Column("closed_at", UTCDateTime),
    Column("amount_minor", BigInteger),
    Column("currency", String(3)),
    Column("attrs", Text, nullable=False),
    Index(
        "ix_shop_records_open",
        "shop_id",
        "kind",
        sqlite_where=text("is_open"),
        postgresql_where=text("is_open"),
    ),
)

shop_toggles = Table(
    "shop_toggles",
    metadata,
    Column("shop_id", String(ID), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("toggle_id", String(RID), primary_key=True),
    Column("active", Boolean, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("changed_event", String(RID), nullable=False),
)

notices = Table(
    "notices",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("shop_id", String(ID), ForeignKey("shops.id"), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime),
    Column("policy_pack", String(40)),
    Column("policy_version", Integer),
)

sandbox_clock = Table(
    "sandbox_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_seconds", BigInteger, nullable=False),
)

# The outbox: messages written with their cause, sent by the worker (domain/outbox.py).
outbox = Table(
    "outbox",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("channel", String(12), nullable=False),
    Column("topic", String(80), nullable=False),
    Column("dedupe_key", String(200), nullable=False, unique=True, index=True),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("available_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("failed_at", UTCDateTime),
    Column("last_error", Text),
    # Webhook rows: the receiving endpoint, so its deliveries can be listed.
    Column("endpoint_id", String(32), index=True),
    # Only pending messages are indexed for the sweep: sent history costs nothing here.
    Index(
        "ix_outbox_pending",
        "available_at",
        sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
        postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
    ),
)

# Timers: every deadline is a row with a due_at (domain/timers.py).
timers = Table(
    "timers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("subject", String(RID), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime),
    Column("cancelled", Boolean, nullable=False),
    Index(
        "ix_timers_due",
        "due_at",
        "id",  # the claim's order: one row read even when thousands share a due time
        sqlite_where=text("done_at IS NULL"),
        postgresql_where=text("done_at IS NULL"),
    ),
    Index(
        "ix_timers_subject",
        "kind",
        "subject",
        sqlite_where=text("done_at IS NULL"),
        postgresql_where=text("done_at IS NULL"),
    ),
)

# Webhook receivers (interface.md "Webhooks"); the secret signs every delivery.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("events", Text, nullable=False),  # JSON list of event types, or ["*"]
    Column("secret", String(80), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("disabled_at", UTCDateTime),
)

# DEP-9: deductions returned after rectification, one row per return.
violation_returns = Table(
    "violation_returns",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("shop_id", String(ID), ForeignKey("shops.id"), nullable=False),
    Column("violation_id", String(RID), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("entry_id", BigInteger, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("by", String(200), nullable=False),
    Column("note", Text, nullable=False),
    Index("ix_violation_returns_violation", "shop_id", "violation_id"),
)

# Proof files (REF-4): content-checked uploads, stored by SHA-256 in the file store.
attachments = Table(
    "attachments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("seller_id", String(ID), ForeignKey("sellers.id")),  # None: uploaded by staff
    Column("uploaded_by", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(40), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("pages", Integer),
    Column("created_at", UTCDateTime, nullable=False),
)

# Refund applications (REF-3..8) and their timeline.
refunds = Table(
    "refunds",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("shop_id", String(ID), ForeignKey("shops.id"), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("category", String(RID)),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", Text, nullable=False),
    Column("destination", Text, nullable=False),  # JSON: route, currency, reason
    Column("attachment_ids", Text, nullable=False),  # JSON list
    Column("status", String(12), nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("submitted_by", String(200), nullable=False),
    Column("review_due_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Column("decided_by", String(200)),
    Column("reason_code", String(40)),
    Column("message", Text),
    Column("payout_due_at", UTCDateTime),
    Column("policy_pack", String(40), nullable=False),
    Column("policy_version", Integer, nullable=False),
    Index("ix_refunds_shop", "shop_id", "kind", "status"),
    Index("ix_refunds_queue", "status", "review_due_at"),
)

refund_steps = Table(
    "refund_steps",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("refund_id", String(32), ForeignKey("refunds.id"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("status", String(12), nullable=False),
    Column("note", Text, nullable=False),
    Column("by", String(200), nullable=False),
)

# Payouts (REF-6, REF-7): one per approved refund, paid once by its payout key.
payouts = Table(
    "payouts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("refund_id", String(32), ForeignKey("refunds.id"), nullable=False, unique=True),
    Column("payout_key", String(64), nullable=False, unique=True),
    Column("shop_id", String(ID), ForeignKey("shops.id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("dest_currency", String(3), nullable=False),
    Column("dest_amount_minor", BigInteger),
    Column("fx_rate", String(40)),  # a Decimal, as text
    Column("fx_source", String(80)),
    Column("fx_at", UTCDateTime),
    Column("fee_minor", BigInteger),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("settled_at", UTCDateTime),
    Column("bank_reference", String(200)),
    Column("failure_reason", Text),
    Column("route", Text),  # the account paid, fixed when the payout is made
    # The worker's claim (payouts_repo.claim_due): the oldest pending, an expired lease.
    Index("ix_payouts_due", "status", "created_at", "id"),
    Index("ix_payouts_lease", "status", "sent_at"),
)

# Security signals (UNL-1): things that hold a sensitive request for manual review,
# recorded when they happen, once per source (a refund naming another payout account).
security_signals = Table(
    "security_signals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("seller_id", String(ID), ForeignKey("sellers.id"), nullable=False),
    Column("shop_id", String(ID), ForeignKey("shops.id")),
    Column("kind", String(40), nullable=False),
    Column("source", String(200), nullable=False),
    Column("detail", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "source"),
    Index("ix_security_signals_seller", "seller_id", "at"),
)

# The sandbox bank (adapters/payouts.SandboxPayoutGateway): what it was told to pay,
# by payout key, so every process of one sandbox pays a key at most once (REF-6).
sandbox_payouts = Table(
    "sandbox_payouts",
    metadata,
    Column("payout_key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # SHA-256 of the instruction
    Column("instruction", Text, nullable=False),  # the instruction, as JSON
    Column("shop_id", String(ID), nullable=False, index=True),
    Column("gateway_reference", String(40), nullable=False),
    Column("accepted_at", UTCDateTime, nullable=False),
    Column("settles_at", UTCDateTime, nullable=False),
    Column("settles_as", String(12), nullable=False),  # paid | failed
    Column("failure_reason", Text),
    Column("attempts", Integer, nullable=False),  # send() calls for the key, replays included
)

# The audit log (AUD-1): a hash chain, appended only (the migration's triggers refuse
# UPDATE and DELETE). `seq` is given by the writer, which holds the chain's lock
# (adapters/db/audit_repo.py), so the chain never forks. before/after are canonical
# JSON text, hashed as stored.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("party", String(100), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target", String(300)),
    Column("shop_id", String(ID)),  # no foreign key: a refusal may name an unknown shop
    Column("before", Text),
    Column("after", Text),
    Column("request_id", String(100)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_shop", "shop_id", "seq"),
    Index("ix_audit_log_actor", "actor", "seq"),
)

# Unlink requests (UNL-1..7): one open per shop (the use case checks it under the
# shop's lock); the checklist is computed on read, never stored.
unlinks = Table(
    "unlinks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("shop_id", String(ID), ForeignKey("shops.id"), nullable=False),
    Column("seller_id", String(ID), ForeignKey("sellers.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("unlink_date", Date, nullable=False),
    Column("unlink_at", UTCDateTime, nullable=False),
    Column("cutoff_at", UTCDateTime, nullable=False),
    Column("support_contact", Text, nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("requested_role", String(20), nullable=False),
    Column("requested_user_id", String(32)),
    Column("held_reasons", Text, nullable=False),  # JSON list
    Column("agreement_version", String(40)),
    Column("agreement_at", UTCDateTime),
    Column("review_message", Text),
    Column("reviewed_by", String(200)),
    Column("reviewed_at", UTCDateTime),
    Column("confirmed_at", UTCDateTime),
    Column("confirmed_by", String(200)),
    Column("unlinked_at", UTCDateTime),
    Column("cancelled_at", UTCDateTime),
    Column("cancelled_by", String(200)),
    Column("escalated_at", UTCDateTime),  # UNL-9: the reviewers' queue reads it
    Column("refund_id", String(32)),  # REF-1: the full refund applied for at unlinking
    Index("ix_unlinks_shop", "shop_id", "status"),
    Index("ix_unlinks_escalated", "escalated_at"),
)

# UNL-6a: when a shop started showing its closure notice (one per shop).
closure_notices = Table(
    "closure_notices",
    metadata,
    Column("shop_id", String(ID), ForeignKey("shops.id"), primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("started_by", String(200), nullable=False),
)

# What an unlink's actions did (UNL-2, UNL-3, UNL-6): one row per run that changed
# something; `seq` numbers the runs of one action (a withdrawal after new proceeds
# came is the second), and the unique key makes a concurrent duplicate fail.
unlink_actions = Table(
    "unlink_actions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("unlink_id", String(32), ForeignKey("unlinks.id"), nullable=False),
    Column("shop_id", String(ID), nullable=False),
    Column("action", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("done_at", UTCDateTime, nullable=False),
    Column("done_by", String(200), nullable=False),
    Column("result", Text, nullable=False),  # JSON
    UniqueConstraint("unlink_id", "action", "seq"),
    Index("ix_unlink_actions_shop", "shop_id", "action"),
)

# UNL-6: one email per customer and request (kind `notify`), and one auto-reply per
# ticket after the cutoff (kind `auto_reply`): the primary key holds it under
# retries and concurrency.
customer_notices = Table(
    "customer_notices",
    metadata,
    Column("unlink_id", String(32), ForeignKey("unlinks.id"), primary_key=True),
    Column("kind", String(12), primary_key=True),
    Column("customer_key", String(RID), primary_key=True),  # customer id or ticket id
    Column("email", String(320)),  # None: no address known, nothing mailed
    Column("sent_at", UTCDateTime, nullable=False),
    Column("outbox_id", String(32)),
)

# UNL-9: a stalled request escalated to platform support, with its documentation.
unlink_escalations = Table(
    "unlink_escalations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("unlink_id", String(32), ForeignKey("unlinks.id"), nullable=False, index=True),
    Column("message", Text, nullable=False),
    Column("bundle", Text, nullable=False),  # JSON: errors seen, checklist, audit trail
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
)

# Shop data archives (UNL-4): the worker claims a queued one (or one whose lease ran
# out) and writes its zip under DEPOSITDESK_DATA_DIR/archives; `files` is the
# manifest's file list (JSON) once it is ready.
archives = Table(
    "archives",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("shop_id", String(ID), ForeignKey("shops.id"), nullable=False),
    Column("status", String(12), nullable=False),
    Column("anonymize_customers", Boolean, nullable=False),
    Column("progress", Integer, nullable=False),  # percent
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("attempts", Integer, nullable=False),  # claims; a stale worker's writes miss
    Column("lease_at", UTCDateTime),  # the running worker's last sign of life
    Column("finished_at", UTCDateTime),
    Column("error", Text),
    Column("files", Text),
    Column("size", BigInteger),
    Column("sha256", String(64)),
    Index("ix_archives_shop", "shop_id", "status"),
    Index("ix_archives_due", "status", "created_at", "id"),
)
