"""Policy packs in force, loading new versions, exporting (POL-1..4)."""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime

from depositdesk.domain.errors import FieldProblem, NotFound, PolicyProblems
from depositdesk.domain.policy import PolicyPack
from depositdesk.domain.policy_toml import load_default_packs, parse_pack
from depositdesk.services.ports.uow import UnitOfWork

_cache: dict[str, PolicyPack] = {}
_cache_lock = threading.Lock()


def _parsed(document: str, checksum: str) -> PolicyPack:
    """Parsing is cached by checksum: versions are immutable once loaded."""
    pack = _cache.get(checksum)
    if pack is None:
        pack = parse_pack(document)
        with _cache_lock:
            _cache[checksum] = pack
    return pack


def checksum(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class PolicyBook:
    """Every loaded version of every pack, read once per unit of work."""

    def __init__(self, versions: list[PolicyPack]) -> None:
        self.by_pack: dict[str, list[PolicyPack]] = {}
        for pack in sorted(versions, key=lambda p: (p.pack, p.version)):
            self.by_pack.setdefault(pack.pack, []).append(pack)

    @classmethod
    def read(cls, uow: UnitOfWork) -> PolicyBook:
        rows = uow.policies.versions()
        return cls([_parsed(r["document"], r["checksum"]) for r in rows])

    def names(self) -> list[str]:
        return sorted(self.by_pack)

    def in_force(self, pack: str, at: datetime) -> PolicyPack:
        """POL-1: the newest version whose effective_from has come."""
        versions = self.by_pack.get(pack)
        if not versions:
            raise NotFound(
                f"policy pack {pack!r} not found; loaded packs: {', '.join(self.names()) or 'none'}"
            )
        current = versions[0]
        for version in versions:
            if version.starts_before(at):
                current = version
        return current

    def latest(self, pack: str) -> PolicyPack | None:
        versions = self.by_pack.get(pack)
        return versions[-1] if versions else None


def check(document: str) -> PolicyPack:
    """Validate a pack; PolicyProblems lists every problem (POL-3)."""
    return parse_pack(document)


def load(uow: UnitOfWork, document: str, now: datetime, by: str) -> PolicyPack:
    """Store a new version after validating it; the running version stays in force
    when anything is wrong (POL-3). The caller commits."""
    pack = parse_pack(document)
    book = PolicyBook.read(uow)
    latest = book.latest(pack.pack)
    problems: list[FieldProblem] = []
    if latest is not None:
        if pack.version <= latest.version:
            problems.append(
                FieldProblem(
                    "version",
                    "version_order",
                    f"version {pack.version} is not newer than version {latest.version} in store",
                )
            )
        if pack.currency != latest.currency:
            problems.append(
                FieldProblem(
                    "currency",
                    "currency_fixed",
                    f"the {pack.pack} market is in {latest.currency}; a pack cannot change it",
                )
            )
        missing = [c for c in latest.category_codes() if pack.category(c) is None]
        for code in missing:
            problems.append(
                FieldProblem(
                    "categories",
                    "missing_category",
                    f"category {code!r} of version {latest.version} is missing; keep it so shops "
                    "that sell in it keep a required deposit",
                )
            )
    if problems:
        raise PolicyProblems(problems)
    uow.policies.add(
        pack.pack,
        pack.version,
        pack.effective_from,
        pack.currency,
        document,
        checksum(document),
        now,
        by,
    )
    return pack


def ensure_default_packs(uow: UnitOfWork, now: datetime) -> list[str]:
    """Load the shipped packs that are not in store yet (first start, POL-2)."""
    known = {r["pack"] for r in uow.policies.versions()}
    loaded: list[str] = []
    for pack in load_default_packs():
        if pack.pack not in known:
            uow.policies.add(
                pack.pack,
                pack.version,
                pack.effective_from,
                pack.currency,
                pack.source,
                checksum(pack.source),
                now,
                "system:default-packs",
            )
            loaded.append(pack.pack)
    return loaded


def export(uow: UnitOfWork, name: str, now: datetime) -> str:
    pack = PolicyBook.read(uow).in_force(name, now)
    return pack.source


def pack_json(pack: PolicyPack) -> dict[str, object]:
    return {
        "pack": pack.pack,
        "version": pack.version,
        "effective_from": pack.effective_from.isoformat(),
        "market_name": pack.market_name,
        "currency": pack.currency,
        "country": pack.country,
        "timezone": pack.timezone,
        "categories": [
            {
                "code": c.code,
                "name": c.name,
                "deposit": c.deposit.as_json(),
                "after_sales_days": c.after_sales_days,
            }
            for c in pack.categories
        ],
        "review_sla_business_days": pack.review_sla_business_days,
        "payout_window_days": pack.payout_window_days,
        "bank_arrival_business_days": list(pack.bank_arrival_business_days),
        "topup_grace_days": pack.topup_grace_days,
        "closure_waiting_days": pack.closure_waiting_days,
        "closure_notice_days": pack.closure_notice_days,
        "ladder": [{"step": s.step, "after_days": s.after_days} for s in pack.ladder],
    }


def packs_in_force(uow: UnitOfWork, now: datetime) -> dict[str, object]:
    book = PolicyBook.read(uow)
    return {"items": [pack_json(book.in_force(n, now)) for n in book.names()], "next_cursor": None}


def pack_in_force(uow: UnitOfWork, name: str, now: datetime) -> dict[str, object]:
    book = PolicyBook.read(uow)
    body = pack_json(book.in_force(name, now))
    body["versions"] = [
        {"version": p.version, "effective_from": p.effective_from.isoformat()}
        for p in book.by_pack[name]
    ]
    return body


__all__ = ["PolicyBook", "PolicyProblems", "check", "ensure_default_packs", "export", "load"]
