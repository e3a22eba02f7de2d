"""The evidence bundle: stored events, the chain, its digest, and how to check them.

An auditor needs nothing of closedloop to check a bundle: ``verify_bundle.py`` (copied in)
recomputes the chain with Python's standard library, as ``VERIFY.md`` describes.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Notification

from closedloop.domain.errors import InvalidInput
from closedloop.projections import verify_bundle
from closedloop.projections.audit import entries, head, stored
from closedloop.projections.audit_digest import ALGORITHM, digest_of, sign
from closedloop.projections.projection import View

SCRIPT = "verify_bundle.py"

#: How to check a signed digest without closedloop (OpenSSL 3 and Python), in the bundle's folder.
OPENSSL_CHECK = """\
python3 -c "import base64, json; d = json.load(open('digest.json'));
open('digest.sig', 'wb').write(base64.b64decode(d.pop('signature')));
open('digest.signed', 'wb').write(json.dumps(d, sort_keys=True, separators=(',', ':')).encode())"
openssl pkeyutl -verify -pubin -inkey audit.pub -rawin -in digest.signed -sigfile digest.sig
"""

VERIFY = """# Verifying this bundle

`events.jsonl` holds every stored event up to the digest's position, one JSON object a
line, in order: `position` (the store's notification id; ids may have gaps),
`originator_id` (the aggregate's UUID, hyphenated lower case), `originator_version`,
`topic` (the event class) and `state_base64` (the stored state bytes, base64; the state is
JSON, also given as `state_text` where it is UTF-8, for reading only: it is not hashed).

`chain.jsonl` holds the audit trail's entry for each event, in the same order: who
(`actor`; `bookkeeping` marks the store's own listing entries, which have none), when
(`recorded_at`), why (`reason`), what (`aggregate_type`, `aggregate_id`, `version`,
`event_type`) and `hash`.

The chain is `{algorithm}`. Before the first event the link is 32 zero
bytes; each event's link is SHA-256 over the previous link's 32 bytes followed by the UTF-8
bytes of the compact JSON array (separators `,` and `:`, ASCII only)

    [position, originator_id, originator_version, topic, state_base64]

and its hex form is the entry's `hash`. `digest.json` is the head: `count` of events,
last `position` and its `hash`. If it is signed, `signature` is Ed25519 (base64) over the
digest's JSON with sorted keys and no spaces, without the `signature` field. Check it with
`closedloop audit verify --digest digest.json --public-key audit.pub` against the store, or
without closedloop, beside the signer's public key `audit.pub`:

```sh
{openssl}```

Check the bundle with Python's standard library only: `python {script} .`
prints `OK` and exits 0 when every event hashes to its entry and the last one to the
digest. The script:

```python
{source}```
"""


def export(view: View, folder: str | Path, private_key_pem: bytes | None = None) -> dict[str, Any]:
    """Write the bundle into ``folder`` (new or empty), its digest signed when given a key;
    returns the digest and the file names."""
    target = Path(folder)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput(f"{target} is not an empty folder: the bundle needs one of its own")
    view.catch_up()
    top = head(view)
    digest = digest_of(top)
    if private_key_pem is not None:
        digest = sign(digest, private_key_pem)
    source = Path(verify_bundle.__file__).read_text(encoding="utf-8")
    try:
        target.mkdir(parents=True, exist_ok=True)
        _lines(target / "events.jsonl", map(_event, stored(view.projection.store, top["position"])))
        _lines(target / "chain.jsonl", entries(view))
        (target / "digest.json").write_text(json.dumps(digest, indent=2) + "\n", "utf-8")
        (target / SCRIPT).write_text(source, "utf-8")
        text = VERIFY.format(
            algorithm=ALGORITHM, script=SCRIPT, source=source, openssl=OPENSSL_CHECK
        )
        (target / "VERIFY.md").write_text(text, "utf-8")
    except OSError as error:
        raise InvalidInput(f"cannot write the bundle into {target}: {error.strerror}") from None
    files = ["events.jsonl", "chain.jsonl", "digest.json", SCRIPT, "VERIFY.md"]
    return {"folder": str(target), "digest": digest, "files": files}


def _event(notification: Notification) -> dict[str, Any]:
    row = {
        "position": notification.id,
        "originator_id": str(notification.originator_id),
        "originator_version": notification.originator_version,
        "topic": notification.topic,
        "state_base64": base64.b64encode(notification.state).decode(),
    }
    with contextlib.suppress(UnicodeDecodeError):
        row["state_text"] = notification.state.decode("utf-8")
    return row


def _lines(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
