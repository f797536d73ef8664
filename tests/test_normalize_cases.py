"""The shared test vectors of normalization-cases.jsonl, read from that file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.normalize import normalize_value

CASES_FILE = (
    Path(__file__).resolve().parents[2] / "shared" / "normalization-cases.jsonl"
)


def _cases():
    if not CASES_FILE.exists():
        return [
            pytest.param(
                None,
                marks=pytest.mark.skip(reason=f"{CASES_FILE} is absent"),
                id="absent",
            )
        ]
    lines = CASES_FILE.read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines if line.strip()]
    return [
        pytest.param(case, id=f"{number}-{case['key']}-{case['input']!r}")
        for number, case in enumerate(cases, start=1)
    ]


@pytest.mark.parametrize("case", _cases())
def test_shared_case(case):
    value, _ = normalize_value(case["key"], case["input"], country=case.get("country"))

    assert value == case["expected"], case.get("why", "")
