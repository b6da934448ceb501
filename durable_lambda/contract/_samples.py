"""The sample execution record the contract suites store, and the update builder they share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from durable_lambda import service
from durable_lambda.core.model import (
    ErrorObject,
    InvocationOutput,
    InvocationStatus,
    OperationUpdate,
)
from durable_lambda.service.record import ExecutionRecord

__all__ = ["START", "sample_record", "update"]

START = datetime(2026, 1, 1, tzinfo=UTC)
"""When sample records start, and where the suites' fake clocks begin."""
_PAYLOAD = '{"text": "line one\\nline \\"two\\"", "emoji": "\U0001f680", "nul": "\\u0000"}'


def update(op_id: str, type_: str, action: str, **fields: Any) -> OperationUpdate:
    """Return an ``OperationUpdate`` from its wire fields (``Id``, ``Type``, ``Action``, ...)."""
    return OperationUpdate.model_validate({"Id": op_id, "Type": type_, "Action": action, **fields})


def sample_record(
    name: str = "sample",
    *,
    arn: str | None = None,
    start: datetime = START,
    finished: bool = False,
) -> ExecutionRecord:
    """Return a record that uses every part of ``ExecutionRecord``, built by the real service.

    It holds operations of every type (steps, a retried step, a wait that fired, callbacks,
    a child context, a chained invoke), history events, callbacks, timers, a cached
    checkpoint and payloads with newlines, quotes, a NUL and an emoji.

    Args:
        name: The execution's name (its ARN is made from it).
        arn: The execution's ARN, instead of one made from ``name``.
        start: When it started (whole milliseconds).
        finished: True for a FAILED execution with an error and an end time.

    Returns:
        A new record, equal for equal arguments.
    """
    now = start
    record = service.start_execution(
        arn or service.execution_arn("contract-fn", name, f"{name}-id"),
        "contract-fn",
        _PAYLOAD,
        now,
        name=name,
        execution_timeout_seconds=3600,
    )
    token = service.invocation_input(record).CheckpointToken
    updates = _sample_updates()
    service.apply_checkpoint(record, token, updates, now, client_token="client-1")
    now += timedelta(seconds=3)
    service.advance(record, now)
    callback_id = record.operations["ask"].CallbackDetails
    assert callback_id is not None
    assert callback_id.CallbackId is not None
    service.send_callback_success(record, callback_id.CallbackId, _PAYLOAD, now)
    pending = InvocationOutput(Status=InvocationStatus.PENDING)
    service.record_invocation(record, start, now, pending, request_id="request-1")
    if finished:
        failed = InvocationOutput(
            Status=InvocationStatus.FAILED, Error=ErrorObject(ErrorType="Done", ErrorData="{}")
        )
        service.record_invocation(record, now, now, failed, request_id="request-2")
    return record


def _sample_updates() -> list[OperationUpdate]:
    """Return the first invocation's updates: an operation of every type, a retried step."""
    return [
        update("step", "STEP", "START", Name="charge", SubType="Step"),
        update("step", "STEP", "SUCCEED", Name="charge", SubType="Step", Payload=_PAYLOAD),
        update("flaky", "STEP", "START", Name="flaky"),
        update(
            "flaky",
            "STEP",
            "RETRY",
            Name="flaky",
            Error={"ErrorType": "Boom", "ErrorMessage": "no\nluck", "StackTrace": ["a", "b"]},
            StepOptions={"NextAttemptDelaySeconds": 5},
        ),
        update("nap", "WAIT", "START", WaitOptions={"WaitSeconds": 2}),
        update("ask", "CALLBACK", "START", CallbackOptions={"TimeoutSeconds": 600}),
        update("again", "CALLBACK", "START", CallbackOptions={"HeartbeatTimeoutSeconds": 60}),
        update("ctx", "CONTEXT", "START", Name="child", SubType="RunInChildContext"),
        update("inner", "STEP", "START", ParentId="ctx", Name="inner"),
        update("call", "CHAINED_INVOKE", "START", ChainedInvokeOptions={"FunctionName": "t"}),
    ]
