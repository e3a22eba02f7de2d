"""The `eventsourcing` application that holds every closedloop aggregate in one store."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, PersistenceError, Transcoder
from eventsourcing.utils import Environment, EnvType

from closedloop.application.transcodings import StoreTranscoder, register_all
from closedloop.domain.customer import Customer


class EventStoreApp(Application[UUID]):
    """Persistence only: the library's recorder, event store and repository.

    Business logic lives in the domain and the command handlers, never here (and this
    class defines no method that would shadow the library's own: STYLE.md pitfalls).
    """

    name = "closedloop"
    #: A customer may buy thousands of times: load from a snapshot, not the whole history.
    #: Every 50 events (measured, benchmarks/README.md): at 100 a load replayed up to 99
    #: events after the snapshot; at 25 a long history's saves took twice the time of 50's.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Customer: 50}

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Only the given environment, so the store URL is the whole configuration.

        The library merges ``os.environ`` under it, where a stray variable
        (``CLOSEDLOOP_PERSISTENCE_MODULE``, ``POSTGRES_SCHEMA``) would override the URL.
        Snapshots are kept for the aggregates in ``snapshotting_intervals``.
        """
        return Environment(name, {"IS_SNAPSHOTTING_ENABLED": "y", **(env or {})})

    def construct_transcoder(self) -> Transcoder:
        """The library's JSON transcoder with its encoder made once (``StoreTranscoder``)."""
        transcoder = StoreTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_all(transcoder)


T = TypeVar("T")

#: Processes opening one PostgreSQL store at once all run ``CREATE TABLE IF NOT EXISTS``;
#: PostgreSQL lets one of them win and may refuse the others. Creating again then succeeds.
CREATE_ATTEMPTS = 5
SCHEMA_RACES = ("tuple concurrently updated", "pg_type_typname_nsp_index", "already exists")


def creating_tables(create: Callable[[], T]) -> T:
    """``create()`` (which creates tables if they do not exist), again after a short,
    jittered pause when it lost the race to create them to another process."""
    for attempt in range(1, CREATE_ATTEMPTS):
        try:
            return create()
        except PersistenceError as error:
            if not any(race in str(error) for race in SCHEMA_RACES):
                raise
            time.sleep(random.uniform(0.05, 0.2) * attempt)
    return create()
