"""The oracle's fixtures: the official SDK's outcomes, computed once per session.

The official SDK runs in a virtual environment of its own (the one the benchmarks build, under
``.cache``), so that nothing of durable-lambda's environment can make it behave differently.
Building that environment needs the package index the first time; where it cannot be built,
the official SDK installed in this environment (a dev dependency, the same pinned versions) is
used instead, and the run says so.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
# The emulator helpers are shared with the integration suite's ``emulator`` package.
for folder in (HERE, HERE.parent / "integration"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from oracle import corpus_paths, official_outcomes, official_python_for_tests  # noqa: E402


@pytest.fixture(scope="session")
def official_python() -> Path:
    """The python that runs the official SDK."""
    try:
        return official_python_for_tests()
    except Exception as error:  # no package index here: the dev dependency is the same version
        warnings.warn(
            f"the official SDK's own environment could not be built ({error!r}); running the "
            "official SDK installed in this environment instead",
            stacklevel=1,
        )
        return Path(sys.executable)


@pytest.fixture(scope="session")
def official_results(official_python: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every corpus scenario's outcome on the official SDK, by (module, scenario)."""
    return official_outcomes(official_python, corpus_paths())
