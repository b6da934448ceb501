"""The local service drives the official AWS SDK's handlers: a wire-compatibility cross-check.

The official Python SDK (a dev dependency) runs a handler whose boto3 client is a thin fake
over ``durable_lambda.service``: every checkpoint and state call goes through the same pure
functions the local service uses. The test driver plays the orchestrator: it invokes, skips
time to the next timer, and answers callbacks, until the execution ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import (
    CallbackConfig,
    Duration,
    JitterStrategy,
    StepConfig,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python.waits import WaitForConditionConfig, WaitForConditionDecision
from service_builders import CoreBackedLambdaClient

from durable_lambda.core.model import (
    InvocationOutput,
    OperationStatus,
    OperationType,
)
from durable_lambda.service import (
    advance,
    execution_arn,
    invocation_input,
    next_due,
    record_invocation,
    send_callback_success,
    start_execution,
)
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus

START = datetime(2026, 1, 1, tzinfo=UTC)
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def run_to_end(
    build: Callable[[CoreBackedLambdaClient], Handler],
    event: object,
    answer: Callable[[ExecutionRecord], str | None],
) -> ExecutionRecord:
    now = START
    record = start_execution(execution_arn("fn", "compat", "e1"), "fn", json.dumps(event), now)
    client = CoreBackedLambdaClient(record, lambda: now)
    handler = build(client)
    context = SimpleNamespace(aws_request_id="req", get_remaining_time_in_millis=lambda: 900_000)
    for number in range(40):
        payload = invocation_input(record, page_size=2).to_wire()
        output = InvocationOutput.model_validate(handler(payload, context))
        record_invocation(record, now, now, output, request_id=f"req-{number}")
        if record.status.is_terminal:
            return record
        callback_id = answer(record)
        if callback_id is not None:
            send_callback_success(record, callback_id, '"approved"', now)
            continue
        due = next_due(record, include_deadlines=False)
        assert due is not None, "suspended with nothing to wait for"
        now = max(now, due)
        advance(record, now)
    raise AssertionError("the execution did not end")


def test_the_official_sdk_runs_a_full_workflow_against_the_core_service() -> None:
    flaky_calls: list[int] = []

    def flaky() -> str:
        flaky_calls.append(1)
        if len(flaky_calls) < 2:
            raise RuntimeError("transient")
        return "fine"

    retry = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay=Duration.from_seconds(2),
            jitter_strategy=JitterStrategy.NONE,
        )
    )

    def keep_polling(state: int, attempts: int) -> WaitForConditionDecision:
        if state >= 3:
            return WaitForConditionDecision.stop_polling()
        return WaitForConditionDecision.continue_waiting(Duration.from_seconds(5))

    def build(client: CoreBackedLambdaClient) -> Handler:
        def workflow(event: dict[str, int], ctx: DurableContext) -> dict[str, object]:
            first = ctx.step(
                lambda _: flaky(), name="flaky", config=StepConfig(retry_strategy=retry)
            )
            ctx.wait(Duration.from_seconds(10), name="pause")
            polled = ctx.wait_for_condition(
                lambda state, _: state + 1,
                WaitForConditionConfig(wait_strategy=keep_polling, initial_state=0),
                name="poll",
            )
            callback = ctx.create_callback(
                name="approval", config=CallbackConfig(timeout=Duration.from_minutes(5))
            )
            approved = callback.result()
            doubled = ctx.run_in_child_context(
                lambda c: c.step(lambda _: event["n"] * 2, name="double"), name="child"
            )
            mapped: Any = ctx.map(
                [1, 2, 3],
                lambda c, item, i, _: c.step(lambda _: item * 10, name=f"x{i}"),
                name="items",
            )
            return {
                "first": first,
                "polled": polled,
                "approved": approved,
                "doubled": doubled,
                "mapped": mapped.get_results(),
            }

        # The fake stands in for the boto3 client: it has the two methods the SDK calls.
        handler: Handler = durable_execution(workflow, boto3_client=cast(Any, client))
        return handler

    def answer(record: ExecutionRecord) -> str | None:
        for callback_id, registration in record.callbacks.items():
            if record.operations[registration.OperationId].Status is OperationStatus.STARTED:
                return callback_id
        return None

    record = run_to_end(build, {"n": 21}, answer)

    assert record.status is ExecutionStatus.SUCCEEDED, record.error
    assert record.result is not None
    assert json.loads(record.result) == {
        "first": "fine",
        "polled": 3,
        "approved": '"approved"',
        "doubled": 42,
        "mapped": [10, 20, 30],
    }
    assert len(flaky_calls) == 2
    flaky_step = next(op for op in record.operations.values() if op.Name == "flaky")
    assert flaky_step.StepDetails is not None
    assert flaky_step.StepDetails.Attempt == 2
    poll = next(op for op in record.operations.values() if op.Name == "poll")
    assert poll.StepDetails is not None
    assert poll.StepDetails.Attempt == 3
    types = [event.EventType.value for event in record.history]
    assert types[0] == "ExecutionStarted"
    assert types[-2:] == ["InvocationCompleted", "ExecutionSucceeded"]
    assert types.count("StepFailed") == 1
    assert types.count("WaitSucceeded") == 1
    assert types.count("CallbackSucceeded") == 1
    assert sum(op.Type is OperationType.CONTEXT for op in record.operations.values()) == 5
