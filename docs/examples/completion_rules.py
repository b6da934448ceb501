"""The examples of docs/operations/completion-rules.md."""

# ruff: noqa: D103
# --8<-- [start:quorum]
from typing import Any

from durable_lambda import (
    BatchCompletionError,
    CompletionConfig,
    CompletionDecision,
    CompletionOutcome,
    CompletionStatus,
    DurableContext,
    ParallelBranch,
    ParallelConfig,
    complete_batch,
    continue_batch,
)
from durable_lambda.testing import DurableTestRunner


def two_agree(status: CompletionStatus) -> CompletionDecision:
    """Complete once two replicas gave the same answer; fail once none can."""
    answers = status.results()
    if any(answers.count(answer) >= 2 for answer in answers):
        return complete_batch()
    if status.completed_count == status.total_count:
        return complete_batch(CompletionOutcome.FAILED)
    return continue_batch()


def replica(region: str, answer: str) -> ParallelBranch[str]:
    async def ask(ctx: DurableContext) -> str:
        return await ctx.step(lambda step: answer, name=f"ask-{region}")

    return ParallelBranch(ask, region)


async def read_balance(event: dict[str, str], ctx: DurableContext) -> dict[str, Any]:
    config = ParallelConfig(completion_config=CompletionConfig(should_complete=two_agree))
    result = await ctx.parallel(
        [replica(region, answer) for region, answer in event.items()], name="quorum", config=config
    )
    try:
        result.throw_if_error()
    except BatchCompletionError:
        return {"agreed": None, "reason": result.completion_reason.value}
    answers = result.get_results()
    return {
        "agreed": max(set(answers), key=answers.count),
        "reason": result.completion_reason.value,
    }


async def test_two_replicas_agree() -> None:
    result = await DurableTestRunner(read_balance).run({"eu": "100", "us": "100", "ap": "90"})
    assert result.result == {"agreed": "100", "reason": "CUSTOM_COMPLETION_SUCCEEDED"}


async def test_no_two_replicas_agree() -> None:
    result = await DurableTestRunner(read_balance).run({"eu": "100", "us": "95", "ap": "90"})
    assert result.result == {"agreed": None, "reason": "CUSTOM_COMPLETION_FAILED"}


# --8<-- [end:quorum]


# --8<-- [start:budget]
from durable_lambda import MapConfig  # noqa: E402


def enough_stock(status: CompletionStatus) -> CompletionDecision:
    """Stop reserving once 10 units are reserved across the warehouses that answered."""
    reserved = sum(status.results())
    return complete_batch() if reserved >= 10 else continue_batch()


async def reserve(ctx: DurableContext, units: int, index: int, items: Any) -> int:
    return await ctx.step(lambda step: units, name="reserve")


async def reserve_stock(event: list[int], ctx: DurableContext) -> dict[str, Any]:
    config = MapConfig(
        max_concurrency=1, completion_config=CompletionConfig(should_complete=enough_stock)
    )
    result = await ctx.map(event, reserve, name="warehouses", config=config)
    return {"reserved": result.get_results(), "asked": result.total_count}


async def test_the_map_stops_at_the_budget() -> None:
    result = await DurableTestRunner(reserve_stock, always_replay=True).run([4, 3, 5, 8, 2])
    # Warehouses 4 and 5 were never asked: the rule completed the map at 12 units.
    assert result.result == {"reserved": [4, 3, 5], "asked": 3}


# --8<-- [end:budget]
