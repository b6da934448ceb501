"""A custom completion rule for map and parallel (``CompletionConfig(should_complete=...)``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from durable_lambda.app.testing_runner import DurableTestRunner
from durable_lambda.core.completion import (
    CompletionDecision,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionPolicy,
    CompletionReason,
    CompletionStatus,
    complete_batch,
    continue_batch,
)
from durable_lambda.core.config import CompletionConfig, MapConfig, ParallelConfig
from durable_lambda.core.context import DurableContext, ParallelBranch, StepContext
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.operations.batch_result import (
    BatchCompletionError,
    BatchItem,
    BatchItemStatus,
    BatchResult,
)


def _two_successes(status: CompletionStatus) -> CompletionDecision:
    return complete_batch() if status.success_count >= 2 else continue_batch()


async def _double(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return int(await ctx.step(lambda s: item * 2, name="double"))


async def test_a_rule_completes_a_map_early_as_a_success() -> None:
    seen: list[tuple[int, int, int]] = []

    def rule(status: CompletionStatus) -> CompletionDecision:
        seen.append((status.success_count, status.completed_count, status.total_count))
        return _two_successes(status)

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        config = MapConfig(
            max_concurrency=1, completion_config=CompletionConfig(should_complete=rule)
        )
        result = await ctx.map([1, 2, 3, 4, 5], _double, name="doubles", config=config)
        return {
            "reason": result.completion_reason.value,
            "status": result.status.value,
            "results": result.get_results(),
            "started": result.total_count,
        }

    outcome = await DurableTestRunner(handler).run()

    assert outcome.status == "SUCCEEDED"
    assert outcome.result == {
        "reason": "CUSTOM_COMPLETION_SUCCEEDED",
        "status": "SUCCEEDED",
        "results": [2, 4],
        "started": 2,  # the items never started are left out, as for min_successful
    }
    # Asked before any item started, then after each item that finished.
    assert seen == [(0, 0, 5), (1, 1, 5), (2, 2, 5)]


async def test_a_rule_sees_each_items_status_name_result_and_error() -> None:
    snapshots: list[tuple[CompletionItemStatus, ...]] = []

    def rule(status: CompletionStatus) -> CompletionDecision:
        snapshots.append(status.items)
        return continue_batch()

    async def item(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        if value < 0:
            raise ValueError(f"negative: {value}")
        return value

    async def handler(event: Any, ctx: DurableContext) -> None:
        config = MapConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(should_complete=rule),
            item_namer=lambda value, index: f"value-{value}",
        )
        await ctx.map([7, -1, 9], item, name="values", config=config)

    assert (await DurableTestRunner(handler).run()).status == "SUCCEEDED"

    first, after_one, after_two, last = snapshots
    assert [(i.index, i.name, i.status) for i in first] == [
        (0, "value-7", None),
        (1, "value--1", None),
        (2, "value-9", None),
    ]
    assert [i.status for i in after_one] == [BatchItemStatus.SUCCEEDED, None, None]
    assert after_one[0].result == 7
    assert [i.status for i in after_two] == [
        BatchItemStatus.SUCCEEDED,
        BatchItemStatus.FAILED,
        None,
    ]
    error = after_two[1].error
    assert error is not None
    assert error.ErrorType == "ValueError"
    assert error.ErrorMessage == "negative: -1"
    assert [i.status for i in last] == [
        BatchItemStatus.SUCCEEDED,
        BatchItemStatus.FAILED,
        BatchItemStatus.SUCCEEDED,
    ]


async def test_a_failed_outcome_fails_the_batch_though_no_item_failed() -> None:
    def quorum_of_two_agreeing(status: CompletionStatus) -> CompletionDecision:
        answers = status.results()
        if any(answers.count(answer) >= 2 for answer in answers):
            return complete_batch()
        if status.completed_count == status.total_count:
            return complete_batch(CompletionOutcome.FAILED)
        return continue_batch()

    def replica(answer: str) -> ParallelBranch[str]:
        async def ask(ctx: DurableContext) -> str:
            return answer

        return ParallelBranch(ask, f"replica-{answer}")

    async def handler(event: list[str], ctx: DurableContext) -> dict[str, Any]:
        config = ParallelConfig(
            completion_config=CompletionConfig(should_complete=quorum_of_two_agreeing)
        )
        result = await ctx.parallel([replica(a) for a in event], name="vote", config=config)
        try:
            result.throw_if_error()
        except BatchCompletionError as error:
            return {"reason": result.completion_reason.value, "error": str(error)}
        return {"reason": result.completion_reason.value, "agreed": result.get_results()}

    agreed = await DurableTestRunner(handler).run(["a", "b", "a"])
    assert agreed.result == {"reason": "CUSTOM_COMPLETION_SUCCEEDED", "agreed": ["a", "b", "a"]}

    split = await DurableTestRunner(handler).run(["a", "b", "c"])
    assert split.result == {
        "reason": "CUSTOM_COMPLETION_FAILED",
        "error": "Batch completed as failed by should_complete (CUSTOM_COMPLETION_FAILED)",
    }


async def test_the_rule_replaces_the_fail_fast_default() -> None:
    # Without a rule a map fails at its first failed item; a rule decides on its own.
    async def flaky(ctx: DurableContext, value: int, index: int, items: Any) -> int:
        if value % 2:
            raise RuntimeError("odd")
        return value

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        config = MapConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(
                should_complete=lambda s: (
                    complete_batch() if s.success_count >= 2 else continue_batch()
                )
            ),
        )
        result = await ctx.map([1, 2, 3, 4, 5], flaky, config=config)
        return {"reason": result.completion_reason.value, "failed": result.failure_count}

    outcome = await DurableTestRunner(handler).run()
    assert outcome.result == {"reason": "CUSTOM_COMPLETION_SUCCEEDED", "failed": 2}


async def test_a_batch_that_never_satisfies_the_rule_completes_when_every_item_finished() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        config = MapConfig(
            completion_config=CompletionConfig(should_complete=lambda s: continue_batch())
        )
        result = await ctx.map([1, 2], _double, config=config)
        return result.completion_reason.value

    assert (await DurableTestRunner(handler).run()).result == "ALL_COMPLETED"


async def test_the_rule_decides_the_same_on_every_replay() -> None:
    calls: list[int] = []

    def rule(status: CompletionStatus) -> CompletionDecision:
        calls.append(status.completed_count)
        return _two_successes(status)

    async def slow_double(ctx: DurableContext, item: int, index: int, items: Any) -> int:
        async def body(step: StepContext) -> int:
            await asyncio.sleep(0)
            return item * 2

        return int(await ctx.step(body, name="double"))

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        config = MapConfig(
            max_concurrency=2, completion_config=CompletionConfig(should_complete=rule)
        )
        result = await ctx.map([1, 2, 3, 4, 5, 6], slow_double, name="doubles", config=config)
        # A step after the map: its invocation replays the completed map from its record.
        await ctx.step(lambda s: None, name="after")
        return {"reason": result.completion_reason.value, "results": result.get_results()}

    once = await DurableTestRunner(handler).run()
    calls_in_one_go = len(calls)
    calls.clear()
    replayed = await DurableTestRunner(handler, always_replay=True).run()

    assert replayed.result == once.result
    assert once.result["reason"] == "CUSTOM_COMPLETION_SUCCEEDED"
    assert replayed.invocations > once.invocations
    # The invocations after the map completed replayed its stored result and asked nothing;
    # those before asked again over the items replayed so far, never past what completed it.
    assert calls
    assert max(calls) <= 2
    assert calls_in_one_go > 0


def test_the_rule_cannot_be_combined_with_a_threshold() -> None:
    with pytest.raises(ValidationError, match="should_complete cannot be combined"):
        CompletionConfig(min_successful=1, should_complete=lambda s: continue_batch())
    with pytest.raises(ValidationError, match="should_complete"):
        CompletionConfig(should_complete="yes")  # type: ignore[arg-type]


async def test_a_rule_that_returns_no_decision_is_a_validation_error() -> None:
    async def handler(event: Any, ctx: DurableContext) -> None:
        config = MapConfig(
            completion_config=CompletionConfig(should_complete=lambda s: True)  # type: ignore[arg-type,return-value]
        )
        await ctx.map([1], _double, config=config)

    outcome = await DurableTestRunner(handler).run()
    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert outcome.error.ErrorType == "ValidationError"
    assert "must return continue_batch() or complete_batch(...), got bool" in (
        outcome.error.ErrorMessage or ""
    )


def test_a_decision_is_checked() -> None:
    with pytest.raises(ValidationError, match="required when complete is True"):
        CompletionDecision(complete=True)
    with pytest.raises(ValidationError, match="must be None when complete is False"):
        CompletionDecision(complete=False, outcome=CompletionOutcome.FAILED)
    assert complete_batch(CompletionOutcome.FAILED).outcome is CompletionOutcome.FAILED
    assert not continue_batch().complete


def test_the_policy_reports_the_rules_decision_and_ignores_the_thresholds() -> None:
    policy = CompletionPolicy.from_config(4, CompletionConfig(should_complete=_two_successes))
    assert not policy.tolerance_exceeded(failed=3)  # no fail-fast with a rule
    decision = policy.decide(1, 2)
    assert decision == continue_batch()
    assert not policy.should_stop(1, 2, decision)
    done = policy.decide(2, 1)
    assert policy.should_stop(2, 1, done)
    assert policy.reason(2, 1, done) is CompletionReason.CUSTOM_COMPLETION_SUCCEEDED
    assert policy.reason(2, 2, policy.decide(2, 2)) is CompletionReason.CUSTOM_COMPLETION_SUCCEEDED
    assert policy.reason(1, 3, continue_batch()) is CompletionReason.ALL_COMPLETED


def test_a_stored_result_without_a_reason_asks_the_rule_about_its_items() -> None:
    items: list[BatchItem[Any]] = [
        BatchItem[Any](index=0, status=BatchItemStatus.SUCCEEDED, result="a"),
        BatchItem[Any](index=1, status=BatchItemStatus.SUCCEEDED, result="b"),
    ]

    def no_agreement_fails(status: CompletionStatus) -> CompletionDecision:
        answers = status.results()
        if len(set(answers)) < len(answers):
            return complete_batch()
        return complete_batch(CompletionOutcome.FAILED)

    result = BatchResult.from_items(items, CompletionConfig(should_complete=no_agreement_fails))
    assert result.completion_reason is CompletionReason.CUSTOM_COMPLETION_FAILED
    assert result.status is BatchItemStatus.FAILED
