"""The one command catalogue: every command's dotted name, input model, permission and handler.

The Python API, the CLI and batch files all dispatch through it, so no adapter holds a
rule of its own, and every command has a JSON Schema.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Any, get_type_hints

import attrs

from closedloop.application.inputs import Input
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.actor import Actor
from closedloop.domain.errors import InvalidInput

Result = dict[str, Any]
Handler = Callable[[UnitOfWork, Actor, Any], Result]


@attrs.frozen
class Command:
    name: str
    input: type[Input]
    handler: Handler
    permission: str
    summary: str

    def json_schema(self) -> dict[str, Any]:
        schema = self.input.model_json_schema()
        schema["title"] = self.name
        schema["description"] = self.summary
        schema["x-permission"] = self.permission
        return schema


class Catalogue:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def command(self, name: str, *, permission: str) -> Callable[[Handler], Handler]:
        """Register a handler ``(uow, actor, args) -> result`` under ``name``.

        The input model is the annotation of the handler's ``args`` parameter; the summary
        is the first line of its docstring.
        """

        def register(handler: Handler) -> Handler:
            if name in self._commands:
                raise ValueError(f"command {name} is registered twice")
            input_model = get_type_hints(handler)["args"]
            summary = (handler.__doc__ or name).strip().splitlines()[0]
            self._commands[name] = Command(name, input_model, handler, permission, summary)
            return handler

        return register

    def __getitem__(self, name: str) -> Command:
        try:
            return self._commands[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._commands), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InvalidInput(f"unknown command {name!r}{hint}") from None

    def __iter__(self) -> Iterator[Command]:
        return iter(sorted(self._commands.values(), key=lambda command: command.name))

    def __contains__(self, name: object) -> bool:
        return name in self._commands


catalogue = Catalogue()
