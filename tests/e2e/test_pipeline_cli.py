"""The pipeline example and crash recovery, through the ``durable-lambda`` command in subprocesses.

Shown here: the pipeline completes with its documented output; killing the orchestrator with
SIGKILL mid-run and starting it again finishes the execution with the same result, and no step
that had completed runs again; two orchestrators started on one execution do not both run it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "durable_lambda.app.cli"]

# Twenty steps that each take a moment and log every run of their body (fsynced), so a test can
# kill the process between or inside steps and count what ran.
SLOW_STEPS = """
    import os, time
    from durable_lambda import DurableContext, StepContext, durable_execution

    LOG = os.environ["STEP_LOG"]

    def body(index: int):
        def run(step: StepContext) -> int:
            with open(LOG, "a") as log:
                log.write(f"{index}\\n")
                log.flush()
                os.fsync(log.fileno())
            time.sleep(0.05)
            return index * index
        return run

    @durable_execution(checkpoint_mode="EAGER")
    async def handler(event, ctx: DurableContext):
        total = 0
        for index in range(20):
            total += await ctx.step(body(index), name=f"step-{index:02d}")
        return {"total": total}
"""


def cli(
    folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=folder,
        env={**_clean_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}


def test_the_pipeline_completes_with_its_documented_output(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    done = cli(
        tmp_path,
        "run",
        "examples/pipeline/handler.py:handler",
        "--input",
        "@examples/pipeline/input.json",
        "--answer",
        'approval={"approved": true, "reviewer": "ci"}',
    )

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {
        "workflowId",
        "processedItems",
        "parallelResults",
        "mapResults",
        "totalDuration",
        "checkpointCount",
    }
    assert report["workflowId"] == "wf-demo"
    assert report["processedItems"] == 4
    assert [item["status"] for item in report["mapResults"]] == ["completed"] * 4
    assert report["checkpointCount"] == 1 + 3 + 7 + (1 + 2 * 4) + 1
    assert (tmp_path / ".durable").is_dir()


def test_a_killed_orchestrator_resumes_without_running_completed_steps_again(
    tmp_path: Path,
) -> None:
    (tmp_path / "slow.py").write_text(textwrap.dedent(SLOW_STEPS))
    log = tmp_path / "steps.log"
    env = {"STEP_LOG": str(log)}

    running = subprocess.Popen(
        [*CLI, "run", "slow.py:handler", "--input", "{}"],
        cwd=tmp_path,
        env={**_clean_env(), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for_lines(log, 8)
    running.send_signal(signal.SIGKILL)
    running.wait(timeout=30)

    before = _history(tmp_path)
    completed_before = {
        op["Name"] for op in before["operations"] if op.get("Status") == "SUCCEEDED"
    }
    runs_before = _runs(log)
    assert 0 < len(completed_before) < 20, "the kill should land mid-run"

    resumed = cli(tmp_path, "resume", "--all", env=env)

    assert resumed.returncode == 0, resumed.stderr
    after = _history(tmp_path)
    assert after["execution"]["Status"] == "SUCCEEDED"
    assert json.loads(after["execution"]["Result"]) == {"total": sum(i * i for i in range(20))}
    runs = _runs(log)
    for name in completed_before:
        index = int(name.split("-")[1])
        # A step whose success was checkpointed before the kill never runs again.
        assert runs[index] == runs_before[index] == 1, name
    # Every step ran at least once, and only the one cut off by the kill may have run twice.
    assert sorted(runs) == list(range(20))
    assert sum(count - 1 for count in runs.values()) <= 1


def test_two_orchestrators_on_one_execution_do_not_both_run_it(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(textwrap.dedent(SLOW_STEPS))
    log = tmp_path / "steps.log"
    env = {"STEP_LOG": str(log)}
    first = subprocess.Popen(
        [*CLI, "run", "slow.py:handler", "--input", "{}"],
        cwd=tmp_path,
        env={**_clean_env(), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_lines(log, 2)
        second = cli(tmp_path, "resume", "--all", env=env)
        # The second driver either skips the execution with a note or refuses; it runs no step.
        assert "being driven" in second.stderr, second.stderr
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()

    assert first.returncode == 0, err
    assert json.loads(out) == {"total": sum(i * i for i in range(20))}
    runs = _runs(log)
    assert runs == dict.fromkeys(range(20), 1)


def _wait_for_lines(log: Path, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and len(log.read_text().splitlines()) >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"the handler did not reach {count} step runs in {timeout}s")


def _runs(log: Path) -> dict[int, int]:
    runs: dict[int, int] = {}
    for line in log.read_text().splitlines():
        runs[int(line)] = runs.get(int(line), 0) + 1
    return runs


def _history(folder: Path) -> dict[str, Any]:
    listing = cli(folder, "list", "--json")
    assert listing.returncode == 0, listing.stderr
    (summary,) = json.loads(listing.stdout)
    history = cli(folder, "history", summary["DurableExecutionName"], "--json")
    assert history.returncode == 0, history.stderr
    data: dict[str, Any] = json.loads(history.stdout)
    return data
