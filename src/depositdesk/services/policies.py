"""Policy packs: the versions in force, loading a new one and what it changes, export
(POL-1..4)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from depositdesk.domain.errors import FieldProblem, PolicyProblems
from depositdesk.domain.funding import Cause, CauseKind
from depositdesk.domain.policy import PolicyBook, PolicyPack
from depositdesk.domain.policy_toml import load_default_packs, parse_pack
from depositdesk.domain.timers import Timer
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.difference_offers import offer_after_lowering
from depositdesk.services.funding import review_funding
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import load_shop

POLICY_EFFECTIVE = "policy.effective"  # timer kind: a loaded version takes effect
Progress = Callable[[int, int], None]  # (shops done, shops in the market)


@dataclass(frozen=True, slots=True)
class PackInForce:
    pack: PolicyPack  # the version in force
    versions: tuple[PolicyPack, ...]  # every stored version, oldest first


def _checksum(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _book(uow: UnitOfWork) -> PolicyBook:
    return PolicyBook(uow.policies.versions())


def check(document: str) -> PolicyPack:
    """Validate a pack; PolicyProblems lists every problem (POL-3)."""
    return parse_pack(document)


def _store(uow: UnitOfWork, document: str, now: datetime, by: str) -> PolicyPack:
    """Store a new version after validating it against the versions in store; the
    running version stays in force when anything is wrong (POL-3)."""
    pack = parse_pack(document)
    problems = problems_against(_book(uow), pack)
    if problems:
        raise PolicyProblems(problems)
    uow.policies.add(pack, document, _checksum(document), now, by)
    return pack


def problems_against(book: PolicyBook, pack: PolicyPack) -> list[FieldProblem]:
    """What stops `pack` from following the versions in `book` (POL-3)."""
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
        for code in latest.category_codes():
            if pack.category(code) is None:
                problems.append(
                    FieldProblem(
                        "categories",
                        "missing_category",
                        f"category {code!r} of version {latest.version} is missing; keep it so "
                        "shops that sell in it keep a required deposit",
                    )
                )
    return problems


def load_version(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    *,
    document: str,
    progress: Progress | None = None,
) -> PolicyPack:
    """Store a new pack version (POL-1, POL-3) and, when it is already in force,
    give every shop whose required deposit rose a top-up notice (POL-4, DEP-5).

    A version that takes effect later changes nothing today: a timer at its
    `effective_from` (00:00 UTC) gives the same notices then (`on_version_effective`).
    A lowered requirement funds an under-funded shop again (its enforcement steps
    lifted) and, where the shop now holds more than it needs, offers the difference
    (REF-2, services/difference_offers.py). `progress` is told as each shop of the
    market is done.
    """
    require(who, Role.PLATFORM_ADMIN)
    before = _book(uow)
    pack = _store(uow, document, now, who.actor)
    after = _book(uow)
    if after.in_force(pack.pack, now).version == pack.version:
        _review_market(uow, before, after, pack, now, progress)
    else:
        starts = datetime.combine(pack.effective_from, time(0), UTC)
        payload: dict[str, object] = {"pack": pack.pack, "version": pack.version}
        subject = f"{pack.pack}:{pack.version}"
        uow.timers.schedule(Timer.new(POLICY_EFFECTIVE, subject, starts, now, payload))
    return pack


def on_version_effective(uow: UnitOfWork, now: datetime, timer: Timer) -> None:
    """The timer of a version that took effect (POL-4): top-up notices where it raised
    a shop's required deposit, as if it had been loaded today. Nothing when a still
    newer version took over meanwhile (that one's own timer or load reviews)."""
    name, version = str(timer.payload["pack"]), int(str(timer.payload["version"]))
    after = _book(uow)
    pack = after.in_force(name, now)
    if pack.version != version:
        return
    before = PolicyBook(p for p in uow.policies.versions() if p.ref != pack.ref)
    _review_market(uow, before, after, pack, now)


def _review_market(
    uow: UnitOfWork,
    before: PolicyBook,
    after: PolicyBook,
    pack: PolicyPack,
    now: datetime,
    progress: Progress | None = None,
) -> None:
    """POL-4 with DEP-5/DEP-6: every shop of the market whose required deposit changed
    from `before` to `after` is reviewed: a rise gets a top-up notice; a fall may
    fund an under-funded shop again, which lifts its enforcement steps, and may offer
    the difference back (REF-2)."""
    shop_ids = uow.shops.ids_in_market(pack.pack)
    for done, shop_id in enumerate(shop_ids, start=1):
        old = load_shop(uow, None, now, shop_id, book=before)
        new = load_shop(uow, None, now, shop_id, book=after)
        if new.required != old.required and not new.shop.status.is_final:
            ref = f"{pack.pack} version {pack.version}"
            cause = Cause(CauseKind.POLICY_CHANGED, old.required, new.required, ref)
            review_funding(uow, new, now, cause)
            if new.required.minor < old.required.minor:
                offer_after_lowering(uow, new, old.required, now)  # REF-2
        if progress is not None:
            progress(done, len(shop_ids))


def ensure_default_packs(uow: UnitOfWork, who: Principal, now: datetime) -> list[str]:
    """Load the shipped packs that are not in store yet (first start, POL-2)."""
    require(who, Role.PLATFORM_ADMIN)
    known = set(_book(uow).names())
    loaded: list[str] = []
    for pack in load_default_packs():
        if pack.pack not in known:
            uow.policies.add(pack, pack.source, _checksum(pack.source), now, "system:default-packs")
            loaded.append(pack.pack)
    return loaded


def export(uow: UnitOfWork, who: Principal, now: datetime, name: str) -> str:
    """The TOML text of the version in force: a starting point for an operator's own."""
    return _book(uow).in_force(name, now).source


def packs_in_force(uow: UnitOfWork, who: Principal, now: datetime) -> list[PolicyPack]:
    book = _book(uow)
    return [book.in_force(name, now) for name in book.names()]


def pack_in_force(uow: UnitOfWork, who: Principal, now: datetime, name: str) -> PackInForce:
    book = _book(uow)
    return PackInForce(book.in_force(name, now), tuple(book.versions(name)))
