# Corpus for DUR002 (random).
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import os
import random

from durable_lambda import DurableContext, durable_execution


@durable_execution
async def handler(event, ctx: DurableContext):
    pick = random.choice(event["items"])  # expect: DUR002
    number = random.randint(1, 6)  # expect: DUR002
    random.shuffle(event["items"])  # expect: DUR002
    unseeded = random.Random()  # expect: DUR002
    system = random.SystemRandom()  # expect: DUR002
    noise = os.urandom(8)  # expect: DUR002
    seeded = random.Random(42).random()  # deterministic: a fixed seed
    replay_safe = ctx.random().randint(1, 6)
    inside = await ctx.step(lambda step: random.random(), name="draw")
    return [pick, number, unseeded, system, noise, seeded, replay_safe, inside]
