"""Handlers for the parallel suite (requirements 8-1 to 8-22).

Branches run one at a time (``max_concurrency=1``) wherever the requirement fixes the order of
history events. 8-12 (FLAT nesting) has no handler: see ``mapping.json``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from conformance.handlers._common import configure_json_logs
from durable_lambda import (
    BatchResult,
    CompletionConfig,
    DurableContext,
    Duration,
    NestingType,
    ParallelBranch,
    ParallelConfig,
    SerDesContext,
    durable_execution,
)

configure_json_logs()

Branch = Callable[[DurableContext], Awaitable[Any]]

SEQUENTIAL = ParallelConfig(max_concurrency=1)


def _returns(value: Any) -> Branch:
    async def branch(ctx: DurableContext) -> Any:
        return value

    return branch


def _step_returns(value: Any) -> Branch:
    async def branch(ctx: DurableContext) -> Any:
        return await ctx.step(lambda _: value)

    return branch


def _fails(message: str) -> Branch:
    async def branch(ctx: DurableContext) -> Any:
        raise RuntimeError(message)

    return branch


def _sequential(completion: CompletionConfig) -> ParallelConfig:
    return ParallelConfig(max_concurrency=1, completion_config=completion)


def _projection(result: BatchResult[Any]) -> dict[str, Any]:
    return {
        "completionReason": result.completion_reason.value,
        "status": result.status.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }


@durable_execution
async def req_8_1(event: Any, ctx: DurableContext) -> list[Any]:
    branches = [_step_returns("task-1"), _step_returns("task-2")]
    result = await ctx.parallel(branches, name="parallel", config=SEQUENTIAL)
    return result.get_results()


@durable_execution
async def req_8_2(event: Any, ctx: DurableContext) -> list[Any]:
    result = await ctx.parallel([_returns("alpha"), _returns("beta")], config=SEQUENTIAL)
    return result.get_results()


@durable_execution
async def req_8_3(event: Any, ctx: DurableContext) -> list[Any]:
    branches = [ParallelBranch(_returns("one"), "first"), ParallelBranch(_returns("two"), "second")]
    result = await ctx.parallel(branches, name="named", config=SEQUENTIAL)
    return result.get_results()


@durable_execution
async def req_8_4(event: Any, ctx: DurableContext) -> list[Any]:
    branches = [_returns("hello"), _returns(42), _returns({"k": "v"})]
    result = await ctx.parallel(branches, name="hetero", config=SEQUENTIAL)
    return result.get_results()


@durable_execution
async def req_8_5(event: Any, ctx: DurableContext) -> list[Any]:
    result: BatchResult[Any] = await ctx.parallel([], name="empty")
    return result.get_results()


@durable_execution
async def req_8_6(event: Any, ctx: DurableContext) -> dict[str, Any]:
    branches = [_returns("ok"), _fails("branch 1 failed"), _returns("never")]
    config = _sequential(CompletionConfig(tolerated_failure_count=0))
    return _projection(await ctx.parallel(branches, name="failfast", config=config))


@durable_execution
async def req_8_7(event: Any, ctx: DurableContext) -> list[Any]:
    branches = [_fails("branch 0 failed"), _returns("never")]
    config = _sequential(CompletionConfig(tolerated_failure_count=0))
    result = await ctx.parallel(branches, name="throwing", config=config)
    result.throw_if_error()
    return result.get_results()


@durable_execution
async def req_8_8(event: Any, ctx: DurableContext) -> dict[str, Any]:
    branches = [_returns(f"b{i}") for i in range(4)]
    config = _sequential(CompletionConfig(min_successful=2))
    result = await ctx.parallel(branches, name="min-successful", config=config)
    return {
        "completionReason": result.completion_reason.value,
        "successCount": result.success_count,
        "totalCount": result.total_count,
    }


@durable_execution
async def req_8_9(event: Any, ctx: DurableContext) -> dict[str, Any]:
    branches = [_returns("b0"), _fails("branch 1 failed"), _returns("b2")]
    config = _sequential(CompletionConfig(tolerated_failure_count=1))
    return _projection(await ctx.parallel(branches, name="tolerated", config=config))


def _counts(result: BatchResult[Any]) -> dict[str, Any]:
    return {
        "completionReason": result.completion_reason.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }


@durable_execution
async def req_8_10(event: Any, ctx: DurableContext) -> dict[str, Any]:
    branches = [_fails("branch 0 failed"), _fails("branch 1 failed"), _returns("b2")]
    config = _sequential(CompletionConfig(tolerated_failure_count=1))
    return _counts(await ctx.parallel(branches, name="tolerated-exceeded", config=config))


@durable_execution
async def req_8_11(event: Any, ctx: DurableContext) -> list[Any]:
    branches = [_returns(f"r{i}") for i in range(3)]
    config = ParallelConfig(max_concurrency=2)
    result = await ctx.parallel(branches, name="concurrent", config=config)
    return result.get_results()


@durable_execution
async def req_8_13(event: Any, ctx: DurableContext) -> dict[str, Any]:
    branches = [
        _fails("branch 0 failed"),
        _fails("branch 1 failed"),
        _returns("b2"),
        _returns("b3"),
    ]
    config = _sequential(CompletionConfig(tolerated_failure_percentage=25))
    return _counts(await ctx.parallel(branches, name="tolerated-pct", config=config))


@durable_execution
async def req_8_14(event: Any, ctx: DurableContext) -> list[Any]:
    async def waits_then_returns(branch: DurableContext) -> str:
        await branch.wait(Duration(2))
        return "b1"

    branches = [_step_returns("b0"), waits_then_returns]
    result = await ctx.parallel(branches, name="replay", config=SEQUENTIAL)
    return result.get_results()


class _WrappingSerDes:
    """Writes ``v`` as ``{"wrapped": v}`` and reads it back as ``v``."""

    def serialize(self, value: object, context: SerDesContext, /) -> str:
        return json.dumps({"wrapped": value})

    def deserialize(self, payload: str, context: SerDesContext, /) -> Any:
        return json.loads(payload)["wrapped"]


@durable_execution
async def req_8_15(event: Any, ctx: DurableContext) -> list[Any]:
    config = ParallelConfig(max_concurrency=1, item_serdes=_WrappingSerDes())
    result = await ctx.parallel([_returns("x"), _returns("y")], name="serde", config=config)
    return result.get_results()


@durable_execution
async def req_8_16(event: Any, ctx: DurableContext) -> dict[str, Any]:
    branches = [_fails(f"branch {i} failed") for i in range(3)]
    config = _sequential(CompletionConfig(tolerated_failure_count=3))
    return _projection(await ctx.parallel(branches, name="all-fail", config=config))


@durable_execution
async def req_8_17(event: Any, ctx: DurableContext) -> dict[str, Any]:
    branches = [_returns("b0"), _fails("branch 1 failed"), _returns("b2")]
    config = _sequential(CompletionConfig(min_successful=3))
    return _projection(await ctx.parallel(branches, name="min-not-reached", config=config))


@durable_execution
async def req_8_18(event: Any, ctx: DurableContext) -> dict[str, Any]:
    branches = [
        _fails("branch 0 failed"),
        _fails("branch 1 failed"),
        _returns("b2"),
        _returns("b3"),
    ]
    config = _sequential(CompletionConfig(min_successful=3, tolerated_failure_count=1))
    return _counts(await ctx.parallel(branches, name="combined", config=config))


@durable_execution
async def req_8_19(event: Any, ctx: DurableContext) -> list[Any]:
    # ParallelConfig rejects max_concurrency=0 with a ValidationError before anything starts.
    result = await ctx.parallel(
        [_returns("a"), _returns("b")],
        name="bad-concurrency",
        config=ParallelConfig(max_concurrency=0),
    )
    return result.get_results()


@durable_execution
async def req_8_20(event: Any, ctx: DurableContext) -> dict[str, Any]:
    branches = [_returns("b0"), _fails("branch 1 failed"), _returns("b2")]
    config = _sequential(CompletionConfig(tolerated_failure_count=1))
    result = await ctx.parallel(branches, name="accessors", config=config)
    return {
        "hasFailure": result.has_failure,
        "successCount": len(result.succeeded()),
        "failureCount": len(result.failed()),
        "errorCount": len(result.get_errors()),
    }


@durable_execution
async def req_8_21(event: Any, ctx: DurableContext) -> list[Any]:
    async def branch_a(branch: DurableContext) -> list[Any]:
        inner = [_step_returns("i1"), _step_returns("i2")]
        result = await branch.parallel(inner, name="inner", config=SEQUENTIAL)
        return result.get_results()

    result = await ctx.parallel([branch_a], name="outer", config=SEQUENTIAL)
    return result.get_results()


@durable_execution
async def req_8_22(event: Any, ctx: DurableContext) -> dict[str, Any]:
    branches = [_fails("branch 0 failed"), _returns("b1"), _returns("b2"), _returns("b3")]
    config = _sequential(CompletionConfig(tolerated_failure_percentage=25))
    return _projection(await ctx.parallel(branches, name="pct-boundary", config=config))


@durable_execution
async def req_8_12(event: Any, ctx: DurableContext) -> list[Any]:
    def constant(value: str) -> Callable[[DurableContext], Awaitable[str]]:
        async def branch(branch_ctx: DurableContext) -> str:
            return await branch_ctx.step(lambda step: value)

        return branch

    config = ParallelConfig(max_concurrency=1, nesting_type=NestingType.FLAT)
    result = await ctx.parallel([constant("fa"), constant("fb")], name="flat", config=config)
    return result.get_results()
