"""The SDK's line about a step attempt that will be retried names the error and its message.

A type alone ("ConnectionError") does not say which host, file or record failed; the message
does. Long messages are cut, so the line stays one short line.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from structlog.testing import capture_logs

from durable_lambda import (
    DurableContext,
    Duration,
    JitterStrategy,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    create_retry_strategy,
)
from durable_lambda.testing import DurableTestRunner

RETRY_ONCE = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=2,
            initial_delay=Duration.from_seconds(1),
            jitter_strategy=JitterStrategy.NONE,
        )
    )
)


async def _retry_lines(message: str) -> list[MutableMapping[str, Any]]:
    def flaky(step: StepContext) -> str:
        if step.attempt == 1:
            raise ConnectionError(message)
        return "ok"

    async def handler(event: Any, ctx: DurableContext) -> str:
        return await ctx.step(flaky, name="fetch", config=RETRY_ONCE)

    # The test runner logs through structlog, as the CLI and Lambda do.
    with capture_logs() as logs:
        result = await DurableTestRunner(handler).run()
    assert result.status == "SUCCEEDED", result.error
    return [line for line in logs if line["event"] == "step attempt failed; retrying"]


async def test_the_retry_line_carries_the_error_type_and_message() -> None:
    [line] = await _retry_lines("db-7.internal:5432 refused the connection")

    assert line["error_type"] == "ConnectionError"
    assert line["error_message"] == "db-7.internal:5432 refused the connection"
    assert line["attempt"] == 1


async def test_a_long_message_is_cut_short() -> None:
    [line] = await _retry_lines("x" * 5000)

    assert line["error_message"] == "x" * 200
