"""The examples of docs/operations/cancellable-waits.md."""

# ruff: noqa: D103
# --8<-- [start:grace]
from typing import Any

from durable_lambda import DurableContext, Duration, OperationStatus
from durable_lambda.testing import DurableTestRunner


async def subscription(event: dict[str, Any], ctx: DurableContext) -> str:
    grace = await ctx.create_wait(Duration.from_days(7), name="grace-period")
    await ctx.step(lambda step: f"reminded {event['user']}", name="remind")
    paid = await ctx.step(lambda step: event["paid"], name="check-payment")
    if paid:
        await grace.cancel()  # the execution does not wait out the seven days
        return "renewed"
    await grace.wait()  # suspends until the grace period is over
    return await ctx.step(lambda step: f"suspended {event['user']}", name="suspend")


async def test_a_payment_cancels_the_grace_period() -> None:
    runner = DurableTestRunner(subscription, always_replay=True)
    started = runner.clock.now()
    run = await runner.start({"user": "ann", "paid": True})
    result = await run.result()

    assert result.result == "renewed"
    assert run.operation("grace-period").status is OperationStatus.CANCELLED
    assert (runner.clock.now() - started).days < 1


async def test_without_a_payment_the_grace_period_runs_out() -> None:
    runner = DurableTestRunner(subscription)
    started = runner.clock.now()
    run = await runner.start({"user": "bob", "paid": False})
    result = await run.result()

    assert result.result == "suspended bob"
    assert run.operation("grace-period").status is OperationStatus.SUCCEEDED
    assert (runner.clock.now() - started).days >= 7


# --8<-- [end:grace]
