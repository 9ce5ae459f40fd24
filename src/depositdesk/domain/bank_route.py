"""Where a payout goes: the route text of a `PayoutInstruction`, parsed (REF-6).

A route is `key:value` pairs joined by `;`, for example

    iban:DE89370400440532013000;bic:COBADEFFXXX;name:Acme Trading GmbH
    account:6222021234567890123;bank:ICBC Shenzhen;name:深圳市某某贸易有限公司

keys: `iban` (ISO 13616, checked with its mod-97 digits; spaces allowed and
dropped), `bic` (ISO 9362, 8 or 11 characters), `name` (the account holder, at most
70 characters), `account` (an account number where there is no IBAN) and `bank`
(the bank's name). A value may not contain `;`. A EUR payout in a pain.001 bank file
needs `iban` and `name`; other gateways pass the route text on unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from depositdesk.domain.errors import FieldProblem, ValidationProblem

KEYS = ("iban", "bic", "name", "account", "bank")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9](?:[A-Z0-9]{3})?")
_ACCOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{0,33}")


@dataclass(frozen=True, slots=True)
class PayoutRoute:
    iban: str | None = None
    bic: str | None = None
    name: str | None = None
    account: str | None = None
    bank: str | None = None

    @classmethod
    def parse(cls, text: str, field: str = "route") -> PayoutRoute:
        """Parse route text; every problem is listed (`ValidationProblem`)."""
        problems: list[FieldProblem] = []
        values: dict[str, str] = {}
        for part in text.split(";"):
            if not part.strip():
                continue
            key, colon, value = part.partition(":")
            key, value = key.strip().lower(), value.strip()
            if not colon or key not in KEYS:
                problems.append(
                    FieldProblem(
                        field, "route_key", f"{part.strip()!r} is not one of {', '.join(KEYS)}"
                    )
                )
                continue
            if key in values:
                problems.append(FieldProblem(f"{field}.{key}", "unique", f"{key} is given twice"))
                continue
            values[key] = value
        if "iban" in values:
            values["iban"] = values["iban"].replace(" ", "").upper()
            if not is_iban(values["iban"]):
                problems.append(
                    FieldProblem(f"{field}.iban", "iban", f"{values['iban']!r} is not a valid IBAN")
                )
        if "bic" in values:
            values["bic"] = values["bic"].upper()
            if not _BIC.fullmatch(values["bic"]):
                problems.append(
                    FieldProblem(f"{field}.bic", "bic", f"{values['bic']!r} is not a BIC")
                )
        if "name" in values and not 1 <= len(values["name"]) <= 70:
            problems.append(
                FieldProblem(f"{field}.name", "length", "the name has 1 to 70 characters")
            )
        if "account" in values and not _ACCOUNT.fullmatch(values["account"]):
            problems.append(
                FieldProblem(
                    f"{field}.account",
                    "account",
                    "an account number has 1 to 34 letters, digits, spaces or dashes",
                )
            )
        if "bank" in values and not 1 <= len(values["bank"]) <= 140:
            problems.append(
                FieldProblem(f"{field}.bank", "length", "the bank name has 1 to 140 characters")
            )
        if not values.keys() & {"iban", "account"} and not problems:
            problems.append(FieldProblem(field, "account", "a route needs an iban or an account"))
        if problems:
            raise ValidationProblem(problems)
        return cls(**values)

    def format(self) -> str:
        """The canonical route text (keys in the order of `KEYS`)."""
        return ";".join(f"{key}:{getattr(self, key)}" for key in KEYS if getattr(self, key))

    def __str__(self) -> str:
        return self.format()


def is_iban(value: str) -> bool:
    """ISO 13616: the shape, then the check digits (the number mod 97 is 1)."""
    if not _IBAN.fullmatch(value):
        return False
    moved = value[4:] + value[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1
