"""State kept packed as one text until it is read: what keeps a long history's load short.

A snapshot stores a long-lived aggregate's bounded lists (a customer's orders, points lots,
last year's purchases) as one text each: their rows as JSON, deflated, in base64 (a text
the store's JSON holds without escapes, a fifth of the JSON's size: reading and decoding
the snapshot was most of a load). Loading leaves them packed, and the events recorded after
the snapshot only queue their changes; the first read unpacks the rows and applies the
queued changes in order, so what is read is what applying each change at once would have
given. An aggregate kept in the library's cache is changed (fast-forwarded) but never read
(each command copies it), so past ``QUEUED`` changes it unpacks: its queue stays short.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Iterable
from typing import Any, Generic, Self, TypeVar

V = TypeVar("V")
#: Changes queued at most before they are applied (a snapshot is taken every 50 events).
QUEUED = 100
Change = Callable[[Any, Any], None]  # (the unpacked value, the change's argument)


class Packed(Generic[V]):
    """A value (``V``) kept as its JSON text of rows until first read; see the module."""

    __slots__ = ("_packed", "_pending", "_value")

    def __init__(self, packed: str = "") -> None:
        self._packed = packed
        self._value: V | None = None if packed else self._build([])
        self._pending: list[tuple[Change, Any]] = []

    @classmethod
    def _build(cls, rows: list[Any]) -> V:
        """The value from its rows (a new, unshared value)."""
        raise NotImplementedError

    @classmethod
    def _rows(cls, value: V) -> list[Any]:
        """The value's rows, for the packed text."""
        raise NotImplementedError

    @classmethod
    def of_rows(cls, rows: Iterable[Any]) -> Self:
        """Unpacked from the rows given (as an older snapshot held them)."""
        packed = cls()
        packed._value = cls._build(list(rows))
        return packed

    @property
    def packed(self) -> str:
        """The value as one text, for a snapshot (no work if never read); empty: ``""``."""
        if self._value is None and not self._pending:
            return self._packed
        rows = self._rows(self.value)
        return _pack(rows) if rows else ""

    @property
    def value(self) -> V:
        """The value, unpacked with the queued changes applied; the packed text stays as it
        was (a copy made meanwhile, in another thread, may still read it)."""
        if self._value is None:
            value = self._build(_unpack(self._packed))
            for change, argument in self._pending:
                change(value, argument)
            self._value = value  # before the queue empties: see __deepcopy__
            self._pending = []
        return self._value

    def _change(self, change: Change, argument: Any) -> None:
        """Apply ``change`` now if unpacked, else when first read (or the queue is full)."""
        if self._value is None and len(self._pending) < QUEUED:
            self._pending.append((change, argument))
        else:
            change(self.value, argument)

    @classmethod
    def _copy(cls, value: V) -> V:
        """A copy of the value that changes apart from it (its items are values)."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Packed) or type(other) is not type(self):
            return NotImplemented
        return bool(self.value == other.value)

    __hash__ = None  # type: ignore[assignment]  # it changes: never shared between copies

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """A copy that shares the packed text (immutable) and the queued changes' arguments
        (values), and copies what was unpacked. The queue is read first: if the value is
        still packed then, the queue read was complete (``value`` sets it before emptying
        the queue), should another thread unpack meanwhile."""
        pending, value = list(self._pending), self._value
        clone = object.__new__(type(self))  # not __init__: it would build an empty value
        clone._packed = self._packed
        clone._value = None if value is None else self._copy(value)
        clone._pending = pending if value is None else []
        return clone


def _pack(rows: list[Any]) -> str:
    text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 1)).decode("ascii")


def _unpack(packed: str) -> Any:
    return json.loads(zlib.decompress(base64.b64decode(packed)))
