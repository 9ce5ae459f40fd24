"""Policy packs as TOML text: parse with full validation, dump, ship defaults (POL-1..3).

`parse_pack` checks everything and lists every problem at once (POL-3): a pack
with an unknown currency, a negative deposit and a ladder out of order is refused
with three problems, each naming its field (`currency`, `categories[0].deposit`,
`ladder[1].after_days`). Nothing is half-loaded: either the whole pack is valid
and a `PolicyPack` comes back, or `PolicyProblems` is raised.

Standard library (`tomllib`) and `tomli_w` only; no framework.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import tomli_w

from depositdesk.domain.errors import FieldProblem, PolicyProblems, ValidationProblem
from depositdesk.domain.money import Money, check_currency, example
from depositdesk.domain.policy import (
    DEFAULT_MAX_AMOUNT_UNITS,
    DEFAULT_RECTIFICATION_DAYS,
    DEFAULT_UNLINK_CUTOFF_DAYS,
    LADDER_STEPS,
    MAX_AMOUNT_CAP_MINOR,
    BankFee,
    Category,
    LadderStep,
    PolicyPack,
    SecurityThresholds,
)

__all__ = ["dump_pack", "load_default_packs", "parse_pack"]

_T = TypeVar("_T")

_PACK_NAME = re.compile(r"[a-z0-9-]{1,40}")
_CODE = re.compile(r"[a-z0-9_]{1,40}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Same shape as money.py accepts; checked here too so that a negative or malformed
# deposit is still reported when the currency itself is unknown.
_AMOUNT = re.compile(r"(-)?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]+)?")
_NAME_MAX = 200

_TOP_LEVEL_KEYS = (
    "pack",
    "version",
    "effective_from",
    "market_name",
    "currency",
    "country",
    "timezone",
    "review_sla_business_days",
    "payout_window_days",
    "bank_arrival_business_days",
    "topup_grace_days",
    "closure_waiting_days",
    "closure_notice_days",
    "closure_violation_types",
    "rectification_days",
    "unlink_cutoff_days",
    "max_amount",
    "security",
    "bank_fees",
    "categories",
    "ladder",
)
_CATEGORY_KEYS = ("code", "name", "deposit", "after_sales_days")
_LADDER_KEYS = ("step", "after_days")
_BANK_FEE_KEYS = ("currency", "fee")
_SECURITY_KEYS = (
    "step_up_minutes",
    "payout_account_change_days",
    "max_failed_second_factor",
    "lock_minutes",
)

# REF-5: reviews are decided within 1-3 business days.
_REVIEW_SLA_RANGE = (1, 3)
_PAYOUT_WINDOW_RANGE = (1, 365)


@lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__  # e.g. a TOML number with a point: never money


class _Reader:
    """Collects every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def add(self, field: str, rule: str, message: str) -> None:
        self.problems.append(FieldProblem(field, rule, message))

    def unknown_keys(self, table: Mapping[str, object], allowed: tuple[str, ...], at: str) -> None:
        for key in table:
            if key not in allowed:
                self.add(
                    _join(at, key),
                    "unknown_key",
                    f"unknown key {key!r}; expected one of: {', '.join(allowed)}",
                )

    def present(self, table: Mapping[str, object], key: str, at: str) -> object | None:
        value = table.get(key)
        if value is None:
            self.add(_join(at, key), "required", f"{key!r} is required")
        return value

    def integer(
        self,
        table: Mapping[str, object],
        key: str,
        at: str,
        low: int,
        high: int | None = None,
    ) -> int | None:
        value = self.present(table, key, at)
        if value is None:
            return None
        return self.check_integer(value, _join(at, key), low, high)

    def check_integer(self, value: object, field: str, low: int, high: int | None) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(field, "type", f"must be an integer, not a {_type_name(value)}")
            return None
        if high is not None:
            if not low <= value <= high:
                self.add(field, "range", f"must be between {low} and {high}; got {value}")
                return None
        elif value < low:
            rule = "non_negative" if low == 0 else "positive"
            self.add(field, rule, f"must be at least {low}; got {value}")
            return None
        return value

    def string(
        self,
        table: Mapping[str, object],
        key: str,
        at: str,
        pattern: re.Pattern[str] | None = None,
        shape: str = "",
    ) -> str | None:
        value = self.present(table, key, at)
        if value is None:
            return None
        return self.check_string(value, _join(at, key), pattern, shape)

    def check_string(
        self, value: object, field: str, pattern: re.Pattern[str] | None, shape: str
    ) -> str | None:
        if not isinstance(value, str):
            self.add(field, "type", f"must be a string, not a {_type_name(value)}")
            return None
        if pattern is not None and pattern.fullmatch(value) is None:
            self.add(field, "format", f"{value!r} is not {shape}")
            return None
        return value

    def table(self, value: object, field: str) -> Mapping[str, object] | None:
        if not isinstance(value, dict):
            self.add(field, "type", f"must be a table, not a {_type_name(value)}")
            return None
        return value

    def array(self, value: object, field: str) -> list[object] | None:
        if not isinstance(value, list):
            self.add(field, "type", f"must be an array, not a {_type_name(value)}")
            return None
        return value


def _join(at: str, key: str) -> str:
    return f"{at}.{key}" if at else key


def _ok(value: _T | None) -> _T:
    # Only reached once the reader recorded no problem, so every value is set.
    if value is None:  # pragma: no cover - guarded by the problem list
        raise AssertionError("policy pack value missing after validation")
    return value


def parse_pack(text: str) -> PolicyPack:
    """Parse and validate a policy pack; raise `PolicyProblems` listing every problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyProblems([FieldProblem("toml", "toml_syntax", str(error))]) from error

    r = _Reader()
    r.unknown_keys(doc, _TOP_LEVEL_KEYS, "")

    pack = r.string(doc, "pack", "", _PACK_NAME, "1-40 characters of a-z, 0-9 and '-'")
    version = r.integer(doc, "version", "", 1)
    effective_from = _effective_from(r, doc)
    market_name = _name(r, doc, "market_name", "")
    currency = _currency(r, doc)
    country = _country(r, doc)
    timezone = _timezone(r, doc)
    review = r.integer(doc, "review_sla_business_days", "", *_REVIEW_SLA_RANGE)
    payout_window = r.integer(doc, "payout_window_days", "", *_PAYOUT_WINDOW_RANGE)
    bank_arrival = _bank_arrival(r, doc)
    topup_grace = r.integer(doc, "topup_grace_days", "", 0)
    closure_waiting = r.integer(doc, "closure_waiting_days", "", 0)
    closure_notice = r.integer(doc, "closure_notice_days", "", 0)
    violation_types = _violation_types(r, doc)
    rectification = (
        r.integer(doc, "rectification_days", "", 0, 3650)
        if "rectification_days" in doc
        else DEFAULT_RECTIFICATION_DAYS
    )
    unlink_cutoff = (
        r.integer(doc, "unlink_cutoff_days", "", 0, 365)
        if "unlink_cutoff_days" in doc
        else DEFAULT_UNLINK_CUTOFF_DAYS
    )
    security = _security(r, doc)
    bank_fees = _bank_fees(r, doc)
    categories = _categories(r, doc, currency)
    ladder = _ladder(r, doc)
    max_amount = _max_amount(r, doc, currency)
    if categories and max_amount:
        for index, category in enumerate(categories):
            if category.deposit.minor > max_amount.minor:
                r.add(
                    f"categories[{index}].deposit",
                    "max_amount",
                    f"the deposit {category.deposit} is above max_amount {max_amount}",
                )

    if r.problems:
        raise PolicyProblems(r.problems)
    return PolicyPack(
        pack=_ok(pack),
        version=_ok(version),
        effective_from=_ok(effective_from),
        currency=_ok(currency),
        market_name=_ok(market_name),
        country=_ok(country),
        timezone=_ok(timezone),
        categories=_ok(categories),
        review_sla_business_days=_ok(review),
        payout_window_days=_ok(payout_window),
        bank_arrival_business_days=_ok(bank_arrival),
        topup_grace_days=_ok(topup_grace),
        closure_waiting_days=_ok(closure_waiting),
        closure_notice_days=_ok(closure_notice),
        ladder=_ok(ladder),
        security=_ok(security),
        closure_violation_types=_ok(violation_types),
        rectification_days=_ok(rectification),
        unlink_cutoff_days=_ok(unlink_cutoff),
        max_amount=max_amount,
        bank_fees=_ok(bank_fees),
        source=text,
    )


def _effective_from(r: _Reader, doc: Mapping[str, object]) -> date | None:
    value = r.present(doc, "effective_from", "")
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date | str):
        r.add(
            "effective_from",
            "date",
            f"must be a date such as 2024-01-01, not a {_type_name(value)}",
        )
        return None
    if isinstance(value, date):
        return value
    if _ISO_DATE.fullmatch(value) is not None:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    r.add("effective_from", "date", f"{value!r} is not a date such as 2024-01-01")
    return None


def _name(r: _Reader, table: Mapping[str, object], key: str, at: str) -> str | None:
    value = r.string(table, key, at)
    if value is None:
        return None
    if not value.strip() or len(value) > _NAME_MAX:
        r.add(_join(at, key), "format", f"must be 1-{_NAME_MAX} characters, not blank")
        return None
    return value


def _currency(r: _Reader, doc: Mapping[str, object]) -> str | None:
    value = r.string(doc, "currency", "")
    if value is None:
        return None
    try:
        return check_currency(value, "currency")
    except ValidationProblem as problem:
        r.problems.extend(problem.problems)
        return None


def _country(r: _Reader, doc: Mapping[str, object]) -> str | None:
    value = r.string(doc, "country", "")
    if value is None:
        return None
    if value not in _supported_countries():
        r.add(
            "country",
            "country",
            f"{value!r} is not a country code with a holiday calendar (e.g. 'GB', 'US', 'CN')",
        )
        return None
    return value


def _timezone(r: _Reader, doc: Mapping[str, object]) -> str | None:
    value = r.string(doc, "timezone", "")
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        r.add("timezone", "timezone", f"{value!r} is not an IANA time zone such as 'Europe/London'")
        return None
    return value


def _bank_arrival(r: _Reader, doc: Mapping[str, object]) -> tuple[int, int] | None:
    field = "bank_arrival_business_days"
    value = r.present(doc, field, "")
    if value is None:
        return None
    items = r.array(value, field)
    if items is None:
        return None
    if len(items) != 2:
        r.add(field, "format", f"must be [from, to], two integers; got {len(items)} values")
        return None
    low = r.check_integer(items[0], f"{field}[0]", 0, None)
    high = r.check_integer(items[1], f"{field}[1]", 0, None)
    if low is None or high is None:
        return None
    if low > high:
        r.add(field, "range", f"from ({low}) must not be after to ({high})")
        return None
    return (low, high)


def _violation_types(r: _Reader, doc: Mapping[str, object]) -> tuple[str, ...] | None:
    field = "closure_violation_types"
    value = doc.get(field)
    if value is None:
        return ()
    items = r.array(value, field)
    if items is None:
        return None
    result: list[str] = []
    ok = True
    for index, item in enumerate(items):
        at = f"{field}[{index}]"
        code = r.check_string(item, at, _CODE, "1-40 characters of a-z, 0-9 and '_'")
        if code is None:
            ok = False
        elif code in result:
            r.add(at, "unique", f"{code!r} is listed twice")
            ok = False
        else:
            result.append(code)
    return tuple(result) if ok else None


def _security(r: _Reader, doc: Mapping[str, object]) -> SecurityThresholds | None:
    value = r.present(doc, "security", "")
    if value is None:
        return None
    table = r.table(value, "security")
    if table is None:
        return None
    r.unknown_keys(table, _SECURITY_KEYS, "security")
    values = [r.integer(table, key, "security", 1) for key in _SECURITY_KEYS]
    if any(v is None for v in values):
        return None
    step_up, account_change, max_failed, lock = (_ok(v) for v in values)
    return SecurityThresholds(
        step_up_minutes=step_up,
        payout_account_change_days=account_change,
        max_failed_second_factor=max_failed,
        lock_minutes=lock,
    )


def _bank_fees(r: _Reader, doc: Mapping[str, object]) -> tuple[BankFee, ...] | None:
    """REF-7: optional `[[bank_fees]]`, one per destination currency, each
    `{currency, fee}` with the fee in that currency."""
    value = doc.get("bank_fees")
    if value is None:
        return ()
    items = r.array(value, "bank_fees")
    if items is None:
        return None
    result: list[BankFee] = []
    seen: set[str] = set()
    ok = True
    for index, item in enumerate(items):
        at = f"bank_fees[{index}]"
        table = r.table(item, at)
        if table is None:
            ok = False
            continue
        r.unknown_keys(table, _BANK_FEE_KEYS, at)
        code = r.string(table, "currency", at)
        if code is not None:
            try:
                code = check_currency(code, f"{at}.currency")
            except ValidationProblem as problem:
                r.problems.extend(problem.problems)
                code = None
        if code is not None:
            if code in seen:
                r.add(f"{at}.currency", "unique", f"a fee for {code} is given twice")
                code = None
            else:
                seen.add(code)
        fee = _amount(r, table, "fee", at, code) if code is not None else None
        if code is None or fee is None:
            ok = False
            continue
        result.append(BankFee(fee))
    return tuple(result) if ok else None


def _categories(
    r: _Reader, doc: Mapping[str, object], currency: str | None
) -> tuple[Category, ...] | None:
    value = doc.get("categories")
    if value is None or value == []:
        r.add("categories", "missing_category", "a pack needs at least one [[categories]] entry")
        return None
    items = r.array(value, "categories")
    if items is None:
        return None
    result: list[Category] = []
    seen: set[str] = set()
    ok = True
    for index, item in enumerate(items):
        at = f"categories[{index}]"
        table = r.table(item, at)
        if table is None:
            ok = False
            continue
        r.unknown_keys(table, _CATEGORY_KEYS, at)
        code = r.string(table, "code", at, _CODE, "1-40 characters of a-z, 0-9 and '_'")
        if code is not None:
            if code in seen:
                r.add(f"{at}.code", "unique", f"category {code!r} is defined twice")
                code = None
            else:
                seen.add(code)
        name = _name(r, table, "name", at)
        deposit = _deposit(r, table, at, currency)
        after_sales = r.integer(table, "after_sales_days", at, 0)
        if code is None or name is None or deposit is None or after_sales is None:
            ok = False
            continue
        result.append(Category(code, name, deposit, after_sales))
    return tuple(result) if ok else None


def _max_amount(r: _Reader, doc: Mapping[str, object], currency: str | None) -> Money | None:
    """The largest single amount of the market (optional; default 10^12 units)."""
    if doc.get("max_amount") is None:
        return None
    money = _amount(r, doc, "max_amount", "", currency)
    if money is None:
        return None
    if not money.is_positive() or money.minor > MAX_AMOUNT_CAP_MINOR:
        r.add(
            "max_amount",
            "range",
            f"max_amount must be above zero and at most {MAX_AMOUNT_CAP_MINOR:,} minor units "
            f"(the default is {DEFAULT_MAX_AMOUNT_UNITS:,} units)",
        )
        return None
    return money


def _deposit(
    r: _Reader, table: Mapping[str, object], at: str, currency: str | None
) -> Money | None:
    return _amount(r, table, "deposit", at, currency)


def _amount(
    r: _Reader, table: Mapping[str, object], key: str, at: str, currency: str | None
) -> Money | None:
    field = _join(at, key)
    value = r.present(table, key, at)
    if value is None:
        return None
    sample = example(currency) if currency is not None else "5000.00"
    if not isinstance(value, str):
        r.add(
            field,
            "decimal_string",
            f"must be a quoted decimal string such as {sample!r}, not a {_type_name(value)}",
        )
        return None
    shape = _AMOUNT.fullmatch(value)
    if shape is None:
        r.add(field, "decimal_string", f"{value!r} is not a decimal amount such as {sample!r}")
        return None
    ok = True
    if shape.group(1):
        r.add(field, "non_negative", f"{key} cannot be negative; got {value!r}")
        ok = False
    if currency is None:
        return None  # the currency problem is already listed
    try:
        money = Money.parse(value, currency, field=field)
    except ValidationProblem as problem:
        r.problems.extend(problem.problems)
        return None
    return money if ok else None


def _ladder(r: _Reader, doc: Mapping[str, object]) -> tuple[LadderStep, ...] | None:
    value = r.present(doc, "ladder", "")
    if value is None:
        return None
    items = r.array(value, "ladder")
    if items is None:
        return None
    if not items:
        r.add("ladder", "required", "the ladder needs at least one [[ladder]] step")
        return None
    result: list[LadderStep] = []
    seen: set[str] = set()
    ok = True
    previous_rank = -1
    previous_days: int | None = None
    for index, item in enumerate(items):
        at = f"ladder[{index}]"
        table = r.table(item, at)
        if table is None:
            ok = False
            continue
        r.unknown_keys(table, _LADDER_KEYS, at)
        step = r.string(table, "step", at)
        if step is not None:
            if step not in LADDER_STEPS:
                r.add(
                    f"{at}.step",
                    "ladder_step",
                    f"{step!r} is not a ladder step; use: {', '.join(LADDER_STEPS)}",
                )
                step = None
            elif step in seen:
                r.add(f"{at}.step", "unique", f"step {step!r} appears twice")
                step = None
            else:
                seen.add(step)
                rank = LADDER_STEPS.index(step)
                if rank < previous_rank:
                    r.add(
                        f"{at}.step",
                        "ladder_order",
                        f"{step!r} must come before {LADDER_STEPS[previous_rank]!r}; "
                        f"steps go in the order {', '.join(LADDER_STEPS)}",
                    )
                    step = None
                previous_rank = max(previous_rank, rank)
        after_days = r.integer(table, "after_days", at, 0)
        if after_days is not None:
            if previous_days is not None and after_days <= previous_days:
                r.add(
                    f"{at}.after_days",
                    "ladder_order",
                    f"after_days must be greater than the previous step's ({previous_days}); "
                    f"got {after_days}",
                )
                after_days = None
            else:
                previous_days = after_days
        if step is None or after_days is None:
            ok = False
            continue
        result.append(LadderStep(step, after_days))
    return tuple(result) if ok else None


def dump_pack(pack: PolicyPack) -> str:
    """TOML text for a pack; `parse_pack(dump_pack(p)) == p`. Amounts as decimal strings."""
    doc: dict[str, object] = {
        "pack": pack.pack,
        "version": pack.version,
        "effective_from": pack.effective_from,
        "market_name": pack.market_name,
        "currency": pack.currency,
        "country": pack.country,
        "timezone": pack.timezone,
        "review_sla_business_days": pack.review_sla_business_days,
        "payout_window_days": pack.payout_window_days,
        "bank_arrival_business_days": list(pack.bank_arrival_business_days),
        "topup_grace_days": pack.topup_grace_days,
        "closure_waiting_days": pack.closure_waiting_days,
        "closure_notice_days": pack.closure_notice_days,
        "closure_violation_types": list(pack.closure_violation_types),
        "rectification_days": pack.rectification_days,
        "unlink_cutoff_days": pack.unlink_cutoff_days,
        **({"max_amount": pack.max_amount.format()} if pack.max_amount else {}),
        "security": {
            "step_up_minutes": pack.security.step_up_minutes,
            "payout_account_change_days": pack.security.payout_account_change_days,
            "max_failed_second_factor": pack.security.max_failed_second_factor,
            "lock_minutes": pack.security.lock_minutes,
        },
        "categories": [
            {
                "code": c.code,
                "name": c.name,
                "deposit": c.deposit.format(),
                "after_sales_days": c.after_sales_days,
            }
            for c in pack.categories
        ],
        "ladder": [{"step": s.step, "after_days": s.after_days} for s in pack.ladder],
        **(
            {"bank_fees": [{"currency": f.currency, "fee": f.fee.format()} for f in pack.bank_fees]}
            if pack.bank_fees
            else {}
        ),
    }
    header = (
        f"# depositdesk policy pack {pack.pack!r}, version {pack.version}.\n"
        "# Deposits are quoted decimal strings in the pack currency; days are calendar days\n"
        "# unless the key says business_days. Check with `depositdesk policy check FILE`.\n\n"
    )
    return header + tomli_w.dumps(doc)


def load_default_packs() -> list[PolicyPack]:
    """The packs shipped in `depositdesk/policies/*.toml`, sorted by file name."""
    folder = resources.files("depositdesk").joinpath("policies")
    packs: list[PolicyPack] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml") or not entry.is_file():
            continue
        try:
            packs.append(parse_pack(entry.read_text(encoding="utf-8")))
        except PolicyProblems as problems:
            problems.add_note(f"in shipped policy pack {entry.name}")
            raise
    return packs
