"""How a callback fails: the error ``result()`` raises, and the one a ``wait_for_callback`` raises.

Both are rebuilt from checkpoints alone, so the first run and every replay raise the same error.
As in the official SDK, ``error_type`` names the error's class; the type recorded on the callback
operation (the sender's, or the service's ``Callback.Timeout``) is ``reported_error_type``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from durable_lambda.core.errors import (
    CallbackError,
    CallbackExternalError,
    CallbackTimeoutError,
    ChildContextError,
)
from durable_lambda.core.ids import OperationIdSequence
from durable_lambda.core.model import Operation, OperationStatus

if TYPE_CHECKING:
    from durable_lambda.core.runtime import ExecutionRuntime

__all__ = ["CallbackSubmitterError", "callback_failure", "rebuilt_failure"]


class CallbackSubmitterError(CallbackError):
    """The submitter of a ``wait_for_callback`` failed for good (its retry strategy gave up).

    Carries the submitter's message, data and stack trace (its own error type stays on the
    submitter step); being a ``CallbackError``, ``except CallbackError`` catches every way a
    ``wait_for_callback`` can fail.
    """


def callback_failure(runtime: ExecutionRuntime, op: Operation) -> CallbackError:
    """Return the error a callback that ended without success raises from ``result()``."""
    error = op.error
    where = {
        "execution_arn": runtime.execution_arn,
        "operation_id": op.Id,
        "operation_name": op.Name,
    }
    message = error.ErrorMessage if error else None
    data = error.ErrorData if error else None
    stack_trace = error.StackTrace if error else None
    reported = error.ErrorType if error else None
    if op.Status is OperationStatus.TIMED_OUT:
        message = message or "Callback timed out"
        return CallbackTimeoutError(
            message, data=data, stack_trace=stack_trace, reported_error_type=reported, **where
        )
    return CallbackExternalError(
        message or f"Callback {op.Status.value.lower()}",
        data=data,
        stack_trace=stack_trace,
        reported_error_type=reported,
        **where,
    )


def rebuilt_failure(error: ChildContextError, runtime: ExecutionRuntime) -> CallbackError | None:
    """Rebuild the callback error a failed WaitForCallback context stands for, if it is one.

    Rebuilt from the checkpoints alone, on the first run and on replay alike, so both raise the
    same error; the sender's own error type is read from the callback inside the context.
    """
    error_class = _CHECKPOINTED_CLASSES.get(error.error_type or "")
    if error_class is None:
        return None
    where = {
        "execution_arn": error.execution_arn,
        "operation_id": error.operation_id,
        "operation_name": error.operation_name,
    }
    reported = None
    if error_class is not CallbackSubmitterError:
        reported = _reported_error_type(runtime, error.operation_id)
    return error_class(
        error.message,
        data=error.error_data,
        stack_trace=error.stack_trace,
        reported_error_type=reported,
        **where,
    )


def _reported_error_type(runtime: ExecutionRuntime, context_id: str | None) -> str | None:
    """Return the error type recorded on the callback a WaitForCallback context created."""
    if context_id is None:
        return None
    callback = runtime.state.get(OperationIdSequence(context_id).next_id())
    error = callback.error if callback is not None else None
    return error.ErrorType if error is not None else None


_OFFICIAL_ERRORS = "aws_durable_execution_sdk_python.exceptions."
# What a WaitForCallback context's ErrorType says about how it failed; the official SDK's
# fully-qualified names are read too, so an execution it started replays the same way here.
# A submitter's failure is recorded as its StepError, as the official SDK records it. Before
# CallbackExternalError existed, durable-lambda recorded a sender's failure as "CallbackError"
# and a submitter's as "CallbackSubmitterError": both are read as what they meant.
_CHECKPOINTED_CLASSES: dict[str, type[CallbackError]] = {
    "StepError": CallbackSubmitterError,
    f"{_OFFICIAL_ERRORS}StepError": CallbackSubmitterError,
    "CallbackError": CallbackExternalError,
    "CallbackExternalError": CallbackExternalError,
    "CallbackTimeoutError": CallbackTimeoutError,
    "CallbackSubmitterError": CallbackSubmitterError,
    f"{_OFFICIAL_ERRORS}CallbackError": CallbackError,
    f"{_OFFICIAL_ERRORS}CallbackExternalError": CallbackExternalError,
    f"{_OFFICIAL_ERRORS}CallbackTimeoutError": CallbackTimeoutError,
    f"{_OFFICIAL_ERRORS}CallbackSubmitterError": CallbackSubmitterError,
}
