# Corpus for DUR004 (environment).
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import os

from durable_lambda import DurableContext, durable_execution

TABLE = os.environ.get("TABLE", "orders")  # module level: read once per process, not replayed


@durable_execution
async def handler(event, ctx: DurableContext):
    if os.environ.get("FEATURE") == "on":  # expect: DUR004
        await ctx.step(lambda step: "feature", name="feature")
    region = os.environ["AWS_REGION"]  # expect: DUR004
    stage = os.getenv("STAGE")  # expect: DUR004
    present = "DEBUG" in os.environ  # expect: DUR004
    flag = await ctx.step(lambda step: os.environ.get("FLAG"), name="read-flag")
    return [TABLE, region, stage, present, flag]
