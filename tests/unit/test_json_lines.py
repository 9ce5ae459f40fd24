"""EVT-1: the fast JSON-lines decoder judges every line exactly as the strict decoder
that guards the API does (property test over objects with repeated keys, escapes,
odd whitespace, huge integers and floats)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from depositdesk.domain.json_shape import shape_problem, strict_loads
from depositdesk.services.ingestion import decode_line

keys = st.sampled_from(["a", "b", "id", 'q"', "x\\", "k:"])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
spaces = st.sampled_from(["", " ", "\t", "  "])


@st.composite
def objects(draw: st.DrawFn, depth: int = 0) -> str:
    """An object's JSON text whose keys may repeat, with whitespace around colons."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 2 and draw(st.booleans()):
            value = draw(objects(depth + 1))
        else:
            value = json.dumps(draw(scalars))
        before, after = draw(spaces), draw(spaces)
        parts.append(f"{json.dumps(draw(keys))}{before}:{after}{value}")
    return "{" + ",".join(parts) + "}"


@settings(max_examples=400)
@given(text=objects())
def test_evt1_the_fast_decoder_judges_each_line_as_the_strict_one(text: str) -> None:
    line = text.encode()
    fast, strict = decode_line(line), strict_loads(line)
    assert (shape_problem(fast, "l", 16) is None) == (shape_problem(strict, "l", 16) is None)
    if shape_problem(strict, "l", 16) is None:
        assert fast == strict
