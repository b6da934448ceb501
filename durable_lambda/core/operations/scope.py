"""``OperationScope``: the context an operation runs in, as the operations see it.

Every operation takes the next id of a context, reads the invocation's state through the
context's runtime and hands user functions a context of their own. ``DurableContext`` is what
it is given, but the operations are a floor below it: they type against this protocol, never
against the class, so imports run one way (``core/context`` imports ``core/operations``, never
the reverse). A context a user function is given is ``child_context``'s answer, of the caller's
own type (``Self``), which keeps ``DurableContext`` in the user's signatures.
"""

from __future__ import annotations

from typing import Protocol, Self

from durable_lambda.core.model import OperationType
from durable_lambda.core.operations.step_context import StepContext, WaitForConditionCheckContext
from durable_lambda.core.ports import Logger
from durable_lambda.core.runtime import ExecutionRuntime
from durable_lambda.core.state import OperationIdentity

__all__ = ["OperationScope"]


class OperationScope(Protocol):
    """What an operation needs of the context it runs in (``DurableContext`` has it)."""

    @property
    def runtime(self) -> ExecutionRuntime:
        """The invocation's runtime: state, checkpointer, ports and options."""
        ...

    @property
    def parent_id(self) -> str | None:
        """The id of the CONTEXT operation this context's operations are recorded under."""
        ...

    @property
    def id_prefix(self) -> str | None:
        """What this context's operation ids derive from (its own operation's id; None: root)."""
        ...

    @property
    def logger(self) -> Logger:
        """The context's logger, silent while replaying."""
        ...

    def operations_started(self) -> int:
        """How many operation ids this context has taken."""
        ...

    def next_identity(
        self, type: OperationType, sub_type: str | None, name: str | None
    ) -> OperationIdentity:
        """Take the next operation id and describe the operation started there."""
        ...

    def next_operation_id(self, name: str | None) -> str:
        """Take the next operation id for an operation named ``name``."""
        ...

    def child_context(self, operation_id: str, *, virtual: bool = False) -> Self:
        """Return the context for the operations of the child context ``operation_id``."""
        ...

    def step_context(self, identity: OperationIdentity, attempt: int) -> StepContext:
        """Return what a step's body is given for this attempt."""
        ...

    def check_context(
        self, identity: OperationIdentity, attempt: int
    ) -> WaitForConditionCheckContext:
        """Return what a ``wait_for_condition`` check is given for this poll."""
        ...
