"""Corpus: map and parallel, their configs, completion rules, results and errors."""

# The official SDK leaves a few of its functions unannotated.
# mypy: disable-error-code="no-untyped-call"

from collections.abc import Sequence
from typing import Any

from aws_durable_execution_sdk_python import (
    BatchCompletionError,
    BatchResult,
    ChildContextError,
    DurableContext,
    durable_execution,
    durable_parallel_branch,
    durable_with_child_context,
)
from aws_durable_execution_sdk_python.config import (
    CompletionConfig,
    CompletionDecision,
    CompletionOutcome,
    CompletionStatus,
    Duration,
    MapConfig,
    NestingType,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
    complete_batch,
    continue_batch,
)
from aws_durable_execution_sdk_python.retries import RetryPresets

NO_RETRY = StepConfig(RetryPresets.none())


def square(context: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
    return context.step(lambda _: item * item, name=f"square-{index}")


def fails_on_odd(context: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
    if item % 2:
        raise ValueError(f"odd item {item}")
    return context.step(lambda _: item, name="even")


def step_fails_on_two(context: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
    return context.step(
        lambda _: item if item != 2 else 1 // 0, name=f"work-{item}", config=NO_RETRY
    )


@durable_parallel_branch(name="users")
def load_users(context: DurableContext, region: str) -> list[str]:
    return context.step(lambda _: [f"{region}-ana", f"{region}-bo"], name="load users")


@durable_with_child_context
def load_orders(context: DurableContext) -> int:
    context.wait(Duration.from_seconds(3), name="slow")
    return context.step(lambda _: 42, name="count orders")


def two_successes(status: CompletionStatus) -> CompletionDecision:
    if status.success_count >= 2:
        return complete_batch()
    return continue_batch()


def two_is_a_crowd(status: CompletionStatus) -> CompletionDecision:
    if status.success_count >= 2:
        return complete_batch(CompletionOutcome.FAILED)
    return continue_batch()


def summary(result: BatchResult[Any]) -> dict[str, Any]:
    return {
        "results": result.get_results(),
        "errors": [
            None if error is None else [(error.type or "").rsplit(".", 1)[-1], error.message]
            for error in result.get_errors()
        ],
        "reason": result.completion_reason.value,
        "status": result.status.value,
        "counts": [result.success_count, result.failure_count, result.total_count],
    }


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> object:
    case = event["case"]
    if case == "map":
        result: BatchResult[int] = context.map(inputs=[1, 2, 3, 4], func=square, name="squares")
        return summary(result)
    if case == "map_config":
        named: MapConfig[int] = MapConfig(
            2,
            CompletionConfig(tolerated_failure_count=5),
            item_namer=lambda item, index: f"item-{item}",
        )
        return summary(context.map([1, 2, 3, 4], fails_on_odd, "named", named))
    if case == "map_fail_fast":
        # One at a time, so which items started does not depend on timing.
        one_at_a_time: MapConfig[int] = MapConfig(max_concurrency=1)
        result = context.map([2, 3, 4], fails_on_odd, name="fast", config=one_at_a_time)
        try:
            result.throw_if_error()
        except ChildContextError as error:
            return {
                "str": str(error),
                "type": error.error_type.rsplit(".", 1)[-1],
                **summary(result),
            }
    if case == "map_min_successful":
        first: MapConfig[int] = MapConfig(
            max_concurrency=1, completion_config=CompletionConfig.first_successful()
        )
        return summary(context.map([5, 6, 7], square, name="first", config=first))
    if case == "map_step_errors":
        every: MapConfig[int] = MapConfig(completion_config=CompletionConfig.all_completed())
        return summary(context.map([1, 2, 3], step_fails_on_two, name="steps", config=every))
    if case == "map_flat":
        flat: MapConfig[int] = MapConfig(nesting_type=NestingType.FLAT)
        return summary(context.map([1, 2], square, name="flat", config=flat))
    if case == "map_escapes":
        context.map([1], fails_on_odd, name="lone").throw_if_error()
    if case == "custom_quorum":
        quorum: MapConfig[int] = MapConfig(
            max_concurrency=1, completion_config=CompletionConfig(should_complete=two_successes)
        )
        return summary(context.map([1, 2, 3, 4], square, name="quorum", config=quorum))
    if case == "custom_failed":
        rule: MapConfig[int] = MapConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(should_complete=two_is_a_crowd),
        )
        result = context.map([2, 4, 6], fails_on_odd, name="rule", config=rule)
        try:
            result.throw_if_error()
        except BatchCompletionError as error:
            return {"batch_error": type(error).__name__, **summary(result)}
        except ChildContextError as error:
            return {"child_error": str(error), **summary(result)}
    if case == "parallel":
        branches: list[Any] = [
            load_users("eu"),
            load_orders(),
            ParallelBranch(lambda child: child.step(lambda _: "x", name="x"), name="named"),
            lambda child: "plain",
        ]
        result = context.parallel(functions=branches, name="load")
        return summary(result)
    if case == "parallel_config":

        def fail(child: DurableContext) -> None:
            raise RuntimeError("branch failed")

        tolerant = ParallelConfig(1, CompletionConfig.all_completed())
        mixed: list[Any] = [fail, lambda child: 2]
        return summary(context.parallel(mixed, "tolerant", tolerant))
    if case == "parallel_default_fails":

        def fail_first(child: DurableContext) -> None:
            raise RuntimeError("first branch failed")

        first_fails: list[Any] = [fail_first, lambda child: 2]
        result = context.parallel(first_fails, "strict", ParallelConfig(max_concurrency=1))
        return summary(result)
    return None


SCENARIOS = {
    "map": {"event": {"case": "map"}},
    "map_config": {"event": {"case": "map_config"}},
    "map_fail_fast": {"event": {"case": "map_fail_fast"}},
    "map_min_successful": {"event": {"case": "map_min_successful"}},
    "map_step_errors": {"event": {"case": "map_step_errors"}},
    "map_flat": {"event": {"case": "map_flat"}},
    "map_escapes": {"event": {"case": "map_escapes"}},
    "custom_quorum": {"event": {"case": "custom_quorum"}},
    "custom_failed": {"event": {"case": "custom_failed"}},
    "parallel": {"event": {"case": "parallel"}},
    "parallel_config": {"event": {"case": "parallel_config"}},
    "parallel_default_fails": {"event": {"case": "parallel_default_fails"}},
}
