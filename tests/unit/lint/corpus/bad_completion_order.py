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
    everything, _ = await asyncio.wait(tasks)  # all of them, whatever the order
    winner = await ctx.race([ctx.step(lambda step: "a", name="a")], name="first")
    return [done, pending, everything, winner]
