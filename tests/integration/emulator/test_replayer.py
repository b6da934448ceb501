"""The Replayer over executions recorded by the official emulator, read back through boto3.

Executions are started on ``dex-local-runner`` with today's handlers (the session's functions),
then replayed, read-only, with the unchanged handler, a compatible edit (step bodies and code
the record has not reached yet may change) and an incompatible one, through the public
``Replayer`` and through ``durable-lambda replay --from-aws`` / ``--from-aws-function``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from durable_lambda import DurableContext, Duration, durable_execution
from durable_lambda.app.replayer.aws import READ_ONLY_CALLS
from durable_lambda.testing import AwsExecution, DivergenceKind, Replayer, ReplayReport
from emulator import dex, handlers
from emulator.service import _CREDENTIALS, EmulatorSession

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[3]


def _recording_client(emulator: EmulatorSession) -> tuple[Any, list[str]]:
    """A client of the emulator that notes the name of every API call it makes."""
    client = dex.emulator_client(
        emulator.url, _CREDENTIALS["aws_access_key_id"], _CREDENTIALS["aws_secret_access_key"]
    )
    calls: list[str] = []

    def note(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.lambda", note)
    return client, calls


async def _replay(handler: Any, emulator: EmulatorSession, arn: str) -> ReplayReport:
    client, calls = _recording_client(emulator)
    report = await Replayer(handler).replay(AwsExecution(arn, client=client))
    assert calls, "nothing was read"
    assert set(calls) <= READ_ONLY_CALLS, calls  # never a write
    return report


# -- today's handlers, edited -------------------------------------------------------------


@durable_execution
async def wait_between_steps_new_body(event: dict[str, Any], ctx: DurableContext) -> Any:
    # Compatible: a step's body may change (its recorded result is replayed), and so may the
    # code around durable calls, as long as the calls stay the same.
    before: int = await ctx.step(lambda _: event["n"] + 1000, name="before")
    ctx.logger.info("paused next")
    await ctx.wait(Duration.from_seconds(1), name="pause")

    async def inside(child: DurableContext) -> int:
        return await child.step(lambda _: -1, name="times-ten")

    after = await ctx.run_in_child_context(inside, name="child")
    return {"before": before, "after": after, "version": 2}


@durable_execution
async def wait_between_steps_renamed(event: dict[str, Any], ctx: DurableContext) -> Any:
    before: int = await ctx.step(lambda _: event["n"] + 1, name="before")
    await ctx.wait(Duration.from_seconds(1), name="cool-off")  # was "pause"
    return before


@durable_execution
async def map_squares_renamed(event: dict[str, Any], ctx: DurableContext) -> list[int]:
    async def square(child: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
        return await child.step(lambda _: item * item, name=f"power-{index}")  # was square-

    batch = await ctx.map(event["items"], square, name="squares")
    results: list[int] = batch.get_results()
    return results


@durable_execution
async def parallel_one_branch(event: dict[str, Any], ctx: DurableContext) -> list[str]:
    async def left(child: DurableContext) -> str:
        return await child.step(lambda _: "left", name="left-step")

    batch = await ctx.parallel([left], name="branches")  # the right branch is gone
    results: list[str] = batch.get_results()
    return results


@durable_execution
async def callback_then_more(event: dict[str, Any], ctx: DurableContext) -> Any:
    # Compatible with an execution still waiting for its callback: what comes after the
    # callback has not been recorded yet.
    callback = await ctx.create_callback("approval")
    answer = await callback.result()
    return await ctx.step(lambda _: {"approved": True, "answer": answer}, name="record")


@durable_execution
async def callback_after_a_step(event: dict[str, Any], ctx: DurableContext) -> Any:
    await ctx.step(lambda _: 1, name="first")  # a new first operation
    callback = await ctx.create_callback("approval")
    return await callback.result()


# -- completed executions -----------------------------------------------------------------


async def test_a_completed_execution_replays_with_the_unchanged_and_a_compatible_handler(
    emulator: EmulatorSession,
) -> None:
    arn = emulator.start_execution("WaitBetweenSteps", {"n": 4})
    assert emulator.wait(arn)["Status"] == "SUCCEEDED"

    same = await _replay(handlers.wait_between_steps, emulator, arn)
    compatible = await _replay(wait_between_steps_new_body, emulator, arn)

    assert same.ok, same.render()
    assert same.execution_status == "SUCCEEDED"
    # before, pause, the child context and the step inside it.
    assert same.matched == same.recorded == 4
    assert same.ended == "returned"
    assert compatible.ok, compatible.render()
    assert compatible.matched == 4


async def test_an_incompatible_handler_is_reported_at_the_operation_that_differs(
    emulator: EmulatorSession,
) -> None:
    arn = emulator.start_execution("WaitBetweenSteps", {"n": 1})
    assert emulator.wait(arn)["Status"] == "SUCCEEDED"

    report = await _replay(wait_between_steps_renamed, emulator, arn)

    assert not report.ok
    divergence = report.divergence
    assert divergence is not None
    assert divergence.kind is DivergenceKind.MISMATCH
    assert divergence.recorded is not None
    assert divergence.recorded.name == "pause"
    assert divergence.attempted is not None
    assert divergence.attempted.name == "cool-off"
    assert divergence.recorded.position == 2
    assert divergence.source is not None
    assert divergence.source.file.endswith("test_replayer.py")
    assert 'name="cool-off"' in divergence.source.code


async def test_map_items_and_parallel_branches_are_replayed_inside_completed_contexts(
    emulator: EmulatorSession,
) -> None:
    squares = emulator.start_execution("MapSquares", {"items": [2, 3]})
    branches = emulator.start_execution("ParallelBranches", {})
    assert emulator.wait(squares)["Status"] == "SUCCEEDED"
    assert emulator.wait(branches)["Status"] == "SUCCEEDED"

    squares_same = await _replay(handlers.map_squares, emulator, squares)
    squares_renamed = await _replay(map_squares_renamed, emulator, squares)
    branches_same = await _replay(handlers.parallel_branches, emulator, branches)
    branches_fewer = await _replay(parallel_one_branch, emulator, branches)

    assert squares_same.ok, squares_same.render()
    assert squares_same.matched == 5  # the map, two items, a step in each
    assert squares_renamed.divergence is not None
    assert squares_renamed.divergence.recorded is not None
    assert squares_renamed.divergence.recorded.path == ("squares", "map-item-0", "square-0")
    assert branches_same.ok, branches_same.render()
    # The parallel, two branches, the left step and the right wait.
    assert branches_same.matched == 5
    assert not branches_fewer.ok
    assert branches_fewer.divergence is not None
    assert {op.name for op in branches_fewer.unvisited} >= {"parallel-branch-1", "right-wait"}


async def test_a_failed_execution_replays_when_the_code_fails_the_same_way(
    emulator: EmulatorSession,
) -> None:
    arn = emulator.start_execution("StepFails", {})
    assert emulator.wait(arn)["Status"] == "FAILED"

    report = await _replay(handlers.step_fails, emulator, arn)

    assert report.ok, report.render()
    assert report.execution_status == "FAILED"
    assert report.ended == "raised"


async def test_a_retried_step_replays(emulator: EmulatorSession) -> None:
    arn = emulator.start_execution("StepRetry", {})
    assert emulator.wait(arn)["Status"] == "SUCCEEDED"

    report = await _replay(handlers.step_retry, emulator, arn)

    assert report.ok, report.render()
    assert report.matched == 1


async def test_a_history_saved_from_the_api_replays_from_its_file(
    emulator: EmulatorSession, tmp_path: Path
) -> None:
    arn = emulator.start_execution("MapSquares", {"items": [5]})
    assert emulator.wait(arn)["Status"] == "SUCCEEDED"
    described = emulator.client.get_durable_execution(DurableExecutionArn=arn)
    saved = tmp_path / "history.json"
    # What `aws lambda get-durable-execution-history` prints, with the execution's status.
    document = {"Status": described["Status"], "Events": emulator.history(arn)}
    saved.write_text(json.dumps(document, default=str))

    same = await Replayer(handlers.map_squares).replay(saved)
    renamed = await Replayer(map_squares_renamed).replay(str(saved))

    assert same.ok, same.render()
    assert same.execution_status == "SUCCEEDED"
    assert same.matched == 3
    assert not renamed.ok


# -- running executions, and the command line ---------------------------------------------


def _waiting_for_callback(emulator: EmulatorSession) -> str:
    arn = emulator.start_execution("CallbackApproval", {})
    emulator.wait_for_event(arn, "CallbackStarted")
    return arn


async def test_a_running_execution_replays_up_to_where_it_waits(
    emulator: EmulatorSession,
) -> None:
    arn = _waiting_for_callback(emulator)

    same = await _replay(handlers.callback_approval, emulator, arn)
    later = await _replay(callback_then_more, emulator, arn)
    earlier = await _replay(callback_after_a_step, emulator, arn)

    assert same.ok, same.render()
    assert same.execution_status == "RUNNING"
    assert same.ended == "suspended"
    assert same.matched == 1
    assert later.ok, later.render()
    assert not earlier.ok
    assert earlier.divergence is not None
    assert earlier.divergence.kind is DivergenceKind.MISMATCH


VARIANTS = """
    from durable_lambda import DurableContext, Duration, durable_execution

    @durable_execution
    async def renamed(event, ctx: DurableContext):
        before = await ctx.step(lambda _: event["n"] + 1, name="before")
        await ctx.wait(Duration.from_seconds(1), name="cool-off")
        return before

    @durable_execution
    async def approval_first_step(event, ctx: DurableContext):
        await ctx.step(lambda _: 1, name="first")
        callback = await ctx.create_callback("approval")
        return await callback.result()
"""


def _cli(folder: Path, emulator: EmulatorSession, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DURABLE_LAMBDA_"))}
    env |= {
        "AWS_ACCESS_KEY_ID": _CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": _CREDENTIALS["aws_secret_access_key"],
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONPATH": str(ROOT / "tests" / "integration"),
    }
    aws = ["--endpoint-url", emulator.url, "--region", dex.REGION]
    return subprocess.run(
        [sys.executable, "-m", "durable_lambda.app.cli", "replay", *args, *aws],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_replays_an_execution_read_from_aws(
    emulator: EmulatorSession, tmp_path: Path
) -> None:
    (tmp_path / "variants.py").write_text(textwrap.dedent(VARIANTS))
    arn = emulator.start_execution("WaitBetweenSteps", {"n": 2})
    assert emulator.wait(arn)["Status"] == "SUCCEEDED"
    today = "emulator.handlers:wait_between_steps"

    same = _cli(tmp_path, emulator, today, "--from-aws", arn, "--json")
    renamed = _cli(tmp_path, emulator, "variants.py:renamed", "--from-aws", arn)
    missing = _cli(tmp_path, emulator, today, "--from-aws", arn.replace("/", "/x", 1))

    assert same.returncode == 0, same.stderr
    report = json.loads(same.stdout)
    assert report["ok"] is True
    assert report["matched"] == 4
    assert report["source"] == f"AWS {arn}"
    assert renamed.returncode == 1, renamed.stderr
    assert "recorded 'pause', code attempted 'cool-off'" in renamed.stderr
    assert "first divergence" in renamed.stdout
    assert missing.returncode == 2, missing.stdout + missing.stderr
    assert "GetDurableExecution failed" in missing.stderr


def test_the_command_replays_every_running_execution_of_a_function(
    emulator: EmulatorSession, tmp_path: Path
) -> None:
    (tmp_path / "variants.py").write_text(textwrap.dedent(VARIANTS))
    waiting = {_waiting_for_callback(emulator), _waiting_for_callback(emulator)}
    today = "emulator.handlers:callback_approval"
    listing = ["--from-aws-function", "CallbackApproval", "--status", "RUNNING"]

    same = _cli(tmp_path, emulator, today, *listing, "--limit", "50", "--json")
    broken = _cli(tmp_path, emulator, "variants.py:approval_first_step", *listing)

    assert same.returncode == 0, same.stderr
    reports = json.loads(same.stdout)
    assert waiting <= {report["executionArn"] for report in reports}
    # Only running ones, although the emulator's listing ignores the status filter.
    assert all(report["ok"] and report["executionStatus"] == "RUNNING" for report in reports)
    assert broken.returncode == 1, broken.stderr
    assert "differ" in broken.stderr
