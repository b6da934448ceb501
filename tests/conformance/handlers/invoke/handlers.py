"""Handlers for the chained-invoke suite (requirements 5-1 to 5-16) and their targets."""

from __future__ import annotations

import asyncio
from typing import Any

from conformance.handlers._common import uppercase_serdes
from durable_lambda import (
    DurableContext,
    Duration,
    InvokeConfig,
    InvokeError,
    SerDesContext,
    durable_execution,
)

ECHO = "ConformanceEchoTarget"
"""A durable target that returns its event."""
FAILING = "ConformanceFailingTarget"
"""A durable target that always fails."""
LENGTH = "ConformanceLengthTarget"
"""A durable target that returns the length of its event's ``data``."""


TARGET_DELAY_SECONDS = 1.0
"""How long each target takes, like a cold start. Without it a warm local target can finish
before the parent's suspended invocation has returned, and the emulator then records
ChainedInvokeSucceeded before the parent's InvocationCompleted, an order the requirements
(and AWS, where the target's start takes longer) do not show."""


@durable_execution
async def echo_target(event: Any, ctx: DurableContext) -> Any:
    await asyncio.sleep(TARGET_DELAY_SECONDS)
    return event


@durable_execution
async def failing_target(event: Any, ctx: DurableContext) -> Any:
    await asyncio.sleep(TARGET_DELAY_SECONDS)
    raise RuntimeError("the target function failed")


@durable_execution
async def length_target(event: dict[str, Any], ctx: DurableContext) -> dict[str, int]:
    await asyncio.sleep(TARGET_DELAY_SECONDS)
    return {"length": len(event["data"])}


class _UppercaseResult:
    """Reads a result payload upper-cased, as raw text."""

    def serialize(self, value: object, context: SerDesContext, /) -> str:
        return str(value)

    def deserialize(self, payload: str, context: SerDesContext, /) -> str:
        return payload.upper()


@durable_execution
async def req_5_1(event: Any, ctx: DurableContext) -> Any:
    return await ctx.invoke(ECHO, event)


@durable_execution
async def req_5_2(event: dict[str, Any], ctx: DurableContext) -> Any:
    return await ctx.invoke(ECHO, event["payload"], name=event["name"])


@durable_execution
async def req_5_3(event: Any, ctx: DurableContext) -> Any:
    nested = {"order": {"id": "o-1", "lines": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}]},
              "flags": [True, False, None], "total": 12.5}  # fmt: skip
    return await ctx.invoke(ECHO, nested)


@durable_execution
async def req_5_4(event: Any, ctx: DurableContext) -> Any:
    return await ctx.invoke(ECHO, None)


@durable_execution
async def req_5_5(event: Any, ctx: DurableContext) -> Any:
    return await ctx.invoke(FAILING, {})


@durable_execution
async def req_5_6(event: Any, ctx: DurableContext) -> Any:
    try:
        return await ctx.invoke(FAILING, {})
    except InvokeError:
        return "fallback"


@durable_execution
async def req_5_7(event: Any, ctx: DurableContext) -> Any:
    return await ctx.invoke(LENGTH, {"data": "x" * 200_000})


@durable_execution
async def req_5_8(event: dict[str, Any], ctx: DurableContext) -> Any:
    config = InvokeConfig(tenant_id=event["tenantId"])
    return await ctx.invoke(ECHO, event["payload"], config=config)


@durable_execution
async def req_5_9(event: Any, ctx: DurableContext) -> Any:
    result = await ctx.invoke(ECHO, "cached")
    await ctx.wait(Duration(1))
    return result


@durable_execution
async def req_5_10(event: Any, ctx: DurableContext) -> str:
    try:
        await ctx.invoke(FAILING, {})
        outcome = "unexpected success"
    except InvokeError as error:
        outcome = f"caught {error.error_type}"
    await ctx.wait(Duration(1))
    return outcome


@durable_execution
async def req_5_11(event: Any, ctx: DurableContext) -> Any:
    prepared: dict[str, int] = await ctx.step(lambda _: {"value": 21})
    return await ctx.invoke(ECHO, prepared)


@durable_execution
async def req_5_12(event: Any, ctx: DurableContext) -> Any:
    received = await ctx.invoke(ECHO, {"value": 7})
    return await ctx.step(lambda _: received)


@durable_execution
async def req_5_13(event: Any, ctx: DurableContext) -> Any:
    async def child(c: DurableContext) -> Any:
        return await c.invoke(ECHO, {"from": "child"})

    return await ctx.run_in_child_context(child, name="child")


@durable_execution
async def req_5_14(event: Any, ctx: DurableContext) -> list[Any]:
    first = await ctx.invoke(ECHO, "first")
    second = await ctx.invoke(ECHO, "second")
    return [first, second]


@durable_execution
async def req_5_15(event: Any, ctx: DurableContext) -> Any:
    config = InvokeConfig(serdes_payload=uppercase_serdes)
    return await ctx.invoke(ECHO, "hello", config=config)


@durable_execution
async def req_5_16(event: str, ctx: DurableContext) -> Any:
    return await ctx.invoke(ECHO, event, config=InvokeConfig(serdes_result=_UppercaseResult()))
