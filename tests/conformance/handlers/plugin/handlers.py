"""Handlers for the plugin suite (requirements 10-1 to 10-7).

The plugins print one JSON object per hook to plain stdout, as the requirements describe, each
stamped with the execution's ARN (``durableExecutionArn``) so the log filter finds them.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from conformance.handlers._common import configure_json_logs
from durable_lambda import (
    AttemptInfo,
    BasePlugin,
    DurableContext,
    Duration,
    InvocationEndInfo,
    InvocationStartInfo,
    JitterStrategy,
    OperationInfo,
    OperationType,
    RetryPresets,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    create_retry_strategy,
    durable_execution,
)

configure_json_logs()


def _emit(plugin: str, arn: str, hook: str, **fields: Any) -> None:
    record = {"plugin": plugin, "hook": hook, **fields, "durableExecutionArn": arn}
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


class _ConformancePlugin(BasePlugin):
    """Prints what the requirements' ``CONFPLUGIN`` records; operation and attempt hooks for
    steps only."""

    def __init__(self, label: str = "CONFPLUGIN") -> None:
        self.label = label

    def on_invocation_start(self, info: InvocationStartInfo) -> None:
        _emit(self.label, info.execution_arn, "invocation-start", first=info.is_first_invocation)

    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        _emit(self.label, info.execution_arn, "invocation-end", status=info.status.value)

    def on_operation_start(self, info: OperationInfo) -> None:
        if info.operation_type is OperationType.STEP:
            _emit(self.label, info.execution_arn, "operation-start", op=info.operation_id)

    def on_operation_end(self, info: OperationInfo) -> None:
        if info.operation_type is OperationType.STEP:
            status = info.status.value
            _emit(
                self.label, info.execution_arn, "operation-end", op=info.operation_id, status=status
            )

    def on_attempt_start(self, info: AttemptInfo) -> None:
        if info.operation_type is OperationType.STEP:
            _emit(
                self.label,
                info.execution_arn,
                "attempt-start",
                n=info.attempt,
                op=info.operation_id,
            )

    def on_attempt_end(self, info: AttemptInfo) -> None:
        if info.operation_type is OperationType.STEP:
            outcome = info.outcome.value if info.outcome else None
            _emit(
                self.label,
                info.execution_arn,
                "attempt-end",
                n=info.attempt,
                outcome=outcome,
                op=info.operation_id,
            )


class _FaultyPlugin(BasePlugin):
    """Every hook prints its record, then raises."""

    label = "CONFPLUGIN-FAULTY"

    def __init__(self) -> None:
        self.arn = ""

    def _fail(self, hook: str) -> None:
        _emit(self.label, self.arn, hook)
        raise RuntimeError(f"plugin hook {hook} failed on purpose")

    def on_invocation_start(self, info: InvocationStartInfo) -> None:
        self.arn = info.execution_arn
        self._fail("invocation-start")

    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        self._fail("invocation-end")

    def on_operation_start(self, info: OperationInfo) -> None:
        if info.operation_type is OperationType.STEP:
            self._fail("operation-start")

    def on_operation_end(self, info: OperationInfo) -> None:
        if info.operation_type is OperationType.STEP:
            self._fail("operation-end")

    def on_attempt_start(self, info: AttemptInfo) -> None:
        if info.operation_type is OperationType.STEP:
            self._fail("attempt-start")

    def on_attempt_end(self, info: AttemptInfo) -> None:
        if info.operation_type is OperationType.STEP:
            self._fail("attempt-end")


async def _greet(event: str, ctx: DurableContext) -> str:
    def greet(step: StepContext) -> str:
        step.logger.info(f"Greeting step running for: {event}")
        return f"Hello, {event}!"

    return await ctx.step(greet)


@durable_execution(plugins=[_ConformancePlugin()])
async def req_10_1(event: str, ctx: DurableContext) -> str:
    return await _greet(event, ctx)


@durable_execution(plugins=[_ConformancePlugin()])
async def req_10_2(event: str, ctx: DurableContext) -> str:
    return await _greet(event, ctx)


def _fails_once(step: StepContext) -> str:
    if step.attempt == 1:
        raise RuntimeError("the first attempt fails")
    return "Operation succeeded"


_RETRY_EVERY_SECOND = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay=Duration(1),
            backoff_rate=1,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
)


@durable_execution(plugins=[_ConformancePlugin()])
async def req_10_3(event: Any, ctx: DurableContext) -> str:
    return await ctx.step(_fails_once, config=_RETRY_EVERY_SECOND)


@durable_execution(plugins=[_FaultyPlugin()])
async def req_10_4(event: str, ctx: DurableContext) -> str:
    return await _greet(event, ctx)


@durable_execution(plugins=[_ConformancePlugin("CONFPLUGIN-A"), _ConformancePlugin("CONFPLUGIN-B")])
async def req_10_5(event: str, ctx: DurableContext) -> str:
    return await _greet(event, ctx)


@durable_execution(plugins=[_ConformancePlugin()])
async def req_10_6(event: Any, ctx: DurableContext) -> None:
    await ctx.wait(Duration(2))


def _always_fails(step: StepContext) -> str:
    raise RuntimeError("this step always fails")


@durable_execution(plugins=[_ConformancePlugin()])
async def req_10_7(event: Any, ctx: DurableContext) -> str:
    return await ctx.step(_always_fails, config=StepConfig(retry_strategy=RetryPresets.none()))
