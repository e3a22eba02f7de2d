"""Customers under concurrent writers (threads, one store): lost races are retried, and a
caller told of a conflict simply sends the same order or request again (both are
idempotent), so every purchase and redemption request lands exactly once, and L5 holds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from closedloop import ClosedLoop, ConcurrencyConflict, FixedClock
from closedloop.domain.customer import Customer
from tests.customer_scenario import buy, redeem, register


def test_R_C5_concurrent_purchases_and_redemptions_each_land_once(shared_url: str) -> None:
    clock = FixedClock("2026-01-05T09:00:00+00:00")
    with ClosedLoop(shared_url, clock=clock) as loop:
        register(loop)
        buy(loop, order="O-0", amount="1000.00 CNY")
        errors: list[Any] = []
        start = threading.Barrier(4, timeout=20)

        def insisting(call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
            for _ in range(50):
                try:
                    call(*args, **kwargs)
                except ConcurrencyConflict:
                    continue
                return

        def work(worker: int) -> None:
            start.wait()
            try:
                for n in range(5):
                    insisting(buy, loop, order=f"O-{worker}-{n}", amount="10.00 CNY")
                    insisting(redeem, loop, "C-1", f"R-{n % 3}", 7)  # the same ids everywhere
            except Exception as error:  # the test inspects it
                errors.append(error)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        points = loop.customer("C-1")["points"]
        assert points["earned"] == 1000 + 4 * 5 * 10
        assert points["redeemed"] == 3 * 7  # three request ids, each redeemed once
        assert points["balance"] == points["earned"] - points["redeemed"] - points["expired"]
        assert loop.reader().get(Customer, "C-1").purchase_count == 21
