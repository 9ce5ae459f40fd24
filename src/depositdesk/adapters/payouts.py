"""Payouts. Only a stub for now: the real bank adapters come with the refunds issue."""

from __future__ import annotations

import uuid

import structlog

from depositdesk.domain.clock import Clock, SystemClock
from depositdesk.domain.gateway_messages import PayoutInstruction, PayoutKeyReused, PayoutReceipt

log = structlog.get_logger("depositdesk.payouts")


class StubPayoutGateway:
    """A STUB: pays nothing and moves no money. It records each instruction by its
    payout key and returns a made-up receipt; the same key always gets the same
    receipt, so even the stub never "pays" twice (REF-6), and a key reused for a
    different instruction raises `PayoutKeyReused`. The real bank adapters come
    with the refunds issue."""

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
