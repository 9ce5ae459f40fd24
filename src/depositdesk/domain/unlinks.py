"""Unlinking a shop from Seller Center (UNL-1..7): the request and its checklist.

The checklist has the six areas of UNL-6b, each a group of checks with a public
`code` and a status (`ok`, `blocked`, `action_needed`). It is computed from an
`UnlinkFacts` snapshot that the use case reads from the shop projection (the same
indexed reads as eligibility: open rows only), so its cost does not grow with the
shop's history. `blocked` means something outside the seller's one click stands in
the way (open records, a review, time); `action_needed` means the seller has a step
to take (accept the agreement, start the closure notice, run an action).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from depositdesk.domain.eligibility import EMPTY, Area, BlockerCode, RecordSet
from depositdesk.domain.shop import Language


class UnlinkStatus(StrEnum):
    PREPARING = "preparing"
    MANUAL_REVIEW = "manual_review"  # UNL-1: a security signal holds it for a person
    SCHEDULED = "scheduled"  # UNL-7: confirmed; the worker unlinks at the date
    UNLINKED = "unlinked"
    CANCELLED = "cancelled"
    REFUSED = "refused"  # a reviewer refused it

    @property
    def is_open(self) -> bool:
        return self in (UnlinkStatus.PREPARING, UnlinkStatus.MANUAL_REVIEW, UnlinkStatus.SCHEDULED)


class CheckStatus(StrEnum):
    OK = "ok"
    BLOCKED = "blocked"
    ACTION_NEEDED = "action_needed"


class CheckCode(StrEnum):
    """UNL-6b check codes, in the order they are shown."""

    REQUESTER_ROLE = "requester_role"
    EMAIL_VERIFIED = "email_verified"
    SECOND_FACTOR = "second_factor"
    SECURITY_REVIEW = "security_review"
    OUTSTANDING_CHARGES = "outstanding_charges"
    RECEIVABLE = "receivable"
    PROCEEDS_WITHDRAWN = "proceeds_withdrawn"
    TAX_SUMMARY = "tax_summary"
    OPEN_ORDERS = "open_orders"
    OPEN_AFTER_SALES_CASES = "open_after_sales_cases"
    OPEN_DISPUTES = "open_disputes"
    OPEN_COMPLAINTS = "open_complaints"
    SUPPORT_CONTACT = "support_contact"
    ARCHIVE = "archive"
    UNPAID_FINES = "unpaid_fines"
    UNRECTIFIED_VIOLATIONS = "unrectified_violations"
    CAMPAIGNS_STOPPED = "campaigns_stopped"
    CREATORS_UNBOUND = "creators_unbound"
    CLOSURE_NOTICE_PERIOD = "closure_notice_period"
    WAITING_PERIOD = "waiting_period"
    AGREEMENT_ACCEPTED = "agreement_accepted"
    CUSTOMERS_NOTIFIED = "customers_notified"
    DATES_SET = "dates_set"
    AUTO_REPLY = "auto_reply"


C = CheckCode
AREA_CHECKS: dict[Area, tuple[CheckCode, ...]] = {
    Area.ACCOUNT_ACCESS: (C.REQUESTER_ROLE, C.EMAIL_VERIFIED, C.SECOND_FACTOR, C.SECURITY_REVIEW),
    Area.FINANCIAL_RECONCILIATION: (
        C.OUTSTANDING_CHARGES,
        C.RECEIVABLE,
        C.PROCEEDS_WITHDRAWN,
        C.TAX_SUMMARY,
    ),
    Area.ORDER_COMPLETION: (
        C.OPEN_ORDERS,
        C.OPEN_AFTER_SALES_CASES,
        C.OPEN_DISPUTES,
        C.OPEN_COMPLAINTS,
        C.SUPPORT_CONTACT,
    ),
    Area.DATA_ARCHIVING: (C.ARCHIVE,),
    Area.POLICY_COMPLIANCE: (
        C.UNPAID_FINES,
        C.UNRECTIFIED_VIOLATIONS,
        C.CAMPAIGNS_STOPPED,
        C.CREATORS_UNBOUND,
        C.CLOSURE_NOTICE_PERIOD,
        C.WAITING_PERIOD,
        C.AGREEMENT_ACCEPTED,
    ),
    Area.NOTIFICATION_MANAGEMENT: (C.CUSTOMERS_NOTIFIED, C.DATES_SET, C.AUTO_REPLY),
}
UNLINK_AREAS: tuple[Area, ...] = tuple(AREA_CHECKS)
# Eligibility's blockers that are checks of the same name (their records are reused).
RECORD_CHECKS: dict[CheckCode, BlockerCode] = {
    C.OUTSTANDING_CHARGES: BlockerCode.OUTSTANDING_CHARGES,
    C.OPEN_ORDERS: BlockerCode.OPEN_ORDERS,
    C.OPEN_AFTER_SALES_CASES: BlockerCode.OPEN_AFTER_SALES_CASES,
    C.OPEN_DISPUTES: BlockerCode.OPEN_DISPUTES,
    C.OPEN_COMPLAINTS: BlockerCode.OPEN_COMPLAINTS,
    C.UNPAID_FINES: BlockerCode.UNPAID_FINES,
    C.UNRECTIFIED_VIOLATIONS: BlockerCode.UNRECTIFIED_VIOLATIONS,
}
# UNL-6: customers with an order in this many days are told of the change.
NOTIFY_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Unlink:
    id: str
    shop_id: str
    seller_id: str
    status: UnlinkStatus
    unlink_date: date
    unlink_at: datetime  # the start of unlink_date in the market's time zone
    cutoff_at: datetime  # UNL-7: no order placed after this
    support_contact: str
    requested_at: datetime
    requested_by: str  # the actor
    requested_role: str
    requested_user_id: str | None
    held_reasons: tuple[str, ...] = ()  # UNL-1: the signals that hold it
    agreement_version: str | None = None
    agreement_at: datetime | None = None
    review_message: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None
    unlinked_at: datetime | None = None
    cancelled_at: datetime | None = None  # the seller called it off before the date
    cancelled_by: str | None = None
    escalated_at: datetime | None = None  # UNL-9: the last escalation to platform support
    refund_id: str | None = None  # REF-1: the full refund applied for after unlinking


@dataclass(frozen=True, slots=True)
class UnlinkFacts:
    """What the checklist needs to know, read at one moment."""

    unlink: Unlink
    now: datetime
    language: Language
    email_verified: bool  # the requester's address (machine tokens: True)
    records: dict[BlockerCode, RecordSet]  # eligibility's, from the projection
    receivable: str | None  # the amount owed, formatted; None when nothing is owed
    proceeds: str | None  # available proceeds, formatted; None when none
    has_orders: bool  # anything to archive and summarise
    recent_customers: bool  # an order within NOTIFY_WINDOW_DAYS
    # The actions' results (services/unlink_actions.py):
    tax_summary_done: bool = False  # a tax summary was produced for this request
    proceeds_sending: str | None = None  # a withdrawal the bank has not taken yet
    archive_ready: bool = False  # a ready archive of the shop exists (UNL-4)
    customers_pending: RecordSet = EMPTY  # customers of the window not yet told (UNL-6)
    campaigns: RecordSet = EMPTY  # running campaigns
    creators: RecordSet = EMPTY  # bound creators
    notice_started_at: datetime | None = None
    notice_days: int = 0
    last_finished_at: datetime | None = None  # the last order delivered
    waiting_days: int = 0


@dataclass(frozen=True, slots=True)
class Check:
    code: CheckCode
    status: CheckStatus
    message: str
    records: tuple[str, ...] = ()
    count: int = 0
    action: str | None = None
    clears_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AreaChecks:
    area: Area
    checks: tuple[Check, ...]

    @property
    def status(self) -> CheckStatus:
        statuses = {c.status for c in self.checks}
        if CheckStatus.BLOCKED in statuses:
            return CheckStatus.BLOCKED
        if CheckStatus.ACTION_NEEDED in statuses:
            return CheckStatus.ACTION_NEEDED
        return CheckStatus.OK


@dataclass(frozen=True, slots=True)
class Checklist:
    areas: tuple[AreaChecks, ...] = field(default_factory=tuple)

    @property
    def all_ok(self) -> bool:
        return all(a.status is CheckStatus.OK for a in self.areas)

    def not_ok(self) -> list[Check]:
        return [c for a in self.areas for c in a.checks if c.status is not CheckStatus.OK]


# Messages: (EN, ZH). `{n}` is a count, `{x}` a figure, `{at}` a time.
_TEXT: dict[str, tuple[str, str]] = {
    "requester_role": ("Requested by the shop's owner or an admin.", "由店铺所有者或管理员发起。"),
    "email_verified.ok": ("The requester's email address is verified.", "发起人的邮箱已验证。"),
    "email_verified.no": (
        "Verify the requester's email address (the link in the verification email).",
        "请验证发起人的邮箱（点击验证邮件中的链接）。",
    ),
    "second_factor": (
        "The second factor was passed for the request; confirming asks for it again.",
        "发起时已通过二次验证；确认时需再次验证。",
    ),
    "security_review.ok": ("No security review is needed.", "无需安全审核。"),
    "security_review.held": (
        "Held for a security review: {x}. A reviewer will clear or refuse it.",
        "因安全信号需人工审核：{x}。审核员将放行或拒绝。",
    ),
    "security_review.refused": ("A reviewer refused the request: {x}", "审核员拒绝了该申请：{x}"),
    "outstanding_charges": (
        "{n} billed charge(s) unpaid (advertising, commission or fees). Settle them.",
        "有 {n} 笔账单费用未结清（广告、佣金或服务费），请结清。",
    ),
    "receivable": (
        "You owe {x} to the platform. Pay it in first.",
        "您欠平台 {x}，请先补缴。",
    ),
    "proceeds_withdrawn.ok": ("No sales proceeds are left to withdraw.", "没有待提现的销售款。"),
    "proceeds_withdrawn.no": (
        "{x} of sales proceeds is available: withdraw it.",
        "有 {x} 销售款可提现，请提现。",
    ),
    "proceeds_withdrawn.sending": (
        "The withdrawal of {x} has not reached the bank yet. It is sent again "
        "automatically every few minutes; you may also withdraw again (it is paid once).",
        "{x} 的提现尚未到达银行。系统每隔几分钟会自动重新发送；您也可以再次提现（只会支付一次）。",
    ),
    "tax_summary.ok": ("No sales to summarise.", "无需汇总的销售。"),
    "tax_summary.done": ("The tax summary was produced.", "税务汇总已生成。"),
    "tax_summary.no": (
        "Produce the tax summary (sales and tax per month).",
        "请生成税务汇总（按月的销售额与税额）。",
    ),
    "open_orders": (
        "{n} order(s) not delivered or cancelled yet. Fulfil or cancel them.",
        "有 {n} 个订单尚未送达或取消，请履约或取消。",
    ),
    "open_after_sales_cases": (
        "{n} after-sales case(s) open. Resolve them.",
        "有 {n} 个售后工单未结，请处理。",
    ),
    "open_disputes": ("{n} dispute(s) open. Resolve them.", "有 {n} 个纠纷未解决，请处理。"),
    "open_complaints": (
        "{n} consumer complaint(s) open. Resolve them.",
        "有 {n} 个消费者投诉未处理，请处理。",
    ),
    "support_contact": (
        "Returns and refunds after unlinking go to {x}.",
        "下线后的退货退款请联系 {x}。",
    ),
    "archive.ok": ("Nothing to archive.", "无需归档的数据。"),
    "archive.done": ("The archive of the shop's data is ready.", "店铺数据归档已就绪。"),
    "archive.no": (
        "Download the archive of the shop's data (orders, finance, listings, customers).",
        "请下载店铺数据归档（订单、财务、商品、客户）。",
    ),
    "unpaid_fines": ("{n} fine(s) unpaid. Pay them.", "有 {n} 笔罚款未缴，请缴纳。"),
    "unrectified_violations": (
        "{n} violation(s) not rectified. Rectify them.",
        "有 {n} 项违规未整改，请整改。",
    ),
    "campaigns_stopped.ok": ("No marketing campaign is running.", "没有进行中的营销活动。"),
    "campaigns_stopped.no": (
        "{n} marketing campaign(s) still running. Stop them.",
        "有 {n} 个营销活动仍在进行，请停止。",
    ),
    "creators_unbound.ok": ("No creator or affiliate is bound.", "没有绑定的达人或推广者。"),
    "creators_unbound.no": (
        "{n} creator(s) or affiliate(s) still bound. Unbind them.",
        "仍绑定 {n} 位达人或推广者，请解绑。",
    ),
    "closure_notice_period.none": (
        "Start showing the closure notice on the shop ({x} days before closing).",
        "请开始在店铺展示关店公告（需展示 {x} 天）。",
    ),
    "closure_notice_period.running": (
        "The closure notice has been shown since {since}; its period ends {at} UTC.",
        "关店公告自 {since} 起展示，公示期于 {at}（UTC）结束。",
    ),
    "closure_notice_period.ok": (
        "The closure notice has been shown for its period.",
        "关店公告已展示满公示期。",
    ),
    "waiting_period.ok": (
        "The waiting period since the last finished order has passed.",
        "距最后一笔订单完成的等待期已满。",
    ),
    "waiting_period.running": (
        "The waiting period since the last finished order ends {at} UTC.",
        "距最后一笔订单完成的等待期于 {at}（UTC）结束。",
    ),
    "agreement_accepted.ok": (
        "Closure agreement version {x} accepted.",
        "已接受关店协议（版本 {x}）。",
    ),
    "agreement_accepted.no": ("Accept the closure agreement.", "请接受关店协议。"),
    "customers_notified.ok": (
        "No customer ordered in the last 30 days.",
        "近 30 天内没有下单的客户。",
    ),
    "customers_notified.no": (
        "Tell the {n} customer(s) of the last 30 days of the change and the new contact.",
        "请通知近 30 天内下单的 {n} 位客户店铺变更及新的联系方式。",
    ),
    "customers_notified.done": (
        "The customers of the last 30 days were told of the change and the new contact.",
        "已通知近 30 天内下单的客户店铺变更及新的联系方式。",
    ),
    "dates_set": (
        "Unlinks on {x}; no new orders after {at} UTC.",
        "下线日期 {x}；{at}（UTC）后不再接受新订单。",
    ),
    "auto_reply": (
        "Inquiries after the cutoff get an automatic reply pointing to {x}.",
        "截止后的咨询将自动回复，引导至 {x}。",
    ),
}
# The call that clears a check (None: nothing the seller does clears it).
_ACTION: dict[str, str] = {
    "email_verified": "verify_email",
    "outstanding_charges": "settle_charges",
    "receivable": "pay_in",
    "proceeds_withdrawn": "withdraw-proceeds",
    "tax_summary": "tax-summary",
    "open_orders": "cancel-unfulfillable-orders",
    "open_after_sales_cases": "resolve_cases",
    "open_disputes": "resolve_disputes",
    "open_complaints": "resolve_complaints",
    "archive": "archive",
    "unpaid_fines": "pay_fines",
    "unrectified_violations": "rectify_violations",
    "campaigns_stopped": "stop_campaigns",
    "creators_unbound": "unbind_creators",
    "closure_notice_period": "closure-notice",
    "agreement_accepted": "agreement",
    "customers_notified": "notify-customers",
}


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M}"


def checklist(f: UnlinkFacts) -> Checklist:
    """UNL-6b: the six areas and their checks, from one snapshot."""
    zh = f.language is Language.ZH
    u = f.unlink

    def text(key: str, **kw: object) -> str:
        return _TEXT[key][1 if zh else 0].format(**kw)

    def check(
        code: CheckCode,
        status: CheckStatus,
        key: str,
        rs: RecordSet = EMPTY,
        clears_at: datetime | None = None,
        **kw: object,
    ) -> Check:
        action = _ACTION.get(code.value) if status is not CheckStatus.OK else None
        return Check(code, status, text(key, **kw), rs.ids, rs.count, action, clears_at)

    ok, blocked, needed = CheckStatus.OK, CheckStatus.BLOCKED, CheckStatus.ACTION_NEEDED
    checks: dict[CheckCode, Check] = {}

    def put(c: Check) -> None:
        checks[c.code] = c

    # UNL-1: only owners/admins get this far (the use case refuses others).
    put(check(C.REQUESTER_ROLE, ok, "requester_role"))
    if f.email_verified:
        put(check(C.EMAIL_VERIFIED, ok, "email_verified.ok"))
    else:
        put(check(C.EMAIL_VERIFIED, needed, "email_verified.no"))
    put(check(C.SECOND_FACTOR, ok, "second_factor"))
    reasons = "; ".join(u.held_reasons)
    if u.status is UnlinkStatus.MANUAL_REVIEW:
        held = RecordSet.of(list(u.held_reasons))
        put(check(C.SECURITY_REVIEW, blocked, "security_review.held", held, x=reasons))
    elif u.status is UnlinkStatus.REFUSED:
        put(check(C.SECURITY_REVIEW, blocked, "security_review.refused", x=u.review_message or ""))
    else:
        put(check(C.SECURITY_REVIEW, ok, "security_review.ok"))

    # UNL-2, UNL-3, UNL-5: eligibility's records, one check each.
    for code, blocker in RECORD_CHECKS.items():
        rs = f.records.get(blocker, EMPTY)
        if rs.count:
            put(check(code, blocked, code.value, rs, n=rs.count))
        else:
            checks[code] = Check(code, ok, "")
    if f.receivable is not None:
        put(check(C.RECEIVABLE, blocked, "receivable", x=f.receivable))
    else:
        checks[C.RECEIVABLE] = Check(C.RECEIVABLE, ok, "")
    if f.proceeds is not None:
        put(check(C.PROCEEDS_WITHDRAWN, needed, "proceeds_withdrawn.no", x=f.proceeds))
    elif f.proceeds_sending is not None:
        put(check(C.PROCEEDS_WITHDRAWN, needed, "proceeds_withdrawn.sending", x=f.proceeds_sending))
    else:
        put(check(C.PROCEEDS_WITHDRAWN, ok, "proceeds_withdrawn.ok"))
    # The actions' products: a shop with orders has a tax summary and an archive to make.
    if f.has_orders and f.tax_summary_done:
        put(check(C.TAX_SUMMARY, ok, "tax_summary.done"))
    else:
        put(
            check(C.TAX_SUMMARY, needed if f.has_orders else ok, f"tax_summary.{_yn(f.has_orders)}")
        )
    put(check(C.SUPPORT_CONTACT, ok, "support_contact", x=u.support_contact))
    if f.has_orders and f.archive_ready:
        put(check(C.ARCHIVE, ok, "archive.done"))
    else:
        put(check(C.ARCHIVE, needed if f.has_orders else ok, f"archive.{_yn(f.has_orders)}"))

    # UNL-6a: closure preconditions.
    for code, rs in ((C.CAMPAIGNS_STOPPED, f.campaigns), (C.CREATORS_UNBOUND, f.creators)):
        if rs.count:
            put(check(code, needed, f"{code.value}.no", rs, n=rs.count))
        else:
            put(check(code, ok, f"{code.value}.ok"))
    if f.notice_started_at is None:
        put(check(C.CLOSURE_NOTICE_PERIOD, needed, "closure_notice_period.none", x=f.notice_days))
    else:
        ends = f.notice_started_at + timedelta(days=f.notice_days)
        if ends > f.now:
            put(
                check(
                    C.CLOSURE_NOTICE_PERIOD,
                    blocked,
                    "closure_notice_period.running",
                    clears_at=ends,
                    since=_when(f.notice_started_at),
                    at=_when(ends),
                )
            )
        else:
            put(check(C.CLOSURE_NOTICE_PERIOD, ok, "closure_notice_period.ok"))
    # UNL-6a: the waiting period runs from the last order *finished* — delivered (an
    # open order blocks on its own, as open_orders, until it is delivered or cancelled;
    # a cancelled one leaves nothing for a buyer to claim).
    last = f.last_finished_at
    waits = last + timedelta(days=f.waiting_days) if last else None
    if waits is not None and waits > f.now:
        put(
            check(
                C.WAITING_PERIOD,
                blocked,
                "waiting_period.running",
                clears_at=waits,
                at=_when(waits),
            )
        )
    else:
        put(check(C.WAITING_PERIOD, ok, "waiting_period.ok"))
    if u.agreement_version is not None:
        put(check(C.AGREEMENT_ACCEPTED, ok, "agreement_accepted.ok", x=u.agreement_version))
    else:
        put(check(C.AGREEMENT_ACCEPTED, needed, "agreement_accepted.no"))

    # UNL-6: notification management.
    pending = f.customers_pending
    if pending.count:
        put(check(C.CUSTOMERS_NOTIFIED, needed, "customers_notified.no", pending, n=pending.count))
    elif f.recent_customers:
        put(check(C.CUSTOMERS_NOTIFIED, ok, "customers_notified.done"))
    else:
        put(check(C.CUSTOMERS_NOTIFIED, ok, "customers_notified.ok"))
    put(check(C.DATES_SET, ok, "dates_set", x=u.unlink_date.isoformat(), at=_when(u.cutoff_at)))
    put(check(C.AUTO_REPLY, ok, "auto_reply", x=u.support_contact))

    # Record checks that are ok read "nothing open" in the seller's language.
    for code in RECORD_CHECKS:
        if checks[code].status is ok:
            checks[code] = Check(code, ok, _nothing(zh))
    if checks[C.RECEIVABLE].status is ok:
        checks[C.RECEIVABLE] = Check(C.RECEIVABLE, ok, _nothing(zh))
    return Checklist(
        tuple(
            AreaChecks(area, tuple(checks[code] for code in codes))
            for area, codes in AREA_CHECKS.items()
        )
    )


def _yn(needed: bool) -> str:
    return "no" if needed else "ok"


def _nothing(zh: bool) -> str:
    return "无待处理事项。" if zh else "Nothing open."


class UnlinkAction(StrEnum):
    """UNL-2, UNL-3, UNL-4, UNL-6: the actions `POST /v1/unlinks/{id}/actions/{action}`
    runs (interface.md)."""

    CANCEL_UNFULFILLABLE_ORDERS = "cancel-unfulfillable-orders"
    WITHDRAW_PROCEEDS = "withdraw-proceeds"
    TAX_SUMMARY = "tax-summary"
    ARCHIVE = "archive"
    NOTIFY_CUSTOMERS = "notify-customers"


# A withdraw-proceeds run's `status` until the bank has taken it (then `sent`).
WITHDRAWAL_SENDING = "sending"


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One run of an action that changed something (table `unlink_actions`)."""

    id: str
    unlink_id: str
    shop_id: str
    action: UnlinkAction
    seq: int  # 1 for the first run of this action on this request
    done_at: datetime
    done_by: str
    result: dict[str, object]

    @property
    def unsent(self) -> bool:
        """A proceeds withdrawal the bank has not taken yet (UNL-2): sent again on
        request, or by the worker."""
        return (
            self.action is UnlinkAction.WITHDRAW_PROCEEDS
            and self.result.get("status") == WITHDRAWAL_SENDING
        )


@dataclass(frozen=True, slots=True)
class TaxMonth:
    """UNL-2: one month of the tax summary, in minor units of `currency`."""

    month: str  # YYYY-MM, in UTC
    currency: str
    orders: int
    sales_minor: int
    tax_minor: int
    cancelled: int  # orders of the month cancelled (not counted in sales)


def tax_summary(rows: Iterable[tuple[datetime, str, int, int, bool]]) -> list[TaxMonth]:
    """UNL-2: sales and tax collected per month, from (placed_at, currency, amount,
    tax, cancelled) rows in any order; cancelled orders are counted apart."""
    months: dict[tuple[str, str], list[int]] = {}
    for placed_at, currency, amount, tax, cancelled in rows:
        key = (f"{placed_at:%Y-%m}", currency)
        m = months.setdefault(key, [0, 0, 0, 0])
        if cancelled:
            m[3] += 1
        else:
            m[0] += 1
            m[1] += amount
            m[2] += tax
    return [TaxMonth(k[0], k[1], *v) for k, v in sorted(months.items())]
