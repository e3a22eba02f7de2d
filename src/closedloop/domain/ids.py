"""Aggregate ids: a UUID, or a human reference (``REV-2026``) mapped to a stable UUID.

A reference lets batch files and scripts name what they create and use it later;
``uuid5`` makes the same reference of the same kind always the same aggregate.
"""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID, uuid4, uuid5

from closedloop.domain.errors import InvalidInput

NAMESPACE = UUID("5b0e2f7c-6a43-4c36-9d0e-8f0c1d2a3b4c")


def aggregate_id(kind: str, ref: str | UUID) -> UUID:
    """The id of the ``kind`` aggregate named ``ref`` (a UUID as text, or a reference)."""
    if isinstance(ref, UUID):
        return ref
    text = ref.strip()
    if not text:
        raise InvalidInput(f"an empty {kind} reference")
    return _text_id(kind, text)


@lru_cache(maxsize=4096)
def _text_id(kind: str, text: str) -> UUID:
    """Cached: an import names the same few customers row after row."""
    try:
        return UUID(text)
    except ValueError:
        return uuid5(NAMESPACE, f"{kind}:{text}")


def new_id(kind: str, ref: str | None) -> UUID:
    """Id for a new ``kind`` aggregate: derived from ``ref`` when given, else random."""
    return aggregate_id(kind, ref) if ref else uuid4()
