"""ctx.operation_metadata(): ids, names, attempts and timestamps of checkpointed operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from durable_lambda.app.testing_runner import DurableTestRunner
from durable_lambda.core.config import CheckpointMode, Duration, StepConfig
from durable_lambda.core.context import DurableContext, StepContext
from durable_lambda.core.ids import operation_id
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.core.operations.replay_safe import OperationMetadata
from durable_lambda.core.retry import JitterStrategy, RetryStrategyConfig, create_retry_strategy

START = datetime(2026, 5, 4, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("mode", list(CheckpointMode))
async def test_the_last_operation_of_a_context_is_described_once_it_completed(
    mode: CheckpointMode,
) -> None:
    seen: list[OperationMetadata | None] = []

    async def handler(event: Any, ctx: DurableContext) -> str:
        step_id = await ctx.step(lambda s: s.operation_id, name="charge")
        seen.append(await ctx.operation_metadata())
        await ctx.wait(Duration.from_minutes(1), name="pause")
        return str(step_id)

    runner = DurableTestRunner(handler, checkpoint_mode=mode, start_time=START)
    run = await runner.start()
    result = await run.result()

    assert len(seen) == 2  # first run, then the replay after the wait
    assert seen[0] == seen[1]  # identical on replay
    meta = seen[0]
    assert meta is not None
    assert meta.operation_id == result.result
    assert meta.name == "charge"
    assert meta.type is OperationType.STEP
    assert meta.sub_type == "Step"
    assert meta.parent_id is None
    assert meta.status is OperationStatus.SUCCEEDED
    assert meta.attempt == 1
    assert meta.start_timestamp == START
    assert meta.end_timestamp == START


async def test_metadata_by_id_reports_attempts_and_the_time_between_them() -> None:
    step_ids: list[str] = []
    strategy = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay=Duration.from_seconds(30),
            jitter_strategy=JitterStrategy.NONE,
        )
    )

    def flaky(step: StepContext) -> str:
        step_ids.append(step.operation_id)
        if step.attempt == 1:
            raise ConnectionError("try again")
        return "ok"

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        await ctx.step(flaky, name="flaky", config=StepConfig(retry_strategy=strategy))
        meta = await ctx.operation_metadata(step_ids[-1])
        assert meta is not None
        assert meta.end_timestamp is not None
        return {
            "attempt": meta.attempt,
            "took": (meta.end_timestamp - meta.start_timestamp).total_seconds(),
        }

    result = await DurableTestRunner(handler, start_time=START).run()

    assert result.result == {"attempt": 2, "took": 30.0}


async def test_a_wait_shows_when_it_started_and_ended() -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        await ctx.wait(Duration.from_hours(3), name="three-hours")
        meta = await ctx.operation_metadata()
        assert meta is not None
        assert meta.end_timestamp is not None
        return [meta.type.value, meta.start_timestamp.isoformat(), meta.end_timestamp.isoformat()]

    result = await DurableTestRunner(handler, start_time=START).run()

    kind, started, ended = result.result
    assert kind == "WAIT"
    assert datetime.fromisoformat(started) == START
    assert datetime.fromisoformat(ended) == START + timedelta(hours=3)


async def test_a_combinator_record_has_metadata_and_the_id_before_its_awaitables() -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        position = ctx.operations_started()
        await ctx.race([ctx.step(lambda s: 1, name="quick")], name="solo")
        record = await ctx.operation_metadata(operation_id(ctx.parent_id, position + 1))
        last = await ctx.operation_metadata()
        assert record is not None
        assert last is not None
        return [record.type.value, record.sub_type, record.name, record.status.value, last.name]

    result = await DurableTestRunner(handler).run()

    assert result.result == ["CONTEXT", "Race", "solo", "SUCCEEDED", "quick"]


async def test_nothing_is_described_before_the_first_operation_or_for_an_unknown_id() -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        return [await ctx.operation_metadata(), await ctx.operation_metadata("no-such-id")]

    result = await DurableTestRunner(handler).run()

    assert result.result == [None, None]


async def test_inside_a_child_context_the_last_operation_is_the_childs_own() -> None:
    async def child(ctx: DurableContext) -> list[Any]:
        await ctx.step(lambda s: None, name="inner")
        meta = await ctx.operation_metadata()
        assert meta is not None
        return [meta.name, meta.parent_id == ctx.parent_id]

    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        return await ctx.run_in_child_context(child, name="outer")

    result = await DurableTestRunner(handler).run()

    assert result.result == ["inner", True]
