"""FLAT maps and parallels: resumed from their records, and replayed deeply by ``Replayer``.

A FLAT branch records no context of its own, only its operations, directly under the batch, so
which branches finished is only in the batch's stored result (or, too large, in its summary's
completion record). The engine rebuilds a summarised FLAT batch by running its finished branches
again over their operations' checkpoints (as the official SDK does); a deep replay rebuilds
every completed FLAT batch so, from the completion record of its stored result.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

import pytest

from durable_lambda import (
    BatchResult,
    CompletionConfig,
    DurableContext,
    Duration,
    MapConfig,
    NestingType,
    ParallelConfig,
    SerDesContext,
)
from durable_lambda.app.definition import ServiceLimits
from durable_lambda.app.replayer.recorded import RecordedExecution, from_record
from durable_lambda.app.replayer.stored_batch import DeepReplayError
from durable_lambda.testing import DurableTestRunner, Replayer, ReplaySourceError, TestExecution


def _flat(**options: Any) -> MapConfig:
    return MapConfig(nesting_type=NestingType.FLAT, **options)


def _shape(result: BatchResult[Any]) -> list[Any]:
    return [
        [item.index, item.status.value, item.result, item.error and item.error.ErrorMessage]
        for item in result.all
    ]


async def _recorded(run: TestExecution) -> RecordedExecution:
    record = await run.service.get_record(run.arn)
    assert record is not None
    return from_record(record)


async def test_a_too_large_flat_map_is_rebuilt_by_running_its_items_again_on_replay() -> None:
    results: list[list[Any]] = []
    runs: Counter[int] = Counter()

    async def item(ctx: DurableContext, value: int, index: int, items: Any) -> str:
        def read_value(_: Any) -> int:
            runs[index] += 1
            return value

        read = await ctx.step(read_value, name=f"read-{index}")
        if read == 2:
            raise ValueError("two refused")
        return str(read) * 100

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = _flat(completion_config=CompletionConfig.all_completed())
        results.append(_shape(await ctx.map([1, 2, 3], item, name="large", config=config)))
        await ctx.wait(Duration(5), name="later")  # the map is replayed after it
        return results[-1]

    runner = DurableTestRunner(handler)
    runner.limits = ServiceLimits(max_operation_payload_bytes=150)  # the summary, not the result
    run = await runner.start()
    outcome = await run.result()

    assert outcome.status == "SUCCEEDED", outcome.error
    assert len(results) == 2  # the first run, and the replay after the wait
    assert results[0] == results[1] == outcome.result
    assert results[0] == [
        [0, "SUCCEEDED", "1" * 100, None],
        [1, "FAILED", None, "two refused"],
        [2, "SUCCEEDED", "3" * 100, None],
    ]
    assert runs == {0: 1, 1: 1, 2: 1}  # the items ran again, their steps did not
    details = run.operation("large").operation.ContextDetails
    assert details is not None
    assert details.ReplayChildren is True


@pytest.mark.parametrize("too_large", [False, True], ids=["stored", "summarised"])
async def test_a_flat_map_and_parallel_replay_deeply_with_every_operation_matched(
    too_large: bool,
) -> None:
    async def square(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        return await ctx.step(lambda _: value * value, name=f"square-{index}")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        mapped = await ctx.map([1, 2, 3], square, name="squares", config=_flat())

        async def fails(child: DurableContext) -> None:
            await child.step(lambda _: "tried", name="try")
            raise RuntimeError("branch failed")

        async def succeeds(child: DurableContext) -> str:
            return await child.step(lambda _: "b", name="b")

        flat = ParallelConfig(
            nesting_type=NestingType.FLAT, completion_config=CompletionConfig.all_completed()
        )
        both = await ctx.parallel([fails, succeeds], name="both", config=flat)
        shown = [_shape(mapped), _shape(both)]
        await ctx.step(lambda _: "ok", name=f"after {shown}")  # diverges on another result
        return shown

    runner = DurableTestRunner(handler)
    if too_large:
        runner.limits = ServiceLimits(max_operation_payload_bytes=60)
    run = await runner.start()
    assert (await run.result()).status == "SUCCEEDED"

    report = await Replayer(handler).replay(await _recorded(run))

    assert report.ok, report.render()
    # Two batches, their five operations and the step after them: all replayed, all matched.
    assert report.matched == report.expected == report.recorded == 8


async def test_a_flat_item_the_map_left_running_is_not_expected_in_a_deep_replay() -> None:
    async def second_waits(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        if index == 1:
            await ctx.step(lambda _: "begun", name="begin")
            await ctx.wait(Duration(3600), name="slow")
        return await ctx.step(lambda _: value, name=f"quick-{index}")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        first = _flat(completion_config=CompletionConfig(min_successful=1))
        shown = _shape(await ctx.map([1, 2], second_waits, name="first", config=first))
        await ctx.step(lambda _: "ok", name=f"after {shown}")
        return shown

    run = await DurableTestRunner(handler).start()
    outcome = await run.result()
    assert outcome.result == [[0, "SUCCEEDED", 1, None], [1, "STARTED", None, None]]

    report = await Replayer(handler).replay(await _recorded(run))

    assert report.ok, report.render()
    # The map, item 0's step and the step after: item 1's step and wait are left as it left them.
    assert report.recorded == 5
    assert report.matched == report.expected == 3
    assert report.unvisited == ()


async def test_a_deep_replay_that_changed_a_flat_items_work_is_reported() -> None:
    async def square(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        return await ctx.step(lambda _: value * value, name=f"square-{index}")

    async def cube(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        return await ctx.step(lambda _: value**3, name=f"cube-{index}")

    def handler_of(body: Any) -> Any:
        async def handler(event: Any, ctx: DurableContext) -> Any:
            return _shape(await ctx.map([1, 2], body, name="m", config=_flat()))

        return handler

    run = await DurableTestRunner(handler_of(square)).start()
    assert (await run.result()).status == "SUCCEEDED"

    report = await Replayer(handler_of(cube)).replay(await _recorded(run))

    assert not report.ok
    assert report.divergence is not None
    assert report.divergence.recorded is not None
    assert report.divergence.recorded.name == "square-0"
    assert "cube-0" in report.divergence.summary


class _Base64Json:
    """A serializer of the user's own: JSON, base64-encoded (neither ours nor the official's)."""

    def serialize(self, value: Any, context: SerDesContext, /) -> str:
        data = value.to_dict() if isinstance(value, BatchResult) else value
        return base64.b64encode(json.dumps(data).encode()).decode()

    def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
        return json.loads(base64.b64decode(payload))


async def test_a_flat_map_whose_result_only_its_own_serializer_reads_refuses_a_deep_replay() -> (
    None
):
    async def square(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        return await ctx.step(lambda _: value * value, name=f"square-{index}")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = _flat(serdes=_Base64Json())
        return _shape(await ctx.map([1, 2], square, name="encoded", config=config))

    run = await DurableTestRunner(handler).start()
    assert (await run.result()).status == "SUCCEEDED"
    recorded = await _recorded(run)

    with pytest.raises(DeepReplayError) as raised:
        await Replayer(handler).replay(recorded)

    assert isinstance(raised.value, ReplaySourceError)  # the CLI reports it as could-not-run
    assert raised.value.operation_name == "encoded"
    assert "FLAT" in raised.value.message
    assert "shallow" in raised.value.message
    shallow = await Replayer(handler, shallow=True).replay(recorded)  # what it suggests works
    assert shallow.ok, shallow.render()
