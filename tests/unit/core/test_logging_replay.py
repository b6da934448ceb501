"""``ctx.logger`` writes every line exactly once over a whole execution, whatever replays.

The rule under test (core/replay_logging.py): a line is suppressed only while its context's code is
still before the last operation an earlier invocation recorded there. Each test drives a whole
execution through ``DurableTestRunner`` (several invocations: waits, callbacks, retries), with
and without always-replay mode, and counts the lines the logger received.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from dependency_injector import providers
from structlog.testing import capture_logs

from durable_lambda import (
    Duration,
    JitterStrategy,
    ParallelBranch,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    create_retry_strategy,
    durable_execution,
)
from durable_lambda.adapters.logging.capturing import CapturingLogger
from durable_lambda.core.context import DurableContext
from durable_lambda.testing import DurableTestRunner, ExecutionResult

REPLAY_MODES = pytest.mark.parametrize("always_replay", [False, True], ids=["normal", "always"])

RETRY_ONCE = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay=Duration.from_seconds(1),
            jitter_strategy=JitterStrategy.NONE,
        )
    )
)


def _runner(handler: Any, always_replay: bool, **options: Any) -> tuple[DurableTestRunner, Any]:
    runner = DurableTestRunner(handler, always_replay=always_replay, **options)
    captured = CapturingLogger()
    # The runner's container builds the logger every invocation gets: capture what it receives.
    runner.container.logger.override(providers.Object(captured))
    return runner, captured


def _counts(captured: CapturingLogger) -> Counter[str]:
    return Counter(captured.events())


async def _run(
    handler: Any, always_replay: bool, event: Any = None
) -> tuple[ExecutionResult, Counter[str]]:
    runner, captured = _runner(handler, always_replay)
    result = await runner.run(event)
    assert result.status == "SUCCEEDED", result.error
    return result, _counts(captured)


@REPLAY_MODES
async def test_the_readme_example_logs_charging_once(always_replay: bool) -> None:
    @durable_execution
    async def handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
        order = await ctx.step(lambda step: {"id": event["orderId"], "total": 42}, name="order")
        await ctx.wait(Duration.from_days(3), name="cool-off")
        ctx.logger.info("charging", order_id=order["id"])
        return await ctx.step(lambda step: {"charged": order["total"]}, name="charge")

    result, counts = await _run(handler, always_replay, {"orderId": "o-1"})

    assert result.invocations >= 2  # the wait ended one invocation; the line is in the next
    assert counts["charging"] == 1


@REPLAY_MODES
async def test_lines_before_between_and_after_operations_are_written_once(
    always_replay: bool,
) -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        ctx.logger.info("start")
        await ctx.step(lambda step: 1, name="one")
        ctx.logger.info("after one")
        await ctx.wait(Duration.from_seconds(5), name="pause")
        ctx.logger.info("after pause")
        await ctx.step(lambda step: 2, name="two")
        ctx.logger.info("done")
        return "ok"

    result, counts = await _run(handler, always_replay)

    assert result.invocations >= 2
    assert counts == Counter({"start": 1, "after one": 1, "after pause": 1, "done": 1})


@REPLAY_MODES
async def test_the_line_after_a_callback_answer_is_written_once(always_replay: bool) -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval")
        answer = await callback.result()
        ctx.logger.info("approved")
        answered = await ctx.wait_for_callback(lambda callback_id, c: None, name="second")
        ctx.logger.info("second answered")
        return [answer, answered]

    runner, captured = _runner(handler, always_replay)
    execution = await runner.start()
    await execution.callback("approval").succeed({"ok": True})
    await execution.callback("second").succeed(2)
    result = await execution.result()

    assert result.status == "SUCCEEDED"
    assert _counts(captured)["approved"] == 1
    assert _counts(captured)["second answered"] == 1


@REPLAY_MODES
async def test_a_retried_step_logs_each_attempt_and_the_line_after_it_once(
    always_replay: bool,
) -> None:
    def flaky(step: StepContext) -> int:
        step.logger.info(f"attempt {step.attempt}")
        if step.attempt < 2:
            raise ConnectionError("lost")
        return step.attempt

    async def handler(event: Any, ctx: DurableContext) -> int:
        attempts: int = await ctx.step(flaky, name="flaky", config=RETRY_ONCE)
        ctx.logger.info("after the retry")
        return attempts

    result, counts = await _run(handler, always_replay)

    assert result.result == 2
    assert result.invocations >= 2  # the retry runs in a later invocation
    assert counts["attempt 1"] == 1
    assert counts["attempt 2"] == 1
    assert counts["after the retry"] == 1
    # The SDK's own line about the retry is written once too.
    assert counts["step attempt failed; retrying"] == 1


@REPLAY_MODES
async def test_map_items_log_each_line_once(always_replay: bool) -> None:
    async def item(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        ctx.logger.info(f"item {index} start")
        doubled: int = await ctx.step(lambda step: value * 2, name=f"double-{index}")
        ctx.logger.info(f"item {index} doubled")
        await ctx.wait(Duration.from_seconds(1 + index), name=f"pause-{index}")
        ctx.logger.info(f"item {index} resumed")
        return doubled

    async def handler(event: Any, ctx: DurableContext) -> Any:
        results = await ctx.map([1, 2, 3], item, name="items")
        ctx.logger.info("mapped")
        return results.get_results()

    result, counts = await _run(handler, always_replay)

    assert result.result == [2, 4, 6]
    expected = {f"item {i} {what}": 1 for i in range(3) for what in ("start", "doubled", "resumed")}
    assert counts == Counter({**expected, "mapped": 1})


@REPLAY_MODES
async def test_parallel_branches_log_each_line_once(always_replay: bool) -> None:
    def branch(name: str, seconds: int) -> ParallelBranch[str]:
        async def run(ctx: DurableContext) -> str:
            await ctx.wait(Duration.from_seconds(seconds), name=f"wait-{name}")
            ctx.logger.info(f"{name} resumed")
            await ctx.step(lambda step: name, name=f"work-{name}")
            ctx.logger.info(f"{name} done")
            return name

        return ParallelBranch(run, name=name)

    async def handler(event: Any, ctx: DurableContext) -> Any:
        outcome = await ctx.parallel([branch("a", 1), branch("b", 7)], name="both")
        ctx.logger.info("joined")
        return outcome.get_results()

    result, counts = await _run(handler, always_replay)

    assert result.result == ["a", "b"]
    assert counts == Counter(
        {"a resumed": 1, "a done": 1, "b resumed": 1, "b done": 1, "joined": 1}
    )


@REPLAY_MODES
async def test_a_child_context_logs_each_line_once(always_replay: bool) -> None:
    async def child(ctx: DurableContext) -> int:
        ctx.logger.info("child start")
        await ctx.wait(Duration.from_seconds(2), name="inner-wait")
        ctx.logger.info("child resumed")
        value: int = await ctx.step(lambda step: 7, name="inner")
        return value

    async def handler(event: Any, ctx: DurableContext) -> int:
        value: int = await ctx.run_in_child_context(child, name="child")
        ctx.logger.info("after child")
        return value

    result, counts = await _run(handler, always_replay)

    assert result.result == 7
    assert counts == Counter({"child start": 1, "child resumed": 1, "after child": 1})


async def test_a_logger_bound_with_log_during_replay_writes_on_every_replay() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        loud = ctx.logger.bind(log_during_replay=True)
        await ctx.step(lambda step: 1, name="one")
        loud.info("every time")
        ctx.logger.info("once")
        await ctx.wait(Duration.from_seconds(5), name="pause")
        return "ok"

    runner, captured = _runner(handler, always_replay=False)
    result = await runner.run()

    assert result.invocations == 2
    assert _counts(captured) == Counter({"every time": 2, "once": 1})
    # The switch is not a field of the events.
    assert all("log_during_replay" not in record.fields for record in captured.records)


async def test_log_during_replay_can_be_switched_off_again_on_a_bound_logger() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        quiet = ctx.logger.bind(log_during_replay=False)
        await ctx.step(lambda step: 1, name="one")
        quiet.info("once")
        await ctx.wait(Duration.from_seconds(5), name="pause")
        return "ok"

    runner, captured = _runner(handler, always_replay=False, log_during_replay=True)
    await runner.run()

    assert _counts(captured) == Counter({"once": 1})


async def test_the_readme_example_under_the_default_structlog_logger() -> None:
    # What a user sees with no logger configured: structlog's default, captured.
    @durable_execution
    async def handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
        order = await ctx.step(lambda step: {"id": event["orderId"], "total": 42}, name="order")
        await ctx.wait(Duration.from_days(3), name="cool-off")
        ctx.logger.info("charging", order_id=order["id"])
        return await ctx.step(lambda step: {"charged": order["total"]}, name="charge")

    with capture_logs() as events:
        async with DurableTestRunner(handler, always_replay=True) as runner:
            result = await runner.run({"orderId": "o-1"})

    assert result.status == "SUCCEEDED"
    charging = [event for event in events if event["event"] == "charging"]
    assert len(charging) == 1
    assert charging[0]["order_id"] == "o-1"
    assert charging[0]["execution_arn"]


async def test_a_step_body_logs_with_the_step_identity() -> None:
    async def handler(event: Any, ctx: DurableContext) -> int:
        def body(step: StepContext) -> int:
            step.logger.info("inside")
            return 1

        value: int = await ctx.step(body, name="work")
        return value

    runner, captured = _runner(handler, always_replay=False)
    await runner.run()

    [record] = captured.records
    assert record.fields["operation_name"] == "work"
    assert record.fields["attempt"] == 1
    assert record.fields["operation_id"]
