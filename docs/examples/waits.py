"""The examples of docs/operations/wait.md."""

# ruff: noqa: D103
# --8<-- [start:wait]
from typing import Any

import pytest

from durable_lambda import DurableContext, Duration, ValidationError
from durable_lambda.testing import DurableTestRunner


async def reminder(event: dict[str, Any], ctx: DurableContext) -> str:
    await ctx.step(lambda step: f"sent offer to {event['email']}", name="offer")
    await ctx.wait(Duration.of(days=3, hours=12), name="think-it-over")
    return await ctx.step(lambda step: f"reminded {event['email']}", name="remind")


async def test_the_wait_takes_three_and_a_half_days() -> None:
    runner = DurableTestRunner(reminder, always_replay=True)
    started = runner.clock.now()
    run = await runner.start({"email": "ann@example.com"})
    result = await run.result()

    assert result.result == "reminded ann@example.com"
    assert (runner.clock.now() - started).total_seconds() >= 3.5 * 86_400
    assert run.operation("think-it-over").status.value == "SUCCEEDED"


# --8<-- [end:wait]


# --8<-- [start:durations]
def test_durations() -> None:
    assert Duration.from_minutes(90) == Duration.of(hours=1, minutes=30) == Duration(5400)
    assert Duration.from_days(1).to_seconds() == 86_400
    assert Duration.from_years(1).to_seconds() == 365 * 86_400  # a year is 365 days
    assert Duration.from_hours(0.5) == Duration(1800)
    for fraction in (1.5, 0.01 * 60):
        with pytest.raises(ValidationError, match="whole number of seconds"):
            Duration(fraction)


# --8<-- [end:durations]


# --8<-- [start:range]
async def too_long(event: dict[str, Any], ctx: DurableContext) -> None:
    await ctx.wait(Duration.from_days(400), name="too-long")


async def test_a_wait_over_366_days_is_refused() -> None:
    result = await DurableTestRunner(too_long).run({})

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "ValidationError"
    assert result.error.ErrorMessage == (
        "wait duration must be between 1 and 31622400 seconds, got 34560000"
    )


# --8<-- [end:range]
