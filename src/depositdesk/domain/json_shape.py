"""Bounds on the shape of JSON that comes in: depth, integers, numbers, strings, keys.

What is stored must be exactly what can be read back, and no value may break a
later step (an integer the database cannot hold, a string that cannot be encoded
as UTF-8, a NaN that turns into null). The decoder at the edge (the API's strict
JSON, entrypoints/api/strict_json.py) does not fail on such values: it leaves a
marker in their place, so that a batch of events can reject the one event that
holds it and take the rest (EVT-1). `shape_problem` finds the first marker or bad
value and says where and why.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

INT64 = (-(2**63), 2**63 - 1)

# C0 controls other than tab, newline and carriage return; DEL and C1 controls;
# bidirectional overrides and isolates (they make text read differently from what
# it is); lone UTF-16 surrogates (they cannot be encoded as UTF-8).
_BAD_CHAR = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# For one-line text (names, references): no line breaks or tabs either.
_BAD_LINE_CHAR = re.compile(
    "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)


@dataclass(frozen=True, slots=True)
class OutOfRangeInt:
    """An integer literal beyond 64 bits (kept as its text)."""

    text: str


@dataclass(frozen=True, slots=True)
class NonFinite:
    """NaN, Infinity or a number too large for a double."""

    text: str


class DuplicateKeys(dict[str, object]):
    """An object in which a key appeared more than once (the last value is kept
    here, but the object is refused: which value was meant is unknowable)."""

    def __init__(self, pairs: list[tuple[str, object]], duplicates: list[str]) -> None:
        super().__init__(pairs)
        self.duplicates = duplicates


@dataclass(frozen=True, slots=True)
class ShapeProblem:
    path: str  # where, e.g. "data.items[2].name"
    rule: str  # max_depth, int64, finite_number, duplicate_key, text_characters
    message: str


class TooDeep(ValueError):
    """Nested too deep to decode at all."""


def _int(text: str) -> int | OutOfRangeInt:
    if len(text) > 20:
        return OutOfRangeInt(text)
    value = int(text)
    return value if INT64[0] <= value <= INT64[1] else OutOfRangeInt(text)


def _float(text: str) -> float | NonFinite:
    value = float(text)
    return value if math.isfinite(value) else NonFinite(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) == len(keys):
        return dict(pairs)
    seen: set[str] = set()
    duplicates = []
    for key in keys:
        if key in seen:
            duplicates.append(key)
        seen.add(key)
    return DuplicateKeys(pairs, duplicates)


def strict_loads(data: bytes | str) -> Any:
    """Decode JSON, leaving a marker where a value is out of bounds; raises
    json.JSONDecodeError for what is not JSON and TooDeep for runaway nesting."""
    try:
        return json.loads(
            data,
            object_pairs_hook=_object,
            parse_int=_int,
            parse_float=_float,
            parse_constant=NonFinite,
        )
    except RecursionError:
        raise TooDeep("the JSON is nested too deeply to read") from None


def bad_character(text: str, one_line: bool = False) -> str | None:
    """The first character not allowed in text, if any."""
    found = (_BAD_LINE_CHAR if one_line else _BAD_CHAR).search(text)
    return None if found is None else found.group()


def _describe(char: str) -> str:
    return f"U+{ord(char):04X}"


def _plain_flat(value: object) -> bool:
    """True for the usual event data: one object of printable strings. `isprintable`
    is False for every character refused here (and for some allowed ones, such as a
    tab or a no-break space, which then get the exact walk)."""
    if type(value) is not dict:  # not a DuplicateKeys either
        return False
    for item in value.values():
        if type(item) is not str:
            return False
    return "".join(value).isprintable() and "".join(value.values()).isprintable()


def shape_problem(value: object, path: str, max_depth: int) -> ShapeProblem | None:
    """The first thing wrong in a decoded JSON value, walking at most `max_depth`
    levels of arrays and objects; None when it is fine."""
    if max_depth >= 1 and _plain_flat(value):
        return None
    stack: list[tuple[object, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            char = bad_character(item)
            if char is not None:
                return ShapeProblem(
                    where,
                    "text_characters",
                    f"{where} holds the character {_describe(char)}: control, bidirectional "
                    "override or lone surrogate characters are not accepted",
                )
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT64[0] <= item <= INT64[1]:
                return _int64(where, str(item))
        elif isinstance(item, float):
            if not math.isfinite(item):
                return _finite(where, repr(item))
        elif isinstance(item, OutOfRangeInt):
            return _int64(where, item.text)
        elif isinstance(item, NonFinite):
            return _finite(where, item.text)
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                return ShapeProblem(
                    where, "max_depth", f"{where} is nested deeper than {max_depth} levels"
                )
            if isinstance(item, DuplicateKeys):
                return ShapeProblem(
                    where,
                    "duplicate_key",
                    f"{where} has the key {item.duplicates[0]!r} more than once",
                )
            if isinstance(item, dict):
                for key, child in item.items():
                    stack.append((key, f"{where} (a key)", depth + 1))
                    stack.append((child, f"{where}.{key}", depth + 1))
            else:
                for index, child in enumerate(item):
                    stack.append((child, f"{where}[{index}]", depth + 1))
        else:
            return ShapeProblem(where, "json", f"{where} is not a JSON value")
    return None


def _int64(where: str, text: str) -> ShapeProblem:
    return ShapeProblem(
        where, "int64", f"{where} is an integer beyond 64 bits ({text[:30]}); send it as a string"
    )


def _finite(where: str, text: str) -> ShapeProblem:
    return ShapeProblem(
        where, "finite_number", f"{where} is {text}: NaN and infinite numbers are not JSON"
    )
