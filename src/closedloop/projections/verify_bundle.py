"""Check a closedloop evidence bundle with Python's standard library only.

Usage: python verify_bundle.py BUNDLE_DIR   (exit 0: the chain holds; 1: it does not)

Each event's link is SHA-256 over the previous link (32 bytes; 32 zero bytes before the
first event) followed by the UTF-8 of the compact JSON array
[position, originator_id, originator_version, topic, state_base64]. closedloop computes
its audit chain with this very function, so this file is the definition of the chain.
"""

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def link(
    previous: str, position: int, originator_id: str, version: int, topic: str, state: bytes
) -> str:
    """The chain hash after the stored event (``state`` is its stored bytes)."""
    fields = [position, originator_id, version, topic, base64.b64encode(state).decode()]
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(bytes.fromhex(previous) + text.encode()).hexdigest()


def lines(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def check(bundle: Path) -> str | None:
    """None when the bundle holds, else what is wrong and at which position."""
    events = lines(bundle / "events.jsonl")
    chain = lines(bundle / "chain.jsonl")
    digest = json.loads((bundle / "digest.json").read_text(encoding="utf-8"))
    if len(events) != len(chain):
        return f"{len(events)} events but {len(chain)} chain entries"
    previous = GENESIS
    for event, entry in zip(events, chain, strict=True):
        position = event["position"]
        if position != entry["position"]:
            return f"position {position}: the chain entry is for position {entry['position']}"
        state = base64.b64decode(event["state_base64"])
        previous = link(
            previous,
            position,
            event["originator_id"],
            event["originator_version"],
            event["topic"],
            state,
        )
        if previous != entry["hash"]:
            return f"position {position}: the event does not hash to its chain entry"
    head = [len(chain), chain[-1]["position"] if chain else 0, previous]
    if head != [digest["count"], digest["position"], digest["hash"]]:
        return f"the digest {digest} is not the head of the chain {head}"
    return None


def main(argv: list[str]) -> int:
    bundle = Path(argv[1])
    problem = check(bundle)
    if problem is not None:
        print(f"FAILED: {problem}")
        return 1
    digest = json.loads((bundle / "digest.json").read_text(encoding="utf-8"))
    print(f"OK: {digest['count']} events, head position {digest['position']}, {digest['hash']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
