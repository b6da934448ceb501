"""What an instrumentation plugin implements, and what each of its hooks is given.

The hooks, when they fire and how their failures are isolated are described in
``durable_lambda.core.plugins``, which is where users import these names from.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from durable_lambda.core.model import ErrorObject, OperationStatus, OperationType

__all__ = [
    "AttemptInfo",
    "AttemptOutcome",
    "BasePlugin",
    "InstrumentationPlugin",
    "InvocationEndInfo",
    "InvocationEndStatus",
    "InvocationStartInfo",
    "OperationInfo",
]


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
    """The hooks a plugin may implement (see the module docstring for when each fires).

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


class BasePlugin(InstrumentationPlugin):
    """A plugin whose hooks do nothing: subclass it and override the hooks you need.

    Example:
        >>> class StepTimer(BasePlugin):
        ...     def on_attempt_end(self, info: AttemptInfo) -> None:
        ...         print(info.name, info.attempt, info.outcome)
    """
