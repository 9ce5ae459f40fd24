"""Refunds at every stage (REF-3..8): the falcon-uk shops stop selling electronics
and apply for the 1,500 GBP difference (REF-2), each refund taken to one stage.

Every step is a use case run at its own past moment, in time order, the way the
seller, the reviewer, the worker and the bank would have made it: the seller's
categories set without electronics (which offers the difference, REF-2), the
application (the amount reserved), the decision, the payout sent by the worker's
`send_due` to the payout gateway (the sandbox bank in the demo), and the bank's
answer. `seed._replay_timers` then runs the timers up to now, so a review left
undecided past its due time is flagged `review_late` as a running worker would have.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from depositdesk.bootstrap import App
from depositdesk.demo.plans import FALCON_STOPPED_DAYS_AGO
from depositdesk.services import payouts, refunds
from depositdesk.services.access import Principal, Role
from depositdesk.services.shops import set_categories
from depositdesk.services.usecase import read, run

SELLER = "demo-falcon"
OWNER = Principal("demo-seed", Role.OWNER, SELLER, "demo seed (falcon owner)")
REVIEWER = Principal.system(Role.REVIEWER, "demo seed")
BANK = Principal.system(Role.INTEGRATION, "demo bank")
REASON = "We stopped selling electronics in this shop; the electronics deposit is no longer needed."
FX_ACCOUNT = "CN-ICBC-6222-0210-0000-1234"  # falcon-uk-05 is paid here, in CNY (REF-7)
REJECTION = (
    "No proof that the electronics listings were removed was attached. Attach the "
    "delisting confirmation from the seller centre (PDF or screenshot) and apply again."
)

# shop -> the stage its refund stands at, as the demo's table names it
STAGES = {
    "falcon-uk-01": "submitted, review on time",
    "falcon-uk-02": "submitted, review late",
    "falcon-uk-03": "approved, payout pending",
    "falcon-uk-04": "paying: sent, the sandbox bank settles a day later",
    "falcon-uk-05": "paid to a CNY account at the payout day's rate",
    "falcon-uk-06": "rejected (proof_invalid) with the reviewer's message",
    "falcon-uk-07": "withdrawn by the seller",
}


Step = Callable[[datetime], object]  # one use case, run at the moment it is given


def make_refunds(application: App, now: datetime) -> dict[str, str]:
    """Every falcon-uk refund at its stage; returns shop id -> refund id."""
    day, hour = timedelta(days=1), timedelta(hours=1)
    ids: dict[str, str] = {}

    def stop(shop_id: str) -> Step:  # the seller's categories set without electronics
        return lambda when: run(
            application, set_categories, OWNER, when, shop_id, categories=["apparel"]
        )

    def apply(shop_id: str, account: str | None = None, why: str | None = None) -> Step:
        def go(when: datetime) -> None:
            view = run(
                application,
                refunds.apply,
                OWNER,
                when,
                shop_id,
                kind="difference",
                category="electronics",
                reason=REASON,
                destination_account=account,
                destination_currency="CNY" if account else None,
                destination_reason=why,
                idempotency_key=f"demo-refund-{shop_id}",
            )
            ids[shop_id] = view.refund.id

        return go

    def decide(shop_id: str, decision: str, **why: str) -> Step:
        return lambda when: run(
            application, refunds.decide, REVIEWER, when, ids[shop_id], decision=decision, **why
        )

    def withdraw(shop_id: str) -> Step:
        return lambda when: run(application, refunds.withdraw, OWNER, when, ids[shop_id])

    def send(when: datetime) -> object:  # the worker's payout round (worker.tick)
        return payouts.send_due(application.uow, application.gateways, when)

    def bank_paid(shop_id: str, reference: str) -> Step:
        def go(when: datetime) -> object:  # the bank's answer: POST /v1/payouts/{id}/result
            payout = read(application, payouts.get_payout, BANK, when, ids[shop_id])
            assert payout is not None
            return run(
                application,
                payouts.record_result,
                BANK,
                when,
                payout.id,
                status="paid",
                bank_reference=reference,
            )

        return go

    stopped = now - FALCON_STOPPED_DAYS_AGO * day
    steps: list[tuple[datetime, Step]] = [
        (stopped + i * hour, stop(shop_id)) for i, shop_id in enumerate(STAGES)
    ]
    steps += [
        (now - 2 * hour, apply("falcon-uk-01")),
        (now - 12 * day, apply("falcon-uk-02")),  # its review was due a week ago
        (now - 2 * day, apply("falcon-uk-03")),  # approved within its SLA
        (now - 1 * hour, decide("falcon-uk-03", "approve")),  # after the last payout round
        (now - 8 * day, apply("falcon-uk-04")),
        (now - 6 * day, decide("falcon-uk-04", "approve")),
        (now - 3 * hour, send),
        (
            now - 25 * day,
            apply(
                "falcon-uk-05",
                FX_ACCOUNT,
                "Our UK account is being closed; pay our Shenzhen account.",
            ),
        ),
        (now - 23 * day, decide("falcon-uk-05", "approve")),
        (now - 22 * day, send),
        (now - 19 * day, bank_paid("falcon-uk-05", "ICBC-DEMO-20481")),
        (now - 15 * day, apply("falcon-uk-06")),
        (
            now - 13 * day,
            decide("falcon-uk-06", "reject", reason_code="proof_invalid", message=REJECTION),
        ),
        (now - 10 * day, apply("falcon-uk-07")),
        (now - 9 * day, withdraw("falcon-uk-07")),
    ]
    for when, step in sorted(steps, key=lambda s: s[0]):  # stable: same moment, as written
        step(when)
    return ids
