"""The examples of docs/operations/replay-safe-helpers.md."""

# ruff: noqa: D103
# --8<-- [start:helpers]
from typing import Any

from durable_lambda import DurableContext, Duration
from durable_lambda.testing import DurableTestRunner

seen: list[dict[str, Any]] = []


async def trial(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    started = ctx.now()  # recorded the first time: the same datetime on every replay
    trial_id = ctx.uuid4()  # derived: the same UUID on every replay, new in every execution
    dice = ctx.random()  # a random.Random seeded the same way
    group = dice.choice(["A", "B"])
    await ctx.step(lambda step: seen.append({"id": str(trial_id), "group": group}), name="enrol")
    await ctx.wait(Duration.from_days(14), name="trial-period")
    days = (ctx.now() - started).days
    return {"id": str(trial_id), "group": group, "days": days}


async def test_the_helpers_give_the_same_values_on_every_replay() -> None:
    seen.clear()
    runner = DurableTestRunner(trial, always_replay=True)
    first = await runner.run({})
    second = await runner.run({})

    assert first.result["days"] == 14  # ctx.now() follows the test runner's fake clock
    assert seen == [
        {"id": first.result["id"], "group": first.result["group"]},
        {"id": second.result["id"], "group": second.result["group"]},
    ]
    assert first.result["id"] != second.result["id"]  # each execution draws its own


# --8<-- [end:helpers]
