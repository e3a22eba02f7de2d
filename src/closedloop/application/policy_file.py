"""Read a policy file (TOML or JSON); it names only what differs from the defaults."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from closedloop.domain.errors import InvalidInput
from closedloop.domain.policy import Policy

#: Where servers that take their configuration from the environment find a policy file.
POLICY_VARIABLE = "CLOSEDLOOP_POLICY"


def load_policy(path: str | Path) -> Policy:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"cannot read policy file {file}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"policy file {file} is not UTF-8 text") from None
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise InvalidInput(f"policy file {file} is not valid: {error}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"policy file {file} must hold a table of settings")
    return Policy.from_mapping(data)
