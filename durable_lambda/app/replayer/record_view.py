"""``RecordView``: the recorded execution as a replay walks it.

A replay (``run.py``) presents each completed context as one that stored a summary, so that the
engine rebuilds its result from its children and checks each of them; this view decides which
operations are presented so, which the code is expected to reach, and how each is named and found
in a report.
"""

from __future__ import annotations

from typing import Any

from durable_lambda.app.replayer.recorded import RecordedExecution
from durable_lambda.app.replayer.report import OperationRef
from durable_lambda.app.replayer.stored_batch import summary_of, unreadable_flat_batch
from durable_lambda.core.ids import operation_id
from durable_lambda.core.model import (
    ContextDetails,
    Operation,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from durable_lambda.core.operations.batch_summary import CompletionRecord
from durable_lambda.core.serdes import SerDes
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
    """The recorded operations, how the replay presents them, and what it must reach.

    Args:
        recorded: The execution.
        shallow: Present completed contexts as they are, their stored results read back.
        serdes: The handler's serializer, which wrote the batches' stored results.

    Raises:
        DeepReplayError: a completed context's children cannot be replayed (not ``shallow``).
    """

    def __init__(
        self, recorded: RecordedExecution, shallow: bool, serdes: SerDes[Any] | None = None
    ) -> None:
        self.recorded = recorded
        self.shallow = shallow
        self.serdes = serdes
        self._presented: dict[str, Operation] = {}
        self._abandoned: dict[str, frozenset[str]] = {}
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
        presented = self._presented.get(op.Id)
        if presented is None:
            presented = self._presented[op.Id] = self._presentation(op)
        return presented

    def _presentation(self, op: Operation) -> Operation:
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
            # A full stored result, not a summary: the summary of it, whose completion record
            # says which branches finished (a FLAT branch has no checkpoint of its own to say).
            result = summary_of(op, self.serdes) if self.serdes is not None else None
            if result is None:
                branches = self.children.get(op.Id, [])
                if not branches:
                    return op  # nothing recorded beneath it: its stored result, read back
                if not any(child.SubType in _BATCH_ITEMS for child in branches):
                    where = " > ".join(
                        (*self.path_of(op.ParentId), operation_label(op.Name, op.Type))
                    )
                    raise unreadable_flat_batch(op, where)
                # NESTED: every branch rebuilt from its own checkpoint.
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
        child, parent_id = op, op.ParentId
        while parent_id is not None:
            parent = self.by_id.get(parent_id)
            if parent is None or parent.Type is OperationType.EXECUTION:
                return True
            if not self._replays_children(parent) or child.Id in self._abandoned_flat(parent):
                return False
            child, parent_id = parent, parent.ParentId
        return True

    def _abandoned_flat(self, batch: Operation) -> frozenset[str]:
        """Return the ids of the operations of ``batch``'s FLAT branches left unfinished.

        The batch completed while they ran, so a replay reports them STARTED and runs nothing
        of them, as it leaves a NESTED branch's context. A FLAT branch has no context of its own:
        its operations, directly under the batch, are told by their ids (derived from the
        branch's). Those of a virtual child context inside such a branch are not told apart.
        """
        known = self._abandoned.get(batch.Id)
        if known is not None:
            return known
        found: frozenset[str] = frozenset()
        children = self.children.get(batch.Id, [])
        presented = self._present(batch) if batch.SubType in _BATCHES else batch
        details = presented.ContextDetails if presented is not batch else None
        record = CompletionRecord.from_summary(details.Result) if details else None
        if record and not any(child.SubType in _BATCH_ITEMS for child in children):
            branch_ids = [operation_id(batch.Id, index) for index in record.started_indexes]
            owned = {
                operation_id(branch_id, n)
                for branch_id in branch_ids
                for n in range(1, len(children) + 1)
            }
            found = frozenset(child.Id for child in children if child.Id in owned)
        self._abandoned[batch.Id] = found
        return found

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
