"""A checkpoint (``CheckpointDurableExecution``): all its updates applied, or none of them.

``apply_checkpoint`` checks the token, the rules of the checkpoint as a whole (``check_batch``)
and each update by its type's rules (``operations``), applies them in order, fires the timers
due, and answers with the next token and every operation the handler has not seen. A refused
update undoes the ones before it (``rollback``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from durable_lambda.core.errors import CheckpointError, InvalidCheckpointTokenError
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    Operation,
    OperationAction,
    OperationType,
    OperationUpdate,
)
from durable_lambda.service.operations.rules import refuse
from durable_lambda.service.operations.updates import (
    apply_update,
    check_update,
    closes_at_once,
    record_close,
    start_closed,
)
from durable_lambda.service.record import CachedCheckpoint, ExecutionRecord, to_millis
from durable_lambda.service.rollback import Rollback
from durable_lambda.service.timers import advance
from durable_lambda.service.tokens import issue_token

__all__ = ["apply_checkpoint", "check_batch"]

# Enum members read once: on Python 3.11 reading one from its class costs about 70 ns.
_START = OperationAction.START
_EXECUTION, _CONTEXT, _STEP = OperationType.EXECUTION, OperationType.CONTEXT, OperationType.STEP


def apply_checkpoint(
    record: ExecutionRecord,
    token: str,
    updates: Sequence[OperationUpdate],
    now: datetime,
    client_token: str | None = None,
) -> CheckpointResponse:
    """Apply a checkpoint (``CheckpointDurableExecution``): all its updates, or none of them.

    After the updates, timers due at ``now`` fire. The response carries every operation that
    changed since the handler last saw it (its own updates, and whatever the service changed
    meanwhile), and the next token; no token once the execution has ended.

    Args:
        record: The execution, changed in place only if the whole checkpoint is accepted.
        token: The checkpoint token the caller holds.
        updates: The updates, applied in order.
        now: The current time.
        client_token: An idempotency key: the same key with the same token gets the same answer.

    Returns:
        The new token and the changed operations.

    Raises:
        InvalidCheckpointTokenError: ``token`` is not the current token.
        CheckpointError: (not retriable) the execution has ended, or an update is invalid; the
            message names the update and the rule.
    """
    now = to_millis(now)
    cached = record.last_checkpoint
    if (
        client_token
        and cached
        and (cached.ClientToken, cached.InboundToken)
        == (
            client_token,
            token,
        )
    ):
        return cached.Response
    _check_token(record, token)
    # Applied in place; a refused update undoes the ones before it (see service.rollback).
    rollback = Rollback(record, (update.Id for update in updates))
    try:
        return _apply_checkpoint(record, token, updates, now, client_token)
    except BaseException:
        rollback.restore(record)
        raise


def _apply_checkpoint(
    record: ExecutionRecord,
    token: str,
    updates: Sequence[OperationUpdate],
    now: datetime,
    client_token: str | None,
) -> CheckpointResponse:
    closed_later = check_batch(record, updates)
    _apply_updates(record, updates, closed_later, now)
    advance(record, now)
    operations = record.operations
    changed = tuple([operations[operation_id] for operation_id in record.undelivered])
    record.undelivered.clear()
    new_token = issue_token(record)
    response = CheckpointResponse(
        CheckpointToken=None if record.status.is_terminal else new_token,
        NewExecutionState=ExecutionState(Operations=changed),
    )
    if client_token:
        record.last_checkpoint = CachedCheckpoint(
            ClientToken=client_token, InboundToken=token, Response=response
        )
    return response


def _apply_updates(
    record: ExecutionRecord,
    updates: Sequence[OperationUpdate],
    closed_later: dict[int, int],
    now: datetime,
) -> None:
    """Check and apply each update in turn, against the record as the ones before it left it.

    A STEP or CONTEXT that starts and closes in the same batch (a step or a map item that ran
    between two calls, the usual case) is built closed at its START, and only its closing
    event is recorded in the close's turn: the same record, history and response as applying
    the two apart, as the operation is seen by nothing in between but the parent rule, which
    reads only its type.

    Args:
        record: The execution, changed in place.
        updates: The checkpoint's updates.
        closed_later: The positions of STARTs closed later in the batch, and of their closes.
        now: The service's time.
    """
    ended: dict[int, Operation] = {}  # closes applied with their START, by position
    for index, update in enumerate(updates):
        if ended and index in ended:
            record_close(record, ended.pop(index), update, now)
            continue
        current = check_update(record, index, update)
        close_index = closed_later.get(index) if closed_later else None
        if (
            close_index is not None
            and current is None
            and closes_at_once(record, close_index, update, updates[close_index])
        ):
            ended[close_index] = start_closed(record, update, updates[close_index], now)
        else:
            apply_update(record, update, current, now)


def _check_token(record: ExecutionRecord, token: str) -> None:
    if record.status.is_terminal:
        raise CheckpointError(
            f"the execution has ended ({record.status.value})",
            retriable=False,
            execution_arn=record.arn,
        )
    if token != record.checkpoint_token:
        raise InvalidCheckpointTokenError(
            "the checkpoint token is not the execution's current token", execution_arn=record.arn
        )


def check_batch(record: ExecutionRecord, updates: Sequence[OperationUpdate]) -> dict[int, int]:
    """Check the rules that concern the batch as a whole.

    Returns:
        Where a STEP or CONTEXT START is followed by a second update of the same operation (its
        close, if that is valid): the START's position, and the second update's.

    Raises:
        CheckpointError: (not retriable) two EXECUTION updates, an EXECUTION update that is not
            last, or the same operation updated twice (only a STEP or CONTEXT START may be
            followed by one closing update in the same batch).
    """
    executions = [i for i, u in enumerate(updates) if u.Type is _EXECUTION]
    if len(executions) > 1:
        refuse(record, executions[1], updates[executions[1]], "only one EXECUTION update per call")
    if executions and executions[0] != len(updates) - 1:
        refuse(record, executions[0], updates[executions[0]], "EXECUTION must be the last update")
    last_seen: dict[str, int] = {}
    closed_later: dict[int, int] = {}
    for index, update in enumerate(updates):
        seen = last_seen.get(update.Id)
        if seen is not None:
            previous = updates[seen]
            if not (
                previous.Type in (_STEP, _CONTEXT)
                and previous.Action is _START
                and update.Action is not _START
            ):
                refuse(record, index, update, "the same operation is updated twice in one call")
            closed_later[seen] = index
        last_seen[update.Id] = index
    return closed_later
