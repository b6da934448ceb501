"""SIGKILL at every checkpoint boundary, record write and step body, then resume: nothing lost.

For each workflow (one per operation type, and the pipeline example with its approval answered)
an uninterrupted run on the file store gives the expected result, operations and the number of
checkpoint calls, record writes and step-body runs. Then, for every one of those points, a new
process runs the workflow and SIGKILLs itself there (before a checkpoint is sent; after the
service applied it but before its answer is used; before or after a record write; in the middle
of a step body), and another new process resumes it under the run lock. The resumed execution
must end with the same result and the same operations, no step that was checkpointed as
succeeded may run again, and no at-most-once step may run twice in one attempt.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from crash_harness import Baseline, CrashPoint, ForkServer, Scenario

WORKFLOWS = [
    "steps", "waits", "child", "callbacks", "invoke", "condition", "mapped", "parallel",
    "pipeline",
]  # fmt: skip
TOTALS: Counter[str] = Counter()


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServer]:
    runner = ForkServer()
    try:
        yield runner
    finally:
        runner.close()


def every_point(baseline: Baseline, saves: bool) -> list[CrashPoint]:
    """Each checkpoint call (before, after), each step body, and optionally each record write."""
    points = [
        CrashPoint(kind, k)
        for k in range(1, baseline.checkpoint_calls + 1)
        for kind in ("checkpoint-before", "checkpoint-after")
    ]
    points += [CrashPoint("body", n) for n in range(1, baseline.body_runs + 1)]
    if saves:
        points += [
            CrashPoint(kind, k)
            for k in range(1, baseline.saves + 1)
            for kind in ("save-before", "save-after")
        ]
    return points


def run_mode(server: ForkServer, workflow: str, work: Path, mode: str, saves: bool) -> Scenario:
    scenario = Scenario(server, workflow, work, mode=mode)
    baseline = scenario.baseline()
    for point in every_point(baseline, saves):
        scenario.crash_and_resume(baseline, [point])
    # Two crashes in a row: the resuming process dies too, at its first checkpoint.
    scenario.crash_and_resume(baseline, [CrashPoint("body", 1), CrashPoint("checkpoint-after", 1)])
    assert sum(scenario.tried.values()) >= baseline.checkpoint_calls, (
        f"{workflow}: most crash points were never reached"
    )
    return scenario


def report(figures: Callable[[str, Any], None], scenario: Scenario, mode: str) -> None:
    TOTALS.update(scenario.tried)
    figures(
        "crash points tried (by kind)",
        dict(TOTALS) | {"total": sum(TOTALS.values())},
    )
    print(f"{scenario.workflow} {mode}: {dict(scenario.tried)}, {scenario.not_reached} not reached")


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_a_killed_run_resumes_to_the_same_end(
    server: ForkServer, workflow: str, tmp_path: Path, figures: Callable[[str, Any], None]
) -> None:
    scenario = run_mode(server, workflow, tmp_path, "BATCHED", saves=False)
    report(figures, scenario, "BATCHED")


@pytest.mark.slow
@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_a_run_killed_at_any_write_resumes_to_the_same_end(
    server: ForkServer, workflow: str, tmp_path: Path, figures: Callable[[str, Any], None]
) -> None:
    scenario = run_mode(server, workflow, tmp_path, "EAGER", saves=True)
    report(figures, scenario, "EAGER")
