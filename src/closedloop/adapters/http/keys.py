"""API keys → actors, from a TOML file; keys are best stored as SHA-256 hashes.

::

    [[keys]]
    sha256 = "9f86d08…"        # closedloop serve --hash-key < key.txt
    id = "li.marketer"
    name = "Li"
    roles = ["marketer"]
    superior = "chen.head"

A key may be given as ``key = "…"`` instead (plain text: for tests and local use only).
This module needs nothing beyond the core, so ``--hash-key`` works without the extra.
"""

from __future__ import annotations

import hashlib
import hmac
import tomllib
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from closedloop.application.inputs import ActorIn, invalid_input
from closedloop.domain.actor import Actor
from closedloop.domain.errors import ClosedLoopError, InvalidInput

AUTH_VARIABLE = "CLOSEDLOOP_AUTH"


class Unauthenticated(ClosedLoopError):
    """No API key, or one the configuration does not know."""

    kind = "unauthenticated"


def hash_key(key: str) -> str:
    """The hex SHA-256 of a key, as the configuration file stores it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyEntry(ActorIn):
    """One key and the actor it authenticates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    key: str | None = Field(None, min_length=16)

    @model_validator(mode="after")
    def _one_key(self) -> Self:
        if (self.sha256 is None) == (self.key is None):
            raise ValueError("give exactly one of sha256 (preferred) or key")
        return self

    @property
    def digest(self) -> str:
        return self.sha256.lower() if self.sha256 is not None else hash_key(self.key or "")


class KeyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    keys: list[KeyEntry] = Field(min_length=1)


class Keyring:
    """Who a presented key authenticates; only digests are kept in memory."""

    def __init__(self, actors: dict[str, Actor]) -> None:
        self._actors = actors

    @classmethod
    def from_entries(cls, entries: list[KeyEntry]) -> Keyring:
        actors: dict[str, Actor] = {}
        for entry in entries:
            if entry.digest in actors:
                raise InvalidInput(f"the same key is given twice (for {entry.id})")
            actors[entry.digest] = entry.to_actor()
        return cls(actors)

    @classmethod
    def load(cls, path: str | Path) -> Keyring:
        """The keyring of a TOML file; anything wrong with it is ``InvalidInput`` saying what."""
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except OSError as error:
            raise InvalidInput(f"cannot read auth file {file}: {error.strerror}") from None
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise InvalidInput(f"auth file {file} is not valid TOML: {error}") from None
        try:
            parsed = KeyFile.model_validate(data)
        except ValidationError as error:
            raise invalid_input(f"auth file {file}", error.errors(include_url=False)) from None
        return cls.from_entries(parsed.keys)

    def actor(self, key: str | None) -> Actor:
        """The actor ``key`` authenticates, or ``Unauthenticated``."""
        if not key:
            raise Unauthenticated(
                "an API key is required: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
            )
        digest = hash_key(key)
        for known, actor in self._actors.items():
            if hmac.compare_digest(known, digest):
                return actor
        raise Unauthenticated("unknown API key")
