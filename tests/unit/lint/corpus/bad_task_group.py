# Corpus for DUR010 (task-group).
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import asyncio

from durable_lambda import DurableContext, durable_execution


async def load(ctx: DurableContext, key: str):
    return await ctx.step(lambda step: key, name=key)


@durable_execution
async def handler(event, ctx: DurableContext):
    async with asyncio.TaskGroup() as group:  # expect: DUR010
        first = group.create_task(ctx.step(lambda step: 1, name="a"))
        second = group.create_task(ctx.wait_for_callback(lambda cid, c: None, name="b"))
    async with asyncio.TaskGroup() as group:  # expect: DUR010
        group.create_task(load(ctx, "c"))
    async with asyncio.TaskGroup() as group:  # no durable call inside
        group.create_task(asyncio.sleep(0))
    both = await ctx.all([ctx.step(lambda step: 2, name="d"), load(ctx, "e")])
    return [first.result(), second.result(), both]
