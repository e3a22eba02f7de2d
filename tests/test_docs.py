"""The docs stay true: the rules map names code and tests that exist, for every rule in scope."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES_MAP = ROOT / "docs" / "rules.md"
ROW = re.compile(r"^\|\s*(R-[A-Z]+\d+|L\d+)\s*\|(.*)$")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
CODE_REF = re.compile(r"`(src/closedloop/[\w/]+\.py)`")

#: Rules whose aggregates exist: every one must map to code and at least one test.
IN_SCOPE = [
    *(f"R-G{i}" for i in range(1, 6)),
    *(f"R-R{i}" for i in range(1, 4)),
    *(f"R-T{i}" for i in range(1, 6)),
    *(f"R-P{i}" for i in range(1, 7)),
    *(f"R-A{i}" for i in range(1, 10)),
    *(f"R-E{i}" for i in range(1, 5)),
    *(f"R-X{i}" for i in range(1, 7)),
    *(f"R-K{i}" for i in range(1, 6)),
    "R-C7",
    "L1",
    "L2",
    "L3",
    "L4",
    *(f"R-C{i}" for i in (1, 2, 3, 4, 5, 6, 8, 9, 10)),
    "L5",
    "L6",
    "L7",
    "L8",
]


def rows() -> dict[str, str]:
    found = {}
    for line in RULES_MAP.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


@pytest.mark.parametrize("rule", IN_SCOPE)
def test_rules_map_names_code_and_tests_that_exist(rule: str) -> None:
    row = rows().get(rule)
    assert row is not None, f"{rule} is missing from docs/rules.md"
    tests = TEST_REF.findall(row)
    code = CODE_REF.findall(row)
    assert tests, f"{rule}: no test named in docs/rules.md"
    assert code, f"{rule}: no module named in docs/rules.md"
    for path in code:
        assert (ROOT / path).is_file(), f"{rule}: {path} does not exist"
    for path, name in tests:
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"def {name}\(", source), f"{rule}: {path}::{name} does not exist"
        assert rule.replace("-", "_") in name, f"{rule}: {name} does not name the rule"
