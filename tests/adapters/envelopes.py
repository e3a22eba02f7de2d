"""Batch-file lines for adapter tests: command envelopes issued by the test cast."""

from __future__ import annotations

import json
from typing import Any

from closedloop import Actor
from tests.cast import CEO, CFO, HEAD

TARGET_ARGS = {
    "ref": "REV-2026",
    "metric": "revenue",
    "unit": "CNY",
    "period": "2026",
    "value": "12000000",
    "owner": HEAD.id,
    "basis": "2026 strategy: grow revenue 20 %",
}


def actor_json(actor: Actor) -> dict[str, Any]:
    return {
        "id": actor.id,
        "name": actor.name,
        "roles": sorted(actor.roles),
        "superior": actor.superior,
    }


def envelope(command: str, actor: Actor, args: dict[str, Any], **extra: Any) -> str:
    """One JSON line; ``extra`` adds envelope keys such as ``expected_version``."""
    return json.dumps({"command": command, "actor": actor_json(actor), "args": args, **extra})


def approved_target_lines() -> list[str]:
    """Create REV-2026, submitted by its owner and approved by another leader (R-G1)."""
    return [
        envelope("target.create", CEO, TARGET_ARGS),
        envelope("target.submit", HEAD, {"target": "REV-2026"}),
        envelope("target.approve", CFO, {"target": "REV-2026"}),
    ]
