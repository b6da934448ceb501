# Corpus: orchestration code that replays the same way every time: no findings.
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import asyncio
import random
import uuid

from durable_lambda import DurableContext, Duration, StepError, durable_execution


@durable_execution
async def handler(event, ctx: DurableContext):
    started = ctx.now()
    key = ctx.uuid4()
    draw = ctx.random().uniform(1.0, 5.0)
    seeded = random.Random(event["seed"]).random()
    named = uuid.uuid5(uuid.NAMESPACE_DNS, event["host"])
    regions = sorted(set(event["regions"]))
    for region in regions:
        await ctx.step(lambda step: region, name=f"deploy-{region}")
    for name, value in {"a": 1, "b": 2}.items():
        await ctx.step(lambda step: value, name=name)
    together = await ctx.all([ctx.step(lambda step: 1, name="x"), ctx.step(lambda step: 2, name="y")])
    plain = await asyncio.gather(ctx.step(lambda step: 3, name="z"))
    winner = await ctx.race(
        [ctx.step(lambda step: 4, name="w"), ctx.wait(Duration.from_seconds(5), name="t")]
    )
    try:
        await ctx.step(lambda step: 5, name="v")
    except StepError:
        ctx.logger.warning("v failed")
    except Exception:
        ctx.logger.warning("something else")
    ordered = sorted(item for item in set(event["items"]))
    return [started, key, draw, seeded, named, together, plain, winner, ordered]
