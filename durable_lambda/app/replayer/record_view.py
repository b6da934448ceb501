"""``RecordView``: the recorded execution as a replay walks it.

A replay (``run.py``) presents each completed context as one that stored a summary, so that the
engine rebuilds its result from its children and checks each of them; this view decides which
operations are presented so, which the code is expected to reach, and how each is named and found
in a report.
"""

from __future__ import annotations

from durable_lambda.app.replayer.recorded import RecordedExecution
from durable_lambda.app.replayer.report import OperationRef
from durable_lambda.core.ids import operation_id
from durable_lambda.core.model import (
    ContextDetails,
    Operation,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from durable_lambda.core.operations.batch_summary import CompletionRecord
from durable_lambda.core.state import OperationIdentity

__all__ = ["RecordView", "operation_label"]


_CLOSED = frozenset(
    {
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.CANCELLED,
        OperationStatus.TIMED_OUT,
        OperationStatus.STOPPED,
    }
)
_BATCHES = frozenset({OperationSubType.MAP, OperationSubType.PARALLEL})
_BATCH_ITEMS = frozenset({OperationSubType.MAP_ITERATION, OperationSubType.PARALLEL_BRANCH})
# The combinators' records (ctx.all, race...) keep a decision, not a context's result: their
# awaitables are operations of the enclosing context, replayed by the combinator itself.
_COMBINATORS = frozenset({"All", "AllSettled", "Race", "Any"})


class RecordView:
    """The recorded operations, how the replay presents them, and what it must reach."""

    def __init__(self, recorded: RecordedExecution, shallow: bool) -> None:
        self.recorded = recorded
        self.shallow = shallow
        self.by_id: dict[str, Operation] = {op.Id: op for op in recorded.operations}
        self.children: dict[str | None, list[Operation]] = {}
        for op in recorded.operations:
            if op.Type is not OperationType.EXECUTION:
                self.children.setdefault(op.ParentId, []).append(op)
        self.operations = [
            op for op in recorded.operations if op.Type is not OperationType.EXECUTION
        ]
        self.expected = [op for op in self.operations if self._expected(op)]

    def presented(self) -> list[Operation]:
        """Return the operations as the replay's state holds them (see the module docstring)."""
        return [self._present(op) for op in self.recorded.operations]

    def _present(self, op: Operation) -> Operation:
        if (
            op.Type is not OperationType.CONTEXT
            or op.Status is not OperationStatus.SUCCEEDED
            or op.SubType in _COMBINATORS
        ):
            return op
        details = op.ContextDetails or ContextDetails()
        summarised = bool(details.ReplayChildren) or (
            not self.recorded.replay_children_known and self._looks_summarised(op)
        )
        if self.shallow and not summarised:
            return op
        result = details.Result
        if op.SubType in _BATCHES and CompletionRecord.from_summary(result) is None:
            # A full stored result, not a summary: rebuild every branch from its checkpoint.
            result = None
        replayed = ContextDetails(ReplayChildren=True, Result=result, Error=details.Error)
        return op.model_copy(update={"ContextDetails": replayed})

    def _looks_summarised(self, op: Operation) -> bool:
        # History events do not carry ReplayChildren: a context that stored no result but has
        # children, or a batch whose result is a summary, replays its children for the result.
        details = op.ContextDetails
        result = details.Result if details else None
        if op.SubType in _BATCHES and CompletionRecord.from_summary(result) is not None:
            return True
        return not result and bool(self.children.get(op.Id))

    def _expected(self, op: Operation) -> bool:
        parent_id = op.ParentId
        while parent_id is not None:
            parent = self.by_id.get(parent_id)
            if parent is None or parent.Type is OperationType.EXECUTION:
                return True
            if not self._replays_children(parent):
                return False
            parent_id = parent.ParentId
        return True

    def _replays_children(self, context: Operation) -> bool:
        if context.Type is not OperationType.CONTEXT:
            return True
        status = context.Status
        if status is OperationStatus.SUCCEEDED:
            return self._present(context) is not context or bool(
                context.ContextDetails and context.ContextDetails.ReplayChildren
            )
        if status in _CLOSED:
            return False  # a failed context raises its recorded error; its children stay put
        # Still started: it runs again, unless it is a branch its batch left behind.
        parent = self.by_id.get(context.ParentId) if context.ParentId else None
        return not (
            context.SubType in _BATCH_ITEMS and parent is not None and parent.Status in _CLOSED
        )

    def closed(self, context_id: str | None) -> bool:
        """Whether the record shows the context (None: the execution) finished."""
        if context_id is None:
            return self.recorded.status.is_terminal
        context = self.by_id.get(context_id)
        return context is not None and context.Status in _CLOSED

    def ref(self, op: Operation) -> OperationRef:
        """Describe a recorded operation for the report."""
        return OperationRef(
            type=op.Type.value,
            sub_type=op.SubType,
            name=op.Name,
            operation_id=op.Id,
            path=(*self.path_of(op.ParentId), operation_label(op.Name, op.Type)),
            position=self.position(op.Id, op.ParentId),
        )

    def attempted(self, identity: OperationIdentity) -> OperationRef:
        """Describe an operation today's code started, for the report."""
        return OperationRef(
            type=identity.type.value,
            sub_type=identity.sub_type,
            name=identity.name,
            operation_id=identity.operation_id,
            path=(*self.path_of(identity.parent_id), operation_label(identity.name, identity.type)),
            position=self.position(identity.operation_id, identity.parent_id),
        )

    def path_of(self, context_id: str | None) -> tuple[str, ...]:
        """Return the names of the contexts from the root down to ``context_id``."""
        names: list[str] = []
        while context_id is not None:
            context = self.by_id.get(context_id)
            if context is None or context.Type is OperationType.EXECUTION:
                break
            names.append(operation_label(context.Name, context.Type))
            context_id = context.ParentId
        return tuple(reversed(names))

    def position(self, target: str, parent_id: str | None) -> int | None:
        """Return ``target``'s 1-based position among its context's operations, if derivable."""
        parent = self.by_id.get(parent_id) if parent_id else None
        # Branches count from 0 (an item's index), other operations from 1.
        first = 0 if parent is not None and parent.SubType in _BATCHES else 1
        bound = len(self.children.get(parent_id, ())) + _POSITION_SEARCH_SLACK
        for n in range(first, first + bound):
            if operation_id(parent_id, n) == target:
                return n + 1 - first
        return None  # e.g. an operation of a FLAT (virtual) context


_POSITION_SEARCH_SLACK = 1000


def operation_label(name: str | None, type_: OperationType) -> str:
    """Return how a report names an operation: its name, else its type."""
    return name if name is not None else f"({type_.value.lower()})"
