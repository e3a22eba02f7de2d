"""``Workers`` whose parts run one after another in the test's own process: the parts'
logic, without the cost of starting processes (a few tests start real ones)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from closedloop.projections.workers import Task, Workers


@attrs.frozen
class InProcess(Workers):
    def run(
        self,
        task: Task,
        parts: Sequence[tuple[Any, ...]],
        progress: Callable[[list[int]], None] | None = None,
    ) -> list[Any]:
        results = []
        for args in parts:
            store = self.opener(self.url)
            try:
                results.append(task(store, *args, lambda position: None))
            finally:
                store.close()
        return results
