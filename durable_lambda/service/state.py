"""What the service hands the handler: the invocation input and pages of operations."""

from __future__ import annotations

from durable_lambda.core.errors import InvalidCheckpointTokenError, ValidationError
from durable_lambda.core.model import (
    ExecutionState,
    InvocationInput,
    Operation,
    OperationStatus,
    OperationType,
)
from durable_lambda.service.record import ExecutionRecord
from durable_lambda.service.tokens import issue_token, token_was_issued

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "invocation_input",
    "replayable_operations",
    "state_page",
]

DEFAULT_PAGE_SIZE = 100
"""Operations per page when the caller asks for none (or 0), as ``GetDurableExecutionState``."""
MAX_PAGE_SIZE = 1000
"""The most operations one page holds."""

_CLOSED = frozenset({OperationStatus.SUCCEEDED, OperationStatus.FAILED})


def _hides_children(operation: Operation) -> bool:
    """Tell whether replay can skip this operation's children.

    A completed context's stored outcome stands for its children, unless it was completed
    with ``ReplayChildren``.
    """
    return (
        operation.Type is OperationType.CONTEXT
        and operation.Status in _CLOSED
        and not (operation.ContextDetails and operation.ContextDetails.ReplayChildren)
    )


def replayable_operations(record: ExecutionRecord) -> list[tuple[int, Operation]]:
    """Return the operations a replay needs, each with its position among all operations.

    As the service documents for ``GetDurableExecutionState``: operations in the order they
    started, without the descendants of a completed context (unless it was completed with
    ``ReplayChildren``), because replay returns that context's stored outcome.
    """
    operations = record.operations
    hidden: dict[str, bool] = {}
    return [
        (position, operations[operation_id])
        for position, operation_id in enumerate(record.operation_ids())
        if not _is_hidden(operations[operation_id], operations, hidden)
    ]


def _is_hidden(
    operation: Operation, operations: dict[str, Operation], hidden: dict[str, bool]
) -> bool:
    """Tell whether an ancestor of ``operation`` is a completed context that hides it.

    Args:
        operation: The operation.
        operations: Every operation, by id.
        hidden: Whether each context already looked at hides its descendants, by id: filled
            in as the ancestors are walked, so siblings look at their parent once.
    """
    parent_id = operation.ParentId
    walked: list[str] = []
    hides = False
    while parent_id is not None:
        known = hidden.get(parent_id)
        if known is not None:
            hides = known
            break
        # A parent is always stored before its children (the service refuses an unknown one).
        parent = operations.get(parent_id)
        if parent is None:
            break
        walked.append(parent_id)
        if _hides_children(parent):
            hides = True
            break
        parent_id = parent.ParentId
    for context_id in walked:
        hidden[context_id] = hides
    return hides


def _start_position(record: ExecutionRecord, marker: str | None) -> int:
    """Return the position a marker names; any position among the operations will do."""
    if not marker:
        return 0
    if (
        not (marker.isascii() and marker.isdigit())
        or len(marker) > 19
        or int(marker) > len(record.operations)
    ):
        raise ValidationError(
            f"invalid marker {marker!r}", field="Marker", execution_arn=record.arn
        )
    return int(marker)


def state_page(
    record: ExecutionRecord,
    marker: str | None,
    max_items: int | None,
    checkpoint_token: str | None = None,
) -> ExecutionState:
    """Return one page of the operations a replay needs (``GetDurableExecutionState``).

    A marker is the position, among every operation in the order they were created, of the
    first operation the page holds: the page is read from there (``record.operation_ids``), so
    building it costs what the page holds and the hidden operations it passes over, never a
    scan of every operation before it. Reading every page of an execution is linear in its
    operations.

    Args:
        record: The execution.
        marker: ``NextMarker`` of the previous page; None or empty for the first page.
        max_items: Operations per page; None or 0 for ``DEFAULT_PAGE_SIZE``, at most
            ``MAX_PAGE_SIZE``.
        checkpoint_token: The caller's token, when it must be checked: any token issued for
            this execution will do (an invocation pages with the token it started with).

    Returns:
        The page, with ``NextMarker`` set when more operations follow.

    Raises:
        ValidationError: The marker is not a position among this execution's operations.
        InvalidCheckpointTokenError: The token was not issued for this execution.
    """
    if checkpoint_token is not None and not token_was_issued(record, checkpoint_token):
        raise InvalidCheckpointTokenError(
            "the checkpoint token was not issued for this execution", execution_arn=record.arn
        )
    position = _start_position(record, marker)
    size = min(max_items or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    ids = record.operation_ids()
    operations = record.operations
    hidden: dict[str, bool] = {}
    page: list[Operation] = []
    next_marker: str | None = None
    end = len(ids)
    while position < end:
        operation = operations[ids[position]]
        if not _is_hidden(operation, operations, hidden):
            if len(page) == size:
                next_marker = str(position)
                break
            page.append(operation)
        position += 1
    return ExecutionState(Operations=tuple(page), NextMarker=next_marker)


def invocation_input(record: ExecutionRecord, page_size: int | None = None) -> InvocationInput:
    """Build the event of the next invocation and issue its checkpoint token.

    Issuing a token makes any earlier invocation's token stale, so an invocation that was
    replaced cannot checkpoint any more. Everything changed so far counts as delivered.

    Args:
        record: The execution, changed in place.
        page_size: Operations in ``InitialExecutionState``; the handler loads the rest with
            ``GetDurableExecutionState``. None or 0 for ``DEFAULT_PAGE_SIZE``.

    Returns:
        The invocation input.
    """
    token = issue_token(record)
    record.undelivered.clear()
    first = state_page(record, None, page_size)
    state = ExecutionState(Operations=first.Operations, NextMarker=first.NextMarker or "")
    return InvocationInput(
        DurableExecutionArn=record.arn, CheckpointToken=token, InitialExecutionState=state
    )
