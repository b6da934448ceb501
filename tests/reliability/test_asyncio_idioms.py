"""Standard asyncio idioms around durable calls, and exceptions that are no ``Exception``.

Issue 14, section 4. A durable wait suspends the invocation by raising ``SuspendExecution``
through user code; each idiom below used to swallow or drop it, or to wrap it where the SDK did
not look, and the execution then SUCCEEDED without waiting, or stayed RUNNING for ever with its
completed steps lost. Each test runs a handler through the real local runtime
(``DurableTestRunner``: the local service over the in-memory store, time skipped; or the
``durable-lambda`` command on the file store) and asserts how the execution ends, how many
invocations it took and how often each step body ran.

The rules they hold: once an operation of an invocation has suspended, the invocation cannot
end SUCCEEDED (it ends PENDING, or FAILED with ``AbandonedOperationError`` naming the operation
when the code abandoned it); a group of suspensions is a suspension; queued checkpoints are
flushed however an invocation ends; a ``BaseException`` a step body raises itself is a failure
of that attempt; the command line prints one line per error; and an item a map or a race
cancelled cannot checkpoint anything once it was cancelled (seed requirement 2.8).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from durable_lambda import (
    CheckpointMode,
    CompletionConfig,
    DurableContext,
    Duration,
    MapConfig,
    ParallelConfig,
    StepConfig,
)
from durable_lambda.core.model import OperationStatus
from durable_lambda.core.retry import RetryStrategyConfig, create_retry_strategy
from durable_lambda.testing import DurableTestRunner, TestExecution

RAN: Counter[str] = Counter()
"""How many times each step body ran, by name."""


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    RAN.clear()


def body(name: str, value: Any = None) -> Any:
    """Return a step body that counts its runs and returns ``value`` (its name by default)."""

    async def run(step: Any) -> Any:
        RAN[name] += 1
        return name if value is None else value

    return run


FIVE_SECONDS = Duration.from_seconds(5)
ONE_ATTEMPT = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)))
TWO_ATTEMPTS = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(max_attempts=2, initial_delay=Duration.from_seconds(1))
    )
)


async def stored(run: TestExecution, name: str) -> OperationStatus:
    """Return the status the service stores now for the operation named ``name``."""
    (status,) = [op.Status for op in await run.operations_async() if op.Name == name]
    return status


# -- 1. idioms that swallowed the suspension: the invocation ends PENDING ---------------------


async def test_gather_with_return_exceptions_waits_and_then_returns_real_values() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        results = await asyncio.gather(
            ctx.wait(FIVE_SECONDS, name="w"), ctx.step(body("a"), name="a"), return_exceptions=True
        )
        return [repr(result) if isinstance(result, BaseException) else result for result in results]

    run = await DurableTestRunner(handler).start()
    first = await run.drive_once()
    assert first is not None
    assert first.Status.value == "PENDING"
    result = await run.result()
    assert (result.status, result.result) == ("SUCCEEDED", [None, "a"])
    assert result.invocations == 2
    assert RAN == {"a": 1}


async def test_a_bare_except_around_a_wait_defers_what_follows_until_the_wait_ends() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        try:  # noqa: SIM105 - the idiom under test
            await ctx.wait(FIVE_SECONDS, name="w")
        except:  # noqa: E722 - the idiom under test
            pass
        return str(await ctx.step(body("after"), name="after"))

    run = await DurableTestRunner(handler).start()
    first = await run.drive_once()
    assert first is not None
    assert first.Status.value == "PENDING"
    assert RAN == {}  # before: the step after the wait ran at once
    result = await run.result()
    assert (result.status, result.result, result.invocations) == ("SUCCEEDED", "after", 2)
    assert RAN == {"after": 1}


async def test_contextlib_suppress_base_exception_around_a_wait_ends_pending() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        with contextlib.suppress(BaseException):
            await ctx.wait(FIVE_SECONDS, name="w")
        return "done"

    run = await DurableTestRunner(handler).start()
    first = await run.drive_once()
    assert first is not None
    assert first.Status.value == "PENDING"
    result = await run.result()
    assert (result.status, result.result, result.invocations) == ("SUCCEEDED", "done", 2)
    assert await stored(run, "w") is OperationStatus.SUCCEEDED


async def test_a_swallowed_step_retry_is_still_waited_for() -> None:
    failures = Counter[str]()

    async def flaky(step: Any) -> str:
        failures["flaky"] += 1
        if failures["flaky"] == 1:
            raise ConnectionError("down")
        return "up"

    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            return await ctx.step(flaky, name="flaky", config=TWO_ATTEMPTS)
        except BaseException:
            return "gave up"

    result = await DurableTestRunner(handler).run()
    assert (result.status, result.result) == ("SUCCEEDED", "up")  # before: "gave up"
    assert failures["flaky"] == 2


async def test_a_finally_clause_step_runs_once_the_wait_it_follows_has_ended() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        try:
            await ctx.wait(FIVE_SECONDS, name="w")
        finally:
            await ctx.step(body("cleanup"), name="cleanup")
        return "done"

    run = await DurableTestRunner(handler).start()
    await run.drive_once()
    assert RAN == {}  # not while the wait is still running
    result = await run.result()
    assert (result.status, RAN) == ("SUCCEEDED", {"cleanup": 1})


# -- 2. idioms that abandoned a durable operation: FAILED, naming it -------------------------


async def test_a_wait_in_a_task_never_awaited_fails_naming_it() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        asyncio.ensure_future(ctx.wait(FIVE_SECONDS, name="forgotten"))  # noqa: RUF006
        return "done"

    result = await DurableTestRunner(handler).run()
    assert result.status == "FAILED"  # before: SUCCEEDED without waiting
    assert result.error is not None
    assert result.error.ErrorType == "AbandonedOperationError"
    assert "'forgotten'" in (result.error.ErrorMessage or "")
    assert "never awaited" in (result.error.ErrorMessage or "")


async def test_asyncio_wait_first_completed_leaving_a_wait_behind_fails_naming_it() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        timer = asyncio.ensure_future(ctx.wait(FIVE_SECONDS, name="deadline"))
        work = asyncio.ensure_future(ctx.step(body("work"), name="work"))
        done, _ = await asyncio.wait({timer, work}, return_when=asyncio.FIRST_COMPLETED)
        return "work" if work in done else "timed out"

    result = await DurableTestRunner(handler).run()
    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "AbandonedOperationError"
    assert "'deadline'" in (result.error.ErrorMessage or "")
    assert "ctx.race" in (result.error.ErrorMessage or "")


async def test_a_step_still_running_when_the_handler_returns_fails_and_is_not_recorded() -> None:
    never = asyncio.Event()

    async def slow(step: Any) -> str:
        await never.wait()
        return "late"

    async def handler(event: Any, ctx: DurableContext) -> Any:
        timer = asyncio.ensure_future(ctx.wait(FIVE_SECONDS, name="deadline"))
        work = asyncio.ensure_future(ctx.step(slow, name="slow"))
        done, _ = await asyncio.wait({timer, work}, return_when=asyncio.FIRST_COMPLETED)
        return "work" if work in done else "timed out"

    run = await DurableTestRunner(handler).start()
    result = await run.result()
    assert result.status == "FAILED"  # before: SUCCEEDED "timed out", the step left running
    assert result.error is not None
    assert result.error.ErrorType == "AbandonedOperationError"
    assert "STEP 'slow'" in (result.error.ErrorMessage or "")
    assert await stored(run, "slow") is OperationStatus.STARTED


# -- 3. asyncio.TaskGroup: a group of suspensions is a suspension -----------------------------


async def test_a_task_group_around_a_wait_suspends_and_keeps_the_completed_steps() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        await ctx.step(body("first"), name="first")
        async with asyncio.TaskGroup() as group:
            group.create_task(ctx.wait(FIVE_SECONDS, name="w"))
            group.create_task(ctx.step(body("second"), name="second"))
        return "done"

    run = await DurableTestRunner(handler, checkpoint_mode=CheckpointMode.OPTIMISTIC).start()
    first = await run.drive_once()  # before: BaseExceptionGroup escaped, nothing was stored
    assert first is not None
    assert first.Status.value == "PENDING"
    assert await stored(run, "first") is OperationStatus.SUCCEEDED
    result = await run.result()
    assert (result.status, result.result, result.invocations) == ("SUCCEEDED", "done", 2)
    assert RAN == {"first": 1, "second": 1}


async def test_a_task_group_inside_a_map_item_suspends_only_that_item() -> None:
    async def item(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        if index == 0:
            async with asyncio.TaskGroup() as group:
                group.create_task(ctx.wait(FIVE_SECONDS, name="w"))
        return value * 10

    async def handler(event: Any, ctx: DurableContext) -> Any:
        result = await ctx.map([1, 2], item, name="items")
        return result.get_results()

    result = await DurableTestRunner(handler).run()
    assert (result.status, result.result, result.invocations) == ("SUCCEEDED", [10, 20], 2)


# -- 4. BaseException from a step body: a failure of that attempt ------------------------------


class Halt(BaseException):
    """A BaseException of the user's own."""


@pytest.mark.parametrize(
    "raised",
    [asyncio.CancelledError("raised by the body"), SystemExit(2), Halt("stop")],
    ids=["CancelledError", "SystemExit", "custom BaseException"],
)
async def test_a_step_body_raising_a_base_exception_is_retried_then_fails(
    raised: BaseException,
) -> None:
    attempts = Counter[str]()

    def failing(step: Any) -> str:  # a plain function: runs in a worker thread
        attempts["failing"] += 1
        raise raised

    async def handler(event: Any, ctx: DurableContext) -> str:
        await ctx.step(body("before"), name="before")
        try:
            await ctx.step(failing, name="failing", config=TWO_ATTEMPTS)
        except Exception as error:
            return f"caught {type(error).__name__}"
        return "unreachable"

    result = await DurableTestRunner(handler).run()  # before: it escaped the runner
    assert (result.status, result.result) == ("SUCCEEDED", "caught StepError")
    assert attempts["failing"] == 2
    assert RAN == {"before": 1}


async def test_an_async_step_body_raising_cancelled_error_itself_is_a_failure() -> None:
    async def cancels(step: Any) -> str:
        raise asyncio.CancelledError

    async def handler(event: Any, ctx: DurableContext) -> str:
        return str(await ctx.step(cancels, name="cancels", config=TWO_ATTEMPTS))

    run = await DurableTestRunner(handler).start()
    result = await run.result()
    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "StepError"
    assert "CancelledError" in (result.error.ErrorMessage or "")
    assert run.step("cancels").attempts == 2


# -- 5. queued checkpoints are flushed however the invocation ends ----------------------------


async def test_a_cancelled_invocation_flushes_what_completed_before_it_propagates() -> None:
    started = asyncio.Event()

    async def handler(event: Any, ctx: DurableContext) -> str:
        await ctx.step(body("done"), name="done")  # queued only: OPTIMISTIC sends at the end
        started.set()
        await asyncio.Event().wait()  # the invocation is cancelled from outside here
        return "unreachable"

    runner = DurableTestRunner(handler, checkpoint_mode=CheckpointMode.OPTIMISTIC)
    run = await runner.start()
    invocation = asyncio.ensure_future(run.drive_once())
    await started.wait()
    invocation.cancel()
    with pytest.raises(asyncio.CancelledError):
        await invocation
    operations = {op.Name: op.Status for op in await run.operations_async() if op.Name}
    assert operations == {"done": OperationStatus.SUCCEEDED}  # before: lost, to run again


async def test_keyboard_interrupt_in_the_handler_flushes_then_propagates() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        await ctx.step(body("done"), name="done")
        raise KeyboardInterrupt

    async def drive() -> dict[str | None, OperationStatus]:
        run = await DurableTestRunner(handler, checkpoint_mode=CheckpointMode.OPTIMISTIC).start()
        with pytest.raises(KeyboardInterrupt):
            await run.drive_once()
        return {op.Name: op.Status for op in await run.operations_async() if op.Name}

    # On an event loop of its own thread: were the KeyboardInterrupt to escape, it would end
    # that loop, not pytest's.
    operations = await asyncio.to_thread(asyncio.run, drive())
    assert operations == {"done": OperationStatus.SUCCEEDED}  # before: lost, to run again


# -- 6. orphans: nothing is recorded for an item the result calls unfinished ------------------


async def test_a_cancelled_map_item_cannot_record_its_clean_up_step() -> None:
    slow_running, never = asyncio.Event(), asyncio.Event()

    async def fast(step: Any) -> str:
        await slow_running.wait()  # item 0 succeeds only once item 1 is inside its step
        return "fast"

    async def item(ctx: DurableContext, value: int, index: int, items: Any) -> str:
        if index == 0:
            return str(await ctx.step(fast, name="fast"))

        async def slow(step: Any) -> str:
            slow_running.set()
            await never.wait()
            return "slow"

        try:
            return str(await ctx.step(slow, name="slow"))
        finally:
            await ctx.step(body("cleanup"), name="cleanup")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = MapConfig(completion_config=CompletionConfig(min_successful=1))
        result = await ctx.map([0, 1], item, name="items", config=config)
        return [entry.status.value for entry in result.all]

    run = await DurableTestRunner(handler).start()
    result = await run.result()
    assert (result.status, result.result) == ("SUCCEEDED", ["SUCCEEDED", "STARTED"])
    under_item = {view.name: view.status for view in run.operations(parent="map-item-1")}
    assert under_item == {"slow": OperationStatus.STARTED}  # before: a SUCCEEDED "cleanup" too
    assert RAN["cleanup"] == 0


async def test_a_cancelled_parallel_branch_that_swallows_cancellation_records_nothing() -> None:
    waiting, never = asyncio.Event(), asyncio.Event()

    async def fails(ctx: DurableContext) -> str:
        async def boom(step: Any) -> str:
            await waiting.wait()  # fails only once the other branch is inside its step
            raise ValueError("boom")

        return str(await ctx.step(boom, name="boom", config=ONE_ATTEMPT))

    async def stubborn(ctx: DurableContext) -> str:
        async def waits(step: Any) -> str:
            waiting.set()
            with contextlib.suppress(asyncio.CancelledError):
                await never.wait()  # swallows the cancellation and goes on
            return "finished anyway"

        first = await ctx.step(waits, name="waits")
        await ctx.step(body("after"), name="after")
        return str(first)

    async def handler(event: Any, ctx: DurableContext) -> Any:
        first_failure = ParallelConfig(
            completion_config=CompletionConfig(tolerated_failure_count=0)
        )
        result = await ctx.parallel([fails, stubborn], name="both", config=first_failure)
        return [entry.status.value for entry in result.all]

    run = await DurableTestRunner(handler).start()
    result = await run.result()
    assert (result.status, result.result) == ("SUCCEEDED", ["FAILED", "STARTED"])
    branch = {view.name: view.status for view in run.operations(parent="parallel-branch-1")}
    assert branch == {"waits": OperationStatus.STARTED}  # before: "waits" SUCCEEDED, "after" too
    assert RAN["after"] == 0


async def test_a_race_loser_cannot_record_its_clean_up_step() -> None:
    slow_running, never = asyncio.Event(), asyncio.Event()

    async def wins(step: Any) -> str:
        await slow_running.wait()
        return "winner"

    async def loser(ctx: DurableContext) -> str:
        async def slow(step: Any) -> str:
            slow_running.set()
            await never.wait()
            return "slow"

        try:
            return str(await ctx.step(slow, name="slow"))
        finally:
            await ctx.step(body("cleanup"), name="cleanup")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.race(
            [ctx.step(wins, name="winner"), ctx.run_in_child_context(loser, "loser")],
            name="race",
        )

    run = await DurableTestRunner(handler).start()
    result = await run.result()
    assert (result.status, result.result) == ("SUCCEEDED", "winner")
    assert "cleanup" not in {view.name for view in run.operations()}  # before: recorded
    assert RAN["cleanup"] == 0


# -- 7. the command line: one line per error, on the file store ------------------------------

CLI = [sys.executable, "-m", "durable_lambda.app.cli"]

HANDLERS = textwrap.dedent(
    """
    import asyncio
    from durable_lambda import Duration, durable_execution

    async def first(step):
        return "first"

    @durable_execution
    async def grouped(event, ctx):
        await ctx.step(first, name="first")
        async with asyncio.TaskGroup() as group:
            group.create_task(ctx.wait(Duration.from_seconds(1), name="w"))
        return "done"

    class Halt(BaseException):
        pass

    @durable_execution
    async def halts(event, ctx):
        await ctx.step(first, name="first")
        raise BaseExceptionGroup("two problems", [Halt("stop"), ValueError("bad")])
    """
)


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    return subprocess.run(
        [*CLI, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_command_line_runs_a_task_group_around_a_wait_to_its_end(tmp_path: Path) -> None:
    (tmp_path / "flows.py").write_text(HANDLERS)
    done = cli(tmp_path, "run", "flows.py:grouped", "--name", "grouped")
    assert done.returncode == 0, done.stderr  # before: exit 1 after 70 lines of traceback
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout) == "done"
    history = cli(tmp_path, "history", "grouped", "--json")
    assert history.returncode == 0, history.stderr
    events = json.loads(history.stdout)["events"]
    starts = [event for event in events if event.get("EventType") == "StepStarted"]
    assert len(starts) == 1  # the completed step was kept, not run again


def test_the_command_line_prints_one_line_for_a_failure_and_the_trace_on_verbose(
    tmp_path: Path,
) -> None:
    (tmp_path / "flows.py").write_text(HANDLERS)
    failed = cli(tmp_path, "run", "flows.py:halts", "--name", "halts")
    assert failed.returncode == 1
    lines = [line for line in failed.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("durable-lambda:")]
    assert len(errors) == 1, failed.stderr
    assert "halts FAILED" in errors[0]
    assert "Halt" in errors[0]
    assert "Traceback" not in failed.stderr
    assert cli(tmp_path, "--verbose", "status", "halts").returncode == 0
