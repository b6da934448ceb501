"""The examples of docs/operations/parallel.md."""

# ruff: noqa: D103
# --8<-- [start:imports]
from typing import Any

from durable_lambda import (
    ChildContextError,
    CompletionConfig,
    DurableContext,
    Duration,
    ParallelBranch,
    ParallelConfig,
    RetryPresets,
    StepConfig,
)
from durable_lambda.testing import DurableTestRunner

# --8<-- [end:imports]


# --8<-- [start:parallel]
async def load_user(branch: DurableContext) -> dict[str, Any]:
    return await branch.step(lambda step: {"id": "u-1", "name": "Ann"}, name="user")


async def load_orders(branch: DurableContext) -> list[str]:
    await branch.wait(Duration.from_seconds(5), name="rate-limit")  # this branch waits...
    return await branch.step(lambda step: ["o-1", "o-2"], name="orders")


async def profile(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    branches: list[ParallelBranch[Any]] = [
        ParallelBranch(load_user, "user"),
        ParallelBranch(load_orders, "orders"),
    ]
    result = await ctx.parallel(branches, name="profile")
    result.throw_if_error()
    user, orders = result.get_results()
    return {"user": user["name"], "orders": orders}


async def test_branches_run_together() -> None:
    runner = DurableTestRunner(profile, always_replay=True)
    run = await runner.start({})
    result = await run.result()

    assert result.result == {"user": "Ann", "orders": ["o-1", "o-2"]}
    assert [op.name for op in run.operations(parent="profile")] == ["user", "orders"]


# --8<-- [end:parallel]


# --8<-- [start:first-successful]
def ask(mirror: str, healthy: bool) -> Any:
    async def branch(branch_ctx: DurableContext) -> str:
        def download(step: Any) -> str:
            if not healthy:
                raise ConnectionError(f"{mirror} is down")
            return f"file from {mirror}"

        config = StepConfig(retry_strategy=RetryPresets.none())
        return await branch_ctx.step(download, name="download", config=config)

    return ParallelBranch(branch, mirror)


async def fastest_mirror(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    result = await ctx.parallel(
        [ask("eu", healthy=False), ask("us", healthy=True), ask("ap", healthy=True)],
        name="mirrors",
        config=ParallelConfig(
            max_concurrency=1, completion_config=CompletionConfig.first_successful()
        ),
    )
    return {
        "reason": result.completion_reason.value,
        "file": result.get_results()[0],
        "errors": [error.ErrorMessage for error in result.get_errors() if error],
    }


async def test_the_first_success_completes_the_parallel() -> None:
    result = await DurableTestRunner(fastest_mirror, always_replay=True).run({})
    assert result.result == {
        "reason": "MIN_SUCCESSFUL_REACHED",
        "file": "file from us",
        "errors": ["eu is down"],
    }


# --8<-- [end:first-successful]


async def all_must_succeed(event: dict[str, Any], ctx: DurableContext) -> str:
    result = await ctx.parallel([ask("eu", healthy=False), ask("us", healthy=True)])
    try:
        result.throw_if_error()
    except ChildContextError as error:
        return f"{result.completion_reason.value}: {error.message}"
    return "all succeeded"


async def test_by_default_every_branch_must_succeed() -> None:
    result = await DurableTestRunner(all_must_succeed, always_replay=True).run({})
    assert result.result == "FAILURE_TOLERANCE_EXCEEDED: eu is down"
