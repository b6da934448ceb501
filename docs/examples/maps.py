"""The examples of docs/operations/map.md."""

# ruff: noqa: D103
# --8<-- [start:imports]
from collections.abc import Sequence
from typing import Any

from durable_lambda import (
    BatchedInput,
    ChildContextError,
    CompletionConfig,
    CompletionReason,
    DurableContext,
    ItemBatcher,
    MapConfig,
    NestingType,
    RetryPresets,
    StepConfig,
)
from durable_lambda.testing import DurableTestRunner

# --8<-- [end:imports]


# --8<-- [start:map]
async def resize(
    item_ctx: DurableContext, image: dict[str, Any], index: int, images: Sequence[dict[str, Any]]
) -> str:
    # Each item has a context of its own: its operations are checkpointed under the item.
    return await item_ctx.step(lambda step: f"thumb-{image['key']}", name="resize")


async def thumbnails(event: dict[str, Any], ctx: DurableContext) -> list[str]:
    result = await ctx.map(
        event["images"],
        resize,
        name="thumbnails",
        config=MapConfig(max_concurrency=2, item_namer=lambda image, index: image["key"]),
    )
    result.throw_if_error()  # raise the first failed item's error, if any
    return result.get_results()  # the successful items' results, in item order


async def test_every_item_is_mapped_in_order() -> None:
    runner = DurableTestRunner(thumbnails, always_replay=True)
    run = await runner.start({"images": [{"key": "a.png"}, {"key": "b.png"}, {"key": "c.png"}]})
    result = await run.result()

    assert result.result == ["thumb-a.png", "thumb-b.png", "thumb-c.png"]
    assert [op.name for op in run.operations(parent="thumbnails")] == ["a.png", "b.png", "c.png"]


# --8<-- [end:map]


# --8<-- [start:tolerate]
async def deliver(item_ctx: DurableContext, address: str, index: int, _: Sequence[str]) -> str:
    async def send(step: Any) -> str:
        if "@" not in address:
            raise ValueError(f"not an address: {address}")
        return f"sent to {address}"

    # A bad address stays bad: do not retry it (the default strategy would, 6 times).
    return await item_ctx.step(
        send, name="send", config=StepConfig(retry_strategy=RetryPresets.none())
    )


async def newsletter(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    result = await ctx.map(
        event["to"],
        deliver,
        name="newsletter",
        config=MapConfig(completion_config=CompletionConfig(tolerated_failure_percentage=50)),
    )
    return {
        "reason": result.completion_reason.value,
        "sent": result.get_results(),
        "failed": [[item.index, item.error.ErrorType] for item in result.failed() if item.error],
    }


async def test_tolerated_failures_are_reported_not_raised() -> None:
    runner = DurableTestRunner(newsletter, always_replay=True)
    result = await runner.run({"to": ["ann@example.com", "bob", "cy@example.com"]})

    assert result.result == {
        "reason": "ALL_COMPLETED",
        "sent": ["sent to ann@example.com", "sent to cy@example.com"],
        "failed": [[1, "StepError"]],  # what escaped the item: its step's failure
    }


# --8<-- [end:tolerate]


async def fail_fast(event: dict[str, Any], ctx: DurableContext) -> str:
    result = await ctx.map(["ann@example.com", "bob"], deliver, name="fail-fast")
    assert result.completion_reason is CompletionReason.FAILURE_TOLERANCE_EXCEEDED
    try:
        result.throw_if_error()
    except ChildContextError as error:
        return f"{error.error_type}: {error.message}"
    return "no failure"


async def test_by_default_the_first_failure_completes_the_map() -> None:
    result = await DurableTestRunner(fail_fast, always_replay=True).run({})
    assert result.status == "SUCCEEDED"  # the map itself returns; throw_if_error raises
    assert result.result == "StepError: not an address: bob"


# --8<-- [start:min-successful]
async def quote(item_ctx: DurableContext, supplier: str, index: int, _: Sequence[str]) -> int:
    return await item_ctx.step(lambda step: 100 + 10 * index, name="quote")


async def two_quotes(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    result = await ctx.map(
        ["acme", "globex", "initech", "umbrella"],
        quote,
        name="quotes",
        config=MapConfig(max_concurrency=1, completion_config=CompletionConfig(min_successful=2)),
    )
    return {"reason": result.completion_reason.value, "quotes": result.get_results()}


async def test_the_map_stops_at_min_successful() -> None:
    result = await DurableTestRunner(two_quotes, always_replay=True).run({})
    assert result.result == {"reason": "MIN_SUCCESSFUL_REACHED", "quotes": [100, 110]}


# --8<-- [end:min-successful]


# --8<-- [start:batching]
async def insert_rows(
    item_ctx: DurableContext,
    batch: BatchedInput[int],
    batch_index: int,
    batches: Sequence[BatchedInput[int]],
) -> int:
    table = batch.batch_input["table"]
    return await item_ctx.step(lambda step: len(batch.items), name=f"insert-into-{table}")


async def load(event: dict[str, Any], ctx: DurableContext) -> list[int]:
    rows: list[Any] = list(range(10))  # Any: with a batcher, fn is given BatchedInputs
    result = await ctx.map(
        rows,
        insert_rows,  # called once per batch of up to 4 rows
        name="load",
        config=MapConfig(
            item_batcher=ItemBatcher(max_items_per_batch=4, batch_input={"table": "events"})
        ),
    )
    return result.get_results()


async def test_items_are_processed_in_batches() -> None:
    result = await DurableTestRunner(load, always_replay=True).run({})
    assert result.result == [4, 4, 2]


# --8<-- [end:batching]


# --8<-- [start:flat]
async def flat(event: dict[str, Any], ctx: DurableContext) -> list[str]:
    result = await ctx.map(
        event["images"],
        resize,
        name="flat-thumbnails",
        config=MapConfig(nesting_type=NestingType.FLAT),  # no CONTEXT per item
    )
    return result.get_results()


async def test_flat_items_checkpoint_their_steps_under_the_map() -> None:
    run = await DurableTestRunner(flat, always_replay=True).start(
        {"images": [{"key": "a.png"}, {"key": "b.png"}]}
    )
    result = await run.result()

    assert result.result == ["thumb-a.png", "thumb-b.png"]
    assert [op.name for op in run.operations(parent="flat-thumbnails")] == ["resize", "resize"]


# --8<-- [end:flat]
