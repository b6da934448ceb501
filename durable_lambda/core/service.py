"""The Lambda durable execution service, played locally: pure logic over an ``ExecutionRecord``.

Everything the real service does with an execution is here, written once: start it, apply a
checkpoint's updates (validating them as the service does, rotating the checkpoint token),
fire timers as time passes, take callback answers and chained-invoke outcomes, record history,
end the execution. No I/O and no clock: the time is always passed in as ``now``. The in-memory
and file-based local services are thin adapters that load a record, call these functions and
save it.

Example:
    >>> from datetime import UTC, datetime
    >>> from durable_lambda.core.model import OperationUpdate
    >>> now = datetime(2026, 1, 1, tzinfo=UTC)
    >>> record = start_execution("arn:...:durable-execution/run/1", "fn", "{}", now)
    >>> response = apply_checkpoint(
    ...     record,
    ...     record.checkpoint_token,
    ...     [OperationUpdate(Id="w", Type="WAIT", Action="START", WaitOptions={"WaitSeconds": 5})],
    ...     now,
    ... )
    >>> next_due(record).isoformat()
    '2026-01-01T00:00:05+00:00'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from durable_lambda.core.errors import CheckpointError, InvalidCheckpointTokenError
from durable_lambda.core.model import (
    CheckpointResponse,
    ErrorObject,
    ExecutionDetails,
    ExecutionState,
    InvocationOutput,
    InvocationStatus,
    Operation,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.service_apply import apply_update, record_close, start_closed
from durable_lambda.core.service_describe import ExecutionDescription, describe_execution
from durable_lambda.core.service_external import (
    attach_chained_invoke_execution,
    complete_chained_invoke,
    pending_chained_invokes,
    send_callback_failure,
    send_callback_heartbeat,
    send_callback_success,
)
from durable_lambda.core.service_rollback import Rollback
from durable_lambda.core.service_state import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    invocation_input,
    replayable_operations,
    state_page,
)
from durable_lambda.core.service_support import (
    add_event,
    checkpoint_token_for,
    end_execution,
    error_payload,
    execution_arn,
    execution_arn_from_callback_id,
    execution_name_from_arn,
    execution_operation_id,
    issue_token,
    put_operation,
    set_timer,
    to_millis,
)
from durable_lambda.core.service_timers import (
    CALLBACK_HEARTBEAT_ERROR_TYPE,
    CALLBACK_TIMEOUT_ERROR_TYPE,
    advance,
    next_due,
    pending_timers,
)
from durable_lambda.core.service_validation import check_batch, check_update, closes_at_once
from durable_lambda.service.history import (
    EventInput,
    EventType,
    ExecutionStartedDetails,
    InvocationCompletedDetails,
)
from durable_lambda.service.record import (
    CachedCheckpoint,
    ExecutionRecord,
    ExecutionStatus,
    TimerKind,
)

__all__ = [
    "CALLBACK_HEARTBEAT_ERROR_TYPE",
    "CALLBACK_TIMEOUT_ERROR_TYPE",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "ExecutionDescription",
    "advance",
    "apply_checkpoint",
    "attach_chained_invoke_execution",
    "checkpoint_token_for",
    "complete_chained_invoke",
    "describe_execution",
    "execution_arn",
    "execution_arn_from_callback_id",
    "has_pending_work",
    "invocation_input",
    "needs_invocation",
    "next_due",
    "pending_chained_invokes",
    "pending_timers",
    "record_invocation",
    "replayable_operations",
    "send_callback_failure",
    "send_callback_heartbeat",
    "send_callback_success",
    "start_execution",
    "state_page",
    "stop_execution",
]

_INVALID_OUTPUT_ERROR_TYPE = "InvalidParameterValueException"


def start_execution(
    arn: str,
    function_name: str,
    input_payload: str | None,
    now: datetime,
    *,
    name: str | None = None,
    execution_timeout_seconds: int | None = None,
    callback_key: str | None = None,
) -> ExecutionRecord:
    """Start a durable execution: its EXECUTION operation, ``ExecutionStarted``, a first token.

    Args:
        arn: The execution's ARN (see ``execution_arn``).
        function_name: The function that runs it.
        input_payload: The user's input, as JSON text.
        now: The current time.
        name: The execution's name; by default the one its ARN carries.
        execution_timeout_seconds: End the execution TIMED_OUT after this long; None for never.
        callback_key: A random secret (``secrets.token_hex(16)`` from the caller: this module
            draws no randomness) that makes the execution's callback ids unguessable; None
            leaves them derived from the ARN alone, which only a test should want.

    Returns:
        The new record (not stored anywhere yet).
    """
    now = to_millis(now)
    record = ExecutionRecord(
        arn=arn,
        name=name or execution_name_from_arn(arn),
        function_name=function_name,
        input_payload=input_payload,
        execution_timeout_seconds=execution_timeout_seconds,
        checkpoint_token=checkpoint_token_for(arn, 0),
        callback_key=callback_key,
        start_timestamp=now,
    )
    execution = put_operation(
        record,
        Operation(
            Id=execution_operation_id(arn),
            Type=OperationType.EXECUTION,
            StartTimestamp=now,
            Status=OperationStatus.STARTED,
            ExecutionDetails=ExecutionDetails(InputPayload=input_payload),
        ),
    )
    details = ExecutionStartedDetails(
        Input=EventInput(Payload=input_payload, Truncated=False),
        ExecutionTimeout=execution_timeout_seconds,
    )
    add_event(record, EventType.EXECUTION_STARTED, now, details, execution)
    if execution_timeout_seconds:
        at = now + timedelta(seconds=execution_timeout_seconds)
        set_timer(record, TimerKind.EXECUTION_TIMEOUT, at, None)
    issue_token(record)
    return record


def apply_checkpoint(
    record: ExecutionRecord,
    token: str,
    updates: Sequence[OperationUpdate],
    now: datetime,
    client_token: str | None = None,
) -> CheckpointResponse:
    """Apply a checkpoint (``CheckpointDurableExecution``): all its updates, or none of them.

    After the updates, timers due at ``now`` fire. The response carries every operation that
    changed since the handler last saw it (its own updates, and whatever the service changed
    meanwhile), and the next token; no token once the execution has ended.

    Args:
        record: The execution, changed in place only if the whole checkpoint is accepted.
        token: The checkpoint token the caller holds.
        updates: The updates, applied in order.
        now: The current time.
        client_token: An idempotency key: the same key with the same token gets the same answer.

    Returns:
        The new token and the changed operations.

    Raises:
        InvalidCheckpointTokenError: ``token`` is not the current token.
        CheckpointError: (not retriable) the execution has ended, or an update is invalid; the
            message names the update and the rule.
    """
    now = to_millis(now)
    cached = record.last_checkpoint
    if (
        client_token
        and cached
        and (cached.ClientToken, cached.InboundToken)
        == (
            client_token,
            token,
        )
    ):
        return cached.Response
    _check_token(record, token)
    # Applied in place; a refused update undoes the ones before it (see service_rollback).
    rollback = Rollback(record, (update.Id for update in updates))
    try:
        return _apply_checkpoint(record, token, updates, now, client_token)
    except BaseException:
        rollback.restore(record)
        raise


def _apply_checkpoint(
    record: ExecutionRecord,
    token: str,
    updates: Sequence[OperationUpdate],
    now: datetime,
    client_token: str | None,
) -> CheckpointResponse:
    closed_later = check_batch(record, updates)
    _apply_updates(record, updates, closed_later, now)
    advance(record, now)
    operations = record.operations
    changed = tuple([operations[operation_id] for operation_id in record.undelivered])
    record.undelivered.clear()
    new_token = issue_token(record)
    response = CheckpointResponse(
        CheckpointToken=None if record.status.is_terminal else new_token,
        NewExecutionState=ExecutionState(Operations=changed),
    )
    if client_token:
        record.last_checkpoint = CachedCheckpoint(
            ClientToken=client_token, InboundToken=token, Response=response
        )
    return response


def _apply_updates(
    record: ExecutionRecord,
    updates: Sequence[OperationUpdate],
    closed_later: dict[int, int],
    now: datetime,
) -> None:
    """Check and apply each update in turn, against the record as the ones before it left it.

    A STEP or CONTEXT that starts and closes in the same batch (a step or a map item that ran
    between two calls, the usual case) is built closed at its START, and only its closing
    event is recorded in the close's turn: the same record, history and response as applying
    the two apart, as the operation is seen by nothing in between but the parent rule, which
    reads only its type.

    Args:
        record: The execution, changed in place.
        updates: The checkpoint's updates.
        closed_later: The positions of STARTs closed later in the batch, and of their closes.
        now: The service's time.
    """
    ended: dict[int, Operation] = {}  # closes applied with their START, by position
    for index, update in enumerate(updates):
        if ended and index in ended:
            record_close(record, ended.pop(index), update, now)
            continue
        current = check_update(record, index, update)
        close_index = closed_later.get(index) if closed_later else None
        if (
            close_index is not None
            and current is None
            and closes_at_once(record, close_index, update, updates[close_index])
        ):
            ended[close_index] = start_closed(record, update, updates[close_index], now)
        else:
            apply_update(record, update, current, now)


def _check_token(record: ExecutionRecord, token: str) -> None:
    if record.status.is_terminal:
        raise CheckpointError(
            f"the execution has ended ({record.status.value})",
            retriable=False,
            execution_arn=record.arn,
        )
    if token != record.checkpoint_token:
        raise InvalidCheckpointTokenError(
            "the checkpoint token is not the execution's current token", execution_arn=record.arn
        )


def has_pending_work(record: ExecutionRecord) -> bool:
    """Whether the running execution has something that will let it progress later.

    That is a wait, a step retry, a callback, a chained invoke, or a change the handler has
    not seen yet.
    """
    if record.status.is_terminal:
        return False
    if record.undelivered:
        return True
    return any(_is_pending(operation) for operation in record.operations.values())


def _is_pending(operation: Operation) -> bool:
    if operation.Type is OperationType.STEP:
        return operation.Status in (OperationStatus.PENDING, OperationStatus.READY)
    return operation.Type in (
        OperationType.WAIT,
        OperationType.CALLBACK,
        OperationType.CHAINED_INVOKE,
    ) and (operation.Status is OperationStatus.STARTED)


def needs_invocation(record: ExecutionRecord) -> bool:
    """Whether the handler should be invoked now.

    True while the execution runs and something changed that the handler has not seen: its
    start, a wait that ended, a retry that came due, a callback answer.
    """
    return not record.status.is_terminal and bool(record.undelivered)


def record_invocation(
    record: ExecutionRecord,
    started: datetime,
    ended: datetime,
    output: InvocationOutput | None,
    *,
    request_id: str | None = None,
    error: ErrorObject | None = None,
) -> None:
    """Record one completed invocation (``InvocationCompleted``) and act on its output.

    SUCCEEDED or FAILED ends the execution with the output's result or error, unless an
    EXECUTION update (or a stop, or a time-out) already ended it. An invalid output (SUCCEEDED
    with an error, FAILED with a result, PENDING with nothing pending) fails the execution.

    Args:
        record: The execution, changed in place.
        started: When the invocation started.
        ended: When it ended.
        output: What the handler returned; None when it crashed (the execution stays RUNNING
            and the orchestrator decides whether to retry).
        request_id: The invocation's request id; by default ``local-<n>`` for the n-th.
        error: The invocation's own error (a crash, a time-out), shown on the event.
    """
    ended = to_millis(ended)
    record.invocation_count += 1
    details = InvocationCompletedDetails(
        StartTimestamp=to_millis(started),
        EndTimestamp=ended,
        RequestId=request_id or f"local-{record.invocation_count}",
        Error=error_payload(error) if error is not None else None,
    )
    add_event(record, EventType.INVOCATION_COMPLETED, ended, details)
    if output is not None and not record.status.is_terminal:
        _settle(record, output, ended)


def _settle(record: ExecutionRecord, output: InvocationOutput, now: datetime) -> None:
    problem: str | None = None
    if output.Status is InvocationStatus.SUCCEEDED:
        if output.Error is None:
            end_execution(record, ExecutionStatus.SUCCEEDED, now, result=output.Result)
            return
        problem = "Cannot provide an Error for SUCCEEDED status."
    elif output.Status is InvocationStatus.FAILED:
        if output.Result is None:
            end_execution(record, ExecutionStatus.FAILED, now, error=output.Error)
            return
        problem = "Cannot provide a Result for FAILED status."
    elif not has_pending_work(record):
        problem = "Cannot return PENDING status with no pending operations."
    if problem is not None:
        invalid = ErrorObject(ErrorType=_INVALID_OUTPUT_ERROR_TYPE, ErrorMessage=problem)
        end_execution(record, ExecutionStatus.FAILED, now, error=invalid)


def stop_execution(
    record: ExecutionRecord, now: datetime, error: ErrorObject | None = None
) -> bool:
    """Stop a running execution (``StopDurableExecution``); it ends STOPPED.

    Args:
        record: The execution, changed in place.
        now: The current time.
        error: Why; by default "Execution stopped by user request".

    Returns:
        True if it was running; False if it had already ended (nothing changes).
    """
    if record.status.is_terminal:
        return False
    error = error or ErrorObject(ErrorMessage="Execution stopped by user request")
    end_execution(record, ExecutionStatus.STOPPED, to_millis(now), error=error)
    return True
