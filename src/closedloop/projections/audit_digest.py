"""Head digests an auditor keeps (count, position, hash), optionally signed with Ed25519.

A digest names the chain's head at one moment; since every link covers all before it, a
store whose chain still passes through that head has kept that history unchanged. The
signature is over the digest's canonical JSON (sorted keys, no spaces) without the
``signature`` field. Keys are PEM files, the same as ``openssl genpkey -algorithm ed25519``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from closedloop.domain.errors import AuditFailure, InvalidInput

ALGORITHM = "closedloop-audit-chain/sha256/v1"
FIELDS = ("algorithm", "count", "position", "hash")


def digest_of(head: Mapping[str, Any]) -> dict[str, Any]:
    return {"algorithm": ALGORITHM, **{key: head[key] for key in FIELDS[1:]}}


def canonical(digest: Mapping[str, Any]) -> bytes:
    return json.dumps(
        {key: digest[key] for key in FIELDS}, sort_keys=True, separators=(",", ":")
    ).encode()


def sign(digest: Mapping[str, Any], private_key_pem: bytes) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError) as error:
        raise InvalidInput(
            f"the signing key is not an unencrypted PEM private key: {error}"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput("the signing key is not an Ed25519 key")
    signature = base64.b64encode(key.sign(canonical(digest))).decode()
    return {**digest, "signature": signature}


def check_signature(digest: Mapping[str, Any], public_key_pem: bytes) -> None:
    """``AuditFailure`` unless ``digest`` carries a valid signature by that key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(public_key_pem)
    except ValueError as error:
        raise InvalidInput(f"the public key is not a PEM public key: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("the public key is not an Ed25519 key")
    if "signature" not in digest:
        raise AuditFailure(None, "the digest is not signed")
    try:
        key.verify(base64.b64decode(digest["signature"]), canonical(digest))
    except (InvalidSignature, ValueError):
        raise AuditFailure(None, "the digest's signature is not valid for that key") from None


def keygen() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair as PEM: (private, public)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def read_key(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read the key {path}: {error.strerror}") from None


def read_digest(source: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """A digest given as a mapping or a JSON file; ``InvalidInput`` if it is not one."""
    if isinstance(source, Mapping):
        digest = dict(source)
    else:
        try:
            digest = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InvalidInput(f"cannot read the digest {source}: {error}") from None
    if not isinstance(digest, dict) or any(key not in digest for key in FIELDS):
        raise InvalidInput(f"a digest has the fields {', '.join(FIELDS)}")
    if digest["algorithm"] != ALGORITHM:
        raise InvalidInput(f"digest algorithm {digest['algorithm']!r} is not {ALGORITHM}")
    if not all(isinstance(digest[key], int) for key in ("count", "position")):
        raise InvalidInput("a digest's count and position are whole numbers")
    if not all(isinstance(digest.get(key, ""), str) for key in ("hash", "signature")):
        raise InvalidInput("a digest's hash and signature are text")
    return digest
