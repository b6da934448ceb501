"""The examples of docs/operations/child-contexts.md."""

# ruff: noqa: D103
# --8<-- [start:imports]
from typing import Any

from durable_lambda import (
    ChildConfig,
    ChildContextError,
    DurableContext,
    OperationType,
    RetryPresets,
    StepConfig,
)
from durable_lambda.testing import DurableTestRunner

# --8<-- [end:imports]


# --8<-- [start:child]
async def ship(child: DurableContext, order_id: str) -> dict[str, str]:
    label = await child.step(lambda step: f"label-{order_id}", name="label")
    pickup = await child.step(lambda step: f"pickup-{order_id}", name="pickup")
    return {"label": label, "pickup": pickup}


async def fulfil(event: dict[str, Any], ctx: DurableContext) -> dict[str, str]:
    order_id = event["orderId"]
    return await ctx.run_in_child_context(lambda child: ship(child, order_id), name="shipping")


async def test_the_child_groups_its_operations() -> None:
    run = await DurableTestRunner(fulfil, always_replay=True).start({"orderId": "o-1"})
    result = await run.result()

    assert result.result == {"label": "label-o-1", "pickup": "pickup-o-1"}
    assert [op.name for op in run.operations(parent="shipping")] == ["label", "pickup"]
    assert run.operation("shipping").type is OperationType.CONTEXT


# --8<-- [end:child]


# --8<-- [start:errors]
async def risky(child: DurableContext) -> str:
    def call(step: Any) -> str:
        raise PermissionError("the warehouse refused the order")

    return await child.step(
        call, name="reserve", config=StepConfig(retry_strategy=RetryPresets.none())
    )


async def guarded(event: dict[str, Any], ctx: DurableContext) -> str:
    try:
        return await ctx.run_in_child_context(risky, name="reservation")
    except ChildContextError as error:
        return f"{error.error_type}: {error.message}"


async def test_a_failing_child_raises_child_context_error() -> None:
    result = await DurableTestRunner(guarded, always_replay=True).run({})
    # error_type names what escaped the child (the step's StepError, as in the official SDK);
    # the step itself recorded the PermissionError.
    assert result.result == "StepError: the warehouse refused the order"


# --8<-- [end:errors]


# --8<-- [start:large]
produced: list[int] = []


async def build_report(child: DurableContext) -> list[str]:
    pages = []
    for number in range(3):

        def render(step: Any, number: int = number) -> str:
            produced.append(number)
            return f"page {number}: " + "x" * 100_000

        pages.append(await child.step(render, name=f"page-{number}"))
    return pages  # about 300 KB: too large for one checkpoint


async def report(event: dict[str, Any], ctx: DurableContext) -> int:
    pages = await ctx.run_in_child_context(
        build_report,
        name="report",
        config=ChildConfig(summary_generator=lambda pages: f"{len(pages)} pages"),
    )
    return sum(len(page) for page in pages)


async def test_a_large_result_is_rebuilt_from_the_children() -> None:
    produced.clear()
    run = await DurableTestRunner(report, always_replay=True).start({})
    result = await run.result()

    assert result.result == 3 * (len("page 0: ") + 100_000)
    assert produced == [0, 1, 2]  # replays rebuilt the pages from checkpoints, not by rendering
    stored = run.operation("report").operation
    assert stored.ContextDetails is not None
    assert stored.ContextDetails.ReplayChildren is True
    assert stored.ContextDetails.Result == "3 pages"


# --8<-- [end:large]
