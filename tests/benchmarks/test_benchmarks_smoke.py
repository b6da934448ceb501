"""The benchmarks still run (every workload once, at tiny sizes; no figure is judged here), and
the optimisations they led to stay in place.

The full run (``python -m benchmarks``) takes minutes and compares against the official SDK in a
virtual environment of its own; CI only checks that every workload runs and reports its figures,
ours through the real command line, and one official workload through the official SDK installed
in this environment (a dev dependency).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from durable_lambda.adapters.logging.capturing import CapturedLog, CapturingLogger
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.replay_logging import ReplayAwareLogger

ROOT = Path(__file__).resolve().parents[2]


def _run_benchmarks(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "## Targets" in completed.stdout
    results: dict[str, Any] = json.loads(out.read_text())
    return results


def test_quick_run_measures_every_workload_of_ours(tmp_path: Path) -> None:
    results = _run_benchmarks(tmp_path, "--no-official")

    boto3 = results["boto3"]["rows"]
    for row in ("steps/BATCHED", "steps/EAGER", "plain/BATCHED", "map/None", "map-first/10"):
        assert boto3[row]["ours"] > 0
    assert boto3["steps/EAGER"]["calls"] == 10  # START and SUCCEED acknowledged one by one
    assert boto3["steps/BATCHED"]["calls"] == 5  # one call per step boundary, the last at the end
    steps = results["steps"]
    for harness in ("runner", "direct", "sdk"):
        for kind in ("async", "sync"):
            figures = steps[f"{harness}/{kind}/10"]
            assert figures["us_per_unit"] > 0
            assert figures["calls"] >= 1
    assert steps["sdk/async/10"]["peak_bytes"] > 0
    # One checkpoint call per step in EAGER; BATCHED and OPTIMISTIC share calls.
    assert results["modes"]["EAGER/10"]["calls"] == 20  # START before, SUCCEED after each body
    assert results["modes"]["OPTIMISTIC/10"]["calls"] == 1
    assert results["replay"]["ours/10"]["calls"] == 0  # a replay checkpoints nothing
    assert results["replay"]["floor/10"]["us_per_unit"] > 0
    assert results["replay"]["floor-validated/10"]["us_per_unit"] > 0
    concurrency = results["concurrency"]
    assert concurrency["ours/map/runner/10/10"]["us_per_unit"] > 0
    assert concurrency["ours/parallel/direct/5"]["peak_bytes"] > 0
    assert results["latency"]["ours/OPTIMISTIC"]["calls"] == 1
    assert results["fixed"]["ours/fixed"]["total_ms"] > 0
    assert results["fixed"]["ours-dev/cold"]["import_ms"] > 0
    assert results["floor"]["async"]["us_per_unit"] > 0
    assert set(results["floor"]["thread_vs_inline"]) >= {"plain_inline", "plain_to_thread"}


def test_official_workloads_still_run_against_the_official_sdk() -> None:
    from benchmarks.official import run_official

    python = Path(sys.executable)
    steps = run_official(
        python, workload="direct", handler="steps", n=3, repeats=1, replay=False, memory=False
    )
    assert steps["calls"] >= 1
    assert steps["us_per_unit"] > 0
    replay = run_official(python, workload="direct", handler="steps", n=3, repeats=1, replay=True)
    assert replay["calls"] == 0


def test_the_boto3_path_drives_both_sdks_through_one_stand_in_client() -> None:
    from benchmarks.boto3_compare import compare

    python = sys.executable  # this environment has both SDKs (the official one as a dev extra)
    results = compare(python, python, rounds=1, repeats=1, n_steps=3, n_map=4, replay=(1_500,))
    rows = results["rows"]
    checked = ("steps/BATCHED", "steps/EAGER", "plain-inline/BATCHED", "map/10", "map-first/None")
    for row in (*checked, "replay/1500"):
        assert rows[row]["ours"] > 0
        assert rows[row]["official"] > 0
        assert rows[row]["ratio"] > 0
    ours, official = results["rounds"][0]["ours"], results["rounds"][0]["official"]
    # The state beyond the first 1,000 operations came through the client, for both SDKs.
    assert ours["replay/1500"]["page_calls"] >= 1
    assert official["replay/1500"]["page_calls"] >= 1
    assert rows["memory"]["ours"] > 0


async def test_the_replay_floor_reads_each_stored_step_and_checks_what_it_replays() -> None:
    from benchmarks.ours import replay_event
    from benchmarks.replay_floor import _FloorContext, _noop

    operations = replay_event(3)["InitialExecutionState"]["Operations"]
    ctx = _FloorContext({op["Id"]: op for op in operations})
    assert [await ctx.step(_noop, name=f"s{i}") for i in range(2)] == [1, 1]
    with pytest.raises(RuntimeError, match="is not the completed step 'renamed'"):
        await ctx.step(_noop, name="renamed")  # the third step was recorded as s2


def test_the_cold_start_floor_of_pydantic_runs_in_a_fresh_interpreter() -> None:
    from benchmarks import fixed

    figures = fixed.cold_starts([fixed.pydantic_floor_variant("floor", sys.executable)], 1)
    assert figures["floor"]["import_ms"] > 0
    assert figures["floor"]["peak_bytes"] > 0


# Regression guards for the optimisations docs/performance.md reports.


@pytest.mark.parametrize(
    ("mode", "calls_by_the_last_step"),
    [
        # 2,000 updates are exactly 8 full batches of 250, each sent as soon as it filled: all of
        # them went out while the handler ran (none did before the settle yield was added).
        ("OPTIMISTIC", 8),
        # Each step's SUCCEED is acknowledged before the next step's body, with that step's
        # START: one call per step boundary, the last SUCCEED left for the end.
        ("BATCHED", 999),
    ],
)
async def test_updates_go_out_while_a_handler_that_never_suspends_runs(
    mode: str, calls_by_the_last_step: int
) -> None:
    from benchmarks.ours import NullService, fresh_invocation, invoke

    service = NullService()
    calls_seen_at_the_last_step: list[int] = []

    async def handler(event: dict[str, Any], ctx: DurableContext) -> int:
        for i in range(1_000):
            await ctx.step(_async_one, name=f"s{i}")
        calls_seen_at_the_last_step.append(service.checkpoint_calls)
        return 1

    _, invocation = await fresh_invocation({})
    assert await invoke(handler, invocation, service, mode) == "SUCCEEDED"
    assert calls_seen_at_the_last_step == [calls_by_the_last_step]
    # OPTIMISTIC had nothing left to send at the end; BATCHED sent the last SUCCEED.
    assert service.checkpoint_calls == (8 if mode == "OPTIMISTIC" else 1_000)


async def test_a_step_logger_bound_lazily_still_logs_its_fields() -> None:
    logger = CapturingLogger()
    replay_aware = ReplayAwareLogger(logger.bind(execution_arn="arn"), lambda: False)

    step_logger = replay_aware.bind(operation_id="op-1").bind(attempt=2)
    assert logger.events() == []  # nothing is bound or logged until an event is
    step_logger.info("charged", amount=3)

    assert logger.records == [
        CapturedLog(
            "info",
            "charged",
            {"execution_arn": "arn", "operation_id": "op-1", "attempt": 2, "amount": 3},
        )
    ]


async def _async_one(step: StepContext) -> int:
    return 1
