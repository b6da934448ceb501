"""ctx.wait_for_condition, driven through the in-memory DurableTestRunner."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from dependency_injector import providers

from durable_lambda.app.testing_runner import DurableTestRunner, TestExecution
from durable_lambda.core.config import CheckpointMode, Duration, WaitForConditionConfig
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.errors import InvocationError, ValidationError, WaitForConditionError
from durable_lambda.core.model import (
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.ports import SerDesContext
from durable_lambda.core.retry import (
    JitterStrategy,
    WaitForConditionDecision,
    WaitStrategy,
    WaitStrategyConfig,
    create_wait_strategy,
)
from durable_lambda.service.history import EventType, HistoryEvent


class FixedRandom:
    """A RandomSource that always draws the same number, so jitter is predictable."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.draws = 0

    def random(self) -> float:
        self.draws += 1
        return self.value


def _counting_up_to(
    target: int,
    *,
    max_attempts: int = 10,
    jitter: JitterStrategy = JitterStrategy.NONE,
) -> WaitForConditionConfig[dict[str, Any]]:
    strategy: WaitStrategy[dict[str, Any]] = create_wait_strategy(
        WaitStrategyConfig(
            should_continue_polling=lambda state: state["n"] < target,
            max_attempts=max_attempts,
            initial_delay=Duration(5),
            backoff_rate=2.0,
            jitter_strategy=jitter,
        )
    )
    return WaitForConditionConfig(wait_strategy=strategy, initial_state={"n": 0, "seen": []})


def _polls(history: list[HistoryEvent]) -> list[HistoryEvent]:
    return [
        event
        for event in history
        if event.SubType == "WaitForCondition"
        and event.EventType in (EventType.STEP_SUCCEEDED, EventType.STEP_FAILED)
    ]


def _delays(history: list[HistoryEvent]) -> list[int | None]:
    delays: list[int | None] = []
    for event in _polls(history):
        details = event.StepSucceededDetails
        retry = details.RetryDetails if details is not None else None
        delays.append(retry.NextAttemptDelaySeconds if retry is not None else None)
    return delays


def _states(history: list[HistoryEvent]) -> list[Any]:
    states = []
    for event in _polls(history):
        details = event.StepSucceededDetails
        assert details is not None
        assert details.Result is not None
        assert details.Result.Payload is not None
        states.append(json.loads(details.Result.Payload))
    return states


def _condition_op(run: TestExecution) -> Any:
    [op] = run.operations(type=OperationType.STEP)
    return op


@pytest.mark.parametrize("mode", list(CheckpointMode))
async def test_polls_five_times_with_backoff_carrying_the_state(mode: CheckpointMode) -> None:
    checks: list[tuple[int, dict[str, Any]]] = []

    def check(state: dict[str, Any], step: StepContext) -> dict[str, Any]:
        checks.append((step.attempt, state))
        return {"n": state["n"] + 1, "seen": [*state["seen"], step.attempt]}

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.wait_for_condition(check, _counting_up_to(5), name="poll")

    runner = DurableTestRunner(handler, checkpoint_mode=mode)
    started_at = runner.clock.now()
    run = await runner.start()
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == {"n": 5, "seen": [1, 2, 3, 4, 5]}
    assert [attempt for attempt, _ in checks] == [1, 2, 3, 4, 5]
    assert [state["n"] for _, state in checks] == [0, 1, 2, 3, 4]  # each poll sees the last one
    assert result.invocations == 5
    history = await run.history()
    # Four RETRYs (recorded as successful polls with the delay) and the final SUCCEED.
    assert _delays(history) == [5, 10, 20, 40, None]
    assert [state["n"] for state in _states(history)] == [1, 2, 3, 4, 5]
    starts = [e for e in history if e.EventType is EventType.STEP_STARTED]
    assert len(starts) == 5
    assert runner.clock.now() - started_at >= timedelta(seconds=5 + 10 + 20 + 40)
    op = _condition_op(run)
    assert (op.name, op.operation.SubType, op.status) == (
        "poll",
        "WaitForCondition",
        OperationStatus.SUCCEEDED,
    )
    assert op.attempts == 5


async def test_the_delay_is_jittered_with_the_runtime_random_source() -> None:
    def check(state: dict[str, Any], step: StepContext) -> dict[str, Any]:
        return {"n": state["n"] + 1, "seen": []}

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = _counting_up_to(4, jitter=JitterStrategy.FULL)
        return await ctx.wait_for_condition(check, config)

    runner = DurableTestRunner(handler)
    fixed = FixedRandom(0.3)
    runner.container.random.override(providers.Object(fixed))
    run = await runner.start()
    result = await run.result()

    assert result.result == {"n": 4, "seen": []}
    history = await run.history()
    # FULL jitter draws once per retry: ceil(0.3 * 5), ceil(0.3 * 10), ceil(0.3 * 20).
    assert _delays(history) == [2, 3, 6, None]
    assert fixed.draws == 3


async def test_running_out_of_attempts_fails_with_wait_for_condition_error() -> None:
    checks: list[int] = []

    def check(state: dict[str, Any], step: StepContext) -> dict[str, Any]:
        checks.append(step.attempt)
        return {"n": 0, "seen": []}

    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            await ctx.wait_for_condition(check, _counting_up_to(1, max_attempts=3), name="poll")
        except WaitForConditionError as error:
            return {"type": error.error_type, "message": error.message}
        return "unreachable"

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert checks == [1, 2, 3]
    assert result.result == {
        "type": "WaitForConditionError",
        "message": "wait_for_condition gave up after 3 attempts: the condition was not met",
    }
    op = _condition_op(run)
    assert op.status is OperationStatus.FAILED
    assert op.error is not None
    assert op.error.ErrorType == "WaitForConditionError"
    assert _delays(await run.history()) == [5, 10, None]


async def test_a_check_that_raises_fails_the_operation_and_replays_the_same_error() -> None:
    checks: list[int] = []

    def check(state: dict[str, Any], step: StepContext) -> dict[str, Any]:
        checks.append(step.attempt)
        if step.attempt == 2:
            raise ConnectionError("status endpoint down")
        return {"n": state["n"] + 1, "seen": []}

    caught: list[dict[str, Any]] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            await ctx.wait_for_condition(check, _counting_up_to(5), name="poll")
        except WaitForConditionError as error:
            caught.append({"type": error.error_type, "message": error.message})
        await ctx.wait(Duration(10), name="after")  # forces a replay of the failed operation
        raise RuntimeError("stop here")

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert checks == [1, 2]  # the failure is final: no further check, not even on replay
    assert caught == [{"type": "ConnectionError", "message": "status endpoint down"}] * 2
    assert result.status == "FAILED"
    op = _condition_op(run)
    assert op.status is OperationStatus.FAILED
    assert op.error is not None
    assert op.error.ErrorMessage == "status endpoint down"


async def test_a_condition_met_at_once_completes_without_suspending() -> None:
    async def check(state: list[int], step: StepContext) -> list[int]:
        return [*state, step.attempt]

    def stop(state: list[int], attempts: int) -> WaitForConditionDecision:
        return WaitForConditionDecision.stop_polling()

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = WaitForConditionConfig(wait_strategy=stop, initial_state=[7])
        return await ctx.wait_for_condition(check, config)

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == [7, 1]
    assert result.invocations == 1
    assert _condition_op(run).operation.Name is None


@pytest.mark.parametrize("always_replay", [False, True])
async def test_replay_of_a_finished_condition_returns_the_stored_state(always_replay: bool) -> None:
    checks: list[int] = []

    def check(state: dict[str, Any], step: StepContext) -> dict[str, Any]:
        checks.append(step.attempt)
        return {"n": state["n"] + 1, "seen": []}

    seen_results: list[Any] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        done = await ctx.wait_for_condition(check, _counting_up_to(2))
        seen_results.append(done)
        await ctx.wait(Duration(5))
        return done["n"]

    result = await DurableTestRunner(handler, always_replay=always_replay).run()

    assert result.result == 2
    assert checks == [1, 2]
    # Always-replay mode replays once more after the condition completed and once more
    # before the result counts; every replay sees the same stored state.
    assert seen_results == [{"n": 2, "seen": []}] * (4 if always_replay else 2)


async def test_an_invocation_error_in_a_check_is_retried_not_a_failure() -> None:
    states: list[int] = []
    interrupted: list[bool] = []

    def check(state: dict[str, Any], step: StepContext) -> dict[str, Any]:
        states.append(state["n"])
        if step.attempt == 2 and not interrupted:
            interrupted.append(True)
            # Lambda retries an invocation that raised this; the poll must run again.
            raise InvocationError("sandbox went away")
        return {"n": state["n"] + 1, "seen": []}

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.wait_for_condition(check, _counting_up_to(3), name="poll")

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == {"n": 3, "seen": []}
    assert states == [0, 1, 1, 2]  # the retried poll got the state the first poll stored
    assert _condition_op(run).attempts == 3


async def test_a_poll_cut_short_after_its_start_resumes_without_a_second_start() -> None:
    states: list[int] = []

    def check(state: dict[str, Any], step: StepContext) -> dict[str, Any]:
        states.append(state["n"])
        return {"n": state["n"] + 1, "seen": []}

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.wait_for_condition(check, _counting_up_to(3), name="poll")

    runner = DurableTestRunner(handler)
    run = await runner.start()
    await run.drive_once()  # poll 1, then RETRY
    [op] = [o for o in await run.operations_async() if o.Type is OperationType.STEP]
    runner.clock.set(runner.clock.now() + timedelta(seconds=5))
    assert await run.service.advance(run.arn)  # the retry is due: READY
    # An invocation that sent poll 2's START and then died before finishing it.
    crashed = await run.service.invocation_input(run.arn)
    start = OperationUpdate(
        Id=op.Id,
        Name="poll",
        Type=OperationType.STEP,
        SubType="WaitForCondition",
        Action=OperationAction.START,
    )
    await run.service.checkpoint(run.arn, crashed.CheckpointToken, [start])
    run.pending_work = True
    result = await run.result()

    assert result.result == {"n": 3, "seen": []}
    assert states == [0, 1, 2]  # poll 2 read the state poll 1 stored, from the STARTED step
    history = await run.history()
    assert sum(e.EventType is EventType.STEP_STARTED for e in history) == 3


async def test_the_state_goes_through_the_configured_serializer() -> None:
    class Reversed:
        def serialize(self, value: str, context: SerDesContext, /) -> str:
            return json.dumps(value[::-1])

        def deserialize(self, payload: str, context: SerDesContext, /) -> str:
            text: str = json.loads(payload)
            return text[::-1]

    def check(state: str, step: StepContext) -> str:
        return state + "x"

    def strategy(state: str, attempts: int) -> WaitForConditionDecision:
        if len(state) < 3:
            return WaitForConditionDecision.continue_waiting(Duration(1))
        return WaitForConditionDecision.stop_polling()

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = WaitForConditionConfig(
            wait_strategy=strategy, initial_state="a", serdes=Reversed()
        )
        return await ctx.wait_for_condition(check, config)

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == "axx"
    assert _states(await run.history()) == ["xa", "xxa"]


async def test_a_strategy_returning_something_else_fails_the_operation() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        def yes(state: int, attempts: int) -> bool:
            return True

        # The type checker would refuse it; a strategy can still be wrong at run time.
        not_a_strategy: Any = yes
        config = WaitForConditionConfig(wait_strategy=not_a_strategy, initial_state=0)
        try:
            await ctx.wait_for_condition(lambda s, c: s, config)
        except WaitForConditionError as error:
            return error.error_type
        return "unreachable"

    result = await DurableTestRunner(handler).run()

    assert result.result == "ValidationError"


async def test_a_missing_config_or_check_is_a_validation_error() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        fields = []
        config = _counting_up_to(1)
        for check, cfg in ((None, config), (lambda s, c: s, None)):
            try:
                await ctx.wait_for_condition(check, cfg)  # type: ignore[arg-type]
            except ValidationError as error:
                fields.append(error.field)
        return fields

    result = await DurableTestRunner(handler).run()

    assert result.result == ["check", "config"]
    assert result.invocations == 1


async def test_the_updates_are_the_ones_the_official_sdk_sends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aws_durable_execution_sdk_python.identifier import OperationIdentifier
    from aws_durable_execution_sdk_python.lambda_service import (
        OperationType as OfficialType,
    )
    from aws_durable_execution_sdk_python.lambda_service import (
        OperationUpdate as OfficialUpdate,
    )

    def check(state: dict[str, Any], step: StepContext) -> dict[str, Any]:
        return {"n": state["n"] + 1, "seen": []}

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.wait_for_condition(check, _counting_up_to(2), name="poll")

    runner = DurableTestRunner(handler)
    sent: list[OperationUpdate] = []
    forward = runner.counting_service.checkpoint

    async def recording(arn: str, token: str, updates: Any, client: Any = None) -> Any:
        sent.extend(updates)
        return await forward(arn, token, updates, client)

    # Records what crosses the port; the real local service still answers.
    monkeypatch.setattr(runner.counting_service, "checkpoint", recording)
    await runner.run()

    ours = [u.to_wire() for u in sent if u.Type is OperationType.STEP]
    identifier = OperationIdentifier(
        sent[0].Id, "WaitForCondition", None, "poll", operation_type=OfficialType.STEP
    )
    first, second = '{"n":1,"seen":[]}', '{"n":2,"seen":[]}'
    official = [
        OfficialUpdate.create_wait_for_condition_start(identifier),
        OfficialUpdate.create_wait_for_condition_retry(identifier, first, 5),
        OfficialUpdate.create_wait_for_condition_start(identifier),
        OfficialUpdate.create_wait_for_condition_succeed(identifier, second),
    ]
    assert ours == [update.to_dict() for update in official]
