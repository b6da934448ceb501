"""The test tiers: ``pytest -m "not slow"`` is the fast tier, ``pytest`` runs everything.

The fast tier is the unit tests, the integration tests on real files and processes, the docs
and the examples: about a minute on two cores. Everything that spends its time starting
processes, emulators or other environments is ``slow`` and runs with plain ``pytest`` (and in
CI, ``.ci/run``):

- tests marked ``emulator`` (they start the official emulator) or ``conformance`` (its set-up
  starts the emulator for the 155 requirements);
- whole suites under ``tests/``: ``e2e`` (the real command in subprocesses), ``reliability``
  (crashes, kills, load, attacks), ``compat`` (the official SDK as an oracle, in an environment
  of its own), ``benchmarks``;
- any other test marked ``@pytest.mark.slow`` where it is written.

They are marked here, at collection, so that a new test in those suites is slow without saying
so, and a file need not say it twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SLOW_MARKERS = ("emulator", "conformance")
SLOW_SUITES = ("e2e", "reliability", "compat", "benchmarks")


def is_slow(item: pytest.Item) -> bool:
    """Tell whether ``item`` belongs to the slow tier."""
    if any(item.get_closest_marker(name) for name in (*SLOW_MARKERS, "slow")):
        return True
    try:
        suite = item.path.resolve().relative_to(TESTS).parts[0]
    except ValueError:  # a test outside tests/ (a doctest of the package, say)
        return False
    return suite in SLOW_SUITES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the slow tier ``slow``, so ``-m "not slow"`` leaves it out."""
    for item in items:
        if is_slow(item) and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)
