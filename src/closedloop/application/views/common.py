"""Plain-data views shared by every aggregate's view."""

from __future__ import annotations

from typing import Any

from closedloop.domain.base import Approval


def approval_view(approval: Approval | None) -> dict[str, Any] | None:
    if approval is None:
        return None
    return {"by": approval.actor_id, "revision": approval.revision, "at": approval.at}
