"""FLAT nesting: map/parallel branches and child contexts in virtual contexts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from durable_lambda import (
    ChildConfig,
    CompletionConfig,
    DurableContext,
    Duration,
    MapConfig,
    NestingType,
    ParallelConfig,
    StepContext,
)
from durable_lambda.core.model import OperationType
from durable_lambda.testing import DurableTestRunner


async def test_flat_map_checkpoints_item_steps_directly_under_the_map() -> None:
    runs: Counter[str] = Counter()

    async def item_step(item_ctx: DurableContext, item: str, index: int, items: Any) -> str:
        def body(step: StepContext) -> str:
            runs[item] += 1
            return item.upper()

        value = await item_ctx.step(body, name=f"s-{item}")
        await item_ctx.wait(Duration.from_seconds(1), name=f"w-{item}")
        return value

    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        config = MapConfig(nesting_type=NestingType.FLAT)
        result = await ctx.map(["a", "b", "c"], item_step, name="flat", config=config)
        return result.get_results()

    run = await DurableTestRunner(handler, always_replay=True).start()
    result = await run.result()

    assert result.result == ["A", "B", "C"]
    assert runs == {"a": 1, "b": 1, "c": 1}  # replays re-ran the items, not their steps
    map_op = run.operation("flat")
    children = run.operations(parent="flat")
    assert {op.type for op in children} == {OperationType.STEP, OperationType.WAIT}
    assert all(op.operation.ParentId == map_op.id for op in children)
    assert len({op.id for op in children}) == 6  # every item took ids of its own


async def test_flat_and_nested_maps_give_the_same_results() -> None:
    async def double(item_ctx: DurableContext, item: int, index: int, items: Any) -> int:
        return await item_ctx.step(lambda step: item * 2, name="double")

    async def handler(event: str, ctx: DurableContext) -> list[Any]:
        config = MapConfig(max_concurrency=2, nesting_type=NestingType(event))
        return (await ctx.map([1, 2, 3], double, name="m", config=config)).get_results()

    flat = await DurableTestRunner(handler).run("FLAT")
    nested = await DurableTestRunner(handler).run("NESTED")

    assert flat.result == nested.result == [2, 4, 6]


async def test_a_flat_parallel_keeps_failed_branches_in_the_batch_result() -> None:
    async def ok(ctx: DurableContext) -> str:
        return await ctx.step(lambda step: "ok", name="ok")

    async def bad(ctx: DurableContext) -> str:
        raise ValueError("branch broke")

    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        config = ParallelConfig(
            nesting_type=NestingType.FLAT, completion_config=CompletionConfig.all_completed()
        )
        result = await ctx.parallel([ok, bad], name="p", config=config)
        return [item.status.value for item in result.all]

    result = await DurableTestRunner(handler).run()

    assert result.result == ["SUCCEEDED", "FAILED"]


async def test_a_virtual_child_context_records_nothing_for_itself() -> None:
    async def child(ctx: DurableContext) -> int:
        return await ctx.step(lambda step: 7, name="inner")

    async def handler(event: Any, ctx: DurableContext) -> int:
        return await ctx.run_in_child_context(child, name="v", config=ChildConfig(is_virtual=True))

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.result == 7
    names = [op.name for op in run.operations()]
    assert names == ["inner"]
    assert run.step("inner").operation.ParentId is None


async def test_switching_a_nested_context_to_virtual_is_non_deterministic() -> None:
    version = {"virtual": False}

    async def child(ctx: DurableContext) -> int:
        return await ctx.step(lambda step: 1, name="inner")

    async def handler(event: Any, ctx: DurableContext) -> int:
        config = ChildConfig(is_virtual=version["virtual"])
        value = await ctx.run_in_child_context(child, name="c", config=config)
        await ctx.wait(Duration.from_seconds(1), name="wait")
        return value

    run = await DurableTestRunner(handler).start()
    await run.drive_once()
    version["virtual"] = True
    result = await run.result()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "NonDeterministicExecutionError"
