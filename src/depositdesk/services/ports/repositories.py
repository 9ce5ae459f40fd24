"""One Protocol per repository: what the services may ask of storage.

adapters/db implements each of them on SQLAlchemy Core; every method returns
domain dataclasses. Nothing here commits: the unit of work does (uow.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from depositdesk.domain.attachments import Attachment
from depositdesk.domain.audit import AuditEntry, AuditRecord, ShopFacts
from depositdesk.domain.eligibility import BlockerCode, RecordSet, RefundKind
from depositdesk.domain.ledger import Account, JournalEntry, RecordedEntry
from depositdesk.domain.money import Money
from depositdesk.domain.notices import Notice, NoticeKind
from depositdesk.domain.payouts import Payout
from depositdesk.domain.policy import PolicyPack
from depositdesk.domain.refunds import Refund, RefundStep
from depositdesk.domain.returns import ViolationReturn
from depositdesk.domain.security_signals import SecuritySignal
from depositdesk.domain.shop import Seller, Shop
from depositdesk.domain.shop_state import (
    CategoryActivity,
    OrderState,
    RecordKind,
    RecordState,
    ToggleKind,
    ToggleState,
)
from depositdesk.domain.unlinks import ActionRecord, Unlink, UnlinkAction
from depositdesk.domain.users import Throttle, User
from depositdesk.services.access import Principal
from depositdesk.services.paging import CreatedCursor, ShopCursor

T = TypeVar("T")

# An event as stored: (id, shop_id, type, occurred_at, data as received, JSON).
EventRow = tuple[str, str, str, datetime, str]
OrderKey = tuple[str, str]  # (shop_id, order_id)
RecordKey = tuple[str, RecordKind, str]  # (shop_id, kind, record_id)
ToggleKey = tuple[str, ToggleKind, str]  # (shop_id, kind, toggle_id)


@dataclass(frozen=True, slots=True)
class Replay(Generic[T]):
    """The first result stored under an idempotency key, and the request it answered."""

    request_hash: str
    result: T


class PolicyRepository(Protocol):
    def read_ahead(self) -> None:
        """The versions will be needed: where a statement costs a round trip, they may
        be read with the next one sent."""
        ...

    def versions(self) -> list[PolicyPack]:
        """Every stored version of every pack, parsed (POL-1)."""
        ...

    def add(
        self, pack: PolicyPack, document: str, checksum: str, loaded_at: datetime, loaded_by: str
    ) -> None: ...


class SellerRepository(Protocol):
    def add(self, seller: Seller) -> None: ...
    def get(self, seller_id: str) -> Seller | None: ...


class ShopRepository(Protocol):
    def add(self, shop: Shop) -> None: ...

    def read_ahead(self, shop_id: str) -> None:
        """The shop's categories will be needed: where a statement costs a round trip,
        they may be read with the next one sent (the shop's own read)."""
        ...

    def get(self, shop_id: str, lock: bool = False) -> Shop | None:
        """`lock` serialises money writes on the shop for the rest of the transaction."""
        ...

    def many(self, shop_ids: Iterable[str], lock: bool = False) -> dict[str, Shop]: ...
    def ids_in_market(self, market: str) -> list[str]: ...
    def ids_of_seller(self, seller_id: str) -> list[str]: ...

    def page(self, seller_id: str | None, after: ShopCursor | None, limit: int) -> list[Shop]:
        """Newest first (by created_at, then id), continuing after `after`; one seller's
        shops, or every shop when `seller_id` is None."""
        ...

    def with_open_case(self, limit: int) -> list[Shop]:
        """Shops with an open under-funding case (DEP-5/6), the earliest due first."""
        ...

    def save(self, shop: Shop) -> None: ...
    def categories(self, shop_id: str) -> list[CategoryActivity]: ...
    def upsert_category(self, shop_id: str, activity: CategoryActivity) -> None: ...


class TokenRepository(Protocol):
    def add(self, principal: Principal, token_hash: str, created_at: datetime) -> None: ...

    def add_session(
        self, principal: Principal, token_hash: str, created_at: datetime, expires_at: datetime
    ) -> None:
        """A signed-in user's session token."""
        ...

    def by_hash(self, token_hash: str, now: datetime | None = None) -> Principal | None:
        """The caller a token stands for, unless it is unknown, revoked, or a session
        that ended at `now`."""
        ...

    def revoke_sessions(self, user_id: str, at: datetime) -> int:
        """End every session of a user."""
        ...

    def revoke(self, token_id: str, at: datetime) -> bool:
        """Revoke the token (once); False when no such token is in force."""
        ...


class NoticeRepository(Protocol):
    def add(self, notice: Notice) -> None: ...
    def latest(self, shop_id: str, kind: NoticeKind) -> Notice | None: ...

    def of_kind(self, shop_id: str, kind: NoticeKind) -> list[Notice]:
        """Every notice of `kind` the shop was sent, oldest first."""
        ...

    def for_shops(
        self, shop_ids: list[str] | None, limit: int, after: CreatedCursor | None = None
    ) -> list[Notice]:
        """Newest first; every shop's when `shop_ids` is None."""
        ...


class IdempotencyRepository(Protocol):
    def read_ahead(self, scope: str, key: str) -> None:
        """Have (scope, key) read with the next statement the transaction sends, where
        the database can (a hint: `get` reads it either way)."""
        ...

    def get(self, scope: str, key: str, kind: type[T]) -> Replay[T] | None:
        """The result first stored under (scope, key), read back as `kind` (DEP-3)."""
        ...

    def put(
        self, scope: str, key: str, request_hash: str, result: object, created_at: datetime
    ) -> None: ...


class LedgerRepository(Protocol):
    def post(self, shop_id: str, entry: JournalEntry, at: datetime, source: str) -> int:
        """Append a balanced entry (DEP-3); returns its id."""
        ...

    def post_many(self, bookings: list[tuple[str, JournalEntry, datetime, str]]) -> list[int]:
        """Append entries (shop id, entry, at, source) in a few statements; their ids."""
        ...

    def read_ahead(self, shop_id: str) -> None:
        """The shop's balances will be needed: where a statement costs a round trip,
        they may be read with the next one sent (so queue it right before the shop's
        lock, and they are read under it)."""
        ...

    def balances(self, shop_id: str) -> dict[tuple[Account, str], int]:
        """Each (account, currency)'s running balance: the sum of its postings (DEP-3)."""
        ...

    def balances_of(self, shop_ids: Iterable[str]) -> dict[str, dict[tuple[Account, str], int]]:
        """The balances of many shops at once."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """Entries posted inside are written together when it ends; balances read
        inside include them."""
        ...

    def entries(self, shop_id: str, limit: int, before_id: int | None) -> list[RecordedEntry]:
        """Newest first; `before_id` continues a page."""
        ...


class EventRepository(Protocol):
    def insert_new(self, rows: list[EventRow], received_at: datetime) -> set[str]:
        """Store the events whose id is new; return the ids stored (EVT-2)."""
        ...


class ProjectionRepository(Protocol):
    """The per-shop projection that eligibility reads (EVT-3)."""

    def merge_orders(
        self,
        staged: list[tuple[str, OrderState]],
        after_sales: Callable[[str, OrderState], datetime | None],
    ) -> None:
        """Merge orders folded from a chunk's events into the stored ones, set-based,
        as apply_order_event would (EVT-2); `after_sales` settles a merged order's
        after-sales end (and returns it)."""
        ...

    def bump_category_orders(self, latest: dict[tuple[str, str], datetime]) -> None: ...
    def bump_finished(self, latest: dict[str, datetime]) -> None:
        """UNL-6a: the latest time an order of each shop was finished."""
        ...

    def load_records(self, keys: Iterable[RecordKey]) -> dict[RecordKey, RecordState]: ...
    def save_records(self, items: list[tuple[str, RecordState]]) -> None: ...
    def load_toggles(self, keys: Iterable[ToggleKey]) -> dict[ToggleKey, ToggleState]: ...
    def save_toggles(self, items: list[tuple[str, ToggleState]]) -> None: ...

    def blocking_records(
        self, shop_id: str, now: datetime, category: str | None
    ) -> dict[BlockerCode, RecordSet]:
        """Blocker code -> the records behind it, reading only open or running rows;
        with `category`, only that category's orders and their cases (REF-2)."""
        ...

    def violations(
        self, shop_id: str, after: CreatedCursor | None, limit: int
    ) -> list[RecordState]:
        """The shop's recorded violations, newest first by (opened_at, record id),
        continuing after `after` (a position: opened_at and record id)."""
        ...


class ViolationReturnRepository(Protocol):
    """Returns of violation deductions (DEP-9): only ever added."""

    def add(self, ret: ViolationReturn) -> None: ...

    def returned(self, shop_id: str, violation_ids: Iterable[str]) -> dict[str, Money]:
        """The sum of the returns of each of these violations that has any."""
        ...


class SandboxRepository(Protocol):
    def offset_seconds(self) -> int: ...
    def set_offset_seconds(self, seconds: int) -> None: ...


class AttachmentRepository(Protocol):
    """Proof files' records (REF-4); their bytes are in the FileStore."""

    def add(self, attachment: Attachment) -> None: ...
    def get(self, attachment_id: str) -> Attachment | None: ...
    def many(self, attachment_ids: Iterable[str]) -> dict[str, Attachment]: ...


class UserRepository(Protocol):
    """Seller users, their second factor, links, devices and sign-in throttles."""

    def add(self, user: User) -> bool:
        """False when the email is taken."""
        ...

    def get(self, user_id: str, lock: bool = False) -> User | None: ...
    def by_email(self, email: str, lock: bool = False) -> User | None: ...
    def save(self, user: User) -> None: ...
    def replace_recovery_codes(self, user_id: str, hashes: list[str], now: datetime) -> None: ...
    def use_recovery_code(self, user_id: str, code_hash: str, now: datetime) -> bool: ...
    def add_verification(self, token_hash: str, user_id: str, expires_at: datetime) -> None: ...
    def use_verification(self, token_hash: str, now: datetime) -> str | None: ...
    def seen_device(self, user_id: str, device: str, now: datetime) -> bool: ...
    def has_devices(self, user_id: str) -> bool: ...
    def throttle(self, key: str) -> Throttle | None: ...
    def save_throttle(self, throttle: Throttle) -> None: ...
    def clear_throttle(self, key: str) -> None: ...


class SecuritySignalRepository(Protocol):
    """Security signals (UNL-1), one per kind and source."""

    def add(self, signal: SecuritySignal) -> bool:
        """Record it; False when its kind and source are recorded already."""
        ...

    def since(self, seller_id: str, since: datetime) -> list[SecuritySignal]:
        """The seller's signals at or after `since`, newest first."""
        ...


class UnlinkRepository(Protocol):
    """Unlink requests and closure notices (UNL-1..7)."""

    def add(self, unlink: Unlink) -> None: ...
    def save(self, unlink: Unlink) -> None: ...
    def get(self, unlink_id: str, lock: bool = False) -> Unlink | None: ...
    def open_for_shop(self, shop_id: str) -> Unlink | None: ...
    def notice_started(self, shop_id: str) -> datetime | None: ...
    def start_notice(self, shop_id: str, at: datetime, by: str) -> None: ...
    def active_toggles(self, shop_id: str, kind: ToggleKind) -> RecordSet: ...
    def has_orders(self, shop_id: str) -> bool: ...
    def last_order_at(self, shop_id: str) -> datetime | None: ...
    def last_finished_at(self, shop_id: str) -> datetime | None: ...
    # What the actions did (services/unlink_actions.py).
    def actions(self, unlink_id: str, action: UnlinkAction | None = None) -> list[ActionRecord]: ...
    def add_action(self, record: ActionRecord) -> bool: ...
    def save_action_result(self, action_id: str, result: dict[str, Any]) -> None: ...
    def unsent_withdrawals(self) -> list[ActionRecord]:
        """Every withdraw-proceeds run still `sending`, oldest first."""
        ...

    def unshipped_orders(
        self, shop_id: str
    ) -> list[tuple[str, int, str, str | None, str | None]]: ...
    def cancel_orders(self, shop_id: str, order_ids: list[str], at: datetime) -> None: ...
    def event_data(self, event_ids: list[str]) -> dict[str, dict[str, Any]]: ...
    def window_customers(self, shop_id: str, since: datetime) -> dict[str, str | None]: ...
    def customers_pending(self, unlink_id: str, shop_id: str, since: datetime) -> RecordSet: ...
    def add_customer_notice(
        self,
        unlink_id: str,
        kind: str,
        customer_key: str,
        email: str | None,
        at: datetime,
        outbox_id: str | None,
    ) -> bool: ...
    def customer_notice_count(self, unlink_id: str, kind: str) -> int: ...
    def told(self, unlink_id: str, kind: str, customer_key: str) -> bool: ...
    def tax_rows(self, shop_id: str) -> Iterator[tuple[datetime, str, int, str, bool]]: ...
    def last_order_placed_after(self, shop_id: str, at: datetime) -> list[str]: ...
    def add_escalation(
        self,
        esc_id: str,
        unlink_id: str,
        message: str,
        bundle: dict[str, Any],
        at: datetime,
        by: str,
    ) -> None: ...
    def escalations(self, unlink_id: str) -> list[dict[str, Any]]: ...
    def queue(
        self, statuses: list[str], escalated: bool, seller_id: str | None, limit: int
    ) -> list[Unlink]: ...
    def for_shop(self, shop_id: str) -> list[Unlink]: ...
    def latest_for_shop(self, shop_id: str) -> Unlink | None: ...


class RefundRepository(Protocol):
    """Refund applications and their timeline (REF-3..8)."""

    def add(self, refund: Refund) -> None: ...
    def save(self, refund: Refund) -> None:
        """Store a changed status and decision."""
        ...

    def get(self, refund_id: str, lock: bool = False) -> Refund | None: ...
    def open_ids(self, shop_id: str, kind: RefundKind) -> list[str]:
        """Applications of this kind still holding a reservation, oldest first."""
        ...

    def for_shop(self, shop_id: str, after: CreatedCursor | None, limit: int) -> list[Refund]: ...
    def pending_review(self, after: CreatedCursor | None, limit: int) -> list[Refund]: ...
    def add_step(self, refund_id: str, step: RefundStep) -> None: ...
    def steps(self, refund_id: str) -> list[RefundStep]: ...


class PayoutRepository(Protocol):
    """Payouts of approved refunds (REF-6, REF-7)."""

    def add(self, p: Payout) -> None: ...
    def save(self, p: Payout) -> None: ...
    def get(self, payout_id: str, lock: bool = False) -> Payout | None: ...
    def for_refund(self, refund_id: str) -> Payout | None: ...
    def claim_due(self, now: datetime, lease_started_before: datetime) -> Payout | None:
        """The oldest pending payout, or a `sending` one whose lease ran out; locked
        (PostgreSQL skips rows another worker holds)."""
        ...


class AuditRepository(Protocol):
    """The audit log's hash chain (AUD-1), appended only."""

    def shop_facts(self, shop_id: str) -> ShopFacts | None:
        """A shop's status, step, market and active categories, in one read."""
        ...

    def append(self, entry: AuditEntry) -> None:
        """Queue an entry: the unit of work seals it after the chain's head and writes it
        as it commits (under the chain's lock), or drops it when it rolls back."""
        ...

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last record; (0, GENESIS) for an empty chain."""
        ...

    def head_before(self, at: datetime) -> tuple[int, str]:
        """(seq, hash) of the last record made before `at` (a day's anchor)."""
        ...

    def count(self) -> int: ...
    def chain(self, batch: int = 2000) -> Iterator[AuditRecord]:
        """Every record, seq ascending."""
        ...

    def page(
        self,
        *,
        shop_id: str | None,
        actor: str | None,
        since: datetime | None,
        before_seq: int | None,
        limit: int,
    ) -> list[AuditRecord]:
        """Newest first; `before_seq` continues a page."""
        ...

    def of_shop(self, shop_id: str) -> list[AuditRecord]:
        """The shop's records, oldest first."""
        ...
