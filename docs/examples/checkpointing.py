"""The examples of docs/checkpointing.md."""

# ruff: noqa: D103
# --8<-- [start:modes]
from functools import partial
from typing import Any

from durable_lambda import CheckpointMode, DurableContext, StepContext, durable_execution
from durable_lambda.testing import DurableTestRunner


def square(number: int, step: StepContext) -> int:
    return number * number


async def ten_steps(event: dict[str, Any], ctx: DurableContext) -> int:
    total = 0
    for number in range(10):
        total += await ctx.step(partial(square, number), name=f"square-{number}")
    return total


# On Lambda, the mode is chosen where the handler is declared:
handler = durable_execution(checkpoint_mode="OPTIMISTIC")(ten_steps)


async def test_checkpoint_calls_per_mode() -> None:
    calls = {}
    for mode in CheckpointMode:
        run = await DurableTestRunner(ten_steps, checkpoint_mode=mode).start({})
        result = await run.result()
        assert result.result == 285
        calls[mode] = run.checkpoint_calls

    # Each step's START before its body, and its SUCCEED before it returns.
    assert calls[CheckpointMode.EAGER] == 20
    # Step k's SUCCEED with step k+1's START, before step k+1's body; the last at the end.
    assert calls[CheckpointMode.BATCHED] == 10
    # Everything in one call when the invocation ends.
    assert calls[CheckpointMode.OPTIMISTIC] == 1


# --8<-- [end:modes]
