"""Payout gateways (REF-6): the sandbox bank, the bank file, and a stub.

All three implement `services/ports/gateways.PayoutGateway` and pay a payout key at
most once: the same key with the same instruction returns the first receipt, with
a different instruction raises `PayoutKeyReused`. `DEPOSITDESK_PAYOUT_GATEWAY`
chooses one (`adapters/gateways.build_gateways`).

`SandboxPayoutGateway` (`sandbox`, the default when `DEPOSITDESK_SANDBOX=1`)
    Moves no money. It records each instruction by payout key in the database
    (table `sandbox_payouts`), so the API, the worker and a restarted worker agree,
    and counts the `send` calls per key. Its receipt says when the payment settles
    on the sandbox clock (`settles_at`, one day after it was taken unless told
    otherwise) and how (`settles_as`: `paid`, or `failed` with `failure_reason`).
    To make it fail:
    - a route containing `FAIL-SEND`, or `DEPOSITDESK_SANDBOX_PAYOUT_FAIL=send`:
      `send` raises `PayoutGatewayError` and records nothing (the bank is down);
    - a route containing `FAIL` (otherwise), or `DEPOSITDESK_SANDBOX_PAYOUT_FAIL=settle`:
      the payout is taken and settles as `failed` (the bank sent it back).
    A key already taken is answered with its first receipt whatever the switch says.
    On SQLite, call `send` outside an open write transaction of the same database
    (the gateway writes in its own transaction; one writer at a time).

`BankFilePayoutGateway` (`bank-file`, the default otherwise)
    Moves no money either: it writes the day's payouts (UTC date on the app's
    clock) into files under `DEPOSITDESK_DATA_DIR/bank-files/<YYYY-MM-DD>/` that the
    operator uploads to the bank once that day is over; the bank's answer comes back
    through `POST /v1/payouts/{id}/result`.
    - `pain.001.xml`: the EUR payouts, an ISO 20022 pain.001.001.03 credit transfer
      built with `sepaxml` (`SepaTransfer`, one batch, executed on the next TARGET
      business day) and validated against the pain.001.001.03 XSD shipped with
      `sepaxml` before anything is recorded. The debtor is
      `DEPOSITDESK_BANK_FILE_DEBTOR` (a route, `iban:…;bic:…;name:…`); each payout's
      route must parse as `domain/bank_route.PayoutRoute` with `iban` and `name`.
      `EndToEndId` is the payout key when it is at most 35 characters of the SEPA
      character set, else `DD` and the first 33 hex digits of its SHA-256 (the
      journal keeps both). `MsgId` is `DD<YYYYMMDD>-` and 16 hex digits of the
      SHA-256 of the file's payout keys, so the same payouts always make the same
      file and a bank refuses a second upload of it.
    - `payouts.csv`: every other currency, UTF-8, a header row, then one payout a
      line in the order taken, with the columns
        payout_key  the payout's unique key
        shop_id     the shop paid
        amount      what the bank transfers, a decimal in major units (`35656.51`)
        currency    its ISO 4217 code (the destination account's currency)
        route       the payout route text, as given
        reference   the text for the seller's statement
        created_at  when the payout was taken, RFC 3339 UTC
    - `bank-files/journal.jsonl` records every payout taken, any day, one JSON
      object a line; it is what makes a key paid at most once across days and
      processes (an exclusive lock on `bank-files/.lock` around each send) and what
      the day's files are rebuilt from. Files are replaced atomically and only
      when their content changes.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import structlog
import xmlschema
from sepaxml import SepaTransfer  # type: ignore[import-untyped]
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from depositdesk.adapters.db.tables import sandbox_payouts
from depositdesk.adapters.fx import target_business_day
from depositdesk.domain.bank_route import PayoutRoute
from depositdesk.domain.clock import Clock, SystemClock, rfc3339, utc
from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.gateway_messages import (
    PayoutGatewayError,
    PayoutInstruction,
    PayoutKeyReused,
    PayoutReceipt,
)
from depositdesk.domain.money import Money
from depositdesk.domain.refunds import ORIGINAL_ROUTE

log = structlog.get_logger("depositdesk.payouts")

SandboxFail = Literal["none", "send", "settle"]


def instruction_document(instruction: PayoutInstruction) -> dict[str, Any]:
    """The instruction as JSON-ready data (what the gateways store and compare)."""

    def money(value: Money | None) -> dict[str, Any] | None:
        return None if value is None else {"currency": value.currency, "minor": value.minor}

    return {
        "payout_key": instruction.payout_key,
        "shop_id": instruction.shop_id,
        "amount": money(instruction.amount),
        "route": instruction.route,
        "reference": instruction.reference,
        "dest_amount": money(instruction.dest_amount),
    }


def instruction_of(document: dict[str, Any]) -> PayoutInstruction:
    dest = document.get("dest_amount")
    return PayoutInstruction(
        payout_key=document["payout_key"],
        shop_id=document["shop_id"],
        amount=Money(document["amount"]["currency"], document["amount"]["minor"]),
        route=document["route"],
        reference=document["reference"],
        dest_amount=None if dest is None else Money(dest["currency"], dest["minor"]),
    )


def fingerprint(instruction: PayoutInstruction) -> str:
    """SHA-256 of the instruction's canonical JSON: equal instructions, equal prints."""
    canonical = json.dumps(instruction_document(instruction), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_payable(instruction: PayoutInstruction) -> None:
    if not instruction.payout_key:
        raise ValueError("a payout needs its payout key")
    if not instruction.payable.is_positive():
        raise ValueError(f"a payout pays a positive amount, not {instruction.payable}")


class StubPayoutGateway:
    """A STUB: pays nothing and moves no money. It records each instruction by its
    payout key and returns a made-up receipt; the same key always gets the same
    receipt, so even the stub never "pays" twice (REF-6), and a key reused for a
    different instruction raises `PayoutKeyReused`. In memory: one process only;
    `DEPOSITDESK_PAYOUT_GATEWAY=stub`."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.instructions: dict[str, PayoutInstruction] = {}
        self.receipts: dict[str, PayoutReceipt] = {}

    def send(self, instruction: PayoutInstruction) -> PayoutReceipt:
        key = instruction.payout_key
        if key in self.receipts:
            if self.instructions[key] != instruction:
                raise PayoutKeyReused(f"payout key {key!r} was sent with other details")
            return self.receipts[key]
        receipt = PayoutReceipt(key, f"stub-{uuid.uuid4().hex[:16]}", self.clock.now())
        self.instructions[key] = instruction
        self.receipts[key] = receipt
        log.info(
            "stub payout gateway: NOTHING paid",
            payout_key=key,
            shop_id=instruction.shop_id,
            currency=instruction.amount.currency,
            amount_minor=instruction.amount.minor,
        )
        return receipt


# --- the sandbox bank ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SandboxPayment:
    """What the sandbox bank holds for one payout key."""

    instruction: PayoutInstruction
    receipt: PayoutReceipt
    attempts: int  # send() calls for the key, the first included


class SandboxPayoutGateway:
    """The sandbox bank (see the module's docstring)."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock | None = None,
        *,
        fail: SandboxFail = "none",
        settle_after: timedelta = timedelta(days=1),
    ) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self.fail: SandboxFail = fail
        self.settle_after = settle_after

    def send(self, instruction: PayoutInstruction) -> PayoutReceipt:
        _check_payable(instruction)
        print_ = fingerprint(instruction)
        known = self._replay(instruction, print_)
        if known is not None:
            return known
        if self.fail == "send" or "FAIL-SEND" in instruction.route:
            why = "route marked FAIL-SEND" if self.fail != "send" else "told to fail sends"
            log.warning("sandbox payout refused", payout_key=instruction.payout_key, why=why)
            raise PayoutGatewayError(f"sandbox bank: {why}; nothing was recorded or paid")
        now = utc(self.clock.now())
        fails = self.fail == "settle" or "FAIL" in instruction.route
        reason = None
        if fails:
            reason = (
                "sandbox bank: told to fail settlements"
                if self.fail == "settle"
                else "sandbox bank: the route is marked FAIL"
            )
        receipt = PayoutReceipt(
            payout_key=instruction.payout_key,
            gateway_reference=f"sbx_{secrets.token_hex(10)}",
            accepted_at=now,
            settles_at=now + self.settle_after,
            settles_as="failed" if fails else "paid",
            failure_reason=reason,
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(sandbox_payouts).values(
                        payout_key=instruction.payout_key,
                        fingerprint=print_,
                        instruction=json.dumps(instruction_document(instruction)),
                        shop_id=instruction.shop_id,
                        gateway_reference=receipt.gateway_reference,
                        accepted_at=receipt.accepted_at,
                        settles_at=receipt.settles_at,
                        settles_as=receipt.settles_as,
                        failure_reason=receipt.failure_reason,
                        attempts=1,
                    )
                )
        except IntegrityError:
            # Another process took the same key at the same moment: answer as it did.
            known = self._replay(instruction, print_)
            if known is None:
                raise
            return known
        log.info(
            "sandbox payout taken (no money moves)",
            payout_key=instruction.payout_key,
            shop_id=instruction.shop_id,
            currency=instruction.payable.currency,
            amount_minor=instruction.payable.minor,
            settles_at=rfc3339(receipt.settles_at),
            settles_as=receipt.settles_as,
        )
        return receipt

    def _replay(self, instruction: PayoutInstruction, print_: str) -> PayoutReceipt | None:
        key = instruction.payout_key
        with self.engine.begin() as conn:
            row = (
                conn.execute(select(sandbox_payouts).where(sandbox_payouts.c.payout_key == key))
                .mappings()
                .first()
            )
            if row is None:
                return None
            if row["fingerprint"] != print_:
                raise PayoutKeyReused(f"payout key {key!r} was sent with other details")
            conn.execute(
                update(sandbox_payouts)
                .where(sandbox_payouts.c.payout_key == key)
                .values(attempts=sandbox_payouts.c.attempts + 1)
            )
        return _receipt_of(row)

    def calls(self, payout_key: str) -> int:
        """How many payments the sandbox bank made for the key: 1 once taken, never
        more (a resend is answered with the first receipt), 0 if never taken."""
        with self.engine.connect() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(sandbox_payouts)
                .where(sandbox_payouts.c.payout_key == payout_key)
            ).scalar_one()
        return int(count)

    def attempts(self, payout_key: str) -> int:
        """How many times `send` was called with the key (resends included)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(sandbox_payouts.c.attempts).where(sandbox_payouts.c.payout_key == payout_key)
            ).scalar_one_or_none()
        return int(value or 0)

    def payments(self, shop_id: str | None = None) -> list[SandboxPayment]:
        """Every payout the sandbox bank took (of one shop), oldest first."""
        query = select(sandbox_payouts).order_by(
            sandbox_payouts.c.accepted_at, sandbox_payouts.c.payout_key
        )
        if shop_id is not None:
            query = query.where(sandbox_payouts.c.shop_id == shop_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            SandboxPayment(
                instruction_of(json.loads(row["instruction"])), _receipt_of(row), row["attempts"]
            )
            for row in rows
        ]


def _receipt_of(row: Any) -> PayoutReceipt:
    return PayoutReceipt(
        payout_key=row["payout_key"],
        gateway_reference=row["gateway_reference"],
        accepted_at=utc(row["accepted_at"]),
        settles_at=utc(row["settles_at"]),
        settles_as=row["settles_as"],
        failure_reason=row["failure_reason"],
    )


# --- the bank file --------------------------------------------------------------

PAIN_SCHEMA = "pain.001.001.03"
PAIN_FILE = "pain.001.xml"
CSV_FILE = "payouts.csv"
CSV_COLUMNS = ("payout_key", "shop_id", "amount", "currency", "route", "reference", "created_at")
_SEPA_ID = re.compile(r"[A-Za-z0-9+?:().,'-][A-Za-z0-9 /+?:().,'-]{0,34}")


@cache
def pain001_schema() -> xmlschema.XMLSchema:
    """The pain.001.001.03 XSD that ships with `sepaxml` (compiled once)."""
    path = resources.files("sepaxml") / "schemas" / f"{PAIN_SCHEMA}.xsd"
    return xmlschema.XMLSchema(str(path))


def end_to_end_id(payout_key: str) -> str:
    """The payout key, when SEPA can carry it as an EndToEndId; else a hash of it."""
    if _SEPA_ID.fullmatch(payout_key) and "//" not in payout_key and not payout_key.endswith("/"):
        return payout_key
    return "DD" + hashlib.sha256(payout_key.encode("utf-8")).hexdigest()[:33]


@dataclass(frozen=True, slots=True)
class BankFileEntry:
    """One payout in the journal: the instruction and where it went."""

    instruction: PayoutInstruction
    fingerprint: str
    day: date
    file: str  # relative to the data dir
    end_to_end_id: str
    gateway_reference: str
    accepted_at: datetime

    def receipt(self) -> PayoutReceipt:
        return PayoutReceipt(
            payout_key=self.instruction.payout_key,
            gateway_reference=self.gateway_reference,
            accepted_at=self.accepted_at,
            file=self.file,
        )

    def document(self) -> dict[str, Any]:
        return {
            "instruction": instruction_document(self.instruction),
            "fingerprint": self.fingerprint,
            "day": self.day.isoformat(),
            "file": self.file,
            "end_to_end_id": self.end_to_end_id,
            "gateway_reference": self.gateway_reference,
            "accepted_at": rfc3339(self.accepted_at),
        }

    @classmethod
    def of(cls, document: dict[str, Any]) -> BankFileEntry:
        return cls(
            instruction=instruction_of(document["instruction"]),
            fingerprint=document["fingerprint"],
            day=date.fromisoformat(document["day"]),
            file=document["file"],
            end_to_end_id=document["end_to_end_id"],
            gateway_reference=document["gateway_reference"],
            accepted_at=datetime.fromisoformat(document["accepted_at"].replace("Z", "+00:00")),
        )


class BankFilePayoutGateway:
    """The day's payouts as files for the operator's bank (see the module's docstring)."""

    def __init__(
        self, data_dir: Path, clock: Clock | None = None, debtor: str | None = None
    ) -> None:
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "bank-files"
        self.clock = clock or SystemClock()
        self.debtor = PayoutRoute.parse(debtor, "DEPOSITDESK_BANK_FILE_DEBTOR") if debtor else None
        if self.debtor is not None and (self.debtor.iban is None or self.debtor.name is None):
            raise ValueError("DEPOSITDESK_BANK_FILE_DEBTOR needs an iban and a name")
        self._entries: dict[str, BankFileEntry] = {}
        self._offset = 0
        self._thread_lock = threading.Lock()

    @property
    def journal(self) -> Path:
        return self.root / "journal.jsonl"

    def send(self, instruction: PayoutInstruction) -> PayoutReceipt:
        _check_payable(instruction)
        if instruction.route == ORIGINAL_ROUTE:
            # The bank needs an account; "original" means no pay-in named its payer.
            raise PayoutGatewayError(
                f"bank file: payout {instruction.payout_key!r} has no account to pay: it "
                "goes to the original route, and no pay-in of the shop named the payer "
                "account (record it with the pay-in's `payer`, or approve a refund that "
                "names an account)"
            )
        print_ = fingerprint(instruction)
        with self._locked():
            self._catch_up()
            known = self._entries.get(instruction.payout_key)
            if known is not None:
                if known.fingerprint != print_:
                    raise PayoutKeyReused(
                        f"payout key {instruction.payout_key!r} was sent with other details"
                    )
                try:  # rewrites the day's files only if a crash left them behind
                    self._write_day(known.day)
                except PayoutGatewayError as exc:
                    log.error("bank file could not be rebuilt", day=str(known.day), error=str(exc))
                return known.receipt()
            now = utc(self.clock.now())
            day = now.date()
            is_eur = instruction.payable.currency == "EUR"
            name = PAIN_FILE if is_eur else CSV_FILE
            e2e = end_to_end_id(instruction.payout_key) if is_eur else instruction.payout_key
            entry = BankFileEntry(
                instruction=instruction,
                fingerprint=print_,
                day=day,
                file=f"bank-files/{day.isoformat()}/{name}",
                end_to_end_id=e2e,
                gateway_reference=f"bank-file:{day.isoformat()}:{e2e}",
                accepted_at=now,
            )
            day_entries = [*self.entries(day), entry]
            # Build (and for EUR validate) the day's files before recording anything.
            contents = self._contents(day, day_entries)
            self._append(entry)
            self._write(day, contents)
        log.info(
            "bank file payout written (upload the file to pay it)",
            payout_key=instruction.payout_key,
            file=entry.file,
            currency=instruction.payable.currency,
            amount_minor=instruction.payable.minor,
        )
        return entry.receipt()

    def entries(self, day: date | None = None) -> list[BankFileEntry]:
        """The payouts taken (on `day`), in the order taken."""
        return [e for e in self._entries.values() if day is None or e.day == day]

    def refresh(self) -> None:
        """Read what other processes added to the journal."""
        with self._locked():
            self._catch_up()

    # -- files

    def _contents(self, day: date, entries: list[BankFileEntry]) -> dict[str, bytes]:
        eur = [e for e in entries if e.instruction.payable.currency == "EUR"]
        other = [e for e in entries if e.instruction.payable.currency != "EUR"]
        contents: dict[str, bytes] = {}
        if eur:
            contents[PAIN_FILE] = self._pain001(day, eur)
        if other:
            contents[CSV_FILE] = payouts_csv(other)
        return contents

    def _write_day(self, day: date) -> None:
        self._write(day, self._contents(day, self.entries(day)))

    def _write(self, day: date, contents: dict[str, bytes]) -> None:
        folder = self.root / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in contents.items():
            target = folder / name
            with contextlib.suppress(FileNotFoundError):
                if target.read_bytes() == data:
                    continue
            temporary = folder / f".{name}.{secrets.token_hex(4)}.tmp"
            with open(temporary, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)

    def _pain001(self, day: date, entries: list[BankFileEntry]) -> bytes:
        if self.debtor is None:
            raise PayoutGatewayError(
                "bank file: a EUR payout needs DEPOSITDESK_BANK_FILE_DEBTOR "
                "(iban:…;bic:…;name:…, the account paying out); nothing was recorded"
            )
        config: dict[str, Any] = {
            "name": self.debtor.name,
            "IBAN": self.debtor.iban,
            "batch": True,
            "currency": "EUR",
        }
        if self.debtor.bic:
            config["BIC"] = self.debtor.bic
        transfer = SepaTransfer(config, schema=PAIN_SCHEMA, clean=True)
        execution = _next_target_day(day)
        for entry in entries:
            instruction = entry.instruction
            try:
                route = PayoutRoute.parse(instruction.route)
            except ValidationProblem as problem:
                raise PayoutGatewayError(
                    f"bank file: payout {instruction.payout_key!r} has a route a SEPA "
                    f"transfer cannot use: {problem.detail}; nothing was recorded"
                ) from problem
            if route.iban is None or route.name is None:
                raise PayoutGatewayError(
                    f"bank file: payout {instruction.payout_key!r} needs a route with iban "
                    "and name for a SEPA transfer; nothing was recorded"
                )
            payment: dict[str, Any] = {
                "name": route.name,
                "IBAN": route.iban,
                "amount": instruction.payable.minor,
                "execution_date": execution,
                "description": (instruction.reference or instruction.payout_key)[:140],
                "endtoend_id": entry.end_to_end_id,
            }
            if route.bic:
                payment["BIC"] = route.bic
            transfer.add_payment(payment)
        xml = transfer.export(validate=False)
        xml = _stable_ids(xml, day, entries)
        errors = [
            str(error.reason or error) for error in pain001_schema().iter_errors(xml.decode())
        ]
        if errors:
            raise PayoutGatewayError(
                f"bank file: the pain.001 for {day.isoformat()} does not validate against "
                f"{PAIN_SCHEMA}: {'; '.join(errors[:3])}; nothing was recorded"
            )
        return bytes(xml)

    # -- the journal

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, open(self.root / ".lock", "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _catch_up(self) -> None:
        try:
            with open(self.journal, "rb") as journal:
                journal.seek(self._offset)
                data = journal.read()
        except FileNotFoundError:
            return
        complete = data[: data.rfind(b"\n") + 1]  # a torn last line (a crash) is not read
        for line in complete.splitlines():
            if line.strip():
                entry = BankFileEntry.of(json.loads(line))
                self._entries[entry.instruction.payout_key] = entry
        self._offset += len(complete)

    def _append(self, entry: BankFileEntry) -> None:
        line = json.dumps(entry.document(), ensure_ascii=False, separators=(",", ":")) + "\n"
        with open(self.journal, "ab") as journal:
            if journal.tell() > self._offset:  # a torn line left by a crash: drop it
                journal.truncate(self._offset)
            journal.write(line.encode("utf-8"))
            journal.flush()
            os.fsync(journal.fileno())
            self._offset = journal.tell()
        self._entries[entry.instruction.payout_key] = entry


def payouts_csv(entries: list[BankFileEntry]) -> bytes:
    """The documented CSV of non-EUR payouts (columns in `CSV_COLUMNS`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        instruction = entry.instruction
        writer.writerow(
            [
                instruction.payout_key,
                instruction.shop_id,
                instruction.payable.format(),
                instruction.payable.currency,
                instruction.route,
                instruction.reference,
                rfc3339(entry.accepted_at),
            ]
        )
    return out.getvalue().encode("utf-8")


def _next_target_day(day: date) -> date:
    following = day + timedelta(days=1)
    while not target_business_day(following):
        following += timedelta(days=1)
    return following


def _stable_ids(xml: bytes, day: date, entries: list[BankFileEntry]) -> bytes:
    """Replace sepaxml's random MsgId / PmtInfId and its local-time CreDtTm with values
    that depend only on the payouts, so the same payouts make the same bytes."""
    keys = "\n".join(e.instruction.payout_key for e in entries).encode("utf-8")
    msg_id = f"DD{day:%Y%m%d}-{hashlib.sha256(keys).hexdigest()[:16]}"
    created = max(e.accepted_at for e in entries).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    xml = re.sub(rb"<MsgId>[^<]*</MsgId>", f"<MsgId>{msg_id}</MsgId>".encode(), xml, count=1)
    xml = re.sub(rb"<CreDtTm>[^<]*</CreDtTm>", f"<CreDtTm>{created}</CreDtTm>".encode(), xml)
    counter = iter(range(1, 1000))
    return re.sub(
        rb"<PmtInfId>[^<]*</PmtInfId>",
        lambda _: f"<PmtInfId>{msg_id}-{next(counter)}</PmtInfId>".encode(),
        xml,
    )
