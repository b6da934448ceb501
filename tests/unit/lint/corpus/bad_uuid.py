# Corpus for DUR003 (uuid).
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import uuid

from durable_lambda import DurableContext, durable_execution


@durable_execution
async def handler(event, ctx: DurableContext):
    key = uuid.uuid4()  # expect: DUR003
    node_time = uuid.uuid1()  # expect: DUR003
    named = uuid.uuid5(uuid.NAMESPACE_URL, event["url"])  # deterministic
    replay_safe = ctx.uuid4()
    inside = await ctx.step(lambda step: str(uuid.uuid4()), name="key")
    return [key, node_time, named, replay_safe, inside]
