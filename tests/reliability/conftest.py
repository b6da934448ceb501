"""Shared fixtures of the reliability suite, and the figures it prints at the end of a run.

Each test adds what it measured (crash points tried, faults injected, examples, wall times) to
``FIGURES``; ``pytest_terminal_summary`` prints them after the results, so every CI log shows
the numbers that ``docs/reliability.md`` reports.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# The crash runner and the workflows import each other by bare module name, as a script does.
HERE = Path(__file__).resolve().parent
# The emulator client helpers are shared with the integration suite's ``emulator`` package.
for folder in (HERE, HERE.parent / "integration"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

FIGURES: dict[str, Any] = {}
"""What the tests of this run measured, by a short name."""


def record_figure(name: str, value: Any) -> None:
    """Keep one figure for the summary at the end of the run."""
    FIGURES[name] = value


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the figures the reliability tests produced."""
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {value}")


@pytest.fixture
def figures() -> Any:
    """``record_figure``, for tests that report what they measured."""
    return record_figure
