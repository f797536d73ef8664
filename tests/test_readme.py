"""The README tells the truth about the commands and the settings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shared.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_two_commands_come_first():
    first_block = README.split("```")[1]

    assert "make demo" in first_block and "make test" in first_block


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_described(setting):
    row = re.search(rf"^\| `{setting.name}` \|.*\|$", README, re.MULTILINE)

    assert row, f"README's settings table lacks {setting.name}"


def test_the_sample_settings_hold_every_setting():
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]

    assert {s.name for s in SETTINGS} <= set(sample)
