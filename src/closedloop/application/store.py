"""The `eventsourcing` application that holds every closedloop aggregate in one store."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder
from eventsourcing.utils import Environment, EnvType

from closedloop.application.transcodings import register_all


class EventStoreApp(Application[UUID]):
    """Persistence only: the library's recorder, event store and repository.

    Business logic lives in the domain and the command handlers, never here (and this
    class defines no method that would shadow the library's own: STYLE.md pitfalls).
    """

    name = "closedloop"

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Only the given environment, so the store URL is the whole configuration.

        The library merges ``os.environ`` under it, where a stray variable
        (``CLOSEDLOOP_PERSISTENCE_MODULE``, ``POSTGRES_SCHEMA``) would override the URL.
        """
        return Environment(name, env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_all(transcoder)
