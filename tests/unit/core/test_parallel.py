"""``ctx.parallel``: branches as child contexts, failures, suspension, replay."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest

from durable_lambda.app.testing_runner import DurableTestRunner, TestExecution
from durable_lambda.core.config import CompletionConfig, Duration, ParallelConfig
from durable_lambda.core.context import DurableContext, ParallelBranch
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.ids import operation_id
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.core.operations.batch_result import BatchResult
from durable_lambda.service.history import EventType

PARALLEL = "Parallel"
BRANCH = "ParallelBranch"
INVOCATION_COMPLETED = ("InvocationCompleted", None, None)

Branch = Callable[[DurableContext], Awaitable[Any]]


async def _run(handler: Any, event: Any = None, **options: Any) -> tuple[TestExecution, Any]:
    runner = DurableTestRunner(handler, **options)
    run = await runner.start(event)
    return run, await run.result()


async def _timeline(run: TestExecution) -> list[tuple[str, str | None, str | None]]:
    return [
        (event.EventType.value, event.SubType, event.Name)
        for event in await run.history()
        if event.EventType not in (EventType.EXECUTION_STARTED, EventType.EXECUTION_SUCCEEDED)
    ]


def _returning(value: Any, yields: int = 0) -> Branch:
    async def branch(ctx: DurableContext) -> Any:
        for _ in range(yields):
            await asyncio.sleep(0)
        return value

    return branch


def _failing(message: str) -> Branch:
    async def branch(ctx: DurableContext) -> Any:
        raise RuntimeError(message)

    return branch


async def test_branches_are_parallel_branch_contexts_under_a_parallel_context() -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        branches: list[Branch] = [_returning("one"), _returning(2), _returning({"three": 3})]
        config = ParallelConfig(max_concurrency=1)
        return (await ctx.parallel(branches, name="fan-out", config=config)).get_results()

    run, outcome = await _run(handler)

    assert outcome.result == ["one", 2, {"three": 3}]
    assert await _timeline(run) == [
        ("ContextStarted", PARALLEL, "fan-out"),
        ("ContextStarted", BRANCH, "parallel-branch-0"),
        ("ContextSucceeded", BRANCH, "parallel-branch-0"),
        ("ContextStarted", BRANCH, "parallel-branch-1"),
        ("ContextSucceeded", BRANCH, "parallel-branch-1"),
        ("ContextStarted", BRANCH, "parallel-branch-2"),
        ("ContextSucceeded", BRANCH, "parallel-branch-2"),
        ("ContextSucceeded", PARALLEL, "fan-out"),
        INVOCATION_COMPLETED,
    ]
    parent = run.operation("fan-out")
    assert [op.id for op in run.operations(parent="fan-out")] == [
        operation_id(parent.id, i) for i in range(3)
    ]


async def test_named_branches_name_their_contexts() -> None:
    async def first(ctx: DurableContext) -> str:
        return await ctx.step(lambda _: "one", name="work")

    async def handler(event: Any, ctx: DurableContext) -> list[str]:
        branches = [ParallelBranch(first, "first"), ParallelBranch(_returning("two"), "second")]
        return (
            await ctx.parallel(branches, config=ParallelConfig(max_concurrency=1))
        ).get_results()

    run, outcome = await _run(handler)

    assert outcome.result == ["one", "two"]
    contexts = run.operations(type=OperationType.CONTEXT)
    assert [(op.name, op.operation.SubType) for op in contexts] == [
        (None, PARALLEL),
        ("first", BRANCH),
        ("second", BRANCH),
    ]
    assert run.step("work").operation.ParentId == contexts[1].id


async def test_a_failing_branch_fails_the_parallel_and_cancels_the_slower_branches() -> None:
    cancelled: list[str] = []

    def slow(label: str) -> Branch:
        async def branch(ctx: DurableContext) -> str:
            try:
                for _ in range(50):
                    await asyncio.sleep(0)
            except asyncio.CancelledError:
                cancelled.append(label)
                raise
            return label

        return branch

    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        branches = [_returning("fast"), _failing("branch broke"), slow("slow")]
        result = await ctx.parallel(branches, name="p")
        return {
            "reason": result.completion_reason.value,
            "statuses": [item.status.value for item in result.all],
            "errors": [error.ErrorMessage if error else None for error in result.get_errors()],
        }

    run, outcome = await _run(handler)

    # By default a parallel requires every branch: the first failure completes it.
    assert outcome.result == {
        "reason": "FAILURE_TOLERANCE_EXCEEDED",
        "statuses": ["SUCCEEDED", "FAILED", "STARTED"],
        "errors": ["branch broke"],
    }
    assert cancelled == ["slow"]
    statuses = {op.name: op.status for op in run.operations(parent="p")}
    assert statuses == {
        "parallel-branch-0": OperationStatus.SUCCEEDED,
        "parallel-branch-1": OperationStatus.FAILED,
        "parallel-branch-2": OperationStatus.STARTED,
    }
    assert run.operation("p").status is OperationStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        (CompletionConfig(tolerated_failure_count=1), ("ALL_COMPLETED", "FAILED", 2, 1, 3)),
        (CompletionConfig(min_successful=3), ("ALL_COMPLETED", "FAILED", 2, 1, 3)),
        (CompletionConfig.all_completed(), ("ALL_COMPLETED", "FAILED", 2, 1, 3)),
        (CompletionConfig.first_successful(), ("MIN_SUCCESSFUL_REACHED", "SUCCEEDED", 1, 0, 1)),
        (
            CompletionConfig(min_successful=2, tolerated_failure_count=0),
            ("FAILURE_TOLERANCE_EXCEEDED", "FAILED", 1, 1, 2),
        ),
    ],
)
async def test_completion_configs_decide_how_the_parallel_ends(
    completion: CompletionConfig, expected: tuple[str, str, int, int, int]
) -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        branches = [_returning("a"), _failing("b broke"), _returning("c")]
        config = ParallelConfig(max_concurrency=1, completion_config=completion)
        result = await ctx.parallel(branches, config=config)
        return [
            result.completion_reason.value,
            result.status.value,
            len(result.succeeded()),
            len(result.failed()),
            result.total_count,
        ]

    _, outcome = await _run(handler)

    assert outcome.result == list(expected)


def _constant(value: int) -> Callable[[Any], int]:
    return lambda _: value


async def test_the_invocation_suspends_only_after_the_other_branches_finished() -> None:
    async def waiting(ctx: DurableContext) -> str:
        await ctx.wait(Duration.from_minutes(10), name="nap")
        return "rested"

    async def busy(ctx: DurableContext) -> int:
        total = 0
        for i in range(3):
            total += await ctx.step(_constant(i), name=f"work-{i}")
        return total

    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        result = await ctx.parallel([waiting, busy, busy], name="p")
        return result.get_results()

    runner = DurableTestRunner(handler)
    started_at = runner.clock.now()
    run = await runner.start()
    outcome = await run.result()

    assert outcome.result == ["rested", 3, 3]
    assert outcome.invocations == 2
    timeline = await _timeline(run)
    first = timeline[: timeline.index(INVOCATION_COMPLETED)]
    assert ("ContextSucceeded", BRANCH, "parallel-branch-1") in first
    assert ("ContextSucceeded", BRANCH, "parallel-branch-2") in first
    assert ("ContextSucceeded", BRANCH, "parallel-branch-0") not in first
    second = timeline[timeline.index(INVOCATION_COMPLETED) + 1 :]
    assert second == [
        ("WaitSucceeded", "Wait", "nap"),
        ("ContextSucceeded", BRANCH, "parallel-branch-0"),
        ("ContextSucceeded", PARALLEL, "p"),
        INVOCATION_COMPLETED,
    ]
    assert (runner.clock.now() - started_at).total_seconds() >= 600


async def test_a_suspended_branch_holds_its_slot() -> None:
    async def waiting(ctx: DurableContext) -> str:
        await ctx.wait(Duration(5), name="nap")
        return "later"

    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        config = ParallelConfig(max_concurrency=1)
        return (
            await ctx.parallel([waiting, _returning("next")], name="p", config=config)
        ).get_results()

    run, outcome = await _run(handler)

    assert outcome.result == ["later", "next"]
    timeline = await _timeline(run)
    first = timeline[: timeline.index(INVOCATION_COMPLETED)]
    assert ("ContextStarted", BRANCH, "parallel-branch-1") not in first


async def test_replay_runs_no_finished_branch_again() -> None:
    entries: Counter[str] = Counter()
    results: list[BatchResult[Any]] = []

    def counted(label: str, value: Any) -> Branch:
        async def branch(ctx: DurableContext) -> Any:
            entries[label] += 1
            return value

        return branch

    async def handler(event: Any, ctx: DurableContext) -> str:
        branches = [counted("a", [1, 2]), counted("b", "two"), counted("c", None)]
        results.append(await ctx.parallel(branches, name="p"))
        await ctx.wait(Duration(3), name="after")
        return "done"

    _, outcome = await _run(handler, always_replay=True)

    assert outcome.result == "done"
    assert entries == Counter({"a": 1, "b": 1, "c": 1})
    assert len(results) >= 2
    assert all(result == results[0] for result in results)
    assert results[0].get_results() == [[1, 2], "two", None]


async def test_a_parallel_nests_inside_a_branch() -> None:
    async def inner(ctx: DurableContext) -> list[Any]:
        branches = [
            lambda c: c.step(lambda _: "x", name="x"),
            lambda c: c.step(lambda _: "y", name="y"),
        ]
        return (await ctx.parallel(branches, name="inner")).get_results()

    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        return (await ctx.parallel([inner], name="outer")).get_results()

    run, outcome = await _run(handler)

    assert outcome.result == [["x", "y"]]
    outer_branch = run.operations(parent="outer")[0]
    inner_parallel = run.operation("inner")
    assert inner_parallel.operation.ParentId == outer_branch.id
    assert inner_parallel.operation.SubType == PARALLEL
    assert [op.name for op in run.operations(parent="inner")] == [
        "parallel-branch-0",
        "parallel-branch-1",
    ]


async def test_an_empty_parallel_completes_at_once() -> None:
    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        result: BatchResult[Any] = await ctx.parallel([], name="none")
        return [result.completion_reason.value, result.total_count]

    run, outcome = await _run(handler)

    assert outcome.result == ["ALL_COMPLETED", 0]
    assert await _timeline(run) == [
        ("ContextStarted", PARALLEL, "none"),
        ("ContextSucceeded", PARALLEL, "none"),
        INVOCATION_COMPLETED,
    ]


async def test_changing_the_branches_between_invocations_is_non_deterministic() -> None:
    invocation = 0

    async def handler(event: Any, ctx: DurableContext) -> Any:
        nonlocal invocation
        invocation += 1
        label = "first" if invocation == 1 else "renamed"

        async def waits(c: DurableContext) -> None:
            await c.wait(Duration(1), name="w")

        await ctx.parallel([ParallelBranch(waits, label)], name="p")
        return "unreachable"

    _, outcome = await _run(handler)

    assert outcome.status == "FAILED"
    assert outcome.error.ErrorType == "NonDeterministicExecutionError"


async def test_a_branch_that_is_not_callable_is_rejected_before_anything_starts() -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        with pytest.raises(ValidationError, match=r"branches\[1\]"):
            await ctx.parallel([_returning(1), cast(Any, "not a function")], name="p")
        return "rejected"

    run, outcome = await _run(handler)

    assert outcome.result == "rejected"
    assert run.operations() == []


async def test_a_branch_waiting_on_a_callback_lets_the_others_finish() -> None:
    finished: list[str] = []

    async def approval(ctx: DurableContext) -> Any:
        return await ctx.wait_for_callback(lambda callback_id, c: None, name="approval")

    def worker(label: str) -> Any:
        async def branch(ctx: DurableContext) -> str:
            value: str = await ctx.step(lambda step: label, name=f"work-{label}")
            finished.append(label)
            return value

        return branch

    async def handler(event: Any, ctx: DurableContext) -> list[Any]:
        config = ParallelConfig(completion_config=CompletionConfig.all_completed())
        result = await ctx.parallel([approval, worker("a"), worker("b")], name="p", config=config)
        return result.get_results()

    run = await DurableTestRunner(handler).start()
    callback = run.callback("approval")
    await callback.callback_id()  # drives the first invocation to its suspension

    # The others finished in the invocation that suspended on the callback.
    assert sorted(finished) == ["a", "b"]
    assert [op.status.value for op in run.operations(parent="p")] == [
        "STARTED",
        "SUCCEEDED",
        "SUCCEEDED",
    ]
    await callback.succeed({"approved": True})
    result = await run.result()

    assert result.result == ['{"approved": true}', "a", "b"]  # the sender's text
    assert sorted(finished) == ["a", "b"]  # not run again when the callback's answer resumed it
