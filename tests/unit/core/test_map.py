"""``ctx.map``: items as child contexts, bounded concurrency, early completion, replay."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

import aws_durable_execution_sdk_python as official
import pytest
from aws_durable_execution_sdk_python.config import Duration as OfficialDuration
from aws_durable_execution_sdk_python.config import MapConfig as OfficialMapConfig
from service_builders import CoreBackedLambdaClient

from durable_lambda.app.definition import ServiceLimits
from durable_lambda.app.lambda_handler import durable_execution
from durable_lambda.app.testing_runner import DurableTestRunner, TestExecution
from durable_lambda.core.completion import CompletionReason
from durable_lambda.core.config import CompletionConfig, Duration, ItemBatcher, MapConfig
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import (
    ChildContextError,
    NonDeterministicExecutionError,
    ValidationError,
)
from durable_lambda.core.ids import operation_id
from durable_lambda.core.model import (
    InvocationOutput,
    OperationStatus,
    OperationType,
)
from durable_lambda.core.operations.batch_result import BatchResult
from durable_lambda.core.operations.item_groups import BatchedInput, group_items
from durable_lambda.core.ports import SerDesContext
from durable_lambda.core.serdes import EnvelopeSerDes
from durable_lambda.service import advance, invocation_input, next_due, record_invocation
from durable_lambda.service.history import EventType
from durable_lambda.service.record import ExecutionRecord

MAP = "Map"
ITERATION = "MapIteration"


async def _run(handler: Any, event: Any = None, **options: Any) -> tuple[TestExecution, Any]:
    runner = DurableTestRunner(handler, **options)
    run = await runner.start(event)
    return run, await run.result()


async def _timeline(run: TestExecution) -> list[tuple[str, str | None, str | None]]:
    """(event type, subtype, name) of every operation event and invocation end."""
    return [
        (event.EventType.value, event.SubType, event.Name)
        for event in await run.history()
        if event.EventType is not EventType.EXECUTION_STARTED
        and event.EventType is not EventType.EXECUTION_SUCCEEDED
    ]


def _map_op(run: TestExecution, name: str) -> Any:
    return run.operation(name).operation


# -- the shape on the wire -------------------------------------------------------------------


async def test_map_checkpoints_a_map_context_with_one_iteration_context_per_item() -> None:
    async def greet(ctx: DurableContext, item: str, index: int, items: Sequence[str]) -> str:
        return await ctx.step(lambda _: f"Hello, {item}!", name="greet")

    async def handler(event: list[str], ctx: DurableContext) -> list[str]:
        result = await ctx.map(event, greet, name="map", config=MapConfig(max_concurrency=1))
        return result.get_results()

    run, outcome = await _run(handler, ["World", "Kiro"])

    assert outcome.status == "SUCCEEDED"
    assert outcome.result == ["Hello, World!", "Hello, Kiro!"]
    assert await _timeline(run) == [
        ("ContextStarted", MAP, "map"),
        ("ContextStarted", ITERATION, "map-item-0"),
        ("StepStarted", "Step", "greet"),
        ("StepSucceeded", "Step", "greet"),
        ("ContextSucceeded", ITERATION, "map-item-0"),
        ("ContextStarted", ITERATION, "map-item-1"),
        ("StepStarted", "Step", "greet"),
        ("StepSucceeded", "Step", "greet"),
        ("ContextSucceeded", ITERATION, "map-item-1"),
        ("ContextSucceeded", MAP, "map"),
        ("InvocationCompleted", None, None),
    ]
    parent = _map_op(run, "map")
    assert parent.Id == operation_id(None, 1)
    iterations = run.operations(parent="map")
    # Ids come from the parent's id and the 0-based index, as the official SDK derives them.
    assert [op.id for op in iterations] == [operation_id(parent.Id, i) for i in range(2)]
    assert {op.operation.SubType for op in iterations} == {ITERATION}
    assert [op.result for op in iterations] == ["Hello, World!", "Hello, Kiro!"]
    stored = json.loads(parent.result_payload)
    assert stored["completionReason"] == "ALL_COMPLETED"
    assert [item["result"] for item in stored["all"]] == ["Hello, World!", "Hello, Kiro!"]


async def test_map_gives_the_function_the_item_its_index_and_all_items() -> None:
    seen: list[tuple[Any, int, list[int]]] = []

    async def fn(ctx: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
        seen.append((item, index, list(items)))
        return item * 10 + index

    async def handler(event: Any, ctx: DurableContext) -> list[int]:
        return (await ctx.map([5, 6, 7], fn)).get_results()

    _, outcome = await _run(handler)

    assert outcome.result == [50, 61, 72]
    assert sorted(seen) == [(5, 0, [5, 6, 7]), (6, 1, [5, 6, 7]), (7, 2, [5, 6, 7])]


async def test_an_empty_map_starts_and_succeeds_its_context_at_once() -> None:
    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        result = await ctx.map([], _never_called, name="empty")
        return {"reason": result.completion_reason.value, "total": result.total_count}

    run, outcome = await _run(handler)

    assert outcome.result == {"reason": "ALL_COMPLETED", "total": 0}
    assert await _timeline(run) == [
        ("ContextStarted", MAP, "empty"),
        ("ContextSucceeded", MAP, "empty"),
        ("InvocationCompleted", None, None),
    ]


async def _never_called(ctx: DurableContext, item: Any, index: int, items: Any) -> Any:
    raise AssertionError("no item should run")


async def test_item_namer_names_the_iteration_contexts() -> None:
    config = MapConfig(item_namer=lambda item, index: f"item-{item}")

    async def handler(event: Any, ctx: DurableContext) -> list[int]:
        return (await ctx.map([1, 2], _times_ten, name="named", config=config)).get_results()

    run, outcome = await _run(handler)

    assert outcome.result == [10, 20]
    assert [op.name for op in run.operations(parent="named")] == ["item-1", "item-2"]


async def _times_ten(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return item * 10


# -- concurrency -----------------------------------------------------------------------------


async def test_max_concurrency_bounds_the_items_running_at_once_over_a_thousand_items() -> None:
    running = 0
    peak = 0

    async def body(ctx: DurableContext, item: int, index: int, items: Any) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)  # let every other admitted item reach this point too
        running -= 1
        return item * 2

    async def handler(event: Any, ctx: DurableContext) -> list[int]:
        result = await ctx.map(list(range(1000)), body, config=MapConfig(max_concurrency=10))
        return result.get_results()

    started = time.perf_counter()
    run, outcome = await _run(handler)

    assert outcome.result == [i * 2 for i in range(1000)]
    assert peak == 10
    assert len(run.operations(type=OperationType.CONTEXT)) == 1001
    assert time.perf_counter() - started < 10


async def test_a_suspended_item_keeps_its_slot_so_the_next_item_waits() -> None:
    async def body(ctx: DurableContext, item: str, index: int, items: Any) -> str:
        if item == "r1":
            await ctx.wait(Duration(1), name="pause")
        return await ctx.step(lambda _: item, name="finish")

    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        config = MapConfig(max_concurrency=1)
        return (
            await ctx.map(["r0", "r1", "r2"], body, name="suspend", config=config)
        ).get_results()

    run, outcome = await _run(handler)

    assert outcome.result == ["r0", "r1", "r2"]
    assert outcome.invocations == 2
    timeline = await _timeline(run)
    first_invocation = timeline[: timeline.index(("InvocationCompleted", None, None)) + 1]
    # Item 1 suspended on its wait while holding the only slot: item 2 had not started.
    assert ("ContextStarted", ITERATION, "map-item-2") not in first_invocation
    assert first_invocation[-2:] == [
        ("WaitStarted", "Wait", "pause"),
        ("InvocationCompleted", None, None),
    ]


async def test_item_ids_do_not_depend_on_the_order_items_finish_in() -> None:
    async def ids_and_finish_order(seed: int) -> tuple[dict[str, str], list[int]]:
        delays = list(range(8))
        random.Random(seed).shuffle(delays)
        finished: list[int] = []

        async def body(ctx: DurableContext, item: int, index: int, items: Any) -> int:
            for _ in range(delays[index]):
                await asyncio.sleep(0)
            value = await ctx.step(lambda _: index, name="work")
            finished.append(index)
            return value

        async def handler(event: Any, ctx: DurableContext) -> list[int]:
            return (await ctx.map(list(range(8)), body, name="shuffled")).get_results()

        run, outcome = await _run(handler)
        assert outcome.result == list(range(8))
        ids = {op.name or "": op.id for op in run.operations(type=OperationType.CONTEXT)}
        ids.update(
            {
                f"step-of-{op.operation.ParentId}": op.id
                for op in run.operations(type=OperationType.STEP)
            }
        )
        return ids, finished

    first_ids, first_order = await ids_and_finish_order(seed=1)
    second_ids, second_order = await ids_and_finish_order(seed=2)

    assert first_order != second_order
    assert first_ids == second_ids
    parent = first_ids["shuffled"]
    assert [first_ids[f"map-item-{i}"] for i in range(8)] == [
        operation_id(parent, i) for i in range(8)
    ]


# -- completion ------------------------------------------------------------------------------


def _projection(result: BatchResult[Any]) -> dict[str, Any]:
    return {
        "reason": result.completion_reason.value,
        "status": result.status.value,
        "succeeded": result.success_count,
        "failed": result.failure_count,
        "total": result.total_count,
    }


async def _ok_or_fail(ctx: DurableContext, item: str, index: int, items: Any) -> str:
    if item.startswith("fail"):
        raise ValueError(f"{item} failed")
    return item


@pytest.mark.parametrize(
    ("items", "completion", "expected", "iterations"),
    [
        # The default fails fast: the first failure ends the map, item 2 never starts.
        (
            ["ok", "fail", "ok"],
            CompletionConfig(),
            ("FAILURE_TOLERANCE_EXCEEDED", "FAILED", 1, 1, 2),
            2,
        ),
        (
            ["ok", "fail", "ok"],
            CompletionConfig(tolerated_failure_count=0),
            ("FAILURE_TOLERANCE_EXCEEDED", "FAILED", 1, 1, 2),
            2,
        ),
        (
            ["ok", "ok", "ok", "ok"],
            CompletionConfig(min_successful=2),
            ("MIN_SUCCESSFUL_REACHED", "SUCCEEDED", 2, 0, 2),
            2,
        ),
        (
            ["ok", "fail", "ok"],
            CompletionConfig(tolerated_failure_count=1),
            ("ALL_COMPLETED", "FAILED", 2, 1, 3),
            3,
        ),
        (
            ["fail", "fail", "fail", "ok"],
            CompletionConfig(tolerated_failure_count=1),
            ("FAILURE_TOLERANCE_EXCEEDED", "FAILED", 0, 2, 2),
            2,
        ),
        (
            ["fail", "fail", "ok", "ok"],
            CompletionConfig(tolerated_failure_percentage=25),
            ("FAILURE_TOLERANCE_EXCEEDED", "FAILED", 0, 2, 2),
            2,
        ),
        (
            ["fail", "ok", "ok", "ok"],
            CompletionConfig(tolerated_failure_percentage=25),
            ("ALL_COMPLETED", "FAILED", 3, 1, 4),
            4,
        ),
    ],
)
async def test_completion_config_ends_the_map_with_the_right_reason(
    items: list[str],
    completion: CompletionConfig,
    expected: tuple[str, str, int, int, int],
    iterations: int,
) -> None:
    config = MapConfig(max_concurrency=1, completion_config=completion)

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        return _projection(await ctx.map(items, _ok_or_fail, name="m", config=config))

    run, outcome = await _run(handler)

    assert outcome.status == "SUCCEEDED"  # the map returns its result; it does not raise
    reason, status, succeeded, failed, total = expected
    assert outcome.result == {
        "reason": reason,
        "status": status,
        "succeeded": succeeded,
        "failed": failed,
        "total": total,
    }
    children = run.operations(parent="m")
    assert len(children) == iterations
    statuses = Counter(op.status for op in children)
    assert statuses == Counter(
        {OperationStatus.SUCCEEDED: succeeded, OperationStatus.FAILED: failed}
    )
    assert run.operation("m").status is OperationStatus.SUCCEEDED


async def test_throw_if_error_fails_the_execution_with_the_items_error() -> None:
    async def handler(event: Any, ctx: DurableContext) -> None:
        result = await ctx.map(["fail-0", "ok"], _ok_or_fail, config=MapConfig(max_concurrency=1))
        result.throw_if_error()

    run, outcome = await _run(handler)

    assert outcome.status == "FAILED"
    # As in the official SDK: the ChildContextError throw_if_error raised, with the item's message.
    assert outcome.error.ErrorType == "ChildContextError"
    assert outcome.error.ErrorMessage == "fail-0 failed"
    failed = next(
        op
        for op in run.operations(type=OperationType.CONTEXT)
        if op.status is OperationStatus.FAILED
    )
    assert failed.error is not None
    assert failed.error.ErrorType == "ValueError"


async def test_early_completion_cancels_items_still_running_and_reports_them_started() -> None:
    cancelled: list[int] = []

    async def body(ctx: DurableContext, item: int, index: int, items: Any) -> int:
        if index == 0:
            return 0
        try:
            await asyncio.Event().wait()  # never set: only cancellation ends it
        except asyncio.CancelledError:
            cancelled.append(index)
            raise
        return index

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        config = MapConfig(completion_config=CompletionConfig(min_successful=1))
        result = await ctx.map([0, 1, 2], body, name="race", config=config)
        return {**_projection(result), "statuses": [item.status.value for item in result.all]}

    run, outcome = await _run(handler)

    assert outcome.result == {
        "reason": "MIN_SUCCESSFUL_REACHED",
        "status": "SUCCEEDED",
        "succeeded": 1,
        "failed": 0,
        "total": 3,
        "statuses": ["SUCCEEDED", "STARTED", "STARTED"],
    }
    assert sorted(cancelled) == [1, 2]
    # The abandoned items were started and are never checkpointed further.
    children = {op.name: op.status for op in run.operations(parent="race")}
    assert children == {
        "map-item-0": OperationStatus.SUCCEEDED,
        "map-item-1": OperationStatus.STARTED,
        "map-item-2": OperationStatus.STARTED,
    }


async def test_min_successful_above_the_item_count_is_rejected_before_anything_starts() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = MapConfig(completion_config=CompletionConfig(min_successful=3))
        with pytest.raises(ValidationError, match="min_successful"):
            await ctx.map([1, 2], _times_ten, config=config)
        return "rejected"

    run, outcome = await _run(handler)

    assert outcome.result == "rejected"
    assert run.operations() == []


async def test_an_item_result_that_cannot_be_serialized_fails_the_execution() -> None:
    async def body(ctx: DurableContext, item: int, index: int, items: Any) -> object:
        return object()

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.map([1], body)

    _, outcome = await _run(handler)

    assert outcome.status == "FAILED"
    assert outcome.error.ErrorType == "SerDesError"


# -- replay ----------------------------------------------------------------------------------


async def test_replay_returns_an_equal_result_without_running_any_item_again() -> None:
    bodies: Counter[int] = Counter()
    steps: Counter[int] = Counter()
    bodies_when_complete: list[Counter[int]] = []
    results: list[BatchResult[Any]] = []

    def position(index: int) -> int:
        steps[index] += 1
        return index

    async def body(ctx: DurableContext, item: int, index: int, items: Any) -> dict[str, Any]:
        bodies[index] += 1
        if index == 1:
            raise KeyError("missing")

        # An async step: a plain one runs in a worker thread, and whether it finishes before
        # a sibling's failure ends the invocation (always-replay) would be a matter of timing.
        async def pos(_: Any) -> int:
            return position(index)

        return {"item": item, "at": await ctx.step(pos, name="pos")}

    async def handler(event: Any, ctx: DurableContext) -> int:
        config = MapConfig(max_concurrency=2, completion_config=CompletionConfig.all_completed())
        results.append(await ctx.map([10, 11, 12, 13], body, name="m", config=config))
        bodies_when_complete.append(Counter(bodies))
        await ctx.wait(Duration(30), name="later")
        await ctx.wait(Duration(30), name="even-later")
        return len(results)

    # Always-replay ends the invocation after every first completion and replays from the top.
    _, outcome = await _run(handler, always_replay=True)

    assert outcome.status == "SUCCEEDED"
    assert outcome.invocations > 3
    assert steps == Counter({0: 1, 2: 1, 3: 1})
    # Once the map completed, no later invocation ran any item's body again.
    assert len(bodies_when_complete) >= 3
    assert all(counts == bodies_when_complete[0] for counts in bodies_when_complete)
    assert all(result == results[0] for result in results)
    assert results[0].get_results() == [
        {"item": 10, "at": 0},
        {"item": 12, "at": 2},
        {"item": 13, "at": 3},
    ]
    assert [error.ErrorType for error in results[0].get_errors() if error] == ["KeyError"]


async def test_an_item_suspended_on_a_wait_resumes_and_finished_items_do_not_run_again() -> None:
    bodies: Counter[str] = Counter()

    async def body(ctx: DurableContext, item: str, index: int, items: Any) -> str:
        bodies[item] += 1
        if index == 1:
            await ctx.wait(Duration.from_hours(2), name="pause")
        return await ctx.step(lambda _: item.upper(), name="upper")

    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        return (await ctx.map(["a", "b", "c"], body, name="m")).get_results()

    run, outcome = await _run(handler)

    assert outcome.result == ["A", "B", "C"]
    assert outcome.invocations == 2
    # Only the suspended item's body runs again, up to its checkpointed wait.
    assert bodies == Counter({"a": 1, "b": 2, "c": 1})
    assert run.runner.clock.now() >= run.runner.clock.now().replace(hour=2, minute=0, second=0)


async def test_a_result_too_large_to_checkpoint_is_rebuilt_from_the_items_on_replay() -> None:
    bodies: Counter[int] = Counter()
    results: list[BatchResult[Any]] = []

    async def body(ctx: DurableContext, item: int, index: int, items: Any) -> str:
        bodies[index] += 1
        return str(index) * 70_000

    async def handler(event: Any, ctx: DurableContext) -> dict[str, int]:
        config = MapConfig(max_concurrency=1, summary_generator=lambda r: f"{r.total_count} big")
        results.append(await ctx.map(list(range(4)), body, name="large", config=config))
        await ctx.wait(Duration(5), name="after")
        return {"succeeded": results[-1].success_count, "total": results[-1].total_count}

    run, outcome = await _run(handler)

    assert outcome.result == {"succeeded": 4, "total": 4}
    assert bodies == Counter({0: 1, 1: 1, 2: 1, 3: 1})
    assert results[0] == results[1]
    assert results[1].get_results()[3] == "3" * 70_000
    parent = _map_op(run, "large")
    assert parent.ContextDetails is not None
    assert parent.ContextDetails.ReplayChildren is True
    summary = json.loads(parent.result_payload)
    assert summary["type"] == "MapResult"
    assert summary["completionReason"] == "ALL_COMPLETED"
    assert summary["summary"] == "4 big"


async def test_a_replay_children_rebuild_keeps_abandoned_items_started() -> None:
    results: list[BatchResult[Any]] = []

    async def body(ctx: DurableContext, item: int, index: int, items: Any) -> str:
        if index == 2:
            await ctx.wait(Duration(100), name="slow")
        return "x" * 100

    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        config = MapConfig(completion_config=CompletionConfig(min_successful=2))
        results.append(await ctx.map([0, 1, 2], body, name="m", config=config))
        await ctx.wait(Duration(5), name="after")
        return [item.status.value for item in results[-1].all]

    runner = DurableTestRunner(handler)
    runner.limits = ServiceLimits(max_operation_payload_bytes=150)
    run = await runner.start()
    outcome = await run.result()

    assert outcome.result == ["SUCCEEDED", "SUCCEEDED", "STARTED"]
    assert len(results) >= 2
    assert all(result == results[0] for result in results)
    assert results[0].completion_reason is CompletionReason.MIN_SUCCESSFUL_REACHED
    details = run.operation("m").operation.ContextDetails
    assert details is not None
    assert details.ReplayChildren is True


# -- serializers -----------------------------------------------------------------------------


class _WrappingSerDes:
    """A per-item serializer that is not the identity: results are stored as ``wrapped:X``."""

    def serialize(self, value: str, context: SerDesContext, /) -> str:
        return f"wrapped:{value}"

    def deserialize(self, payload: str, context: SerDesContext, /) -> str:
        return payload.removeprefix("wrapped:")


class _OperationSerDes:
    """A whole-result serializer: ``OPSERDE:`` and the results, comma-joined."""

    def serialize(self, value: BatchResult[str], context: SerDesContext, /) -> str:
        return "OPSERDE:" + ",".join(value.get_results())

    def deserialize(self, payload: str, context: SerDesContext, /) -> BatchResult[str]:
        items = [
            {"index": i, "status": "SUCCEEDED", "result": result}
            for i, result in enumerate(payload.removeprefix("OPSERDE:").split(","))
        ]
        return BatchResult.from_dict({"all": items, "completionReason": "ALL_COMPLETED"})


async def _upper(ctx: DurableContext, item: str, index: int, items: Any) -> str:
    return item.upper()


async def test_item_serdes_stores_each_iteration_result() -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        config = MapConfig(item_serdes=_WrappingSerDes())
        return (await ctx.map(["x", "y"], _upper, name="serdes", config=config)).get_results()

    run, outcome = await _run(handler)

    assert outcome.result == ["X", "Y"]
    payloads = [op.operation.result_payload for op in run.operations(parent="serdes")]
    assert payloads == ["wrapped:X", "wrapped:Y"]


async def test_an_operation_level_serdes_gets_the_batch_result_and_reads_it_back_on_replay() -> (
    None
):
    results: list[list[str]] = []

    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        config = MapConfig(serdes=_OperationSerDes(), item_serdes=_WrappingSerDes())
        results.append(
            (await ctx.map(["x", "y"], _upper, name="op-serde", config=config)).get_results()
        )
        await ctx.wait(Duration(1), name="after")
        return results[-1]

    run, outcome = await _run(handler)

    assert outcome.result == ["X", "Y"]
    assert results == [["X", "Y"], ["X", "Y"]]
    assert run.operation("op-serde").operation.result_payload == "OPSERDE:X,Y"


# -- batching --------------------------------------------------------------------------------


def test_group_items_groups_by_count_and_by_bytes() -> None:
    def unused_size(item: int) -> int:
        raise AssertionError("sizes are measured only for a byte limit")

    batcher = ItemBatcher(max_items_per_batch=3, batch_input="in")
    by_count = group_items(list(range(7)), batcher, unused_size)
    assert [(b.items, b.first_index, b.batch_input) for b in by_count] == [
        ([0, 1, 2], 0, "in"),
        ([3, 4, 5], 3, "in"),
        ([6], 6, "in"),
    ]
    words = ["aaaa", "bb", "cc", "dddddddd", "e"]
    by_bytes = group_items(words, ItemBatcher(max_item_bytes_per_batch=6), len)
    assert [b.items for b in by_bytes] == [["aaaa", "bb"], ["cc"], ["dddddddd"], ["e"]]
    assert group_items([], ItemBatcher(max_items_per_batch=2), len) == []


async def test_an_item_batcher_runs_each_batch_as_one_iteration() -> None:
    batches: list[BatchedInput[int]] = []

    async def body(ctx: DurableContext, batch: Any, index: int, all_batches: Any) -> int:
        batches.append(batch)
        return int(sum(batch.items) + batch.batch_input)

    async def handler(event: Any, ctx: DurableContext) -> list[int]:
        batcher = ItemBatcher(max_items_per_batch=2, batch_input=100)
        config = MapConfig(item_batcher=batcher, max_concurrency=1)
        return (await ctx.map([1, 2, 3, 4, 5], body, name="batched", config=config)).get_results()

    run, outcome = await _run(handler)

    assert outcome.result == [103, 107, 105]
    assert [b.items for b in batches] == [[1, 2], [3, 4], [5]]
    assert [op.name for op in run.operations(parent="batched")] == [
        f"map-item-{i}" for i in range(3)
    ]


async def test_an_item_batcher_with_batch_input_but_no_limit_is_rejected() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = MapConfig(item_batcher=ItemBatcher(batch_input={"k": 1}))
        return await ctx.map([1], _times_ten, config=config)

    _, outcome = await _run(handler)

    assert outcome.status == "FAILED"
    assert outcome.error.ErrorType == "ValidationError"


# -- moving executions between this SDK and the official one ---------------------------------


def _official_invocation(record: ExecutionRecord, workflow: Any, now: datetime) -> InvocationOutput:
    """Invoke a handler written for the official SDK once against ``record``."""
    client = CoreBackedLambdaClient(record, lambda: now)
    handler = official.durable_execution(workflow, boto3_client=cast(Any, client))
    context = SimpleNamespace(aws_request_id="req", get_remaining_time_in_millis=lambda: 900_000)
    output = InvocationOutput.model_validate(handler(invocation_input(record).to_wire(), context))
    record_invocation(record, now, now, output, request_id="official")
    return output


def _official_workflow(event: Any, ctx: Any) -> list[int]:
    mapped = ctx.map(
        [1, 2, 3],
        lambda c, item, i, _: c.step(lambda _: item * 10, name=f"x{i}"),
        name="items",
        config=OfficialMapConfig(max_concurrency=2),
    )
    ctx.wait(OfficialDuration.from_seconds(5), name="after")
    return cast(list[int], mapped.get_results())


async def test_a_map_completed_by_the_official_sdk_is_resumed_without_running_items() -> None:
    bodies: list[int] = []

    async def item(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        bodies.append(index)
        return await ctx.step(lambda _: value * 10, name=f"x{index}")

    async def handler(event: Any, ctx: DurableContext) -> list[int]:
        mapped = await ctx.map([1, 2, 3], item, name="items", config=MapConfig(max_concurrency=2))
        await ctx.wait(Duration(5), name="after")
        return mapped.get_results()

    runner = DurableTestRunner(handler)
    run = await runner.start()
    record = await runner.store.load(run.arn)
    assert (
        _official_invocation(record, _official_workflow, runner.clock.now()).Status.value
        == "PENDING"
    )
    stored = next(op for op in record.operations.values() if op.Name == "items")
    assert json.loads(stored.result_payload or "")["t"] == "br"  # the official BatchResult tag
    await runner.store.save(record)

    outcome = await run.result()

    assert outcome.status == "SUCCEEDED"
    assert outcome.result == [10, 20, 30]
    assert bodies == []


async def test_a_map_stored_with_the_envelope_serializer_is_resumed_by_the_official_sdk() -> None:
    async def item(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        return await ctx.step(lambda _: value * 10, name=f"x{index}")

    async def handler(event: Any, ctx: DurableContext) -> list[int]:
        mapped = await ctx.map([1, 2, 3], item, name="items", config=MapConfig(max_concurrency=2))
        await ctx.wait(Duration(5), name="after")
        return mapped.get_results()

    runner = DurableTestRunner(durable_execution(serdes=EnvelopeSerDes())(handler))
    run = await runner.start()
    await run._invoke()  # one invocation of ours: the map completes, the wait suspends
    record = await runner.store.load(run.arn)
    ours = {op.Id: (op.Name, op.SubType, op.ParentId) for op in record.operations.values()}
    due = next_due(record)
    assert due is not None
    advance(record, due)

    output = _official_invocation(record, _official_workflow, due)

    assert output.Status.value == "SUCCEEDED", output.Error
    assert json.loads(output.Result or "") == [10, 20, 30]
    # The official SDK found every operation where ours put it: same ids, names and parents.
    assert {op.Id: (op.Name, op.SubType, op.ParentId) for op in record.operations.values()} == ours


async def test_fewer_items_when_rebuilding_a_large_result_is_non_deterministic() -> None:
    invocations = 0

    async def handler(event: Any, ctx: DurableContext) -> str:
        nonlocal invocations
        invocations += 1
        items = [1, 2, 3] if invocations == 1 else [1, 2]
        try:
            await ctx.map(items, _times_ten, name="m")
        except NonDeterministicExecutionError:
            return "caught"  # catching it does not save the execution
        await ctx.wait(Duration(1), name="after")
        return "done"

    runner = DurableTestRunner(handler)
    runner.limits = ServiceLimits(max_operation_payload_bytes=10)
    outcome = await (await runner.start()).result()

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert outcome.error.ErrorType == "NonDeterministicExecutionError"


async def test_a_failing_summary_generator_fails_the_map_on_every_replay() -> None:
    messages: list[str] = []

    def summarize(result: BatchResult[Any]) -> str:
        raise RuntimeError("no summary today")

    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        try:
            await ctx.map(
                [1, 2], _times_ten, name="m", config=MapConfig(summary_generator=summarize)
            )
        except ChildContextError as error:
            messages.append(f"{error.error_type}: {error.message}")
        await ctx.wait(Duration(1), name="after")
        return messages

    runner = DurableTestRunner(handler)
    runner.limits = ServiceLimits(max_operation_payload_bytes=10)
    run = await runner.start()
    outcome = await run.result()

    assert outcome.result == ["RuntimeError: no summary today"] * 2
    assert run.operation("m").status is OperationStatus.FAILED


@pytest.mark.parametrize("mode", ["EAGER", "BATCHED"])
async def test_an_item_s_outcome_is_stored_before_the_next_item_acts(mode: str) -> None:
    # One item at a time: in either mode an item's SUCCEED is acknowledged before the next
    # item's step body (a side effect) runs; in EAGER the item itself waits for it.
    runner = DurableTestRunner(lambda e, c: handler(e, c), checkpoint_mode=mode)
    seen: dict[int, dict[str, OperationStatus]] = {}

    async def item(child: DurableContext, value: int, index: int, _: Sequence[int]) -> int:
        async def body(step: Any) -> int:
            [summary] = await runner.store.list_executions()
            record = await runner.store.load(summary.DurableExecutionArn)
            seen[index] = {
                op.Name: op.Status
                for op in record.operations.values()
                if op.Name is not None and op.Name.startswith("map-item-")
            }
            return value

        result: int = await child.step(body, name="work")
        return result

    async def handler(event: Any, ctx: DurableContext) -> int:
        outcome = await ctx.map([1, 2, 3], item, name="one-by-one", config=MapConfig(1))
        return sum(outcome.get_results())

    assert (await runner.run()).result == 6
    assert seen[2]["map-item-0"] is seen[2]["map-item-1"] is OperationStatus.SUCCEEDED
    assert seen[1]["map-item-0"] is OperationStatus.SUCCEEDED
