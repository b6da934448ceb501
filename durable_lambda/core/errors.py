"""The error hierarchy of durable-lambda.

Three families, told apart by what happens to the execution:

* ``ExecutionError`` ends the execution FAILED; Lambda does not retry (a non-deterministic replay,
  a payload that cannot be read back, a non-retriable checkpoint failure).
* ``InvocationError`` is raised out of the Lambda handler so Lambda retries the invocation
  (a throttled or failed checkpoint call, an invalid checkpoint token, a serializer that could
  not reach where it keeps payloads: ``SerDesUnavailableError``).
* ``DurableOperationError`` and its subclasses (``StepError``, ``CallbackError``...) are what user
  code sees when a durable operation failed; they are values, replayed identically, and end the
  execution only if user code lets them escape the handler.

Every error carries what it knows of where it happened (execution ARN, operation id and name) in
attributes, and ``describe()`` adds them to the message for a log line; ``str(error)`` is the
message alone, as in the official SDK, so a result that embeds it reads the same in both. The
operation errors also carry the official SDK's attribute names (``message``, ``error_type``,
``data``, ``stack_trace``) and take its constructor's positional arguments.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any, Self

from durable_lambda.core.error_fit import fit_error_object
from durable_lambda.core.model import ErrorObject

__all__ = [
    "AbandonedOperationError",
    "BaseExceptionRaisedError",
    "CallbackError",
    "CallbackExternalError",
    "CallbackTimeoutError",
    "CheckpointError",
    "ChildContextError",
    "DurableExecutionError",
    "DurableOperationError",
    "ExecutionError",
    "InvalidCheckpointTokenError",
    "InvocationError",
    "InvokeError",
    "NestingTooDeepError",
    "NonDeterministicExecutionError",
    "OrphanedOperationError",
    "ReplayHorizonReached",
    "SerDesError",
    "SerDesUnavailableError",
    "StepError",
    "StepInterruptedError",
    "SuspendExecution",
    "ValidationError",
    "WaitForConditionError",
    "error_object_from_exception",
    "exception_message",
]


class DurableExecutionError(Exception):
    """Base of every error durable-lambda raises.

    Args:
        message: What went wrong, in words a user can act on.
        execution_arn: The durable execution it happened in, when known.
        operation_id: The operation it happened in, when known.
        operation_name: That operation's name, when it has one.
    """

    def __init__(
        self,
        message: str,
        *,
        execution_arn: str | None = None,
        operation_id: str | None = None,
        operation_name: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.execution_arn = execution_arn
        self.operation_id = operation_id
        self.operation_name = operation_name

    def __str__(self) -> str:
        return self.message

    @property
    def location(self) -> dict[str, str]:
        """Where the error happened, as far as it is known: operation name and id, execution."""
        where = {
            "operation_name": self.operation_name,
            "operation_id": self.operation_id,
            "execution_arn": self.execution_arn,
        }
        return {key: value for key, value in where.items() if value}

    def describe(self) -> str:
        """Return the message followed by where it happened, for a log line or a terminal."""
        where = []
        if self.operation_name:
            where.append(f"operation {self.operation_name!r}")
        if self.operation_id:
            where.append(f"id {self.operation_id}")
        if self.execution_arn:
            where.append(f"execution {self.execution_arn}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class ExecutionError(DurableExecutionError):
    """An error that ends the execution FAILED without a Lambda retry."""


class InvocationError(DurableExecutionError):
    """An error raised out of the Lambda handler so that Lambda retries the invocation."""


class ValidationError(DurableExecutionError, ValueError):
    """A value given to the SDK breaks a rule: names the field, the rule and the value.

    Args:
        message: The rule that was broken.
        field: The dotted path of the offending field, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None, **where: Any) -> None:
        super().__init__(message, **where)
        self.field = field


class SerDesError(ExecutionError):
    """A value could not be serialized, or a stored payload could not be read back."""


class SerDesUnavailableError(InvocationError):
    """A serializer could not reach where it keeps payloads, for now: retry the invocation.

    Raise it from a ``SerDes``'s ``serialize`` or ``deserialize`` for a failure that a later
    try can get past (the store throttled, answered with a server error, or could not be
    reached); raise anything else for one that no retry fixes (that ends the execution FAILED,
    as a ``SerDesError``). The core passes it on unchanged and it ends the invocation for Lambda
    to retry, even if user code catches it: updates queued before it are still checkpointed,
    nothing after it is, no operation is recorded FAILED for it, and the retried invocation
    replays up to the operation whose payload could not be written or read and runs it again
    (a step's body runs again: steps are at least once).
    """


class NestingTooDeepError(ExecutionError):
    """Child contexts are nested deeper than the SDK supports.

    Each level of nesting holds a few Python frames while its function runs, so nesting without
    a bound ends in a ``RecursionError`` somewhere inside the machinery; the SDK stops first.

    Args:
        message: The depth reached and the limit.
        depth: The depth the refused context would have had.
        max_depth: The deepest nesting supported.
    """

    def __init__(self, message: str, *, depth: int, max_depth: int, **where: Any) -> None:
        super().__init__(message, **where)
        self.depth = depth
        self.max_depth = max_depth


class NonDeterministicExecutionError(ExecutionError):
    """Replay found an operation that differs from the checkpointed one at the same position.

    Args:
        message: What was recorded against what the code attempted.
        recorded: The checkpointed operation's identity (type, subtype, name, parent).
        attempted: The identity the code asked for at the same id.
    """

    def __init__(
        self,
        message: str,
        *,
        recorded: Mapping[str, str | None] | None = None,
        attempted: Mapping[str, str | None] | None = None,
        **where: Any,
    ) -> None:
        super().__init__(message, **where)
        self.recorded = dict(recorded or {})
        self.attempted = dict(attempted or {})


class CheckpointError(DurableExecutionError):
    """A checkpoint call failed.

    Args:
        message: What the service answered.
        retriable: True when retrying the invocation can succeed (throttling, 5xx, a stale token):
            the error then propagates out of the handler so Lambda retries. When False the
            execution ends FAILED.
    """

    def __init__(self, message: str, *, retriable: bool, **where: Any) -> None:
        super().__init__(message, **where)
        self.retriable = retriable


class InvalidCheckpointTokenError(CheckpointError):
    """The service rejected the checkpoint token; the invocation is retried with a fresh one."""

    def __init__(self, message: str, **where: Any) -> None:
        super().__init__(message, retriable=True, **where)


class StepInterruptedError(InvocationError):
    """An at-most-once step was found started but never finished: its body may have run."""


class DurableOperationError(DurableExecutionError):
    """A durable operation failed; carries the stored error so replay raises the same thing.

    The constructor takes the official SDK's arguments in its order (``message, error_type,
    data, stack_trace``); ``error_data`` is our older name for ``data``, and both attributes
    read the same value.

    Args:
        message: The error message.
        error_type: The type name of the error that escaped the operation (``ErrorObject.
            ErrorType``); the class's own name when none is known.
        data: Extra machine-readable data, as stored (``ErrorObject.ErrorData``).
        stack_trace: The original stack trace lines, when recorded.
        error_data: The same as ``data`` (give one or the other).
    """

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: tuple[str, ...] | list[str] | None = None,
        *,
        error_data: str | None = None,
        **where: Any,
    ) -> None:
        super().__init__(message or "", **where)
        self.error_type = error_type or type(self).__name__
        self.error_data = data if data is not None else error_data
        self.stack_trace = tuple(stack_trace) if stack_trace is not None else None

    @property
    def data(self) -> str | None:
        """Extra machine-readable data of the error, as stored (the official SDK's name)."""
        return self.error_data

    @classmethod
    def from_error_object(cls, error: ErrorObject | None, **where: Any) -> Self:
        """Rebuild the error a checkpointed operation failed with."""
        error = error or ErrorObject()
        return cls(
            error.ErrorMessage or "",
            error.ErrorType,
            error.ErrorData,
            error.StackTrace,
            **where,
        )

    def to_error_object(self) -> ErrorObject:
        """Return the error as the service stores it when it escapes an operation or the handler.

        As in the official SDK, ``ErrorType`` names this error's own class (``StepError``):
        the type of the error it wraps stays on the operation that failed first.
        """
        return ErrorObject(
            ErrorType=type(self).__name__,
            ErrorMessage=self.message,
            ErrorData=self.error_data,
            StackTrace=self.stack_trace,
        )


class StepError(DurableOperationError):
    """A step failed for good: its retry strategy gave up."""


class ChildContextError(DurableOperationError):
    """A child context (or a map or parallel built on one) failed."""


class CallbackError(DurableOperationError):
    """A callback did not succeed: the base of every callback failure (``except CallbackError``).

    Raised as one of its subclasses: ``CallbackExternalError`` (the sender reported a failure,
    or the callback was cancelled or stopped), ``CallbackTimeoutError``, and
    ``CallbackSubmitterError`` (a ``wait_for_callback`` submitter failed), as in the official SDK.
    Like the official SDK's, ``error_type`` names the class; the type recorded on the callback
    operation (the sender's own, or the service's ``Callback.Timeout`` or
    ``Callback.Heartbeat``) is ``reported_error_type``.

    Args:
        reported_error_type: The ``ErrorType`` recorded on the callback operation, if any.
    """

    timed_out: bool = False

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: tuple[str, ...] | list[str] | None = None,
        *,
        reported_error_type: str | None = None,
        **rest: Any,
    ) -> None:
        super().__init__(message, error_type, data, stack_trace, **rest)
        self.reported_error_type = reported_error_type


class CallbackExternalError(CallbackError):
    """The sender reported a failure, or the callback ended cancelled or stopped.

    The sender reports one with ``SendDurableExecutionCallbackFailure``. ``message``, ``data``
    and ``stack_trace`` are the sender's; ``error_type`` names this class, as in the official
    SDK, and the sender's own error type is ``reported_error_type``.
    """


class CallbackTimeoutError(CallbackError):
    """A callback was not answered, or not heartbeated, in time (status TIMED_OUT)."""

    timed_out = True


class InvokeError(DurableOperationError):
    """A chained invoke's target failed, timed out or was stopped."""


class WaitForConditionError(DurableOperationError):
    """A wait_for_condition check failed or ran out of attempts."""


class BaseExceptionRaisedError(DurableExecutionError):
    """User code (a step body, a branch, a check) raised a BaseException that is no Exception.

    ``asyncio.CancelledError`` the code raised itself (not the task being cancelled from
    outside), ``SystemExit``, or a ``BaseException`` subclass of its own: it counts as a failure
    of that attempt, retried as configured, instead of escaping the machinery. The original is
    ``original`` and this error's ``__cause__``. ``KeyboardInterrupt`` is never wrapped.

    Args:
        original: What the code raised.
    """

    def __init__(self, original: BaseException, **where: Any) -> None:
        super().__init__(
            f"the code raised {type(original).__name__} ({exception_message(original)!r}), "
            "a BaseException that is not an Exception: counted as a failure",
            **where,
        )
        self.original = original


class OrphanedOperationError(DurableExecutionError):
    """An operation tried to checkpoint after the context it belongs to had completed.

    A map or parallel item cancelled when the batch completed early, a loser of ``ctx.race`` or
    ``ctx.any``, or a task still running after the handler returned: its checkpoint would be
    recorded under work the execution already reported as finished, so nothing is sent for it
    and this is raised in its own task instead. It never fails the execution.
    """


class AbandonedOperationError(ExecutionError):
    """The handler returned while a durable operation it started had not finished.

    A task running a durable call that was never awaited, or left behind by
    ``asyncio.wait(..., return_when=FIRST_COMPLETED)``: the execution ends FAILED, naming the
    operation; ``ctx.all``, ``ctx.any`` and ``ctx.race`` are the durable ways to await several.
    """


class SuspendExecution(BaseException):
    """Internal signal: this branch cannot progress until time passes or the outside world answers.

    A BaseException so that a user's ``except Exception`` cannot swallow it.
    """


class ReplayHorizonReached(BaseException):
    """Internal signal: a replay-only run reached the end of the recorded history."""


def error_object_from_exception(error: BaseException) -> ErrorObject:
    """Describe any exception as an ``ErrorObject`` the service accepts.

    A durable operation's error is described by its ``to_error_object``. The result always
    fits the service's size limit (its stack trace, then its data, then its message are
    trimmed, with a marker, when it would not; see ``durable_lambda.core.error_fit``), and an
    exception whose ``__str__`` raises is still described, so that a failure is recorded as
    what it is instead of breaking the checkpoint that records it.
    """
    if isinstance(error, DurableOperationError):
        return fit_error_object(error.to_error_object())
    message = error.message if isinstance(error, DurableExecutionError) else None
    if not isinstance(message, str):
        message = exception_message(error)
    try:
        trace = traceback.format_exception(type(error), error, error.__traceback__)
    except Exception:  # a pathological exception: its type and message are still worth keeping
        trace = []
    return fit_error_object(
        ErrorObject(
            ErrorType=type(error).__name__,
            ErrorMessage=message,
            StackTrace=tuple(line.rstrip("\n") for line in trace) or None,
        )
    )


def exception_message(error: BaseException) -> str:
    """Return ``str(error)``, or a placeholder naming what went wrong when its ``__str__`` raises.

    User code may define an exception whose ``__str__`` fails; describing its failure must not.
    """
    try:
        return str(error)
    except Exception as failure:
        return f"<{type(error).__name__}.__str__ raised {type(failure).__name__}>"
