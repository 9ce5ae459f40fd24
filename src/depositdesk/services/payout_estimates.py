"""Where a refund is paid and what arrives there (REF-6, REF-7), before and after
applying: the account, today's indicative rate and the receiving bank's fee."""

from __future__ import annotations

from datetime import datetime

from depositdesk.domain.fx import RateUnavailable, convert
from depositdesk.domain.money import Money
from depositdesk.domain.payouts import Fx, PayoutEstimate, estimate
from depositdesk.domain.refunds import Destination
from depositdesk.services.ports.rates import RateSource
from depositdesk.services.shop_view import ShopView


def payout_route(view: ShopView, destination: Destination) -> str | None:
    """REF-6: the account a refund is paid to: the one the seller named, else the one
    the deposit came from (the latest pay-in that named its payer); None when no
    pay-in did (a gateway that needs an account then refuses the payout, and it
    comes back to review)."""
    return view.shop.payin_route if destination.original else destination.route


def estimate_payout(
    view: ShopView,
    amount: Money,
    currency: str,
    account: str | None,
    rates: RateSource,
    now: datetime,
) -> PayoutEstimate:
    """REF-7 shown before applying: `amount` converted at today's rate into an
    account in `currency` (the payout uses the rate of the day it is sent), less the
    fee the pack says that account's bank takes."""
    fee = view.pack.bank_fee(currency)
    if currency == amount.currency:
        return estimate(amount, None, fee, account, currency)
    try:
        quote = rates.quote(amount.currency, currency, now.date())
    except RateUnavailable:
        return estimate(None, None, fee, account, currency)
    fx = Fx(quote.rate, quote.rate_date, quote.source)
    return estimate(convert(amount, currency, quote), fx, fee, account, currency)
