"""wait_for_callback: a child context holding a callback and a submitter step."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aws_durable_execution_sdk_python import DurableContext as OfficialContext
from aws_durable_execution_sdk_python import durable_execution as official_durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig as OfficialCallbackConfig
from aws_durable_execution_sdk_python.config import Duration as OfficialDuration
from service_builders import CoreBackedLambdaClient

from durable_lambda.app.testing_runner import DurableTestRunner
from durable_lambda.core.config import CallbackConfig, Duration, WaitForCallbackConfig
from durable_lambda.core.context import DurableContext
from durable_lambda.core.errors import CallbackError, CallbackExternalError, CallbackTimeoutError
from durable_lambda.core.ids import operation_id
from durable_lambda.core.model import (
    ErrorObject,
    InvocationOutput,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.operations.callback import CallbackSubmitterError, WaitForCallbackContext
from durable_lambda.core.retry import RetryDecision
from durable_lambda.service import (
    advance,
    execution_arn,
    invocation_input,
    next_due,
    record_invocation,
    send_callback_success,
    start_execution,
)
from durable_lambda.service.history import EventType
from durable_lambda.service.record import ExecutionRecord

_REJECTED = ErrorObject(ErrorType="RejectedError", ErrorMessage="not approved")


def _retry_once(error: Exception, attempt: int) -> RetryDecision:
    return RetryDecision.retry(Duration(1)) if attempt < 2 else RetryDecision.no_retry()


def _summary(error: Exception) -> dict[str, Any]:
    return {
        "class": type(error).__name__,
        "is_callback_error": isinstance(error, CallbackError),
        "is_submitter_error": isinstance(error, CallbackSubmitterError),
        "cause": type(error.__cause__).__name__,
        "error_type": getattr(error, "error_type", None),
        "message": getattr(error, "message", None),
        "operation": getattr(error, "operation_name", None),
    }


def _expected(error_class: type[CallbackError], message: str, operation: str) -> dict[str, Any]:
    """What ``_summary`` gives for an error rebuilt from a failed WaitForCallback context."""
    return {
        "class": error_class.__name__,
        "is_callback_error": True,
        "is_submitter_error": error_class is CallbackSubmitterError,
        "cause": "ChildContextError",
        "error_type": error_class.__name__,
        "message": message,
        "operation": operation,
    }


async def test_the_submitter_gets_the_callback_id_and_the_answer_is_returned() -> None:
    received: list[tuple[str, int]] = []

    def submit(callback_id: str, context: WaitForCallbackContext) -> None:
        context.logger.info("submitting", callback_id=callback_id)
        received.append((callback_id, context.attempt))

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.wait_for_callback(submit, name="approval")

    run = await DurableTestRunner(handler).start()
    callback_id = await run.callback("approval").callback_id()
    await run.callback("approval").succeed({"status": "approved"})
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == '{"status": "approved"}'  # the sender's text, as sent
    assert received == [(callback_id, 1)]


async def test_operations_are_named_and_typed_as_the_official_sdk_names_them() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        named = await ctx.wait_for_callback(lambda callback_id, _: None, name="approval")
        unnamed = await ctx.wait_for_callback(lambda callback_id, _: None)
        return [named, unnamed]

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").succeed(1)
    await run.callback("create callback id").succeed(2)
    result = await run.result()
    assert result.result == ["1", "2"]

    shapes = [
        (op.type, op.operation.SubType, op.name, op.operation.ParentId) for op in run.operations()
    ]
    named_id, unnamed_id = [op.id for op in run.operations(type=OperationType.CONTEXT)]
    assert shapes == [
        (OperationType.CONTEXT, "WaitForCallback", "approval", None),
        (OperationType.CALLBACK, "Callback", "approval create callback id", named_id),
        (OperationType.STEP, "Step", "approval submitter", named_id),
        (OperationType.CONTEXT, "WaitForCallback", None, None),
        (OperationType.CALLBACK, "Callback", "create callback id", unnamed_id),
        (OperationType.STEP, "Step", "submitter", unnamed_id),
    ]


async def test_history_follows_the_conformance_sequence() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.wait_for_callback(lambda callback_id, _: None, name="approval")

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").succeed("yes")
    await run.result()

    events = [(e.EventType, e.SubType) for e in await run.history()]
    assert events == [
        (EventType.EXECUTION_STARTED, None),
        (EventType.CONTEXT_STARTED, "WaitForCallback"),
        (EventType.CALLBACK_STARTED, "Callback"),
        (EventType.STEP_STARTED, "Step"),
        (EventType.STEP_SUCCEEDED, "Step"),
        (EventType.INVOCATION_COMPLETED, None),
        (EventType.CALLBACK_SUCCEEDED, "Callback"),
        (EventType.CONTEXT_SUCCEEDED, "WaitForCallback"),
        (EventType.INVOCATION_COMPLETED, None),
        (EventType.EXECUTION_SUCCEEDED, None),
    ]


@pytest.mark.parametrize("always_replay", [False, True])
async def test_a_failing_submitter_is_retried_and_never_runs_again_once_done(
    always_replay: bool,
) -> None:
    attempts: list[int] = []

    async def submit(callback_id: str, context: WaitForCallbackContext) -> None:
        attempts.append(context.attempt)
        if context.attempt == 1:
            raise ConnectionError("queue unavailable")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = WaitForCallbackConfig(retry_strategy=_retry_once)
        return await ctx.wait_for_callback(submit, name="job", config=config)

    run = await DurableTestRunner(handler, always_replay=always_replay).start()
    await run.callback("job").succeed("finished")
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == "finished"
    assert attempts == [1, 2]
    assert run.step("job submitter").attempts == 2
    assert result.invocations >= 3  # retry, then the answer: every replay skipped the submitter


async def test_a_submitter_that_keeps_failing_raises_callback_submitter_error() -> None:
    seen: list[dict[str, Any]] = []

    def submit(callback_id: str, context: WaitForCallbackContext) -> None:
        raise ValueError(f"cannot send attempt {context.attempt}")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = WaitForCallbackConfig(retry_strategy=_retry_once)
        try:
            await ctx.wait_for_callback(submit, name="job", config=config)
        except CallbackError as error:
            seen.append(_summary(error))
        await ctx.wait(Duration(5), name="after")  # forces a replay of the failed operation
        return "handled"

    result = await DurableTestRunner(handler).run()

    assert result.result == "handled"
    expected = _expected(CallbackSubmitterError, "cannot send attempt 2", "job")
    assert seen == [expected, expected]  # first run, then replay: the same error


async def test_a_callback_failure_is_the_same_error_on_first_run_and_replay() -> None:
    seen: list[dict[str, Any]] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            await ctx.wait_for_callback(lambda callback_id, _: None, name="approval")
        except CallbackError as error:
            seen.append(_summary(error))
        await ctx.wait(Duration(5), name="after")
        return "recovered"

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").fail(_REJECTED)
    result = await run.result()

    assert result.result == "recovered"
    expected = _expected(CallbackExternalError, "not approved", "approval")
    assert seen == [expected, expected]
    assert run.operation("approval").status is OperationStatus.FAILED
    # The sender's own error stays on the inner callback.
    assert run.operation("approval create callback id").error == _REJECTED


async def test_a_timed_out_callback_raises_callback_timeout_error_on_every_replay() -> None:
    seen: list[dict[str, Any]] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = WaitForCallbackConfig(timeout=Duration(3))
        try:
            await ctx.wait_for_callback(lambda callback_id, _: None, name="slow", config=config)
        except CallbackTimeoutError as error:
            seen.append(_summary(error))
        await ctx.wait(Duration(5), name="after")
        return "timed-out-handled"

    result = await DurableTestRunner(handler).run()

    assert result.result == "timed-out-handled"
    expected = _expected(CallbackTimeoutError, "Callback timed out", "slow")
    assert seen == [expected, expected]


async def test_an_uncaught_failure_fails_the_context_and_the_execution() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.wait_for_callback(lambda callback_id, _: None, name="approval")

    run = await DurableTestRunner(handler).start()
    await run.callback("approval").fail(_REJECTED)
    result = await run.result()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorMessage == "not approved"
    events = [e.EventType for e in await run.history()]
    assert events[-4:] == [
        EventType.CALLBACK_FAILED,
        EventType.CONTEXT_FAILED,
        EventType.INVOCATION_COMPLETED,
        EventType.EXECUTION_FAILED,
    ]


async def test_the_config_reaches_the_inner_callback() -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        config = WaitForCallbackConfig(timeout=Duration(120), heartbeat_timeout=Duration(30))
        return await ctx.wait_for_callback(lambda callback_id, _: None, config=config)

    run = await DurableTestRunner(handler).start()
    await run.callback("create callback id").succeed("ok")
    await run.result()
    [started] = [e for e in await run.history() if e.EventType is EventType.CALLBACK_STARTED]
    assert started.CallbackStartedDetails is not None
    assert started.CallbackStartedDetails.Timeout == 120
    assert started.CallbackStartedDetails.HeartbeatTimeout == 30


async def test_inside_a_child_context_the_operation_is_parented_on_it() -> None:
    async def wrapped(child: DurableContext) -> Any:
        return await child.wait_for_callback(lambda callback_id, _: None, name="inner")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.run_in_child_context(wrapped, name="wrapper")

    run = await DurableTestRunner(handler).start()
    await run.callback("inner").succeed("deep")
    result = await run.result()

    assert result.result == "deep"
    wrapper = run.operation("wrapper")
    inner = run.operation("inner")
    assert inner.operation.ParentId == wrapper.id
    assert inner.operation.SubType == "WaitForCallback"
    assert {op.name for op in run.operations(parent="inner")} == {
        "inner create callback id",
        "inner submitter",
    }


@pytest.mark.parametrize(
    ("checkpointed_type", "raised"),
    [
        # Written by durable-lambda before CallbackExternalError existed: a sender's failure.
        ("CallbackError", "CallbackExternalError"),
        ("CallbackExternalError", "CallbackExternalError"),
        ("CallbackTimeoutError", "CallbackTimeoutError"),
        ("CallbackSubmitterError", "CallbackSubmitterError"),
        # A failed submitter's StepError, as both SDKs now record it.
        ("StepError", "CallbackSubmitterError"),
        ("aws_durable_execution_sdk_python.exceptions.StepError", "CallbackSubmitterError"),
        ("aws_durable_execution_sdk_python.exceptions.CallbackError", "CallbackError"),
        (
            "aws_durable_execution_sdk_python.exceptions.CallbackExternalError",
            "CallbackExternalError",
        ),
        (
            "aws_durable_execution_sdk_python.exceptions.CallbackTimeoutError",
            "CallbackTimeoutError",
        ),
        (
            "aws_durable_execution_sdk_python.exceptions.CallbackSubmitterError",
            "CallbackSubmitterError",
        ),
        ("SomethingElse", "ChildContextError"),
    ],
)
async def test_a_checkpointed_failure_is_rebuilt_from_its_error_type(
    checkpointed_type: str, raised: str
) -> None:
    submitted: list[str] = []

    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            await ctx.wait_for_callback(lambda callback_id, _: submitted.append(callback_id))
        except Exception as error:
            summary = _summary(error)
            return [summary["class"], summary["is_callback_error"], summary["message"]]
        return "unreachable"

    runner = DurableTestRunner(handler)
    run = await runner.start()
    # Checkpoint a failed WaitForCallback context directly, as another SDK version would have.
    token = (await runner.local_service.invocation_input(run.arn)).CheckpointToken
    start = OperationUpdate(
        Id=operation_id(None, 1),
        Type=OperationType.CONTEXT,
        SubType="WaitForCallback",
        Action=OperationAction.START,
    )
    fail = start.model_copy(
        update={
            "Action": OperationAction.FAIL,
            "Error": ErrorObject(ErrorType=checkpointed_type, ErrorMessage="stored"),
        }
    )
    await runner.local_service.checkpoint(run.arn, token, [start, fail])
    run.pending_work = True
    result = await run.result()

    assert result.result == [raised, raised != "ChildContextError", "stored"]
    assert submitted == []


# -- cross-check: the official SDK records the very same operations ------------------------

_START = datetime(2026, 1, 1, tzinfo=UTC)
_Shape = tuple[str, str | None, str | None, str | None, str | None]


def _run_official(workflow: Callable[[Any, OfficialContext], Any]) -> ExecutionRecord:
    record = start_execution(execution_arn("fn", "compat", "e1"), "fn", "{}", _START)
    handler = official_durable_execution(
        workflow, boto3_client=cast(Any, CoreBackedLambdaClient(record, lambda: _START))
    )
    context = SimpleNamespace(aws_request_id="req", get_remaining_time_in_millis=lambda: 900_000)
    now = _START
    for number in range(10):
        payload = invocation_input(record, page_size=100).to_wire()
        output = InvocationOutput.model_validate(handler(payload, context))
        record_invocation(record, now, now, output, request_id=f"req-{number}")
        if record.status.is_terminal:
            return record
        open_ids = [
            callback_id
            for callback_id, registration in record.callbacks.items()
            if record.operations[registration.OperationId].Status is OperationStatus.STARTED
        ]
        if open_ids:
            send_callback_success(record, open_ids[0], json.dumps("ok"), now)
            continue
        due = next_due(record, include_deadlines=True)
        assert due is not None
        now = max(now, due)
        advance(record, now)
    raise AssertionError("the official SDK's execution did not end")


async def test_ids_names_and_subtypes_match_the_official_sdk() -> None:
    def official(event: Any, ctx: OfficialContext) -> Any:
        callback = ctx.create_callback(
            name="direct", config=OfficialCallbackConfig(timeout=OfficialDuration(60))
        )
        callback.result()
        ctx.wait_for_callback(lambda callback_id, _: None, name="approval")
        ctx.wait_for_callback(lambda callback_id, _: None)
        return "done"

    async def ours(event: Any, ctx: DurableContext) -> Any:
        callback = await ctx.create_callback("direct", CallbackConfig(timeout=Duration(60)))
        await callback.result()
        await ctx.wait_for_callback(lambda callback_id, _: None, name="approval")
        await ctx.wait_for_callback(lambda callback_id, _: None)
        return "done"

    def shapes(ops: Any) -> list[_Shape]:
        return sorted(
            (op.Id, op.ParentId, op.Name, op.Type.value, op.SubType)
            for op in ops
            if op.Type is not OperationType.EXECUTION
        )

    official_record = _run_official(official)
    assert official_record.result == json.dumps("done")

    run = await DurableTestRunner(ours).start()
    await run.callback("direct").succeed("ok")
    await run.callback("approval").succeed("ok")
    await run.callback("create callback id").succeed("ok")
    result = await run.result()
    assert result.result == "done"

    assert shapes(await run.operations_async()) == shapes(official_record.operations.values())
    # The START updates carry the same CallbackOptions, as the service recorded them.
    assert _callback_options(await run.history()) == _callback_options(official_record.history)


def _callback_options(events: Any) -> dict[str, tuple[int | None, int | None]]:
    return {
        str(event.Id): (details.Timeout, details.HeartbeatTimeout)
        for event in events
        if (details := event.CallbackStartedDetails) is not None
    }
