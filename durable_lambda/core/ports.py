"""The ports of the core: what it needs from the outside world, as small protocols, in one place.

The core does its I/O only through these: it awaits the ``DurableService`` (checkpoint storage),
reads the ``Clock``, draws from a ``RandomSource``, writes through a ``Logger``, turns values into
payloads with a ``SerDes`` and tells ``InstrumentationPlugin`` hooks what happens. It never
talks to AWS, the disk, the wall clock or a random source itself; it is handed objects that
satisfy these protocols. Adapters live in ``durable_lambda.adapters``; the local service's own
port (the execution store) is in ``durable_lambda.service``.

Users import these names from ``durable_lambda`` (``SerDes``, ``SerDesContext``, the plugin
hooks and their info objects), or implement them without importing anything: every port is
matched by its shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from typing_extensions import TypeVar

from durable_lambda.core.model import (
    CheckpointResponse,
    ErrorObject,
    ExecutionState,
    OperationStatus,
    OperationType,
    OperationUpdate,
)

__all__ = [
    "AttemptInfo",
    "AttemptOutcome",
    "Clock",
    "DurableService",
    "InstrumentationPlugin",
    "InvocationEndInfo",
    "InvocationEndStatus",
    "InvocationStartInfo",
    "Logger",
    "OperationInfo",
    "RandomSource",
    "SerDes",
    "SerDesContext",
]

# Defaults to Any so that a bare SerDes is a SerDes[Any] (PEP 696).
T = TypeVar("T", default=Any)

# region checkpoint storage, time, randomness, logging


@runtime_checkable
class DurableService(Protocol):
    """Checkpoint storage: the two calls of the durable execution API an invocation makes.

    Implemented over boto3's ``lambda`` client on AWS, and by a local service over an execution
    store for in-memory and file-based runs.
    """

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        """Apply ``updates`` in order; return the next token and the operations that changed.

        Raises:
            InvalidCheckpointTokenError: the token is not the execution's current one.
            CheckpointError: the call failed; ``retriable`` says whether a retry can succeed.
        """
        ...

    async def get_state(
        self,
        execution_arn: str,
        checkpoint_token: str,
        marker: str,
        max_items: int | None = None,
    ) -> ExecutionState:
        """Return the page of operations that starts at ``marker``."""
        ...


@runtime_checkable
class Clock(Protocol):
    """Time, for the core and for the local service."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware (UTC)."""
        ...

    async def sleep_until(self, moment: datetime) -> None:
        """Return once ``moment`` has come (a fake clock jumps there at once)."""
        ...


class RandomSource(Protocol):
    """Randomness for retry jitter; ``random.Random`` satisfies it."""

    def random(self) -> float:
        """Return a float in [0, 1)."""
        ...


@runtime_checkable
class Logger(Protocol):
    """Structured logging, bound to an execution and an operation."""

    def bind(self, **fields: object) -> Logger:
        """Return a logger that adds ``fields`` to every event."""
        ...

    def debug(self, event: str, **fields: object) -> None:
        """Log a debug event."""
        ...

    def info(self, event: str, **fields: object) -> None:
        """Log an info event."""
        ...

    def warning(self, event: str, **fields: object) -> None:
        """Log a warning event."""
        ...

    def error(self, event: str, **fields: object) -> None:
        """Log an error event."""
        ...

    def exception(self, event: str, **fields: object) -> None:
        """Log an error event with the exception being handled."""
        ...


# endregion
# region serializer


@dataclass(frozen=True, slots=True)
class SerDesContext:
    """Where a payload belongs, handed to every serializer call.

    Args:
        operation_id: The id of the operation whose payload this is.
        durable_execution_arn: The ARN of the durable execution.

    """

    operation_id: str
    durable_execution_arn: str


@runtime_checkable
class SerDes(Protocol[T]):
    """The serializer port: a value to a payload string, and back.

    Parameters are positional-only so that any implementation matches, whatever it names them
    (the official SDK's serializers call the context ``serdes_context``).

    What a serializer raises decides what becomes of the execution. ``SerDesUnavailableError``
    (or another ``InvocationError``) says the failure is temporary, such as a store of payloads
    that throttled or could not be reached: it ends the invocation for Lambda to retry, even if
    user code catches it, and the retry replays and goes on. Anything else is permanent (a value
    that cannot be written, a payload that cannot be read): it becomes a ``SerDesError`` and the
    execution ends FAILED.
    """

    def serialize(self, value: T, context: SerDesContext, /) -> str:
        """Return ``value`` as a payload string."""
        ...

    def deserialize(self, payload: str, context: SerDesContext, /) -> T:
        """Return the value ``payload`` was written from."""
        ...


# endregion
# region instrumentation plugins


class InvocationEndStatus(StrEnum):
    """How an invocation ended, as ``on_invocation_end`` reports it."""

    SUCCEEDED = "SUCCEEDED"
    """The execution succeeded."""
    FAILED = "FAILED"
    """The execution failed."""
    PENDING = "PENDING"
    """The execution suspended; a later invocation goes on."""
    RETRY = "RETRY"
    """The invocation raised for Lambda to retry it (e.g. a retriable checkpoint failure)."""


class AttemptOutcome(StrEnum):
    """How one run of a step's function ended."""

    SUCCEEDED = "SUCCEEDED"
    """The function returned."""
    FAILED = "FAILED"
    """The function raised; the retry strategy decides what follows."""
    INCOMPLETE = "INCOMPLETE"
    """The function did not finish (its branch was cancelled, or the invocation ended)."""


@dataclass(frozen=True, slots=True)
class InvocationStartInfo:
    """What ``on_invocation_start`` is given.

    Attributes:
        execution_arn: The durable execution's ARN.
        is_first_invocation: True when no operation was checkpointed before this invocation.
    """

    execution_arn: str
    is_first_invocation: bool


@dataclass(frozen=True, slots=True)
class InvocationEndInfo:
    """What ``on_invocation_end`` is given.

    Attributes:
        execution_arn: The durable execution's ARN.
        is_first_invocation: As in ``InvocationStartInfo``.
        status: How the invocation ended.
        error: The execution's error (FAILED) or the invocation's (RETRY); None otherwise.
    """

    execution_arn: str
    is_first_invocation: bool
    status: InvocationEndStatus
    error: ErrorObject | None = None


@dataclass(frozen=True, slots=True)
class OperationInfo:
    """What ``on_operation_start`` and ``on_operation_end`` are given.

    Attributes:
        execution_arn: The durable execution's ARN.
        operation_id: The operation's id, as checkpointed.
        operation_type: STEP, WAIT, CALLBACK, CHAINED_INVOKE or CONTEXT.
        sub_type: The operation's subtype (``Step``, ``Map``, ``WaitForCallback`` ...).
        name: The operation's name, if it has one.
        parent_id: The id of the enclosing context operation; None at the top level.
        status: STARTED at the start; SUCCEEDED, FAILED or CANCELLED at the end.
        error: The operation's error when it failed.
    """

    execution_arn: str
    operation_id: str
    operation_type: OperationType
    sub_type: str | None
    name: str | None
    parent_id: str | None
    status: OperationStatus
    error: ErrorObject | None = None


@dataclass(frozen=True, slots=True)
class AttemptInfo:
    """What ``on_attempt_start`` and ``on_attempt_end`` are given.

    Attributes:
        execution_arn: The durable execution's ARN.
        operation_id: The step's operation id.
        operation_type: Always STEP today.
        sub_type: The step's subtype.
        name: The step's name, if it has one.
        parent_id: The id of the enclosing context operation; None at the top level.
        attempt: The 1-based number of this attempt.
        outcome: None at the start; how the function ended at the end.
        error: The function's error when the outcome is FAILED.
    """

    execution_arn: str
    operation_id: str
    operation_type: OperationType
    sub_type: str | None
    name: str | None
    parent_id: str | None
    attempt: int
    outcome: AttemptOutcome | None = None
    error: ErrorObject | None = None


class InstrumentationPlugin(Protocol):
    """The hooks a plugin may implement (``durable_lambda.core.plugins`` tells when each fires).

    The dispatcher calls only the hooks an object has, so a plugin may implement any subset;
    subclass ``BasePlugin`` to satisfy this protocol for type checkers as well. Each hook here
    does nothing, which is what ``BasePlugin`` inherits (the bare ``return`` makes a hook a
    default rather than an abstract method).
    """

    def on_invocation_start(self, info: InvocationStartInfo) -> None:
        """Observe the start of an invocation, before the handler runs."""
        return

    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        """Observe the end of an invocation, after every update of it is checkpointed."""
        return

    def on_operation_start(self, info: OperationInfo) -> None:
        """Observe this invocation checkpointing an operation's START."""
        return

    def on_operation_end(self, info: OperationInfo) -> None:
        """Observe this invocation checkpointing an operation's SUCCEED, FAIL or CANCEL."""
        return

    def on_attempt_start(self, info: AttemptInfo) -> None:
        """Observe a step's function about to run."""
        return

    def on_attempt_end(self, info: AttemptInfo) -> None:
        """Observe a step's function having ended, before its outcome is checkpointed."""
        return


# endregion
