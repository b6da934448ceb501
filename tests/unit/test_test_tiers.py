"""The fast tier (``pytest -m "not slow"``) leaves out the slow suites, as the README says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def collected(*args: str) -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode in (0, 5), completed.stdout + completed.stderr  # 5: none
    return [line for line in completed.stdout.splitlines() if "::" in line]


def test_the_fast_tier_leaves_out_the_emulator_conformance_and_slow_suites() -> None:
    paths = [
        "tests/integration/emulator",
        "tests/conformance",
        "tests/e2e/test_pipeline_template.py",
        "tests/reliability/test_limits.py",
        "tests/unit/test_test_tiers.py",
        "tests/integration/test_file_store_lookup.py",
    ]

    everything = collected(*paths)
    fast = collected("-m", "not slow", *paths)

    assert any(item.startswith("tests/integration/emulator/") for item in everything)
    assert any(item.startswith("tests/conformance/") for item in everything)
    assert {item.split("::")[0] for item in fast} == {
        "tests/unit/test_test_tiers.py",
        "tests/integration/test_file_store_lookup.py",
    }


def test_the_readme_gives_the_fast_tiers_command() -> None:
    assert '.venv/bin/pytest -m "not slow"' in (ROOT / "README.md").read_text(encoding="utf-8")
