"""One read of an execution: everything a driver asks before it decides what to do next.

The local run loop (``durable_lambda.app.driver``) used to ask the service one question at a
time (the record, whether to invoke, when the next timer fires, twice, whether work is pending,
which invokes wait): on a store that reads files, each question was a full load of the record.
``snapshot`` answers them all from one record, and the frozen ``ExecutionSnapshot`` it returns
can be kept: it shares only frozen values with the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from durable_lambda import service
from durable_lambda.core.model import Operation
from durable_lambda.service.record import ChainedInvokeRequest, ExecutionRecord, ExecutionStatus

__all__ = ["ExecutionSnapshot", "snapshot"]


@dataclass(frozen=True)
class ExecutionSnapshot:
    """An execution as it stood at one read (immutable).

    Attributes:
        arn: The execution.
        name: Its name.
        status: Its status.
        operations: Every operation, in the order they were created.
        needs_invocation: Whether the handler should be invoked now (a change it has not seen).
        has_pending_work: Whether a wait, retry, callback, invoke or unseen change remains.
        next_due: When the next timer fires, callback and execution time-outs included.
        next_timer: When the next timer that only time completes fires (a wait, a retry).
        pending_invokes: The chained invokes whose target has not finished, in start order.
    """

    arn: str
    name: str
    status: ExecutionStatus
    operations: tuple[Operation, ...]
    needs_invocation: bool
    has_pending_work: bool
    next_due: datetime | None
    next_timer: datetime | None
    pending_invokes: tuple[ChainedInvokeRequest, ...]

    def parent_name(self, operation: Operation) -> str | None:
        """Return the name of ``operation``'s parent operation, if it has a named one."""
        for candidate in self.operations:
            if candidate.Id == operation.ParentId:
                return candidate.Name
        return None


def snapshot(record: ExecutionRecord) -> ExecutionSnapshot:
    """Return what a driver needs to know of ``record``, read once."""
    return ExecutionSnapshot(
        arn=record.arn,
        name=record.name,
        status=record.status,
        operations=tuple(record.operations.values()),
        needs_invocation=service.needs_invocation(record),
        has_pending_work=service.has_pending_work(record),
        next_due=service.next_due(record, include_deadlines=True),
        next_timer=service.next_due(record, include_deadlines=False),
        pending_invokes=tuple(service.pending_chained_invokes(record)),
    )
