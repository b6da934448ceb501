"""all / all_settled / race / any, driven through the in-memory DurableTestRunner."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

from durable_lambda.app.testing_runner import DurableTestRunner, TestExecution
from durable_lambda.core.config import CheckpointMode, Duration, StepConfig
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.errors import StepError, ValidationError
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.core.operations.combinators import AllFailedError, SettledResult
from durable_lambda.core.retry import (
    JitterStrategy,
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)
from durable_lambda.service.history import EventType

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())
REPLAY_MODES = pytest.mark.parametrize("always_replay", [False, True], ids=["normal", "replay"])


class Bodies:
    """Step bodies that count how often they really run, across every invocation."""

    def __init__(self) -> None:
        self.runs: Counter[str] = Counter()

    def returning(self, name: str, value: Any) -> Callable[[StepContext], Coroutine[Any, Any, Any]]:
        async def body(step: StepContext) -> Any:
            self.runs[name] += 1
            return value

        return body

    def failing(self, name: str) -> Callable[[StepContext], Coroutine[Any, Any, Any]]:
        async def body(step: StepContext) -> Any:
            self.runs[name] += 1
            raise ValueError(f"{name} failed")

        return body


async def labelled(awaitable: Awaitable[Any], label: str) -> str:
    """Await a durable call and answer with a label (the call takes its id before awaiting)."""
    await awaitable
    return label


def decision(run: TestExecution, name: str) -> dict[str, Any]:
    """The JSON decision a combinator's record holds, from its payload or its error data."""
    op = run.operation(name).operation
    assert op.Type is OperationType.CONTEXT
    if op.Status is OperationStatus.FAILED:
        assert op.error is not None
        return dict(json.loads(op.error.ErrorData or ""))
    return dict(json.loads(op.result_payload or ""))


async def events_of(run: TestExecution, name: str) -> list[EventType]:
    return [event.EventType for event in await run.history() if event.Name == name]


# -- race -----------------------------------------------------------------------------------


@REPLAY_MODES
async def test_a_race_of_waits_is_won_by_the_short_one_on_every_replay(
    always_replay: bool,
) -> None:
    winners: list[str] = []

    async def handler(event: Any, ctx: DurableContext) -> str:
        winner = await ctx.race(
            [
                labelled(ctx.wait(Duration.from_minutes(10), name="long"), "long"),
                labelled(ctx.wait(Duration.from_seconds(5), name="short"), "short"),
            ],
            name="first-wait",
        )
        winners.append(winner)
        await ctx.wait(Duration.from_hours(1), name="later")  # forces one more replay
        return winner

    run = await DurableTestRunner(handler, always_replay=always_replay).start()
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == "short"
    assert set(winners) == {"short"}
    assert len(winners) >= 2  # the first time, and at least one replay
    record = run.operation("first-wait")
    assert record.operation.SubType == "Race"
    assert record.status is OperationStatus.SUCCEEDED
    assert decision(run, "first-wait") == {
        "outcome": "SUCCEEDED",
        "winner": 1,
        "settled": "PS",
        "ids": [1, 1],
    }
    assert run.operation("long").status is OperationStatus.CANCELLED
    assert await events_of(run, "long") == [EventType.WAIT_STARTED, EventType.WAIT_CANCELLED]
    assert run.operation("short").status is OperationStatus.SUCCEEDED


# Not in always-replay mode: the runner replays only while nothing else is pending, and here an
# unanswered callback stays open for good.
async def test_a_step_beats_a_callback_nobody_answers() -> None:
    bodies = Bodies()

    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval")
        answer = await ctx.race(
            [ctx.step(bodies.returning("auto", "auto-approved"), name="auto"), callback.result()],
            name="approval-or-auto",
        )
        await ctx.wait(Duration.from_seconds(30), name="later")
        return answer

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == "auto-approved"
    assert result.invocations == 2
    assert bodies.runs == {"auto": 1}
    assert decision(run, "approval-or-auto")["winner"] == 0
    assert run.operation("approval").status is OperationStatus.STARTED  # nothing can cancel it


async def test_a_callback_answered_while_the_step_waits_for_its_retry_wins() -> None:
    attempts: list[int] = []
    retry_later = StepConfig(
        retry_strategy=create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=3,
                initial_delay=Duration.from_minutes(5),
                jitter_strategy=JitterStrategy.NONE,
            )
        )
    )

    def flaky(step: StepContext) -> str:
        attempts.append(step.attempt)
        raise ConnectionError("service down")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("approval")
        return await ctx.race(
            [ctx.step(flaky, name="auto", config=retry_later), callback.result()], name="race"
        )

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").succeed({"by": "ana"})
    result = await run.result()

    assert result.result == '{"by": "ana"}'  # the sender's text
    assert attempts == [1]  # the retry never ran: the callback had won by then
    assert decision(run, "race") == {
        "outcome": "SUCCEEDED",
        "winner": 1,
        "settled": "PS",
        "ids": [1, 0],  # result() of a callback created earlier takes no id
    }


async def test_a_losing_step_is_cancelled_and_never_runs_again() -> None:
    bodies = Bodies()
    cancelled: list[str] = []

    async def slow(step: StepContext) -> str:
        bodies.runs["slow"] += 1
        try:
            await asyncio.Event().wait()  # never set: only cancellation ends it
        except asyncio.CancelledError:
            cancelled.append(step.operation_id)
            raise
        return "slow"

    async def handler(event: Any, ctx: DurableContext) -> str:
        winner: str = await ctx.race(
            [ctx.step(slow, name="slow"), ctx.step(bodies.returning("fast", "fast"), name="fast")]
        )
        await ctx.wait(Duration.from_seconds(10), name="later")
        return winner

    # Not in always-replay mode: that ends the invocation after "fast" completes, and a race
    # only suspends once every branch has finished or suspended, which "slow" never does.
    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == "fast"
    assert result.invocations == 2
    assert bodies.runs == {"slow": 1, "fast": 1}
    assert cancelled == [run.step("slow").id]
    assert run.step("slow").status is OperationStatus.STARTED  # abandoned, not completed


@pytest.mark.parametrize("mode", list(CheckpointMode))
async def test_a_wait_started_in_the_same_invocation_is_cancelled_when_it_loses(
    mode: CheckpointMode,
) -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.race(
            [ctx.wait(Duration.from_days(1), name="deadline"), ctx.step(lambda s: 42, name="work")],
            name="work-or-deadline",
        )

    run = await DurableTestRunner(handler, checkpoint_mode=mode).start()
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == 42
    assert result.invocations == 1
    assert run.operation("deadline").status is OperationStatus.CANCELLED
    assert await events_of(run, "deadline") == [EventType.WAIT_STARTED, EventType.WAIT_CANCELLED]
    # The record is closed before the cancellation is sent.
    history = [event.Name for event in await run.history() if event.EventType in _CLOSING]
    assert history.index("work-or-deadline") < history.index("deadline")


_CLOSING = {EventType.CONTEXT_SUCCEEDED, EventType.WAIT_CANCELLED}


async def test_a_race_won_by_a_failure_raises_it_and_records_a_failed_context() -> None:
    bodies = Bodies()
    caught: list[str | None] = []

    async def handler(event: Any, ctx: DurableContext) -> str:
        try:
            await ctx.race(
                [
                    ctx.wait(Duration.from_hours(2), name="timeout"),
                    ctx.step(bodies.failing("check"), name="check", config=NO_RETRY),
                ],
                name="check-or-timeout",
            )
        except StepError as error:
            caught.append(error.error_type)
        await ctx.wait(Duration.from_seconds(1), name="later")
        return "handled"

    # Normal mode: in always-replay mode the invocation would end as soon as "check" failed, and
    # the runner, seeing a timer pending, would skip two hours: the wait would win instead.
    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == "handled"
    assert set(caught) == {"ValueError"}
    assert bodies.runs == {"check": 1}
    record = run.operation("check-or-timeout").operation
    assert record.Status is OperationStatus.FAILED
    assert record.error is not None
    # The context records the error that escaped it (the StepError), as child contexts do.
    assert record.error.ErrorType == "StepError"
    assert decision(run, "check-or-timeout")["winner"] == 1


async def test_race_needs_an_awaitable() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        try:
            await ctx.race([])
        except ValidationError as error:
            return error.field or ""
        return "no error"

    result = await DurableTestRunner(handler).run()

    assert result.result == "awaitables"


# -- all and all_settled ----------------------------------------------------------------------


@REPLAY_MODES
async def test_all_of_three_steps_returns_their_values_and_replays_without_bodies(
    always_replay: bool,
) -> None:
    bodies = Bodies()

    async def handler(event: Any, ctx: DurableContext) -> list[int]:
        values = await ctx.all(
            [ctx.step(bodies.returning(f"s{i}", i * 10), name=f"s{i}") for i in range(3)],
            name="three",
        )
        await ctx.wait(Duration.from_seconds(10), name="later")
        return values

    run = await DurableTestRunner(handler, always_replay=always_replay).start()
    result = await run.result()

    assert result.result == [0, 10, 20]
    assert result.invocations >= 2
    assert bodies.runs == {"s0": 1, "s1": 1, "s2": 1}
    assert decision(run, "three") == {
        "outcome": "SUCCEEDED",
        "winner": None,
        "settled": "SSS",
        "ids": [1, 1, 1],
    }


async def test_all_suspends_until_every_awaitable_is_done() -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        return await ctx.all(
            [ctx.step(lambda s: "now", name="now"), ctx.wait(Duration.from_minutes(3), name="w")]
        )

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == ["now", None]
    assert result.invocations == 2
    assert run.operation("w").status is OperationStatus.SUCCEEDED


async def test_all_raises_the_first_failure_and_cancels_what_is_still_waiting() -> None:
    bodies = Bodies()

    async def handler(event: Any, ctx: DurableContext) -> str:
        try:
            await ctx.all(
                [
                    ctx.wait(Duration.from_days(2), name="slow-wait"),
                    ctx.step(bodies.failing("bad"), name="bad", config=NO_RETRY),
                    ctx.step(bodies.returning("good", 1), name="good"),
                ],
                name="batch",
            )
        except StepError as error:
            await ctx.wait(Duration.from_seconds(1), name="later")
            return f"caught {error.error_type}"
        return "no error"

    run = await DurableTestRunner(handler).start()  # normal mode: see the race test above
    result = await run.result()

    assert result.result == "caught ValueError"
    assert result.invocations == 2
    assert bodies.runs == {"bad": 1, "good": 1}
    assert run.operation("batch").status is OperationStatus.FAILED
    assert decision(run, "batch")["winner"] == 1
    assert run.operation("slow-wait").status is OperationStatus.CANCELLED


@REPLAY_MODES
async def test_all_settled_reports_one_failure_among_successes(always_replay: bool) -> None:
    bodies = Bodies()
    reports: list[list[tuple[bool, Any]]] = []

    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        settled = await ctx.all_settled(
            [
                ctx.step(bodies.returning("a", "A"), name="a"),
                ctx.step(bodies.failing("b"), name="b", config=NO_RETRY),
                ctx.step(bodies.returning("c", "C"), name="c"),
            ],
            name="settled",
        )
        report = [
            (item.succeeded, item.value if item.succeeded else type(item.error).__name__)
            for item in settled
        ]
        reports.append(report)
        await ctx.wait(Duration.from_seconds(5), name="later")
        return [item.index for item in settled]

    run = await DurableTestRunner(handler, always_replay=always_replay).start()
    result = await run.result()

    assert result.result == [0, 1, 2]
    expected = [(True, "A"), (False, "StepError"), (True, "C")]
    assert reports
    assert all(report == expected for report in reports)
    assert bodies.runs == {"a": 1, "b": 1, "c": 1}
    assert run.operation("settled").status is OperationStatus.SUCCEEDED
    assert decision(run, "settled")["settled"] == "SFS"


def test_settled_result_get_returns_the_value_or_raises_the_error() -> None:
    assert SettledResult(0, value=3).get() == 3
    with pytest.raises(KeyError):
        SettledResult[int](1, error=KeyError("k")).get()


@REPLAY_MODES
async def test_empty_lists_settle_at_once(always_replay: bool) -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        results: list[Any] = [await ctx.all([]), await ctx.all_settled([])]
        try:
            await ctx.any([])
        except AllFailedError as error:
            results.append(list(error.errors))
        await ctx.wait(Duration.from_seconds(1), name="later")
        return results

    result = await DurableTestRunner(handler, always_replay=always_replay).run()

    assert result.status == "SUCCEEDED"
    assert result.result == [[], [], []]


# -- any --------------------------------------------------------------------------------------


@REPLAY_MODES
async def test_any_skips_a_failure_and_returns_the_first_success(always_replay: bool) -> None:
    bodies = Bodies()

    async def handler(event: Any, ctx: DurableContext) -> str:
        value: str = await ctx.any(
            [
                ctx.step(bodies.failing("first"), name="first", config=NO_RETRY),
                ctx.step(bodies.returning("second", "second"), name="second"),
                ctx.step(bodies.returning("third", "third"), name="third"),
            ],
            name="any-ok",
        )
        await ctx.wait(Duration.from_seconds(5), name="later")
        return value

    run = await DurableTestRunner(handler, always_replay=always_replay).start()
    result = await run.result()

    assert result.result == "second"
    assert bodies.runs["first"] == bodies.runs["second"] == 1
    # "third" lost the moment "second" won; it may have been cancelled before its body ran.
    assert bodies.runs["third"] <= 1
    assert decision(run, "any-ok")["winner"] == 1


async def test_any_cancels_a_losing_wait() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.any(
            [ctx.wait(Duration.from_days(1), name="never"), ctx.step(lambda s: "ok", name="ok")]
        )

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == "ok"
    assert run.operation("never").status is OperationStatus.CANCELLED


async def test_any_waits_out_a_failure_and_a_later_success_across_invocations() -> None:
    bodies = Bodies()

    async def handler(event: Any, ctx: DurableContext) -> str:
        return await ctx.any(
            [
                ctx.step(bodies.failing("fails"), name="fails", config=NO_RETRY),
                labelled(ctx.wait(Duration.from_minutes(1), name="minute"), "waited"),
            ],
            name="any",
        )

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == "waited"
    assert result.invocations == 2  # the failure alone did not decide: the wait had to finish
    assert bodies.runs == {"fails": 1}
    assert decision(run, "any") == {
        "outcome": "SUCCEEDED",
        "winner": 1,
        "settled": "FS",
        "ids": [1, 1],
    }


@REPLAY_MODES
async def test_any_raises_all_failed_error_when_every_awaitable_fails(
    always_replay: bool,
) -> None:
    bodies = Bodies()
    seen: list[list[str | None]] = []

    async def handler(event: Any, ctx: DurableContext) -> int:
        try:
            await ctx.any(
                [
                    ctx.step(bodies.failing(f"f{i}"), name=f"f{i}", config=NO_RETRY)
                    for i in range(2)
                ],
                name="all-fail",
            )
        except AllFailedError as error:
            seen.append([getattr(e, "error_type", None) for e in error.errors])
        await ctx.wait(Duration.from_seconds(5), name="later")
        return len(seen)

    run = await DurableTestRunner(handler, always_replay=always_replay).start()
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert seen
    assert all(errors == ["ValueError", "ValueError"] for errors in seen)
    assert bodies.runs == {"f0": 1, "f1": 1}
    record = run.operation("all-fail").operation
    assert record.Status is OperationStatus.FAILED
    assert record.error is not None
    assert record.error.ErrorType == "AllFailedError"


# -- determinism --------------------------------------------------------------------------------


async def test_operations_after_a_combinator_keep_their_ids_when_losers_are_skipped() -> None:
    ids: list[str] = []

    async def handler(event: Any, ctx: DurableContext) -> str:
        await ctx.race(
            [
                ctx.step(lambda s: "a", name="a"),
                ctx.run_in_child_context(_two_steps, name="child"),
                ctx.wait(Duration.from_seconds(30), name="w"),
            ]
        )

        def remember(step: StepContext) -> str:
            ids.append(step.operation_id)
            return step.operation_id

        after = await ctx.step(remember, name="after")
        await ctx.wait(Duration.from_seconds(5), name="later")
        return after

    run = await DurableTestRunner(handler, always_replay=True).start()
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == run.step("after").id
    assert len(ids) == 1


async def _two_steps(ctx: DurableContext) -> int:
    return await ctx.step(lambda s: 1, name="inner-1") + await ctx.step(lambda s: 2, name="inner-2")


async def test_a_different_number_of_awaitables_on_replay_fails_the_execution() -> None:
    invocations = {"n": 0}

    async def handler(event: Any, ctx: DurableContext) -> Any:
        invocations["n"] += 1
        count = 2 if invocations["n"] == 1 else 3
        values = await ctx.all(
            [ctx.step(_constant(i), name=f"s{i}") for i in range(count)], name="all"
        )
        await ctx.wait(Duration.from_seconds(5), name="later")
        return values

    result = await DurableTestRunner(handler).run()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "NonDeterministicExecutionError"


def _constant(value: int) -> Callable[[StepContext], int]:
    return lambda step: value


@REPLAY_MODES
async def test_a_combinator_nested_in_a_race_keeps_every_later_id(always_replay: bool) -> None:
    bodies = Bodies()

    async def handler(event: Any, ctx: DurableContext) -> Any:
        winner = await ctx.race(
            [
                ctx.all(
                    [
                        ctx.step(bodies.returning("a", "a"), name="a"),
                        ctx.wait(Duration.from_hours(1), name="slow"),
                    ],
                    name="inner",
                ),
                labelled(ctx.wait(Duration.from_seconds(5), name="deadline"), "timeout"),
            ],
            name="outer",
        )
        after = await ctx.step(bodies.returning("after", "after"), name="after")
        await ctx.wait(Duration.from_seconds(1), name="later")
        return [winner, after]

    run = await DurableTestRunner(handler, always_replay=always_replay).start()
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == ["timeout", "after"]
    assert bodies.runs == {"a": 1, "after": 1}
    assert decision(run, "outer")["ids"] == [3, 1]  # the inner record and both of its awaitables
    assert run.operation("slow").status is OperationStatus.CANCELLED  # started by a loser


@pytest.mark.parametrize("mode", list(CheckpointMode))
async def test_a_race_inside_a_child_context_cancels_its_losing_wait(mode: CheckpointMode) -> None:
    async def child(ctx: DurableContext) -> Any:
        return await ctx.race(
            [
                labelled(ctx.wait(Duration.from_seconds(2), name="quick"), "quick"),
                labelled(ctx.wait(Duration.from_days(7), name="week"), "week"),
            ],
            name="inner-race",
        )

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.run_in_child_context(child, name="scope")

    run = await DurableTestRunner(handler, checkpoint_mode=mode, always_replay=True).start()
    result = await run.result()

    assert result.result == "quick"
    scope = run.operation("scope")
    assert run.operation("week").operation.ParentId == scope.id
    assert run.operation("week").status is OperationStatus.CANCELLED
    assert run.operation("inner-race").operation.ParentId == scope.id


async def test_non_determinism_inside_a_branch_is_not_settled_but_fails_the_execution() -> None:
    invocations = {"n": 0}

    async def handler(event: Any, ctx: DurableContext) -> Any:
        invocations["n"] += 1
        name = "original" if invocations["n"] == 1 else "renamed"
        settled = await ctx.all_settled([ctx.step(lambda s: 1, name=name)], name="settled")
        await ctx.wait(Duration.from_seconds(5), name="later")
        return [item.succeeded for item in settled]

    result = await DurableTestRunner(handler).run()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "NonDeterministicExecutionError"


async def test_a_coroutine_given_twice_is_refused_before_anything_starts() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        step = ctx.step(lambda s: 1, name="once")
        try:
            await ctx.all([step, step])
        except ValidationError as error:
            step.close()
            return [error.field, ctx.operations_started()]
        return "no error"

    result = await DurableTestRunner(handler).run()

    assert result.result == ["awaitables", 0]


@pytest.mark.parametrize("always_replay", [False, True])
async def test_a_race_of_two_waits_is_won_by_the_shorter_one_in_every_mode(
    always_replay: bool,
) -> None:
    async def wait_then(ctx: DurableContext, seconds: int, label: str) -> str:
        await ctx.wait(Duration.from_seconds(seconds), name=f"wait-{label}")
        return label

    async def handler(event: Any, ctx: DurableContext) -> str:
        async def slow(child: DurableContext) -> str:
            return await wait_then(child, 60, "slow")

        async def fast(child: DurableContext) -> str:
            return await wait_then(child, 5, "fast")

        return await ctx.race(
            [
                ctx.run_in_child_context(slow, name="slow"),
                ctx.run_in_child_context(fast, name="fast"),
            ],
            name="suppliers",
        )

    result = await DurableTestRunner(handler, always_replay=always_replay).run()

    assert result.status == "SUCCEEDED"
    assert result.result == "fast"


@pytest.mark.parametrize("always_replay", [False, True])
async def test_a_race_of_steps_keeps_the_first_finisher_when_replayed(always_replay: bool) -> None:
    async def slow(step: StepContext) -> str:
        await asyncio.sleep(0.05)
        return "slow"

    async def fast(step: StepContext) -> str:
        return "fast"

    async def handler(event: Any, ctx: DurableContext) -> str:
        winner: str = await ctx.race(
            [ctx.step(slow, name="slow"), ctx.step(fast, name="fast")], name="suppliers"
        )
        await ctx.wait(Duration.from_seconds(1), name="then")  # forces a replay of the race
        return winner

    result = await DurableTestRunner(handler, always_replay=always_replay).run()

    assert result.result == "fast"
