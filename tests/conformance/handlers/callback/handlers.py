"""Handlers for the callback suite (requirements 4-1 to 4-19)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from durable_lambda import (
    CallbackConfig,
    CallbackError,
    DurableContext,
    Duration,
    SerDesContext,
    durable_execution,
)


def _timeout(seconds: int) -> CallbackConfig:
    return CallbackConfig(timeout=Duration(seconds))


@durable_execution
async def req_4_1(event: str, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback(event)
    return await callback.result()


@durable_execution
async def req_4_2(event: Any, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback("approval")
    return await callback.result()


@durable_execution
async def req_4_3(event: str, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback(event, _timeout(5))
    return await callback.result()


@durable_execution
async def req_4_4(event: str, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback(event, CallbackConfig(heartbeat_timeout=Duration(5)))
    return await callback.result()


@durable_execution
async def req_4_5(event: str, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback(event, CallbackConfig(heartbeat_timeout=Duration(10)))
    return await callback.result()


@durable_execution
async def req_4_6(event: str, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback(event)
    return await callback.result()


@durable_execution
async def req_4_7(event: str, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback(event)
    await ctx.step(lambda _: "notified")
    return await callback.result()


@durable_execution
async def req_4_8(event: str, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback(event, _timeout(5))
    await ctx.step(lambda _: "notified")
    return await callback.result()


@durable_execution
async def req_4_9(event: str, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback(event)
    await ctx.wait(Duration(5))
    return await callback.result()


@durable_execution
async def req_4_10(event: str, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback(event)
    await ctx.wait(Duration(5))
    return await callback.result()


@durable_execution
async def req_4_11(event: str, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback(event, _timeout(3))
    await ctx.wait(Duration(6))
    return await callback.result()


@durable_execution
async def req_4_12(event: str, ctx: DurableContext) -> Any:
    callback = await ctx.create_callback(event)
    result = await callback.result()
    await ctx.wait(Duration(2))
    return result


@durable_execution
async def req_4_13(event: str, ctx: DurableContext) -> str:
    callback = await ctx.create_callback(event)
    try:
        message = f"approved: {await callback.result()}"
    except CallbackError as error:
        message = f"callback failed: {error.message}"
    await ctx.wait(Duration(2))
    return message


@durable_execution
async def req_4_14(event: str, ctx: DurableContext) -> str:
    callback = await ctx.create_callback(event, _timeout(3))
    try:
        message = f"approved: {await callback.result()}"
    except CallbackError as error:
        message = f"callback timed out: {error.message}"
    await ctx.wait(Duration(2))
    return message


class _EventSerDes:
    """Reads ``{"id", "message", "timestamp": ISO-8601}`` with the timestamp as epoch seconds."""

    def serialize(self, value: object, context: SerDesContext, /) -> str:
        return json.dumps(value)

    def deserialize(self, payload: str, context: SerDesContext, /) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(payload)
        when = datetime.fromisoformat(data["timestamp"].replace("Z", "+00:00"))
        return {**data, "timestamp": int(when.timestamp())}


class _NumberSerDes:
    """Reads the payload as a number."""

    def serialize(self, value: object, context: SerDesContext, /) -> str:
        return json.dumps(value)

    def deserialize(self, payload: str, context: SerDesContext, /) -> float:
        number = float(payload)
        return int(number) if number.is_integer() else number


@durable_execution
async def req_4_15(event: str, ctx: DurableContext) -> dict[str, Any]:
    callback = await ctx.create_callback(event, CallbackConfig(serdes=_EventSerDes()))
    return {"received": await callback.result()}


@durable_execution
async def req_4_16(event: str, ctx: DurableContext) -> dict[str, Any]:
    callback = await ctx.create_callback(event, CallbackConfig(serdes=_NumberSerDes()))
    count = await callback.result()
    return {"count": count, "doubled": count * 2}


@durable_execution
async def req_4_17(event: list[str], ctx: DurableContext) -> list[Any]:
    first = await ctx.create_callback(event[0])
    a = await first.result()
    second = await ctx.create_callback(event[1])
    return [a, await second.result()]


@durable_execution
async def req_4_18(event: list[str], ctx: DurableContext) -> list[Any]:
    first = await ctx.create_callback(event[0])
    second = await ctx.create_callback(event[1])
    a = await first.result()
    return [a, await second.result()]


@durable_execution
async def req_4_19(event: list[str], ctx: DurableContext) -> list[Any]:
    first = await ctx.create_callback(event[0])
    second = await ctx.create_callback(event[1])
    b = await second.result()
    return [await first.result(), b]
