"""Handlers for the map suite (requirements 9-1 to 9-20).

Items run one at a time (``max_concurrency=1``) wherever the requirement fixes the order of
history events. 9-12 (FLAT nesting) has no handler: see ``mapping.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.handlers._common import configure_json_logs
from durable_lambda import (
    BatchItem,
    BatchItemStatus,
    BatchResult,
    CompletionConfig,
    CompletionReason,
    DurableContext,
    Duration,
    JsonSerDes,
    MapConfig,
    NestingType,
    SerDesContext,
    durable_execution,
)

configure_json_logs()

SEQUENTIAL = MapConfig(max_concurrency=1)


def _sequential(completion: CompletionConfig) -> MapConfig:
    return MapConfig(max_concurrency=1, completion_config=completion)


async def _identity_or_fail(
    ctx: DurableContext, item: str, index: int, items: Sequence[str]
) -> str:
    """Return the item, or fail when the item is ``"fail"``."""
    if item == "fail":
        raise RuntimeError(f"item {index} failed")
    return item


async def _upper(ctx: DurableContext, item: str, index: int, items: Sequence[str]) -> str:
    return item.upper()


def _projection(result: BatchResult[Any]) -> dict[str, Any]:
    return {
        "completionReason": result.completion_reason.value,
        "status": result.status.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }


def _counts(result: BatchResult[Any]) -> dict[str, Any]:
    return {
        "completionReason": result.completion_reason.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }


@durable_execution
async def req_9_1(event: list[str], ctx: DurableContext) -> list[Any]:
    async def greet(item_ctx: DurableContext, item: str, index: int, items: Sequence[str]) -> str:
        return await item_ctx.step(lambda _: f"Hello, {item}!")

    result = await ctx.map(event, greet, name="map", config=SEQUENTIAL)
    return result.get_results()


@durable_execution
async def req_9_2(event: list[int], ctx: DurableContext) -> list[Any]:
    async def double(item_ctx: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
        return item * 2

    result = await ctx.map(event, double, config=SEQUENTIAL)
    return result.get_results()


@durable_execution
async def req_9_3(event: list[int], ctx: DurableContext) -> list[Any]:
    async def plus_index(item_ctx: DurableContext, item: int, index: int, items: Any) -> int:
        return item + index

    result = await ctx.map(event, plus_index, name="indexed", config=SEQUENTIAL)
    return result.get_results()


@durable_execution
async def req_9_4(event: list[Any], ctx: DurableContext) -> list[Any]:
    result = await ctx.map(event, _identity_or_fail, name="empty")
    return result.get_results()


@durable_execution
async def req_9_5(event: Any, ctx: DurableContext) -> dict[str, Any]:
    config = _sequential(CompletionConfig(tolerated_failure_count=0))
    result = await ctx.map(
        ["ok", "fail", "never"], _identity_or_fail, name="failfast", config=config
    )
    return _projection(result)


@durable_execution
async def req_9_6(event: Any, ctx: DurableContext) -> list[Any]:
    config = _sequential(CompletionConfig(tolerated_failure_count=0))
    result = await ctx.map(["fail", "never"], _identity_or_fail, name="throwing", config=config)
    result.throw_if_error()
    return result.get_results()


@durable_execution
async def req_9_7(event: Any, ctx: DurableContext) -> dict[str, Any]:
    config = _sequential(CompletionConfig(min_successful=2))
    items = ["i0", "i1", "i2", "i3"]
    result = await ctx.map(items, _identity_or_fail, name="min-successful", config=config)
    return {
        "completionReason": result.completion_reason.value,
        "successCount": result.success_count,
        "totalCount": result.total_count,
    }


@durable_execution
async def req_9_8(event: Any, ctx: DurableContext) -> dict[str, Any]:
    config = _sequential(CompletionConfig(tolerated_failure_count=1))
    result = await ctx.map(["i0", "fail", "i2"], _identity_or_fail, name="tolerated", config=config)
    return _projection(result)


@durable_execution
async def req_9_9(event: Any, ctx: DurableContext) -> dict[str, Any]:
    config = _sequential(CompletionConfig(tolerated_failure_count=1))
    items = ["fail", "fail", "i2"]
    return _counts(
        await ctx.map(items, _identity_or_fail, name="tolerated-exceeded", config=config)
    )


@durable_execution
async def req_9_10(event: Any, ctx: DurableContext) -> dict[str, Any]:
    config = _sequential(CompletionConfig(tolerated_failure_percentage=25))
    items = ["fail", "fail", "i2", "i3"]
    return _counts(await ctx.map(items, _identity_or_fail, name="tolerated-pct", config=config))


@durable_execution
async def req_9_11(event: Any, ctx: DurableContext) -> list[Any]:
    async def constant(item_ctx: DurableContext, item: int, index: int, items: Any) -> str:
        return f"r{index}"

    config = MapConfig(max_concurrency=2)
    result = await ctx.map([0, 1, 2], constant, name="concurrent", config=config)
    return result.get_results()


@durable_execution
async def req_9_13(event: list[int], ctx: DurableContext) -> list[Any]:
    async def times_ten(item_ctx: DurableContext, item: int, index: int, items: Any) -> int:
        return item * 10

    config = MapConfig(max_concurrency=1, item_namer=lambda item, index: f"item-{item}")
    result = await ctx.map(event, times_ten, name="named-items", config=config)
    return result.get_results()


class _PrefixSerDes:
    """Writes a string as the raw text ``wrapped:<value>`` and reads the value back."""

    def serialize(self, value: object, context: SerDesContext, /) -> str:
        return f"wrapped:{value}"

    def deserialize(self, payload: str, context: SerDesContext, /) -> str:
        prefix = "wrapped:"
        if not payload.startswith(prefix):
            raise ValueError(f"not a wrapped payload: {payload[:40]!r}")
        return payload[len(prefix) :]


@durable_execution
async def req_9_14(event: Any, ctx: DurableContext) -> list[Any]:
    config = MapConfig(max_concurrency=1, item_serdes=_PrefixSerDes())
    result = await ctx.map(["x", "y"], _upper, name="serdes", config=config)
    return result.get_results()


@durable_execution
async def req_9_15(event: Any, ctx: DurableContext) -> list[Any]:
    async def body(item_ctx: DurableContext, item: str, index: int, items: Any) -> str:
        if index == 1:
            await item_ctx.wait(Duration(1))
        return await item_ctx.step(lambda _: item)

    result = await ctx.map(["r0", "r1"], body, name="suspend", config=SEQUENTIAL)
    return result.get_results()


@durable_execution
async def req_9_16(event: Any, ctx: DurableContext) -> dict[str, Any]:
    async def large(item_ctx: DurableContext, item: int, index: int, items: Any) -> str:
        return str(index) * (70 * 1024)

    result = await ctx.map([0, 1, 2, 3], large, name="large", config=SEQUENTIAL)
    return {"successCount": result.success_count, "totalCount": result.total_count}


@durable_execution
async def req_9_17(event: Any, ctx: DurableContext) -> list[Any]:
    result = await ctx.map(["a", "b"], _upper, name="then-wait", config=SEQUENTIAL)
    await ctx.wait(Duration(1))
    return result.get_results()


@durable_execution
async def req_9_18(event: Any, ctx: DurableContext) -> dict[str, Any]:
    config = _sequential(CompletionConfig(tolerated_failure_count=1))
    result = await ctx.map(["ok", "fail"], _identity_or_fail, name="fail-then-wait", config=config)
    await ctx.wait(Duration(1))
    return _projection(result)


class _OperationSerDes:
    """Writes a map's whole result as ``OPSERDE:`` plus the comma-joined results, and back."""

    prefix = "OPSERDE:"

    def serialize(self, value: object, context: SerDesContext, /) -> str:
        if not isinstance(value, BatchResult):
            raise TypeError(f"expected a BatchResult, got {type(value).__name__}")
        return self.prefix + ",".join(str(result) for result in value.get_results())

    def deserialize(self, payload: str, context: SerDesContext, /) -> BatchResult[str]:
        if not payload.startswith(self.prefix):
            raise ValueError(f"not an OPSERDE payload: {payload[:40]!r}")
        body = payload[len(self.prefix) :]
        results = body.split(",") if body else []
        items = [
            BatchItem[str](index=i, status=BatchItemStatus.SUCCEEDED, result=r)
            for i, r in enumerate(results)
        ]
        return BatchResult[str](all=items, completion_reason=CompletionReason.ALL_COMPLETED)


# As in the official SDK, ``serdes`` also stores each item's result unless ``item_serdes`` is
# set; the requirement keeps the default serializer for items, so it is named explicitly.
_OPERATION_SERDES = MapConfig(
    max_concurrency=1, serdes=_OperationSerDes(), item_serdes=JsonSerDes[Any]()
)


@durable_execution
async def req_9_19(event: Any, ctx: DurableContext) -> list[Any]:
    result = await ctx.map(["x", "y"], _upper, name="op-serde", config=_OPERATION_SERDES)
    return result.get_results()


@durable_execution
async def req_9_20(event: Any, ctx: DurableContext) -> list[Any]:
    result = await ctx.map(["x", "y"], _upper, name="op-serde-replay", config=_OPERATION_SERDES)
    await ctx.wait(Duration(1))
    return result.get_results()


@durable_execution
async def req_9_12(event: Any, ctx: DurableContext) -> list[Any]:
    async def item_step(item_ctx: DurableContext, item: str, index: int, items: Any) -> str:
        return await item_ctx.step(lambda step: item)

    config = MapConfig(max_concurrency=1, nesting_type=NestingType.FLAT)
    result = await ctx.map(["fa", "fb"], item_step, name="flat", config=config)
    return result.get_results()
