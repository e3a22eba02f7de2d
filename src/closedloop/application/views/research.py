"""Research views — being built."""

from __future__ import annotations

from typing import Any

from closedloop.application.reader import Reader
from closedloop.domain.policy import Policy
from closedloop.domain.research import Research


def research_view(study: Research, reader: Reader, policy: Policy) -> dict[str, Any]:
    raise NotImplementedError


def research_coverage(reader: Reader, policy: Policy, year: int) -> dict[str, Any]:
    raise NotImplementedError
