"""DEP-3..9, POL-4 as a stateful property: random pay-ins, violations, returns,
proceeds, category changes, policy loads and clock moves against the real services
and database, checked after every step against a small model of the rules.

The model is written from domain.md, not from the code: money repays what the
seller owes before it refills the deposit (DEP-4/7/8/9), a deduction takes what the
deposit holds and the rest becomes a receivable (DEP-8), proceeds pay an open
shortfall (DEP-7), and the ladder step is the last one whose offset after the case's
due date has passed (DEP-6).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, func, select

from depositdesk.adapters.db.engine import make_engine
from depositdesk.adapters.db.tables import journal_entries, outbox, postings
from depositdesk.bootstrap import build
from depositdesk.demo.events import event, proceeds_available, violation_recorded
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.enforcement import step_due
from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.money import Money
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.shop import ShopStatus
from depositdesk.services import deposits, policies, shops
from depositdesk.services.access import Principal, Role
from depositdesk.services.ingestion import ingest
from depositdesk.services.timers import run_due
from depositdesk.services.usecase import read, run
from depositdesk.services.violations import return_deduction
from depositdesk.settings import Settings
from tests.builders import open_shop
from tests.conftest import ADMIN, INTEGRATION, START, _truncate

GRACE = timedelta(days=30)  # gb topup_grace_days
CATEGORIES = ("apparel", "home", "beauty", "electronics", "jewellery")
DEPOSITS = {"apparel": 1000, "home": 1000, "beauty": 1500, "electronics": 2500, "jewellery": 4000}
REVIEWER = Principal.system(Role.REVIEWER, "state machine")


def gbp(major: int) -> Money:
    return Money("GBP", major * 100)


class Enforcement(RuleBasedStateMachine):
    fresh_engine: Callable[[], Engine]  # an empty migrated database per example
    tmp: Path

    def __init__(self) -> None:
        super().__init__()
        self.engine = self.fresh_engine()
        self.clock = FixedClock(START)
        settings_ = Settings(database_url=str(self.engine.url), data_dir=self.tmp)
        self.app = build(settings_, clock=self.clock, engine=self.engine)
        self.n = 0
        open_shop(self.app, START, ["apparel"], market="gb")
        self._pay(1000)
        # The model: what domain.md says the deposit should be.
        self.held = 1000_00
        self.receivable = 0
        self.deposits = dict(DEPOSITS)
        self.categories = {"apparel"}
        self.case_opened: Any = None
        self.version = 1
        self.losses: dict[str, int] = {}  # violation id -> loss not yet returned

    # -- helpers -----------------------------------------------------------------
    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def _pay(self, major: int) -> None:
        run(
            self.app,
            deposits.pay_in,
            INTEGRATION,
            self.clock.now(),
            "shop1",
            amount=f"{major}.00",
            currency="GBP",
            reference="R",
            idempotency_key=self._id("k"),
        )

    def _events(self, *events: dict[str, Any]) -> None:
        result = ingest(self.app.uow, INTEGRATION, self.clock.now, list(events))
        assert result.accepted == len(events), result.rejected

    @property
    def required(self) -> int:
        return max(self.deposits[c] for c in self.categories) * 100

    @property
    def owed(self) -> int:
        return max(self.required - self.held, 0) + self.receivable

    def _bring_in(self, amount: int) -> None:
        """Money for the seller: repays the receivable first, then refills (DEP-4/8)."""
        repay = min(amount, self.receivable)
        self.receivable -= repay
        self.held += amount - repay

    def _reviewed(self) -> None:
        """After any change the service reviews: a case opens or closes (DEP-5/6)."""
        if self.owed > 0 and self.case_opened is None:
            self.case_opened = self.clock.now()
        elif self.owed == 0:
            self.case_opened = None

    # -- rules ---------------------------------------------------------------------
    @rule(major=st.integers(1, 3000))
    def pay_in(self, major: int) -> None:
        self._pay(major)
        self._bring_in(major * 100)
        self._reviewed()

    @rule(major=st.integers(1, 2500), closure=st.booleans())
    def violation(self, major: int, closure: bool) -> None:
        vid = self._id("v")
        kind = "counterfeit" if closure else "short_shipment"
        self._events(
            violation_recorded(
                self._id("e"),
                "shop1",
                self.clock.now(),
                violation_id=vid,
                type=kind,
                consumer_loss=gbp(major),
            )
        )
        loss = major * 100
        covered = min(loss, self.held)
        self.held -= covered
        self.receivable += loss - covered
        self.losses[vid] = loss
        self._reviewed()

    @rule(major=st.integers(1, 3000))
    def proceeds(self, major: int) -> None:
        self._events(
            proceeds_available(self._id("e"), "shop1", self.clock.now(), amount=gbp(major))
        )
        if self.case_opened is not None:  # DEP-7: an open shortfall is paid from them
            self._bring_in(min(self.owed, major * 100))
            self._reviewed()

    @rule(chosen=st.sets(st.sampled_from(CATEGORIES), min_size=1))
    def categories_change(self, chosen: set[str]) -> None:
        run(
            self.app,
            shops.set_categories,
            ADMIN,
            self.clock.now(),
            "shop1",
            categories=sorted(chosen),
        )
        self.categories = set(chosen)
        self._reviewed()

    @rule(category=st.sampled_from(CATEGORIES), major=st.sampled_from([500, 1000, 2000, 4000]))
    def policy_load(self, category: str, major: int) -> None:
        text = read(self.app, policies.export, ADMIN, self.clock.now(), "gb")
        text = text.replace(f"version = {self.version}", f"version = {self.version + 1}", 1)
        lines = text.splitlines()
        for i, line in enumerate(lines):  # effective today, the category's deposit changed
            if line.startswith("effective_from"):
                lines[i] = f"effective_from = {self.clock.now().date().isoformat()}"
            if line == f'code = "{category}"':
                j = next(k for k in range(i, len(lines)) if lines[k].startswith("deposit"))
                lines[j] = f'deposit = "{major}.00"'
        run(self.app, policies.load_version, ADMIN, self.clock.now(), document="\n".join(lines))
        self.version += 1
        self.deposits[category] = major
        self._reviewed()

    @rule(days=st.integers(0, 40), hours=st.integers(0, 23))
    def clock_moves(self, days: int, hours: int) -> None:
        self.clock.advance(timedelta(days=days, hours=hours))
        run_due(self.app.uow, self.clock.now())

    @rule(data=st.data())
    def violation_return(self, data: st.DataObject) -> None:
        if not self.losses:
            return
        vid = data.draw(st.sampled_from(sorted(self.losses)))
        left = self.losses[vid]
        if left <= 0:
            return
        self._events(
            event(self._id("e"), "violation.rectified", "shop1", self.clock.now(), violation_id=vid)
        )
        amount = data.draw(st.integers(1, left))
        try:
            run(
                self.app,
                return_deduction,
                REVIEWER,
                self.clock.now(),
                "shop1",
                vid,
                amount=Money("GBP", amount).format(),
                currency="GBP",
                note="rectified",
                idempotency_key=self._id("r"),
            )
        except ValidationProblem as problem:  # DEP-9: too late is refused, nothing moves
            assert [p.rule for p in problem.problems] == ["rectification_period_over"]
            return
        self.losses[vid] = left - amount
        self._bring_in(amount)
        self._reviewed()

    # -- invariants ------------------------------------------------------------
    @invariant()
    def entries_balance(self) -> None:
        with self.engine.connect() as conn:
            unbalanced = conn.execute(
                select(postings.c.entry_id)
                .group_by(postings.c.entry_id, postings.c.currency)
                .having(func.sum(postings.c.amount_minor) != 0)
            ).all()
            entries = conn.execute(select(func.count()).select_from(journal_entries)).scalar()
        assert unbalanced == [] and entries

    @invariant()
    def deposit_matches_the_rules(self) -> None:
        view = read(self.app, deposits.deposit, None, self.clock.now(), "shop1")
        pos = view.position
        assert pos.held.minor >= 0
        assert (pos.held.minor, pos.receivable.minor) == (self.held, self.receivable)
        assert pos.required.minor == self.required
        if self.case_opened is None:
            assert view.enforcement is None and view.shop_status is ShopStatus.ACTIVE
        else:
            assert view.enforcement is not None
            assert view.enforcement.due_at == self.case_opened + GRACE
            ladder = read(self.app, policies.pack_in_force, ADMIN, self.clock.now(), "gb").pack
            expected = step_due(ladder.ladder, self.case_opened + GRACE, self.clock.now())
            assert view.enforcement_step == expected
            restricted = expected is not None
            assert (view.shop_status is ShopStatus.RESTRICTED) == restricted

    @invariant()
    def one_message_per_change(self) -> None:
        with self.engine.connect() as conn:
            emails = (
                conn.execute(select(outbox.c.dedupe_key).where(outbox.c.channel == "email"))
                .scalars()
                .all()
            )
        assert len(emails) == len(set(emails))
        view_notices = read(self.app, deposits.deposit, None, self.clock.now(), "shop1").notices
        steps = Counter(
            (str(n.due_at), n.data["step"])
            for n in view_notices
            if n.kind is NoticeKind.ENFORCEMENT
        )
        assert all(count == 1 for count in steps.values()), steps


def test_enforcement_rules_hold_under_random_operations(
    engine: Engine, tmp_path: Path, sqlite_template: Path
) -> None:
    engines: list[Engine] = []

    def fresh() -> Engine:
        """SQLite: a copy of the migrated template; PostgreSQL: the schema truncated
        (the journal is append-only: rows cannot be deleted, DEP-3)."""
        if engine.dialect.name != "sqlite":
            _truncate(engine)
            return engine
        path = tmp_path / f"example-{len(engines)}.db"
        shutil.copy(sqlite_template, path)
        engines.append(make_engine(f"sqlite:///{path}"))
        return engines[-1]

    Enforcement.fresh_engine = staticmethod(fresh)
    Enforcement.tmp = tmp_path
    run_state_machine_as_test(
        Enforcement,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    for e in engines:
        e.dispose()
