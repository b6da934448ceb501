"""The checkpointed operations of one execution, as one invocation sees them.

Operations are kept in a dict by id (constant-time lookup on every durable call, never a rescan).
The state is loaded once before the handler runs (the invocation input's first page, then every
further page from the service) and kept current with the operations each checkpoint response
returns.

Operations read from a wire page stay the validated dicts ``OperationList`` keeps them as
(``OperationFields``) until something asks for the ``Operation``: replaying a completed operation
compares and reads a few fields straight from the dict (``succeeded_payload``), which is most of
what a long replay does. Operations a checkpoint answers as ended (one for every step the
invocation runs, kept until it ends) are kept packed (``PackedFields``, about 40 % of the dicts'
memory) and unpacked when read, which the invocation seldom does: it knows what it checkpointed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, Final

from durable_lambda.core.errors import (
    ExecutionError,
    NonDeterministicExecutionError,
    ValidationError,
)
from durable_lambda.core.model import (
    InvocationInput,
    Operation,
    OperationList,
    OperationStatus,
    OperationType,
    as_operation,
)
from durable_lambda.core.operation_fields import (
    OperationFields,
    PackedFields,
    packed,
    packed_id,
    unpacked,
)
from durable_lambda.core.paging import follow_pages
from durable_lambda.core.ports import DurableService

__all__ = ["NOT_SUCCEEDED", "DurableState", "NotSucceeded", "OperationIdentity", "load_state"]

StateEntry = Operation | OperationFields | PackedFields
"""An operation as the state keeps it: the model, the validated dict it is built from, or that
dict packed."""


class NotSucceeded(Enum):
    """``succeeded_payload``'s answer when there is no succeeded operation to replay."""

    TOKEN = "not succeeded"


NOT_SUCCEEDED: Final = NotSucceeded.TOKEN
"""Nothing to replay as a stored result (no checkpoint at the id, one that is not SUCCEEDED, or a
context that replays its children): the operation runs its state machine."""

# Where each type keeps its outcome (the other types have none).
_RESULT_DETAILS: Final = {
    OperationType.STEP: "StepDetails",
    OperationType.CONTEXT: "ContextDetails",
    OperationType.CALLBACK: "CallbackDetails",
    OperationType.CHAINED_INVOKE: "ChainedInvokeDetails",
}
_SUCCEEDED: Final = OperationStatus.SUCCEEDED
_EXECUTION: Final = OperationType.EXECUTION
_CONTEXT: Final = OperationType.CONTEXT
_ENDED: Final = frozenset(status for status in OperationStatus if status.is_terminal)
_kind = type  # the builtin, under a name the methods' ``type`` parameters do not hide

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

    The operations are the invocation's input (every page of it), which the SDK does not take on
    trust: an id listed twice, or a second EXECUTION operation, is refused rather than resolved
    by letting the last one win.

    Args:
        execution_arn: The execution these operations belong to.
        operations: Every operation loaded so far, the EXECUTION operation first.

    Raises:
        ExecutionError: no EXECUTION operation is present.
        ValidationError: an operation id is listed more than once, or more than one EXECUTION
            operation is present.
    """

    __slots__ = ("_operations", "execution", "execution_arn", "fatal_error")

    def __init__(self, execution_arn: str, operations: Iterable[StateEntry]) -> None:
        self.execution_arn = execution_arn
        kept: dict[str, StateEntry] = {}
        execution_ids: list[str] = []
        # One pass, with the entry's fields read inline: it replaces a dict comprehension and a
        # scan for the EXECUTION operation, and costs less than they did (every invocation
        # builds its state from all of its operations). An entry of a page is a plain dict or
        # an Operation model, whose fields are its __dict__.
        for entry in operations:
            fields = entry if type(entry) is dict else _fields(entry)
            operation_id = fields["Id"]
            if operation_id in kept:
                raise _duplicate_ids(execution_arn, operation_id)
            kept[operation_id] = entry
            if fields["Type"] is _EXECUTION:
                execution_ids.append(operation_id)
        self._operations = kept
        if not execution_ids:
            raise ExecutionError(
                "the invocation's state holds no EXECUTION operation, so there is no input to run",
                execution_arn=execution_arn,
            )
        if len(execution_ids) > 1:
            raise ValidationError(
                f"the invocation's state holds {len(execution_ids)} EXECUTION operations (ids "
                f"{', '.join(map(repr, execution_ids))}); an execution has exactly one, and "
                "durable-lambda will not guess which one carries the input",
                field="Operations",
                execution_arn=execution_arn,
            )
        self.execution: Operation = self._built(execution_ids[0])
        self.fatal_error: ExecutionError | None = None
        """The first error that makes this execution unable to go on (kept even if user code
        catches it, so the invocation still ends FAILED)."""

    def __len__(self) -> int:
        return len(self._operations)

    def _built(self, operation_id: str) -> Operation:
        """Return the operation at ``operation_id`` as a model, building it once if still a dict."""
        entry = self._operations[operation_id]
        built = self._operations[operation_id] = as_operation(
            unpacked(entry) if isinstance(entry, tuple) else entry
        )
        return built

    def get(self, operation_id: str) -> Operation | None:
        """Return the checkpointed operation with this id, if there is one."""
        if operation_id not in self._operations:
            return None
        return self._built(operation_id)

    def apply(self, operations: Sequence[Operation]) -> None:
        """Record operations the service returned (new ones and new versions of old ones).

        Those still kept as dicts (an ``OperationList`` read from the wire) that have ended are
        kept packed, with the id the state already had for them (one string for the key and the
        record); one still going stays a dict, since a newer version usually replaces it soon.
        """
        kept = self._operations
        for entry in OperationList.entries_of(operations):
            if _kind(entry) is not dict:
                kept[_fields(entry)["Id"]] = entry
                continue
            operation_id = entry["Id"]
            if entry["Status"] not in _ENDED:
                kept[operation_id] = entry
                continue
            known = kept.get(operation_id)
            if known is None:
                kept[operation_id] = packed(entry)
            else:
                operation_id = known["Id"] if _kind(known) is dict else _entry_id(known)
                kept[operation_id] = packed(entry, operation_id)

    def operations(self) -> list[Operation]:
        """Return every known operation, in the order they were first seen."""
        return [self._built(operation_id) for operation_id in self._operations]

    def children_of(self, parent_id: str) -> list[Operation]:
        """Return the operations whose parent is ``parent_id`` (a scan, off the hot path)."""
        return [
            self._built(operation_id)
            for operation_id, entry in self._operations.items()
            if _fields(entry).get("ParentId") == parent_id
        ]

    def has_completed_work(self) -> bool:
        """Whether anything but the EXECUTION operation was checkpointed (replay is ahead)."""
        return any(
            fields["Type"] is not OperationType.EXECUTION
            and fields["Status"] is not OperationStatus.STARTED
            for fields in map(_fields, self._operations.values())
        )

    def checked(self, identity: OperationIdentity) -> Operation | None:
        """Return the checkpoint at ``identity.operation_id``, checked to be the same operation.

        Raises:
            NonDeterministicExecutionError: type, subtype, name or parent differ from the record.
        """
        operation_id = identity.operation_id
        if (
            self._checked_fields(
                operation_id, identity.type, identity.sub_type, identity.name, identity.parent_id
            )
            is None
        ):
            return None
        return self._built(operation_id)

    def succeeded_payload(
        self,
        operation_id: str,
        type: OperationType,
        sub_type: str | None,
        name: str | None,
        parent_id: str | None,
    ) -> str | NotSucceeded | None:
        """Return the stored result of a SUCCEEDED checkpoint at ``operation_id``, if any.

        The checkpoint is checked as ``checked()`` checks the identity the other arguments
        describe, without building its ``Operation`` if it is still a dict (nor the identity):
        the replay of a completed operation, most of a long replay.

        Returns:
            The result payload (None when it has none), or ``NOT_SUCCEEDED`` when there is no
            checkpoint at the id, it is not SUCCEEDED, or it is a context that stored a summary
            and replays its children for the result (then ``checked()`` gives the operation).

        Raises:
            NonDeterministicExecutionError: type, subtype, name or parent differ from the record.
        """
        # Inline, not through _checked_fields: every replayed operation comes this way.
        entry = self._operations.get(operation_id)
        if entry is None:
            return NOT_SUCCEEDED
        fields = entry if _kind(entry) is dict else _fields(entry)
        if (  # equal as they are: the usual replay, with no absent-or-empty to level first
            fields["Type"] is not type
            or fields.get("SubType") != sub_type
            or fields.get("Name") != name
            or fields.get("ParentId") != parent_id
        ):
            self._check_identity(operation_id, fields, type, sub_type, name, parent_id)
        if fields["Status"] is not _SUCCEEDED:
            return NOT_SUCCEEDED
        details_key = _RESULT_DETAILS.get(type)
        details = None if details_key is None else fields.get(details_key)
        if details is None:
            return None
        if _kind(details) is not dict:  # the details model of a built operation
            details = details.__dict__
        if type is _CONTEXT and details.get("ReplayChildren"):
            return NOT_SUCCEEDED
        result: str | None = details.get("Result")
        return result

    def _checked_fields(
        self,
        operation_id: str,
        type: OperationType,
        sub_type: str | None,
        name: str | None,
        parent_id: str | None,
    ) -> Mapping[str, Any] | None:
        """Return the recorded fields at ``operation_id``, checked to be the operation described.

        Raises:
            NonDeterministicExecutionError: type, subtype, name or parent differ from the record.
        """
        entry = self._operations.get(operation_id)
        if entry is None:
            return None
        fields = _fields(entry)
        self._check_identity(operation_id, fields, type, sub_type, name, parent_id)
        return fields

    def _check_identity(
        self,
        operation_id: str,
        fields: Mapping[str, Any],
        type: OperationType,
        sub_type: str | None,
        name: str | None,
        parent_id: str | None,
    ) -> None:
        """Raise if the recorded ``fields`` are not the operation described (absent = empty).

        Raises:
            NonDeterministicExecutionError: type, subtype, name or parent differ from the record.
        """
        if (
            fields["Type"] is not type
            or (fields.get("SubType") or None) != (sub_type or None)
            or (fields.get("Name") or None) != (name or None)
            or (fields.get("ParentId") or None) != (parent_id or None)
        ):
            identity = OperationIdentity(operation_id, type, sub_type, name, parent_id)
            error = _mismatch(self.execution_arn, self._built(operation_id), identity)
            self.fatal_error = self.fatal_error or error
            raise error


def _duplicate_ids(execution_arn: str, operation_id: str) -> ValidationError:
    """Describe an operation id the invocation's state lists more than once."""
    return ValidationError(
        f"the invocation's state lists operation id {operation_id!r} more than once; every "
        "operation id is unique, and durable-lambda will not guess which of the records is "
        "the real one",
        field="Operations",
        execution_arn=execution_arn,
        operation_id=operation_id,
    )


def _fields(entry: StateEntry) -> Mapping[str, Any]:
    """Return the recorded fields of an operation kept in any form (a model's: its __dict__)."""
    if isinstance(entry, Operation):
        return entry.__dict__
    if isinstance(entry, tuple):
        return unpacked(entry)
    return entry


def _entry_id(entry: StateEntry) -> str:
    """Return the id an operation kept in any form records."""
    operation_id: str = packed_id(entry) if isinstance(entry, tuple) else _fields(entry)["Id"]
    return operation_id


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
    """Build the state from the invocation input, fetching every further page from the service.

    Raises:
        PagingError: the service's pages never end (a marker repeats, or too many pages).
        CheckpointError: a page could not be read.
        ValidationError: the pages list an operation id twice, or two EXECUTION operations.
        ExecutionError: they hold no EXECUTION operation.
    """
    first = invocation.InitialExecutionState
    entries: Sequence[StateEntry] = OperationList.entries_of(first.Operations)
    if first.NextMarker:
        operations = list(entries)  # the input's own list stays as it came
        for page in await follow_pages(
            service,
            invocation.DurableExecutionArn,
            invocation.CheckpointToken,
            first.NextMarker,
            _STATE_PAGE_SIZE,
        ):
            operations.extend(OperationList.entries_of(page.Operations))
        entries = operations
    return DurableState(invocation.DurableExecutionArn, entries)
