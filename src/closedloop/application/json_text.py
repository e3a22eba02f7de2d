"""JSON text parsed by the C scanner alone whenever it is one value, first character to last.

``JSONDecoder.decode`` runs two regular-expression matches and two Python frames around
the C scanner for every text; every replay parses every stored event (the transcoder's
decode, and the audit trail's who and when), and every read of a view parses its rows, so
those steps were a visible part of each.
"""

from __future__ import annotations

import _json
import json
from collections.abc import Callable
from typing import Any


class Parser:
    """``slow(text)`` (``decoder.decode`` unless given): the same value, or the same error,
    in fewer steps.

    Anything the fast path would not take whole (spaces around the value, extra data, no
    value at the first character) goes to ``slow``, for its result or its error.
    """

    def __init__(self, decoder: json.JSONDecoder, slow: Callable[[str], Any] | None = None) -> None:
        self._slow = decoder.decode if slow is None else slow
        # typeshed types the scanner's context as a scanner, not as the decoder it reads.
        self._scan = _json.make_scanner(decoder)  # type: ignore[arg-type]

    def __call__(self, text: str) -> Any:
        try:
            value, end = self._scan(text, 0)
        except StopIteration:  # no value at the first character (spaces, nothing, bad)
            return self._slow(text)
        if end != len(text):  # spaces or more after the value
            return self._slow(text)
        return value


#: ``json.loads`` of a text, in fewer steps: what the views and the audit trail read back.
loads = Parser(json.JSONDecoder(), json.loads)
