"""The OpenAPI contract, checked by schemathesis: no 500s, statuses and bodies as declared.

Bounded (a few examples per operation) so it runs in about a minute on two cores. The caller
holds every role, so generated commands reach the domain rules, not only the R-G2 check.
"""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import checks

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.http.app import create_app
from closedloop.adapters.http.keys import KeyEntry, Keyring
from closedloop.domain.policy import DEFAULT_ROLES

KEY = "contract-test-key-with-every-role"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


def contract_app() -> FastAPI:
    """An app over a fresh memory store, for a caller holding every role."""
    everyone = KeyEntry(id="contract.tester", roles=sorted(DEFAULT_ROLES), key=KEY)
    loop = ClosedLoop("memory:", clock=FixedClock("2026-06-30T12:00:00+00:00"))
    return create_app(loop, Keyring.from_entries([everyone]), owns_loop=True)


schema = schemathesis.openapi.from_asgi("/openapi.json", contract_app())


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case: schemathesis.Case) -> None:
    if case.path.startswith("/events"):  # an idle feed would be waited on for its full time
        case.query = {**(case.query or {}), "wait": 0}
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, checks=CHECKS)
