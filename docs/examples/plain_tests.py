"""A plain (synchronous) test of a durable function (docs/reference/testing.md)."""

# ruff: noqa: D103

# --8<-- [start:tests]
from typing import Any

from durable_lambda import DurableContext, Duration, durable_execution
from durable_lambda.testing import DurableTestRunner


@durable_execution
async def renew(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    await ctx.wait(Duration.from_days(30), name="month")
    return await ctx.step(lambda step: {"renewed": event["plan"]}, name="renew")


def test_a_plain_test_runs_the_handler_with_blocking_calls() -> None:
    with DurableTestRunner(renew, always_replay=True) as runner:
        run = runner.start({"plan": "pro"})
        result = run.result()  # the thirty days are skipped

    assert result.status == "SUCCEEDED"
    assert result.result == {"renewed": "pro"}
    assert run.step("renew").attempts == 1


# --8<-- [end:tests]
