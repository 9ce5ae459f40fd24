"""The unlink pages' words: the six areas, the check codes (UNL-6b), the statuses and
the buttons, in the page's language (the checks' own messages come from the domain,
in the seller's language)."""

from __future__ import annotations

from depositdesk.entrypoints.web.i18n import gettext as _

# The closure agreement the pages show and the seller accepts (UNL-6a); its version is
# recorded with the request.
AGREEMENT_VERSION = "2026-11"

# Actions that have a button on the checklist (posting to /seller/unlinks/{id}/…).
# `closure-notice` and `agreement` are the first slice's; the rest are
# POST /v1/unlinks/{id}/actions/{action}.
RUN_ACTIONS = (
    "cancel-unfulfillable-orders",
    "withdraw-proceeds",
    "tax-summary",
    "archive",
    "notify-customers",
)
SELLER_ACTIONS = ("closure-notice", "agreement", *RUN_ACTIONS)


def area_label(area: str) -> str:
    return {
        "account_access": _("Account access"),
        "financial_reconciliation": _("Financial reconciliation"),
        "order_completion": _("Order completion"),
        "data_archiving": _("Data archiving"),
        "policy_compliance": _("Policy compliance"),
        "notification_management": _("Notification management"),
    }.get(area, area)


def check_label(code: str) -> str:
    return {
        "requester_role": _("Owner or admin"),
        "email_verified": _("Email verified"),
        "second_factor": _("Second factor"),
        "security_review": _("Security review"),
        "outstanding_charges": _("Outstanding charges"),
        "receivable": _("Money owed to the platform"),
        "proceeds_withdrawn": _("Sales proceeds withdrawn"),
        "tax_summary": _("Tax summary"),
        "open_orders": _("Open orders"),
        "open_after_sales_cases": _("After-sales cases"),
        "open_disputes": _("Disputes"),
        "open_complaints": _("Consumer complaints"),
        "support_contact": _("Contact after unlinking"),
        "archive": _("Data archive"),
        "unpaid_fines": _("Unpaid fines"),
        "unrectified_violations": _("Violations to rectify"),
        "campaigns_stopped": _("Marketing campaigns stopped"),
        "creators_unbound": _("Creators and affiliates unbound"),
        "closure_notice_period": _("Closure notice shown"),
        "waiting_period": _("Waiting period since the last order"),
        "agreement_accepted": _("Closure agreement"),
        "customers_notified": _("Customers told"),
        "dates_set": _("Cutoff and unlink dates"),
        "auto_reply": _("Automatic reply to inquiries"),
    }.get(code, code)


def status_label(status: str) -> str:
    return {
        "ok": _("Done"),
        "blocked": _("Blocked"),
        "action_needed": _("To do"),
        "preparing": _("Preparing"),
        "manual_review": _("Security review"),
        "scheduled": _("Scheduled"),
        "unlinked": _("Unlinked"),
        "cancelled": _("Cancelled"),
        "refused": _("Refused"),
    }.get(status, status)


def action_label(action: str) -> str:
    return {
        "closure-notice": _("Start showing the closure notice"),
        "agreement": _("Accept the closure agreement"),
        "cancel-unfulfillable-orders": _("Cancel the orders that cannot be fulfilled"),
        "withdraw-proceeds": _("Withdraw the sales proceeds"),
        "tax-summary": _("Produce the tax summary"),
        "archive": _("Prepare the data archive"),
        "notify-customers": _("Tell the customers"),
    }.get(action, action)


def outside_hint(action: str) -> str:
    """What clears a check that no button here clears: done in the marketplace, and
    the marketplace's events bring it here."""
    return {
        "verify_email": _("Open the link in the verification email."),
        "settle_charges": _(
            "Pay the bills in the marketplace; they clear here when it reports them."
        ),
        "pay_in": _("Pay the amount in to the deposit account (see the deposit page)."),
        "resolve_cases": _("Resolve the cases in the marketplace's after-sales tools."),
        "resolve_disputes": _("Resolve the disputes in the marketplace."),
        "resolve_complaints": _("Answer the complaints in the marketplace."),
        "pay_fines": _("Pay the fines in the marketplace."),
        "rectify_violations": _("Rectify the violations (pay the fine, delist the products)."),
        "stop_campaigns": _("Stop the campaigns in the marketplace's marketing tools."),
        "unbind_creators": _("Unbind the creators in the marketplace's affiliate tools."),
    }.get(action, "")
