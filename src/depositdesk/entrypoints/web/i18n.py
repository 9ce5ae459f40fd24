"""The pages' languages (English, 简体中文): gettext catalogues compiled from the `.po`
files at first use (no build step, so a fresh clone works), and money and dates
formatted per locale with babel, dates in the market's time zone."""

from __future__ import annotations

import io
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.dates import get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, get_currency_precision
from babel.support import NullTranslations, Translations

from depositdesk.domain.money import Money

LANGUAGES = ("en", "zh")
DEFAULT = "en"
# The babel locale each page language formats with.
LOCALES = {"en": "en_GB", "zh": "zh_Hans_CN"}
LANGUAGE_NAMES = {"en": "English", "zh": "简体中文"}

_current: ContextVar[str] = ContextVar("page_language", default=DEFAULT)


def language(value: str | None) -> str | None:
    """A page language from `?lang=`, a cookie or a stored preference (None: not one)."""
    if not value:
        return None
    short = value.strip().lower().replace("_", "-").split("-")[0]
    return short if short in LANGUAGES else None


def from_accept(header: str | None) -> str | None:
    """The first language of Accept-Language the pages have."""
    for part in (header or "").split(","):
        found = language(part.split(";")[0])
        if found:
            return found
    return None


@cache
def translations(lang: str) -> NullTranslations:
    """The catalogue of `lang`, compiled in memory from its `.po` file."""
    if lang == DEFAULT:
        return NullTranslations()
    po = resources.files("depositdesk") / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=LOCALES[lang])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def use(lang: str) -> None:
    """The language of what is rendered next in this thread or task."""
    _current.set(lang)


def current() -> str:
    return _current.get()


def gettext(message: str, **values: object) -> str:
    text = translations(current()).ugettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n`, unformatted: the templates' i18n extension fills `%(num)s`."""
    text: str = translations(current()).ungettext(singular, plural, n)
    return text


def _locale() -> str:
    return LOCALES[current()]


def money(amount: Money | None) -> str:
    if amount is None:
        return "—"
    digits = get_currency_precision(amount.currency)
    value = Decimal(amount.minor).scaleb(-digits)
    return format_currency(value, amount.currency, locale=_locale())


def when(at: datetime | None, zone: str = "UTC", fmt: str = "medium", label: bool = True) -> str:
    """A moment in the market's time zone, with the zone's name shown (`label` False:
    a table whose caption names the zone)."""
    if at is None:
        return "—"
    text = babel_datetime(at, format=fmt, tzinfo=ZoneInfo(zone), locale=_locale())
    return f"{text} ({zone_name(zone)})" if label else text


def day(at: datetime | None, zone: str = "UTC") -> str:
    if at is None:
        return "—"
    return babel_date(at.astimezone(ZoneInfo(zone)).date(), format="medium", locale=_locale())


def day_of(value: date) -> str:
    """A calendar date (already in the market's calendar)."""
    return babel_date(value, format="full", locale=_locale())


@cache
def _zone_name(zone: str, locale: str) -> str:
    if zone == "UTC":
        return "UTC"
    try:
        return get_timezone_name(ZoneInfo(zone), width="short", locale=Locale.parse(locale))
    except Exception:  # a zone babel has no name for: its id
        return zone


def zone_name(zone: str) -> str:
    return _zone_name(zone, _locale())
