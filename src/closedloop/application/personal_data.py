"""Personal data at rest (R-C1, R-C2): sealed per customer before it reaches the event store.

Each customer has a data key of their own (AES-256-GCM, from ``cryptography``), kept in a
key table of the same database as the events (``closedloop_customer_keys``, created on
first use; a dict for ``memory:``). Events only ever carry :class:`Sealed` tokens, so
erasure is deleting one key row: the history still replays, and the tokens in it can no
longer be opened by anyone.

With ``CLOSEDLOOP_MASTER_KEY`` (base64 of 32 bytes) in the environment, data keys are
stored wrapped by that master key, so a copy of the database alone opens nothing.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import sys
import threading
import weakref
from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import IntegrityError
from eventsourcing.sqlite import SQLiteDatastore

from closedloop.application.store import EventStoreApp, creating_tables
from closedloop.domain.customer import Customer
from closedloop.domain.customer_values import Sealed
from closedloop.domain.errors import InvalidInput, StoreUnavailable

MASTER_KEY_VARIABLE = "CLOSEDLOOP_MASTER_KEY"
TABLE = "closedloop_customer_keys"
#: What a view or read shows for a field whose key was destroyed.
ERASED = "erased"
_TOKEN = "v1."
_PLAIN, _WRAPPED = b"P", b"W"
_NONCE = 12


class KeyTable(Protocol):
    """Where data keys live: one row per customer, deleted to erase them."""

    def get(self, customer_id: UUID) -> bytes | None: ...

    def add(self, keys: Mapping[UUID, bytes]) -> dict[UUID, bytes]:
        """Insert each key unless its customer has a row; return the rows' values."""
        ...

    def destroy(self, customer_id: UUID) -> None: ...


class MemoryKeys:
    """``memory:`` stores: keys live as long as the process, like the events."""

    def __init__(self) -> None:
        self._keys: dict[UUID, bytes] = {}
        self._lock = threading.Lock()

    def get(self, customer_id: UUID) -> bytes | None:
        return self._keys.get(customer_id)

    def add(self, keys: Mapping[UUID, bytes]) -> dict[UUID, bytes]:
        with self._lock:
            return {id: self._keys.setdefault(id, key) for id, key in keys.items()}

    def destroy(self, customer_id: UUID) -> None:
        with self._lock:
            self._keys.pop(customer_id, None)


class SQLiteKeys:
    """The key table in the events' SQLite database.

    Erasure deletes with ``secure_delete`` on (the freed bytes are zeroed) and then
    checkpoints and truncates the write-ahead log, where the row's earlier pages remain.
    """

    def __init__(self, datastore: SQLiteDatastore) -> None:
        self.datastore = datastore
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} "
                "(customer_id TEXT PRIMARY KEY, key BLOB NOT NULL)"
            )

    def get(self, customer_id: UUID) -> bytes | None:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT key FROM {TABLE} WHERE customer_id = ?", (str(customer_id),))
            row = cursor.fetchone()
        return bytes(row[0]) if row is not None else None

    def add(self, keys: Mapping[UUID, bytes]) -> dict[UUID, bytes]:
        stored = {}
        with self.datastore.transaction(commit=True) as cursor:
            for customer_id, key in keys.items():
                cursor.execute(
                    f"INSERT INTO {TABLE} (customer_id, key) VALUES (?, ?) "
                    "ON CONFLICT (customer_id) DO NOTHING",
                    (str(customer_id), key),
                )
                cursor.execute(
                    f"SELECT key FROM {TABLE} WHERE customer_id = ?", (str(customer_id),)
                )
                stored[customer_id] = bytes(cursor.fetchone()[0])
        return stored

    def destroy(self, customer_id: UUID) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute(f"DELETE FROM {TABLE} WHERE customer_id = ?", (str(customer_id),))
        with self.datastore.get_connection(commit=True) as connection:
            connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")


class PostgresKeys:
    """The key table in the events' PostgreSQL schema; erasure vacuums it afterwards, so
    the deleted row does not linger in the table's pages."""

    def __init__(self, datastore: Any) -> None:  # an eventsourcing.postgres.PostgresDatastore
        from psycopg.sql import SQL, Identifier

        self.datastore = datastore
        self._table = SQL("{}.{}").format(Identifier(datastore.schema), Identifier(TABLE))
        self._sql = SQL
        create = SQL(
            "CREATE TABLE IF NOT EXISTS {} (customer_id uuid PRIMARY KEY, key bytea NOT NULL)"
        ).format(self._table)

        def create_table() -> None:
            with datastore.transaction(commit=True) as cursor:
                cursor.execute(create)

        creating_tables(create_table)  # processes opening a new schema at once race on DDL

    def get(self, customer_id: UUID) -> bytes | None:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                self._sql("SELECT key FROM {} WHERE customer_id = %s").format(self._table),
                (customer_id,),
            )
            row = cursor.fetchone()
        return bytes(row["key"]) if row is not None else None

    def add(self, keys: Mapping[UUID, bytes]) -> dict[UUID, bytes]:
        stored = {}
        with self.datastore.transaction(commit=True) as cursor:
            for customer_id, key in keys.items():
                cursor.execute(
                    self._sql(
                        "INSERT INTO {} (customer_id, key) VALUES (%s, %s) "
                        "ON CONFLICT (customer_id) DO NOTHING"
                    ).format(self._table),
                    (customer_id, key),
                )
                cursor.execute(
                    self._sql("SELECT key FROM {} WHERE customer_id = %s").format(self._table),
                    (customer_id,),
                )
                stored[customer_id] = bytes(cursor.fetchone()["key"])
        return stored

    def destroy(self, customer_id: UUID) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                self._sql("DELETE FROM {} WHERE customer_id = %s").format(self._table),
                (customer_id,),
            )
        with self.datastore.get_connection() as connection:  # autocommit: VACUUM may run
            connection.execute(self._sql("VACUUM {}").format(self._table))


def master_key(environ: Mapping[str, str] = os.environ) -> bytes | None:
    """The master key from ``CLOSEDLOOP_MASTER_KEY`` (base64 of 32 bytes), if set."""
    text = environ.get(MASTER_KEY_VARIABLE, "").strip()
    if not text:
        return None
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise InvalidInput(f"{MASTER_KEY_VARIABLE} is not base64") from None
    if len(key) != 32:
        raise InvalidInput(f"{MASTER_KEY_VARIABLE} must be 32 bytes, not {len(key)}")
    return key


class PersonalData:
    """Seals and opens customers' personal fields, and destroys their keys (R-C1, R-C2)."""

    def __init__(self, keys: KeyTable, master: bytes | None = None) -> None:
        self.keys = keys
        self.master = master
        #: Keys made for sealing and not stored yet: ``save_keys`` stores them all at once.
        self._unsaved: dict[UUID, bytes] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, store: EventStoreApp) -> PersonalData:
        """The service for ``store``'s database (its key table created on first use)."""
        with _LOCK:
            service = _SERVICES.get(store)
            if service is None:
                service = _SERVICES[store] = cls(_key_table(store), master_key())
            return service

    def seal(self, customer_id: UUID, fields: Mapping[str, str]) -> dict[str, Sealed]:
        """Ciphertext of each field under the customer's key (made on first use: call
        ``save_keys`` before the events that carry the ciphertext are saved)."""
        if not fields:
            return {}
        aead = AESGCM(self._key(customer_id, create=True) or b"")
        sealed = {}
        for name, value in fields.items():
            nonce = secrets.token_bytes(_NONCE)
            data = aead.encrypt(nonce, value.encode(), _aad(customer_id, name))
            sealed[name] = Sealed(_TOKEN + base64.urlsafe_b64encode(nonce + data).decode())
        return sealed

    def unseal(self, customer_id: UUID, sealed: Mapping[str, Sealed]) -> dict[str, str] | None:
        """The clear fields, or None when the customer's key was destroyed (erased)."""
        key = self._key(customer_id, create=False)
        if key is None:
            return None
        aead = AESGCM(key)
        clear = {}
        for name, token in sealed.items():
            raw = base64.urlsafe_b64decode(token.token.removeprefix(_TOKEN))
            try:
                data = aead.decrypt(raw[:_NONCE], raw[_NONCE:], _aad(customer_id, name))
            except InvalidTag:
                raise StoreUnavailable(
                    f"customer {customer_id}: field {name} does not open with its key "
                    "(altered in the store?)"
                ) from None
            clear[name] = data.decode()
        return clear

    def save_keys(self) -> None:
        """Store the keys made since the last call, in one transaction.

        Raises the library's ``IntegrityError`` (a lost race, which the command retries)
        when another writer stored a different key for the same customer first: what was
        sealed with ours would not open.
        """
        with self._lock:  # held while storing: no one saves events before these keys
            if not self._unsaved:
                return
            stored = self.keys.add(self._unsaved)
            made, self._unsaved = self._unsaved, {}
        lost = [customer_id for customer_id, key in made.items() if stored[customer_id] != key]
        if lost:
            raise IntegrityError(f"customers {lost} got a key from another writer first")

    def destroy(self, customer_id: UUID) -> None:
        """R-C2: crypto-shredding; nothing sealed for the customer opens again."""
        with self._lock:
            self._unsaved.pop(customer_id, None)
        self.keys.destroy(customer_id)

    def _key(self, customer_id: UUID, *, create: bool) -> bytes | None:
        with self._lock:
            stored = self._unsaved.get(customer_id) or self.keys.get(customer_id)
            if stored is None and create:
                stored = self._wrap(customer_id, AESGCM.generate_key(256))
                self._unsaved[customer_id] = stored
        return self._unwrap(customer_id, stored) if stored is not None else None

    def _wrap(self, customer_id: UUID, key: bytes) -> bytes:
        if self.master is None:
            return _PLAIN + key
        nonce = secrets.token_bytes(_NONCE)
        return _WRAPPED + nonce + AESGCM(self.master).encrypt(nonce, key, customer_id.bytes)

    def _unwrap(self, customer_id: UUID, stored: bytes) -> bytes:
        if stored[:1] == _PLAIN:
            return stored[1:]
        if self.master is None:
            raise StoreUnavailable(
                f"customer keys are wrapped by a master key: set {MASTER_KEY_VARIABLE}"
            )
        nonce, data = stored[1 : 1 + _NONCE], stored[1 + _NONCE :]
        try:
            return AESGCM(self.master).decrypt(nonce, data, customer_id.bytes)
        except InvalidTag:
            raise StoreUnavailable(
                f"{MASTER_KEY_VARIABLE} is not the master key these customer keys were wrapped with"
            ) from None


def birthday_of(store: EventStoreApp, customer: Customer) -> date | None:
    """R-C9: the customer's birthday, opened for care only (placing a greeting, never shown);
    None if not on file or erased (R-C2)."""
    sealed = customer.personal.get("birthday")
    if sealed is None:
        return None
    opened = PersonalData.of(store).unseal(customer.id, {"birthday": sealed})
    return None if opened is None else date.fromisoformat(opened["birthday"])


def _aad(customer_id: UUID, name: str) -> bytes:
    """Binds a token to its customer and field: it cannot be moved to another."""
    return f"{customer_id}/{name}".encode()


def _key_table(store: EventStoreApp) -> KeyTable:
    datastore = getattr(store.recorder, "datastore", None)
    if isinstance(datastore, SQLiteDatastore):
        return SQLiteKeys(datastore)
    postgres = sys.modules.get("eventsourcing.postgres")
    if postgres is not None and isinstance(datastore, postgres.PostgresDatastore):
        return PostgresKeys(datastore)
    return MemoryKeys()


_SERVICES: weakref.WeakKeyDictionary[EventStoreApp, PersonalData] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
