"""DEP-3/4/8: entries balance; balances are sums; deductions and pay-ins split right."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depositdesk.domain.ledger import (
    Account,
    DepositPosition,
    EntryKind,
    JournalEntry,
    Posting,
    UnbalancedEntry,
    balances,
    payin_entry,
    proceeds_entry,
    violation_deduction,
)
from depositdesk.domain.money import Money

amounts = st.integers(min_value=1, max_value=10**9)


def test_dep3_unbalanced_entry_is_impossible() -> None:
    with pytest.raises(UnbalancedEntry):
        JournalEntry(
            EntryKind.PAYIN,
            "x",
            (
                Posting(Account.CASH, Money("GBP", 100)),
                Posting(Account.DEPOSIT_HELD, Money("GBP", -99)),
            ),
        )


@st.composite
def operations(draw: st.DrawFn) -> list[tuple[str, int]]:
    return draw(
        st.lists(
            st.tuples(st.sampled_from(["payin", "violation", "proceeds"]), amounts), max_size=30
        )
    )


@given(operations())
def test_dep3_every_entry_balances_and_balances_equal_sum_of_postings(ops) -> None:
    postings: list[Posting] = []
    held = receivable = 0
    paid_in = lost = 0
    for kind, minor in ops:
        pos = DepositPosition.from_balances(Money("GBP", 0), balances(postings))
        money = Money("GBP", minor)
        if kind == "payin":
            entry = payin_entry(money, pos.receivable, "ref")
            paid_in += minor
        elif kind == "violation":
            entry = violation_deduction(money, pos.held, "v", "t")[0]
            lost += minor
        else:
            entry = proceeds_entry(money, "e")
        assert sum(p.amount.minor for p in entry.postings) == 0
        postings.extend(entry.postings)
    totals = balances(postings)
    assert sum(totals.values()) == 0
    pos = DepositPosition.from_balances(Money("GBP", 0), totals)
    held, receivable = pos.held.minor, pos.receivable.minor
    # money is conserved: what came in minus what consumers got is held, less what is owed
    assert held - receivable == paid_in - lost
    assert held >= 0 and receivable >= 0
    assert held == 0 or receivable == 0  # a pay-in repays what is owed before refilling


def test_dep8_loss_beyond_the_deposit_becomes_receivable() -> None:
    entry = violation_deduction(Money("GBP", 1500_00), Money("GBP", 1000_00), "v1", "fake")[0]
    got = {p.account: p.amount.minor for p in entry.postings}
    assert got == {
        Account.CASH: -1500_00,
        Account.DEPOSIT_HELD: 1000_00,
        Account.RECEIVABLE: 500_00,
    }


def test_dep8_pay_in_repays_receivable_first() -> None:
    entry = payin_entry(Money("GBP", 700_00), Money("GBP", 500_00), "R1")
    got = {p.account: p.amount.minor for p in entry.postings}
    assert got == {Account.CASH: 700_00, Account.RECEIVABLE: -500_00, Account.DEPOSIT_HELD: -200_00}
    assert "repays" in entry.memo
