"""What each checkpoint mode promises a step body, checked against the service's stored record.

Each body looks at what the (in-memory, real) local service has stored at the moment it starts:
that is what would survive if the process died right then.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from durable_lambda import DurableContext, StepContext
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.testing import DurableTestRunner

Seen = dict[str, dict[str, OperationStatus]]


def recording_body(runner: DurableTestRunner, seen: Seen, name: str, value: Any) -> Any:
    """A step body that notes the stored status of every named operation when it starts."""

    async def body(step: StepContext) -> Any:
        [summary] = await runner.store.list_executions()
        record = await runner.store.load(summary.DurableExecutionArn)
        seen[name] = {
            op.Name: op.Status for op in record.operations.values() if op.Name is not None
        }
        return value

    return body


def three_steps(runner: DurableTestRunner, seen: Seen) -> Any:
    async def handler(event: Any, ctx: DurableContext) -> int:
        one: int = await ctx.step(recording_body(runner, seen, "one", 1), name="one")
        two: int = await ctx.step(recording_body(runner, seen, "two", 2), name="two")
        three: int = await ctx.step(recording_body(runner, seen, "three", 3), name="three")
        return one + two + three

    return handler


@pytest.mark.parametrize("mode", [CheckpointMode.BATCHED, CheckpointMode.EAGER])
async def test_a_step_that_returned_is_stored_before_the_next_body_starts(
    mode: CheckpointMode,
) -> None:
    seen: Seen = {}
    runner = DurableTestRunner(lambda e, c: handler(e, c), checkpoint_mode=mode)
    handler = three_steps(runner, seen)

    result = await runner.run()

    assert result.result == 6
    assert seen["two"]["one"] is OperationStatus.SUCCEEDED
    assert seen["three"]["one"] is seen["three"]["two"] is OperationStatus.SUCCEEDED


async def test_the_default_mode_sends_one_step_s_outcome_with_the_next_step_s_start() -> None:
    seen: Seen = {}
    runner = DurableTestRunner(lambda e, c: handler(e, c))
    handler = three_steps(runner, seen)

    run = await runner.start()
    await run.result()

    # The START of the step about to run travelled with its predecessor's SUCCEED.
    assert seen["two"]["two"] is OperationStatus.STARTED
    # One call before each later body, and one at the end: no call of its own per START.
    assert run.checkpoint_calls == 3


async def test_eager_acknowledges_a_step_s_start_and_its_context_s_start_before_the_body() -> None:
    seen: Seen = {}
    runner = DurableTestRunner(lambda e, c: handler(e, c), checkpoint_mode=CheckpointMode.EAGER)

    async def inside(child: DurableContext) -> int:
        value: int = await child.step(recording_body(runner, seen, "inner", 5), name="inner")
        return value

    async def handler(event: Any, ctx: DurableContext) -> int:
        return await ctx.run_in_child_context(inside, name="outer")

    assert (await runner.run()).result == 5
    assert seen["inner"] == {
        "outer": OperationStatus.STARTED,
        "inner": OperationStatus.STARTED,
    }


async def test_optimistic_sends_nothing_before_a_body() -> None:
    seen: Seen = {}
    runner = DurableTestRunner(
        lambda e, c: handler(e, c), checkpoint_mode=CheckpointMode.OPTIMISTIC
    )
    handler = three_steps(runner, seen)

    run = await runner.start()
    assert (await run.result()).result == 6

    assert seen["three"] == {}  # its documented trade-off: everything at the end
    assert run.checkpoint_calls == 1


async def test_concurrent_map_items_share_the_calls_that_make_their_steps_durable() -> None:
    items = list(range(40))
    runner = DurableTestRunner(lambda e, c: handler(e, c))

    async def item(child: DurableContext, value: int, index: int, _: Sequence[int]) -> int:
        first: int = await child.step(lambda _: value, name="first")
        second: int = await child.step(lambda _: first * 2, name="second")
        return second

    async def handler(event: Any, ctx: DurableContext) -> list[int]:
        outcome = await ctx.map(items, item, name="doubles")
        return list(outcome.get_results())

    run = await runner.start()
    result = await run.result()

    assert result.result == [2 * value for value in items]
    steps = [op for op in run.operations() if op.type is OperationType.STEP]
    assert len(steps) == 2 * len(items)
    # Every item's second body waits for its first step's SUCCEED; they wait together.
    assert run.checkpoint_calls < len(items)
