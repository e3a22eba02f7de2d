"""Plan views — being built."""

from __future__ import annotations

from typing import Any

from closedloop.application.reader import Reader
from closedloop.domain.plan import Plan
from closedloop.domain.policy import Policy


def plan_view(plan: Plan, reader: Reader, policy: Policy) -> dict[str, Any]:
    raise NotImplementedError
