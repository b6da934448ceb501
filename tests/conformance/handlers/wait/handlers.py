"""Handlers for the wait suite (requirements 2-1 to 2-5)."""

from __future__ import annotations

from typing import Any

from durable_lambda import DurableContext, Duration, durable_execution


@durable_execution
async def req_2_1(event: Any, ctx: DurableContext) -> str:
    await ctx.wait(Duration.from_seconds(2))
    return "waited"


@durable_execution
async def req_2_2(event: Any, ctx: DurableContext) -> str:
    await ctx.wait(Duration.from_seconds(2), name="custom_wait_name")
    return "waited"


@durable_execution
async def req_2_3(event: Any, ctx: DurableContext) -> dict[str, int]:
    await ctx.wait(Duration.from_seconds(2), name="wait-1")
    await ctx.wait(Duration.from_seconds(2), name="wait-2")
    return {"completedWaits": 2}


@durable_execution
async def req_2_4(event: Any, ctx: DurableContext) -> str:
    await ctx.wait(Duration.from_minutes(1))
    return "waited a minute"


@durable_execution
async def req_2_5(event: Any, ctx: DurableContext) -> str:
    await ctx.wait(Duration.from_hours(1))
    return "waited an hour"
