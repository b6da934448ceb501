# Corpus for DUR008 (gather-return-exceptions).
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import asyncio

from durable_lambda import DurableContext, durable_execution


@durable_execution
async def handler(event, ctx: DurableContext):
    results = await asyncio.gather(  # expect: DUR008
        ctx.step(lambda step: 1, name="a"),
        ctx.step(lambda step: 2, name="b"),
        return_exceptions=True,
    )
    calls = [ctx.step(lambda step: i, name=f"c-{i}") for i in range(3)]
    more = await asyncio.gather(*calls, return_exceptions=event["tolerant"])  # expect: DUR008
    plain = await asyncio.gather(ctx.step(lambda step: 3, name="d"), return_exceptions=False)
    settled = await ctx.all_settled([ctx.step(lambda step: 4, name="e")])
    return [results, more, plain, settled]
