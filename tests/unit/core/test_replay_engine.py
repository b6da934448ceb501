"""The replay engine through the in-memory test runner: steps, retries, waits, child contexts."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from durable_lambda import (
    CheckpointMode,
    DurableContext,
    Duration,
    JitterStrategy,
    RetryDecision,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    StepSemantics,
    create_retry_strategy,
)
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.service.history import EventType
from durable_lambda.testing import DurableTestRunner

NO_JITTER_RETRIES = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=5,
        initial_delay=Duration.from_seconds(2),
        jitter_strategy=JitterStrategy.NONE,
    )
)


class BodyCounter:
    """Counts how often each step body really runs, across every invocation."""

    def __init__(self) -> None:
        self.runs: Counter[str] = Counter()

    def body(self, name: str, value: Any) -> Any:
        async def run(step: StepContext) -> Any:
            self.runs[name] += 1
            return value

        return run


async def test_sequential_steps_return_their_results_in_order() -> None:
    async def handler(event: dict[str, int], ctx: DurableContext) -> list[int]:
        results: list[int] = []
        for i in range(5):

            def add(step: StepContext, i: int = i) -> int:
                return event["base"] + i

            results.append(await ctx.step(add, name=f"step-{i}"))
        return results

    result = await DurableTestRunner(handler).run({"base": 10})

    assert result.status == "SUCCEEDED"
    assert result.result == [10, 11, 12, 13, 14]
    assert result.invocations == 1


async def test_a_step_that_fails_twice_then_succeeds_shows_its_retries_in_history() -> None:
    attempts_seen: list[int] = []

    def flaky(step: StepContext) -> str:
        attempts_seen.append(step.attempt)
        if step.attempt < 3:
            raise ConnectionError(f"attempt {step.attempt} failed")
        return "ok"

    async def handler(event: Any, ctx: DurableContext) -> str:
        return await ctx.step(
            flaky, name="flaky", config=StepConfig(retry_strategy=NO_JITTER_RETRIES)
        )

    runner = DurableTestRunner(handler)
    run = await runner.start()
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == "ok"
    assert attempts_seen == [1, 2, 3]
    assert run.step("flaky").attempts == 3
    events = [e for e in await run.history() if e.Name == "flaky"]
    assert [e.EventType for e in events] == [
        EventType.STEP_STARTED,
        EventType.STEP_FAILED,
        EventType.STEP_STARTED,
        EventType.STEP_FAILED,
        EventType.STEP_STARTED,
        EventType.STEP_SUCCEEDED,
    ]
    # Each failed attempt suspends the invocation until the retry is due: three invocations.
    assert result.invocations == 3


async def test_retries_exhausted_fail_the_step_with_the_original_error() -> None:
    def always_fails(step: StepContext) -> None:
        raise ValueError("bad input")

    strategy = create_retry_strategy(
        RetryStrategyConfig(max_attempts=2, initial_delay=Duration.from_seconds(1))
    )

    async def handler(event: Any, ctx: DurableContext) -> None:
        await ctx.step(always_fails, name="doomed", config=StepConfig(retry_strategy=strategy))

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.status == "FAILED"
    assert result.error is not None
    # The StepError escaped the handler (as the official SDK records it); the step keeps the
    # original error's type.
    assert result.error.ErrorType == "StepError"
    assert result.error.ErrorMessage == "bad input"
    step_error = run.step("doomed").error
    assert step_error is not None
    assert step_error.ErrorType == "ValueError"
    assert run.step("doomed").status is OperationStatus.FAILED
    assert run.step("doomed").attempts == 2


async def test_a_caught_step_error_is_the_same_on_the_first_run_and_on_replay() -> None:
    seen: list[tuple[str, str | None]] = []

    def fails(step: StepContext) -> None:
        raise KeyError("missing")

    async def handler(event: Any, ctx: DurableContext) -> str:
        try:
            await ctx.step(fails, name="fails", config=StepConfig(retry_strategy=_no_retry()))
        except Exception as error:
            seen.append((type(error).__name__, getattr(error, "error_type", None)))
        await ctx.wait(Duration.from_seconds(5), name="then-wait")
        return "handled"

    result = await DurableTestRunner(handler).run()

    assert result.result == "handled"
    assert seen == [("StepError", "KeyError"), ("StepError", "KeyError")]


async def test_a_three_day_wait_completes_at_once_under_the_fake_clock() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        await ctx.wait(Duration.from_days(3), name="three-days")
        return "rested"

    runner = DurableTestRunner(handler)
    before = runner.clock.now()
    run = await runner.start()
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == "rested"
    assert (runner.clock.now() - before).total_seconds() == 3 * 24 * 3600
    assert run.operation("three-days").status is OperationStatus.SUCCEEDED
    assert result.invocations == 2


async def test_nested_child_contexts_group_their_operations_and_return_results() -> None:
    async def inner(ctx: DurableContext) -> int:
        return await ctx.step(lambda s: 5, name="leaf")

    async def outer(ctx: DurableContext) -> int:
        value = await ctx.run_in_child_context(inner, name="inner")
        await ctx.wait(Duration.from_minutes(1), name="pause")
        return value * 2

    async def handler(event: Any, ctx: DurableContext) -> int:
        return await ctx.run_in_child_context(outer, name="outer") + 1

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == 11
    outer_op = run.operation("outer")
    inner_op = run.operation("inner")
    assert outer_op.type is OperationType.CONTEXT
    assert inner_op.operation.ParentId == outer_op.id
    assert run.operation("leaf").operation.ParentId == inner_op.id
    assert run.operation("pause").operation.ParentId == outer_op.id
    assert outer_op.result == 10


async def test_replay_does_not_run_completed_steps_again() -> None:
    counter = BodyCounter()

    async def handler(event: Any, ctx: DurableContext) -> int:
        total = 0
        for i in range(3):
            total += await ctx.step(counter.body(f"s{i}", i), name=f"s{i}")
            await ctx.wait(Duration.from_seconds(10), name=f"w{i}")
        return total

    result = await DurableTestRunner(handler).run()

    assert result.result == 3
    assert result.invocations == 4  # three waits, each resumed by a new invocation
    assert counter.runs == {"s0": 1, "s1": 1, "s2": 1}


async def test_always_replay_mode_replays_from_the_top_after_every_operation() -> None:
    counter = BodyCounter()
    replays = Counter[str]()

    async def handler(event: Any, ctx: DurableContext) -> int:
        replays["top"] += 1
        a: int = await ctx.step(counter.body("a", 1), name="a")
        b: int = await ctx.step(counter.body("b", 2), name="b")
        return a + b

    result = await DurableTestRunner(handler, always_replay=True).run()

    assert result.result == 3
    assert counter.runs == {"a": 1, "b": 1}
    assert replays["top"] == 3  # after a, after b, then the final run to the end


async def test_a_changed_workflow_raises_non_determinism_naming_the_operation() -> None:
    version = {"n": 1}

    async def handler(event: Any, ctx: DurableContext) -> str:
        if version["n"] == 1:
            await ctx.step(lambda s: 1, name="charge-card")
        else:
            await ctx.step(lambda s: 1, name="refund-card")
        await ctx.wait(Duration.from_seconds(1), name="wait")
        return "done"

    runner = DurableTestRunner(handler)
    run = await runner.start()
    # Run the first invocation only (it suspends on the wait), then change the code.
    await run.drive_once()
    version["n"] = 2
    result = await run.result()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "NonDeterministicExecutionError"
    message = result.error.ErrorMessage or ""
    assert "charge-card" in message
    assert "refund-card" in message


async def test_a_changed_operation_type_is_non_deterministic_too() -> None:
    version = {"n": 1}

    async def handler(event: Any, ctx: DurableContext) -> str:
        if version["n"] == 1:
            await ctx.step(lambda s: 1, name="first")
        else:
            await ctx.wait(Duration.from_seconds(5), name="first")
        await ctx.wait(Duration.from_seconds(1), name="wait")
        return "done"

    run = await DurableTestRunner(handler).start()
    await run.drive_once()
    version["n"] = 2
    result = await run.result()

    assert result.error is not None
    assert result.error.ErrorType == "NonDeterministicExecutionError"
    assert "STEP" in (result.error.ErrorMessage or "")
    assert "WAIT" in (result.error.ErrorMessage or "")


@pytest.mark.parametrize(
    ("mode", "expected_calls"),
    [
        # EAGER: each step's START is acknowledged before its body, its SUCCEED before it returns.
        (CheckpointMode.EAGER, 20),
        # BATCHED: step k's SUCCEED is acknowledged before step k+1's body, in one call with
        # step k+1's START (nine calls), and the last SUCCEED at the end of the invocation.
        (CheckpointMode.BATCHED, 10),
        # OPTIMISTIC: one call at the end of the invocation.
        (CheckpointMode.OPTIMISTIC, 1),
    ],
)
async def test_the_three_checkpoint_modes_give_the_same_result_with_their_own_call_counts(
    mode: CheckpointMode, expected_calls: int
) -> None:
    async def noop(step: StepContext) -> int:
        return step.attempt

    async def handler(event: Any, ctx: DurableContext) -> int:
        total = 0
        for i in range(10):
            total += await ctx.step(noop, name=f"s{i}")
        return total

    run = await DurableTestRunner(handler, checkpoint_mode=mode).start()
    result = await run.result()

    assert result.result == 10
    assert run.checkpoint_calls == expected_calls
    assert all(op.status is OperationStatus.SUCCEEDED for op in run.operations())


async def test_batched_mode_sends_in_the_background_while_bodies_await() -> None:
    async def io_bound(step: StepContext) -> int:
        await asyncio.sleep(0)  # a real body awaits I/O; the sender runs meanwhile
        return 1

    async def handler(event: Any, ctx: DurableContext) -> int:
        total = 0
        for i in range(10):
            total += await ctx.step(io_bound, name=f"s{i}")
        return total

    batched = await DurableTestRunner(handler, checkpoint_mode=CheckpointMode.BATCHED).start()
    eager = await DurableTestRunner(handler, checkpoint_mode=CheckpointMode.EAGER).start()

    assert (await batched.result()).result == (await eager.result()).result == 10
    # Coalesced: neighbouring updates share calls instead of one call per step.
    assert batched.checkpoint_calls < eager.checkpoint_calls == 20
    assert batched.runner.counting_service.updates_sent == 20


async def test_an_at_most_once_step_is_acknowledged_before_its_body_runs() -> None:
    observed: list[int] = []

    async def handler(event: Any, ctx: DurableContext) -> str:
        async def body(step: StepContext) -> str:
            observed.append(run.checkpoint_calls)
            return "charged"

        config = StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
        return await ctx.step(body, name="charge", config=config)

    runner = DurableTestRunner(handler, checkpoint_mode=CheckpointMode.OPTIMISTIC)
    run = await runner.start()
    result = await run.result()

    assert result.result == "charged"
    assert observed == [1]  # even in optimistic mode the START went out before the body


async def test_a_step_result_is_read_back_through_the_serializer_on_the_first_run() -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        value = await ctx.step(lambda s: (1, 2), name="tuple")
        again = await ctx.step(lambda s: {"k": [1, 2]}, name="dict")
        return [type(value).__name__, again]

    result = await DurableTestRunner(handler).run()

    assert result.result == ["tuple", {"k": [1, 2]}]


def _no_retry() -> Any:
    from durable_lambda import RetryPresets

    return RetryPresets.none()


async def test_non_determinism_fails_the_execution_even_when_user_code_catches_it() -> None:
    version = {"n": 1}

    async def handler(event: Any, ctx: DurableContext) -> str:
        try:
            name = "original" if version["n"] == 1 else "renamed"
            await ctx.step(lambda s: 1, name=name)
        except Exception:  # a careless catch-all must not hide a broken replay
            return "swallowed"
        await ctx.wait(Duration.from_seconds(1), name="wait")
        return "done"

    run = await DurableTestRunner(handler).start()
    await run.drive_once()
    version["n"] = 2
    result = await run.result()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "NonDeterministicExecutionError"


async def test_an_unreadable_stored_result_fails_the_execution_with_a_serdes_error() -> None:
    from durable_lambda import SerDesContext, SerDesError
    from durable_lambda.core.serdes import JsonSerDes

    class Picky(JsonSerDes[Any]):
        reads = 0

        def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
            Picky.reads += 1
            if Picky.reads > 1:  # the first run reads back once; replay cannot
                raise SerDesError("cannot read this any more")
            return super().deserialize(payload, context)

    async def handler(event: Any, ctx: DurableContext) -> Any:
        value = await ctx.step(lambda s: 1, name="v", config=StepConfig(serdes=Picky()))
        await ctx.wait(Duration.from_seconds(1), name="wait")
        return value

    result = await DurableTestRunner(handler).run()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "SerDesError"


async def test_a_retry_delay_beyond_the_service_limit_is_clamped_not_a_crash() -> None:
    def fails(step: StepContext) -> None:
        raise ConnectionError("down")

    def century(error: Exception, attempt: int) -> RetryDecision:
        if attempt > 1:
            return RetryDecision.no_retry()
        return RetryDecision.retry(Duration.from_years(100))

    async def handler(event: Any, ctx: DurableContext) -> None:
        await ctx.step(fails, name="slow-retry", config=StepConfig(retry_strategy=century))

    runner = DurableTestRunner(handler)
    start = runner.clock.now()
    result = await runner.run()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "StepError"  # the step's failure, not pydantic's
    assert result.error.ErrorMessage == "down"
    assert (runner.clock.now() - start).total_seconds() == 31_622_400


@pytest.mark.parametrize("name", ["", "x" * 257, "tab\there", "naïve"])
async def test_an_operation_name_the_service_would_refuse_is_a_validation_error(name: str) -> None:
    async def handler(event: Any, ctx: DurableContext) -> None:
        await ctx.wait(Duration.from_seconds(1), name=name)

    result = await DurableTestRunner(handler).run()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "ValidationError"
    assert "printable ASCII" in (result.error.ErrorMessage or "")


async def test_the_handlers_own_serializer_is_used_by_the_test_runner() -> None:
    from durable_lambda import EnvelopeSerDes, durable_execution

    @durable_execution(serdes=EnvelopeSerDes())
    async def handler(event: Any, ctx: DurableContext) -> int:
        value: dict[str, int] = await ctx.step(lambda s: {"ok": 3}, name="value")
        return value["ok"]

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == 3
    # Written in the official SDK's envelope, as the handler asked.
    assert run.step("value").operation.result_payload == '{"t":"m","v":{"ok":{"t":"i","v":3}}}'
