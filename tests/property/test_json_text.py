"""``json_text.Parser`` (the C scanner alone when the text is one value) against what it
stands for (``json.loads`` for the audit trail, a decoder's ``decode`` for the transcoder):
the same value from any text, or the same error."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from closedloop.application.json_text import Parser, loads

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)
DECODER = json.JSONDecoder()


def outcome(load: Any, text: str) -> tuple[Any, ...]:
    try:
        value = load(text)
    except Exception as error:
        return "error", type(error), str(error)
    return "value", value, repr(value)


@given(
    VALUES,
    st.sampled_from(["", " ", "\n\t", "\ufeff", "x"]),
    st.sampled_from(["", " ", "\n", "x", "}", ",1", "[]"]),
    st.integers(min_value=0, max_value=3),
)
def test_any_text_parses_as_json_loads_does_or_fails_as_it_does(
    value: Any, before: str, after: str, cut: int
) -> None:
    text = json.dumps(value, separators=(",", ":"))
    text = before + (text[:-cut] if cut else text) + after
    assert outcome(loads, text) == outcome(json.loads, text)
    assert outcome(Parser(DECODER), text) == outcome(DECODER.decode, text)
