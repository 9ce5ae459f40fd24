"""Notice texts from templates: `templates/notices/<kind>/{subject,body}.<lang>.txt`,
and the HTML version of the email (`templates/notices/email.html`).

Every notice exists in each `Language` (English and Simplified Chinese); a test
renders every kind in every language, so a missing template fails the suite,
not a seller's notice. Money and dates are written the way the reader's locale
writes them (babel): `£1,000.00` and `1 April 2026` in English, `¥15,000.00` and
`2026年4月1日` in Chinese; dates are the market's calendar date, with its time zone.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from depositdesk.domain.clock import utc
from depositdesk.domain.money import Money
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.shop import Language

# The babel locale each language is written in.
LOCALES: dict[Language, str] = {Language.EN: "en", Language.ZH: "zh_Hans_CN"}
# Parsed once: babel parses a locale given as text at every call, nearly half of what
# formatting an amount costs (a `deductions` notice formats some sixty).
_LOCALES: dict[Language, Locale] = {lang: Locale.parse(code) for lang, code in LOCALES.items()}
DEFAULT_TIMEZONE = "UTC"

_env = Environment(
    loader=PackageLoader("depositdesk", "templates/notices"),
    undefined=StrictUndefined,  # a misspelt field fails loudly
    autoescape=False,  # plain text; the HTML email has its own autoescaped environment
    keep_trailing_newline=False,
    auto_reload=False,  # package data: no stat of the file at every notice
)
_html_env = Environment(
    loader=PackageLoader("depositdesk", "templates/notices"),
    undefined=StrictUndefined,
    autoescape=True,
    auto_reload=False,
)


def format_money(value: Money, language: Language) -> str:
    """`value` as the reader's locale writes an amount of its currency."""
    amount = Decimal(value.format())
    return format_currency(amount, value.currency, locale=_LOCALES[language])


def format_day(value: datetime, language: Language, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The calendar date of `value` in `timezone`, written the reader's way."""
    local = utc(value).astimezone(ZoneInfo(timezone))
    return format_date(local.date(), format="long", locale=_LOCALES[language])


@pass_context
def _money(ctx: Context, value: Money) -> str:
    return format_money(value, ctx["_language"])


@pass_context
def _date(ctx: Context, value: datetime) -> str:
    return format_day(value, ctx["_language"], ctx["_timezone"])


@pass_context
def _day(ctx: Context, value: date) -> str:
    """A calendar day as it is (an exchange rate's day): no time zone to apply."""
    return format_date(value, format="long", locale=_LOCALES[ctx["_language"]])


_env.filters["money"] = _money
_env.filters["date"] = _date
_env.filters["day"] = _day


def render(
    kind: NoticeKind,
    language: Language,
    timezone: str = DEFAULT_TIMEZONE,
    **context: object,
) -> tuple[str, str]:
    """(subject, body) of a notice in the given language; dates in `timezone`."""
    values: dict[str, Any] = {**context, "_language": language, "_timezone": timezone}
    subject = _env.get_template(f"{kind}/subject.{language}.txt").render(values)
    body = _env.get_template(f"{kind}/body.{language}.txt").render(values)
    return " ".join(subject.split()), body.strip()


def render_html(subject: str, body: str, language: Language) -> str:
    """The HTML part of a notice email: the same words, each paragraph escaped."""
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
    return _html_env.get_template("email.html").render(
        subject=subject, paragraphs=paragraphs, lang="zh-Hans" if language is Language.ZH else "en"
    )
