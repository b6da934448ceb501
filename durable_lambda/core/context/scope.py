"""``ContextScope``: what a ``DurableContext`` is made of, and what the operations use of it.

It holds the context's place in the execution (the runtime it shares, the CONTEXT operation it
records under, the ids it takes) and its logger, and it implements ``OperationScope``, the
protocol the operations (``core/operations/``) type against. ``DurableContext`` adds the durable
calls on top (``durable_context.py``).
"""

from __future__ import annotations

from typing import Self

from durable_lambda.core.context.arguments import refuse_name
from durable_lambda.core.ids import OperationIdSequence
from durable_lambda.core.model import OperationType
from durable_lambda.core.operations.names import check_operation_name
from durable_lambda.core.operations.step_context import StepContext, WaitForConditionCheckContext
from durable_lambda.core.ports import Logger
from durable_lambda.core.replay_logging import (
    ReplayAwareLogger,
    ReplayPosition,
    live_logger,
    positioned_logger,
)
from durable_lambda.core.runtime import ExecutionRuntime
from durable_lambda.core.state import OperationIdentity

__all__ = ["ContextScope"]


class ContextScope:
    """A context's place in the execution, its ids and its logger (see the module docstring).

    Args:
        runtime: The invocation's runtime, shared by every context of the invocation.
        parent_id: The CONTEXT operation this context's operations are recorded under; None
            for the root context.
        logger: The context's logger; None for the runtime's, following this context's
            replay position.
        id_prefix: What the context's ids derive from, when not ``parent_id`` (a virtual
            context's own operation id).
    """

    __slots__ = ("_ids", "_logger", "_logger_source", "id_prefix", "parent_id", "runtime")

    def __init__(
        self,
        runtime: ExecutionRuntime,
        parent_id: str | None = None,
        logger: Logger | None = None,
        *,
        id_prefix: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.parent_id = parent_id
        # A virtual context (FLAT nesting) takes its ids from its own operation's id while its
        # operations are recorded under its parent's: the two only differ there.
        self.id_prefix = id_prefix if id_prefix is not None else parent_id
        # Made when the context takes its first id: most map items' contexts never take one.
        self._ids: OperationIdSequence | None = None
        # Each context's lines follow its own replay position (core/replay_logging.py).
        self._logger: Logger | None = logger or positioned_logger(runtime.logger, self)
        # For a child context, the logger its own is bound from when first asked for (a child
        # made per map item seldom logs); None once bound.
        self._logger_source: Logger | None = None

    @property
    def execution_arn(self) -> str:
        """The ARN of the durable execution this context belongs to."""
        return self.runtime.execution_arn

    @property
    def logger(self) -> Logger:
        """A structured logger bound to this execution; silent while replaying by default."""
        logger = self._logger
        if logger is None:
            assert self._logger_source is not None  # a child's logger, not bound yet
            bound = self._logger_source.bind(parent_id=self.parent_id)
            logger = self._logger = positioned_logger(bound, self)
            self._logger_source = None
        return logger

    def set_logger(self, logger: Logger) -> None:
        """Replace this context's logger (child contexts created afterwards inherit it).

        The new logger is still wrapped so that it stays silent during replay.
        """
        self._logger = ReplayAwareLogger(
            logger,
            ReplayPosition(self),
            log_during_replay=self.runtime.options.log_during_replay,
        )
        self._logger_source = None

    def is_replaying(self) -> bool:
        """Whether the code is still replaying operations checkpointed by earlier invocations."""
        return self.runtime.is_replaying()

    def operations_started(self) -> int:
        """How many operation ids this context has taken so far (reading it takes none)."""
        return 0 if self._ids is None else self._ids.taken

    # -- used by operations (the OperationScope protocol) ---------------------------------

    def next_identity(
        self, type: OperationType, sub_type: str | None, name: str | None
    ) -> OperationIdentity:
        """Take the next operation id of this context and describe the operation started there.

        Raises:
            ValidationError: ``name`` is not 1 to 256 printable ASCII characters, which is all
                the service accepts (checked here so a local run fails as AWS would).
        """
        return OperationIdentity(self.next_operation_id(name), type, sub_type, name, self.parent_id)

    def next_operation_id(self, name: str | None) -> str:
        """Take the next operation id of this context for an operation named ``name``.

        Raises:
            ValidationError: ``name`` is not a name the service accepts (see ``next_identity``).
        """
        if name is not None and type(name) is not str:
            refuse_name(name, self.runtime.execution_arn)
        check_operation_name(name, self.runtime.execution_arn)
        ids = self._ids
        if ids is None:
            ids = self._ids = OperationIdSequence(self.id_prefix)
        return ids.next_id()

    def child_context(self, operation_id: str, *, virtual: bool = False) -> Self:
        """Return the context for the operations of the child context ``operation_id``.

        Its ids derive from ``operation_id``; its operations are parented on ``operation_id``,
        or, for a virtual child (FLAT nesting), on this context's own parent. It is of this
        context's own class (a ``DurableContext`` for a ``DurableContext``).
        """
        parent_id = self.parent_id if virtual else operation_id
        child = type(self)(self.runtime, parent_id, self.logger, id_prefix=operation_id)
        # Bound to its parent id only if it logs (or makes a child or a step that might).
        child._logger, child._logger_source = None, child._logger
        return child

    def step_context(self, identity: OperationIdentity, attempt: int) -> StepContext:
        """Return what a step's body is given for this attempt."""
        # A body runs only for the first time: its lines are never replay (core/replay_logging.py).
        logger = live_logger(self.logger).bind(
            operation_id=identity.operation_id, operation_name=identity.name, attempt=attempt
        )
        return StepContext(identity.operation_id, identity.name, attempt, logger)

    def check_context(
        self, identity: OperationIdentity, attempt: int
    ) -> WaitForConditionCheckContext:
        """Return what a ``wait_for_condition`` check is given for this poll."""
        logger = live_logger(self.logger).bind(
            operation_id=identity.operation_id, operation_name=identity.name, attempt=attempt
        )
        return WaitForConditionCheckContext(identity.operation_id, identity.name, attempt, logger)
