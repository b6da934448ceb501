"""The examples of docs/lambda-context.md."""

# ruff: noqa: D103
# --8<-- [start:context]
from datetime import timedelta
from typing import Any

from durable_lambda import DurableContext, StepContext
from durable_lambda.testing import DurableTestRunner


async def audit(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    lambda_context = ctx.lambda_context
    assert lambda_context is not None

    def record(step: StepContext) -> dict[str, Any]:
        # Inside a step: the request id and time left differ with every invocation.
        return {
            "function": lambda_context.function_name,
            "request": lambda_context.aws_request_id,
            "ms_left": lambda_context.get_remaining_time_in_millis(),
        }

    return await ctx.step(record, name="record")


async def test_the_runner_gives_a_stand_in_with_a_time_out_of_your_choosing() -> None:
    runner = DurableTestRunner(audit, function_name="auditor", lambda_timeout=timedelta(seconds=30))
    result = (await runner.run({})).result

    assert result["function"] == "auditor"
    assert 0 < result["ms_left"] <= 30_000
    assert result["request"]  # a new request id for every invocation


# --8<-- [end:context]
