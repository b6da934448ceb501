"""The local runtime's benchmarks still run (tiny sizes; no figure is judged here).

``python -m benchmarks --only local`` times a map on the file store and loading a long
execution's state for replay; CI only checks that the group runs through the real command line,
reports each workload and renders its table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.local_runtime import growth_exponent, local_table

ROOT = Path(__file__).resolve().parents[2]


def test_the_local_group_runs_through_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    completed = subprocess.run(
        [
            sys.executable, "-m", "benchmarks", "--quick", "--only", "local", "--no-official",
            "--json", str(out),
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stderr[-3000:]
    results: dict[str, Any] = json.loads(out.read_text())
    local = results["local"]
    for store in ("file", "memory"):
        for n in (10, 20):
            figures = local[f"map/{store}/{n}"]
            assert figures["seconds"] > 0
            assert figures["calls"] >= 1
            assert figures["invocations"] >= 1
        for n in (5, 10):
            figures = local[f"steps/{store}/{n}"]
            assert figures["seconds"] > 0
            assert figures["calls"] >= n  # a call per step, at least
        for n in (10, 30):
            figures = local[f"replay/{store}/{n}"]
            assert figures["seconds"] > 0
            assert figures["pages"] == 1
    assert "## The local runtime" in completed.stdout
    assert "10,000-item map on the file store" in completed.stdout
    assert "| 30 |" in completed.stdout
    assert "steps" not in results  # only the group asked for


def test_the_growth_exponent_is_the_power_of_n_that_time_follows() -> None:
    assert growth_exponent((1_000, 1.0), (10_000, 10.0)) == 1.0
    exponent = growth_exponent((1_000, 1.0), (10_000, 100.0))
    assert exponent is not None
    assert abs(exponent - 2.0) < 1e-9
    assert growth_exponent((1_000, 0.0), (10_000, 1.0)) is None
    assert local_table({}) == "(not measured in this run)"
