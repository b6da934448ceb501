"""The checkpointed operations of one execution, as one invocation sees them.

Operations are kept in a dict by id (constant-time lookup on every durable call, never a rescan).
The state is loaded once before the handler runs (the invocation input's first page, then every
further page from the service) and kept current with the operations each checkpoint response
returns.
"""

from __future__ import annotations

from collections.abc import Iterable

from durable_lambda.core.errors import ExecutionError, NonDeterministicExecutionError
from durable_lambda.core.model import (
    InvocationInput,
    Operation,
    OperationStatus,
    OperationType,
)
from durable_lambda.core.ports import DurableService

__all__ = ["DurableState", "OperationIdentity", "load_state"]

_STATE_PAGE_SIZE = 1000


class OperationIdentity:
    """What the code asks for at one position: the fields replay compares with the checkpoint."""

    __slots__ = ("name", "operation_id", "parent_id", "sub_type", "type")

    def __init__(
        self,
        operation_id: str,
        type: OperationType,
        sub_type: str | None,
        name: str | None,
        parent_id: str | None,
    ) -> None:
        self.operation_id = operation_id
        self.type = type
        self.sub_type = sub_type
        self.name = name
        self.parent_id = parent_id

    def as_dict(self) -> dict[str, str | None]:
        """Return the identity as plain strings, for messages."""
        return {
            "type": self.type.value,
            "sub_type": self.sub_type,
            "name": self.name,
            "parent_id": self.parent_id,
        }


class DurableState:
    """Operations by id, plus the EXECUTION operation that carries the user's input.

    Args:
        execution_arn: The execution these operations belong to.
        operations: Every operation loaded so far, the EXECUTION operation first.

    Raises:
        ExecutionError: no EXECUTION operation is present.
    """

    __slots__ = ("_operations", "execution", "execution_arn", "fatal_error")

    def __init__(self, execution_arn: str, operations: Iterable[Operation]) -> None:
        self.execution_arn = execution_arn
        self._operations: dict[str, Operation] = {op.Id: op for op in operations}
        execution = next(
            (op for op in self._operations.values() if op.Type is OperationType.EXECUTION), None
        )
        if execution is None:
            raise ExecutionError(
                "the invocation's state holds no EXECUTION operation, so there is no input to run",
                execution_arn=execution_arn,
            )
        self.execution = execution
        self.fatal_error: ExecutionError | None = None
        """The first error that makes this execution unable to go on (kept even if user code
        catches it, so the invocation still ends FAILED)."""

    def __len__(self) -> int:
        return len(self._operations)

    def get(self, operation_id: str) -> Operation | None:
        """Return the checkpointed operation with this id, if there is one."""
        return self._operations.get(operation_id)

    def apply(self, operations: Iterable[Operation]) -> None:
        """Record operations the service returned (new ones and new versions of old ones)."""
        for op in operations:
            self._operations[op.Id] = op

    def operations(self) -> list[Operation]:
        """Return every known operation, in the order they were first seen."""
        return list(self._operations.values())

    def children_of(self, parent_id: str) -> list[Operation]:
        """Return the operations whose parent is ``parent_id`` (a scan, off the hot path)."""
        return [op for op in self._operations.values() if op.ParentId == parent_id]

    def has_completed_work(self) -> bool:
        """Whether anything but the EXECUTION operation was checkpointed (replay is ahead)."""
        return any(
            op.Type is not OperationType.EXECUTION and op.Status is not OperationStatus.STARTED
            for op in self._operations.values()
        )

    def checked(self, identity: OperationIdentity) -> Operation | None:
        """Return the checkpoint at ``identity.operation_id``, checked to be the same operation.

        Raises:
            NonDeterministicExecutionError: type, subtype, name or parent differ from the record.
        """
        op = self._operations.get(identity.operation_id)
        if op is None:
            return None
        if (
            op.Type is not identity.type
            or (op.SubType or None) != (identity.sub_type or None)
            or (op.Name or None) != (identity.name or None)
            or (op.ParentId or None) != (identity.parent_id or None)
        ):
            error = _mismatch(self.execution_arn, op, identity)
            self.fatal_error = self.fatal_error or error
            raise error
        return op


def _mismatch(
    execution_arn: str, op: Operation, identity: OperationIdentity
) -> NonDeterministicExecutionError:
    recorded: dict[str, str | None] = {
        "type": op.Type.value,
        "sub_type": op.SubType,
        "name": op.Name,
        "parent_id": op.ParentId,
    }
    attempted = identity.as_dict()
    differences = ", ".join(
        f"{key}: recorded {recorded[key]!r}, code attempted {attempted[key]!r}"
        for key in recorded
        if (recorded[key] or None) != (attempted[key] or None)
    )
    return NonDeterministicExecutionError(
        "non-deterministic replay: the code started a different operation at this position "
        f"than the one checkpointed ({differences}). Durable code must take the same path on "
        "every replay; move non-deterministic logic into a step",
        recorded=recorded,
        attempted=attempted,
        execution_arn=execution_arn,
        operation_id=identity.operation_id,
        operation_name=identity.name or op.Name,
    )


async def load_state(invocation: InvocationInput, service: DurableService) -> DurableState:
    """Build the state from the invocation input, fetching every further page from the service."""
    page = invocation.InitialExecutionState
    operations: list[Operation] = list(page.Operations)
    marker = page.NextMarker
    while marker:
        page = await service.get_state(
            invocation.DurableExecutionArn, invocation.CheckpointToken, marker, _STATE_PAGE_SIZE
        )
        operations.extend(page.Operations)
        marker = page.NextMarker
    return DurableState(invocation.DurableExecutionArn, operations)
