"""API keys of the test cast, for HTTP tests: one key per actor, and its header."""

from __future__ import annotations

from closedloop import Actor
from closedloop.adapters.http.keys import KeyEntry, Keyring, hash_key
from tests.cast import AUDITOR, CEO, CFO, HEAD, LI, ZHOU

CAST = (CEO, CFO, HEAD, LI, ZHOU, AUDITOR)


def key_of(actor: Actor) -> str:
    return f"test-key-of-{actor.id}"


def bearer(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {key_of(actor)}"}


def entry(actor: Actor) -> KeyEntry:
    return KeyEntry(
        id=actor.id,
        name=actor.name,
        roles=sorted(actor.roles),
        superior=actor.superior,
        sha256=hash_key(key_of(actor)),
    )


def keyring() -> Keyring:
    return Keyring.from_entries([entry(actor) for actor in CAST])


def auth_toml() -> str:
    """The cast's keys as an auth file, hashed as production files should be."""
    blocks = []
    for actor in CAST:
        superior = f'superior = "{actor.superior}"\n' if actor.superior else ""
        roles = ", ".join(f'"{role}"' for role in sorted(actor.roles))
        blocks.append(
            f'[[keys]]\nsha256 = "{hash_key(key_of(actor))}"\nid = "{actor.id}"\n'
            f'name = "{actor.name}"\nroles = [{roles}]\n{superior}'
        )
    return "\n".join(blocks)
