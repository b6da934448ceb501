# Corpus for DUR009 (completion-order).
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import asyncio
from asyncio import FIRST_COMPLETED

from durable_lambda import DurableContext, durable_execution


@durable_execution
async def handler(event, ctx: DurableContext):
    tasks = [asyncio.ensure_future(ctx.step(lambda step: i, name=f"q-{i}")) for i in range(2)]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)  # expect: DUR009
    done, pending = await asyncio.wait(tasks, return_when=FIRST_COMPLETED)  # expect: DUR009
    done, pending = await asyncio.wait(tasks, return_when="FIRST_EXCEPTION")  # expect: DUR009
    done, pending = await asyncio.wait(tasks, timeout=5)  # expect: DUR009
    for next_done in asyncio.as_completed(tasks):  # expect: DUR009
        await next_done
    quick = await asyncio.wait_for(ctx.step(lambda step: 1, name="quick"), 5)  # expect: DUR009
    also = await asyncio.wait_for(ctx.step(lambda step: 2, name="also"), timeout=5)  # expect: DUR009
    async with asyncio.timeout(10):  # expect: DUR009
        await ctx.step(lambda step: 3, name="bounded")
    async with asyncio.timeout(10):  # no durable call inside
        await asyncio.sleep(0)
    unbounded = await asyncio.wait_for(ctx.step(lambda step: 4, name="unbounded"), None)
    everything, _ = await asyncio.wait(tasks)  # all of them, whatever the order
    winner = await ctx.race([ctx.step(lambda step: "a", name="a")], name="first")
    return [done, pending, quick, also, unbounded, everything, winner]
