"""UNL-4: what an anonymised archive keeps of the marketplace's event data.

`scrub` works from a cached plan per shape of object (domain/archives.py); these
properties hold for any JSON, whatever its shape, nesting or repetition."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from depositdesk.domain.archives import REMOVED, scrub

KEYS = st.sampled_from(
    [
        "customer_id",
        "buyer",
        "user_id",
        "customer_name",
        "email",
        "phone",
        "shipping",
        "address",
        "order_id",
        "amount",
        "currency",
        "tax",
        "subject",
        "note",
        "items",
    ]
) | st.text(alphabet="xyz_", max_size=5)
TEXTS = st.sampled_from(
    ["call me on +44 7700 900123", "write to ann@mail.example", "order 12.50", "plain"]
) | st.text(alphabet="0123456789 +-.()@abcxyz", max_size=30)
LEAVES = st.none() | st.booleans() | st.integers() | TEXTS
JSON = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=25,
)


def pseudonym(customer_id: str) -> str:
    return f"cus_{customer_id}"


def _walk(original: Any, scrubbed: Any) -> None:
    """Every object keeps its keys; personal keys hold "[removed]"; customer ids are
    pseudonyms; ids, codes and amounts are as they were; free text has no email."""
    if isinstance(original, dict):
        assert isinstance(scrubbed, dict)
        assert list(scrubbed) == list(original)
        for key, value in original.items():
            out = scrubbed[key]
            lowered = key.lower()
            if lowered in ("customer_id", "buyer", "user_id"):
                if isinstance(value, str | int):
                    assert out == pseudonym(str(value))
                    continue
            elif any(p in lowered for p in ("name", "mail", "phone", "address", "ship")):
                if "ship" not in lowered:  # "shipping" itself is not personal
                    assert out == REMOVED
                    continue
            elif key in ("order_id", "amount", "currency", "tax") and not isinstance(
                value, dict | list
            ):
                assert out == value
                continue
            _walk(value, out)
    elif isinstance(original, list):
        assert isinstance(scrubbed, list) and len(scrubbed) == len(original)
        for value, out in zip(original, scrubbed, strict=True):
            _walk(value, out)
    elif isinstance(original, str):
        assert "ann@mail.example" not in scrubbed
        assert "7700 900123" not in scrubbed
    else:
        assert scrubbed == original


@settings(max_examples=400)
@given(JSON)
def test_scrub_removes_personal_fields_and_keeps_the_rest_unl_4(data: Any) -> None:
    _walk(data, scrub(data, pseudonym))


@settings(max_examples=200)
@given(st.lists(st.dictionaries(KEYS, LEAVES, max_size=6), min_size=2, max_size=6))
def test_objects_of_one_shape_are_scrubbed_alike_unl_4(objects: list[dict[str, Any]]) -> None:
    """The plan cached for the first object of a shape serves every later one: the
    same keys with other values come out as if each were scrubbed first."""
    shape = list(objects[0])
    same_shape = [{k: o.get(k) for k in shape} for o in objects]
    for obj in same_shape:
        first = scrub(obj, pseudonym)
        assert scrub(obj, pseudonym) == first
        _walk(obj, first)


def test_a_nested_personal_object_is_removed_whole_and_a_nested_customer_kept_apart() -> None:
    data = {
        "order_id": "o-1",
        "shipping": {"recipient": "Ann Example", "address": {"line1": "1 High St"}},
        "items": [{"buyer": "b-7", "note": "ring +44 7700 900123"}],
        "customer_id": 42,
    }
    assert scrub(data, pseudonym) == {
        "order_id": "o-1",
        "shipping": {"recipient": REMOVED, "address": REMOVED},
        "items": [{"buyer": "cus_b-7", "note": f"ring {REMOVED}"}],
        "customer_id": "cus_42",
    }


def test_an_object_of_many_keys_takes_the_general_path_with_the_same_result() -> None:
    """Objects of more than 64 keys are not given a function of their own."""
    wide = {f"field_{i}": f"value {i}" for i in range(100)}
    wide |= {"email": "ann@mail.example", "customer_id": "c-1", "order_id": "o-1"}
    out = scrub(wide, pseudonym)
    assert out["email"] == REMOVED and out["customer_id"] == "cus_c-1"
    assert out["order_id"] == "o-1" and out["field_7"] == "value 7"
    assert list(out) == list(wide)
