"""Replay-safe helpers: the time, UUIDs and random numbers, and the metadata of operations.

Code between durable calls runs again on every replay, so it must not read the wall clock or a
random source directly: the value would change from one replay to the next. These helpers give
values that are identical on every replay of an execution and differ between executions.

* ``current_time`` (``ctx.now()``) is *recorded*: the first time the code reaches it, the Clock
  port is read and the value is checkpointed as a STEP with subtype ``Now``; every replay returns
  the stored value. It therefore takes one operation id, like any durable call. Deriving the time
  from checkpoints without recording it was rejected: the only timestamps a replay is sure to see
  identically are stale ones (the execution's start), and "the latest checkpoint" depends on what
  was acknowledged when the code first ran, which replay cannot reproduce.
* ``new_uuid`` (``ctx.uuid4()``) and ``new_random`` (``ctx.random()``) are *derived*: a blake2b
  digest of the execution ARN, the context's id, the context's position (how many operation ids
  it has taken) and how many draws were made at that position before. Nothing is checkpointed
  and no operation id is taken. The execution ARN makes them differ between executions; the
  rest makes them identical on every replay, as long as the code draws in the same order.
* ``read_operation_metadata`` (``ctx.operation_metadata()``) reports an operation's id, name,
  attempt and timestamps as the service recorded them.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from durable_lambda.core.errors import SerDesError
from durable_lambda.core.ids import operation_id as derive_operation_id
from durable_lambda.core.model import (
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.operations.skeleton import begin
from durable_lambda.core.runtime import ExecutionRuntime
from durable_lambda.core.state import OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope

__all__ = [
    "NOW_SUB_TYPE",
    "OperationMetadata",
    "current_time",
    "new_random",
    "new_uuid",
    "read_operation_metadata",
]

NOW_SUB_TYPE = "Now"
"""The subtype of the STEP that records ``ctx.now()``."""

# Draws made at each (context, position) in this invocation. Keyed weakly by the runtime, which
# lives as long as one invocation: every invocation counts from zero again, as a replay must.
_DRAWS: weakref.WeakKeyDictionary[ExecutionRuntime, dict[tuple[str | None, int], int]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True, slots=True)
class OperationMetadata:
    """What the service recorded about one operation.

    Attributes:
        operation_id: The operation's id.
        name: Its name, if it has one.
        type: Its type (STEP, WAIT, CONTEXT...).
        sub_type: Its subtype (``Step``, ``Wait``, ``Race``...), if any.
        parent_id: The id of the CONTEXT it belongs to; None at the top level.
        status: Where it stands (STARTED, SUCCEEDED, FAILED...).
        attempt: For a step, how many attempts it has made; None for other types.
        start_timestamp: When the service recorded its start.
        end_timestamp: When it completed; None while it has not.
    """

    operation_id: str
    name: str | None
    type: OperationType
    sub_type: str | None
    parent_id: str | None
    status: OperationStatus
    attempt: int | None
    start_timestamp: datetime
    end_timestamp: datetime | None

    @classmethod
    def from_operation(cls, op: Operation) -> OperationMetadata:
        """Describe a checkpointed ``Operation``."""
        attempt = None
        if op.Type is OperationType.STEP:
            attempt = op.StepDetails.Attempt if op.StepDetails else 0
        return cls(
            operation_id=op.Id,
            name=op.Name,
            type=op.Type,
            sub_type=op.SubType,
            parent_id=op.ParentId,
            status=op.Status,
            attempt=attempt,
            start_timestamp=op.StartTimestamp,
            end_timestamp=op.EndTimestamp,
        )


def current_time(ctx: OperationScope) -> datetime:
    """Return the time the code first reached this point, recorded as the next operation of ``ctx``.

    The record is queued, not awaited: updates reach the service in the order they were queued,
    so anything checkpointed after this call implies the time was checkpointed too; an invocation
    that ends before the record is sent reads the clock again on its next run.

    Raises:
        NonDeterministicExecutionError: a different operation was checkpointed here.
        SerDesError: the stored record is not a timestamp.
    """
    runtime = ctx.runtime
    identity, op = begin(ctx, OperationType.STEP, NOW_SUB_TYPE, None)
    if op is not None and op.Status is OperationStatus.SUCCEEDED:
        return _read_time(op.result_payload, runtime, identity.operation_id)
    runtime.note_new_work()
    moment = runtime.clock.now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    payload = json.dumps(moment.astimezone(UTC).isoformat())
    if op is None:
        runtime.checkpointer.enqueue(_now_update(identity, OperationAction.START, None))
    runtime.checkpointer.enqueue(_now_update(identity, OperationAction.SUCCEED, payload))
    return _read_time(payload, runtime, identity.operation_id)


def new_uuid(ctx: OperationScope) -> uuid.UUID:
    """Return a version-4 UUID derived from the execution and the position in ``ctx``.

    Takes no operation id and checkpoints nothing (see the module docstring).
    """
    return uuid.UUID(bytes=_draw(ctx, "uuid4")[:16], version=4)


def new_random(ctx: OperationScope) -> random.Random:
    """Return a ``random.Random`` seeded from the execution and the position in ``ctx``.

    Takes no operation id and checkpoints nothing (see the module docstring). The generator is
    the caller's own: drawing from it in the same order yields the same numbers on every replay.
    """
    return random.Random(int.from_bytes(_draw(ctx, "random"), "big"))


async def read_operation_metadata(
    ctx: OperationScope, operation_id: str | None
) -> OperationMetadata | None:
    """Return what the service recorded about an operation, after flushing queued updates.

    Args:
        ctx: The context asked.
        operation_id: The operation's id; None for the operation ``ctx`` started last.

    Returns:
        The metadata, or None when no such operation was checkpointed (or ``ctx`` has started
        none).

    Raises:
        CheckpointError: flushing the queued updates failed.
    """
    if operation_id is None:
        position = ctx.operations_started()
        if position == 0:
            return None
        operation_id = derive_operation_id(ctx.id_prefix, position)
    # Timestamps and statuses are set by the service: wait until it has seen every queued update.
    await ctx.runtime.checkpointer.flush()
    op = ctx.runtime.state.get(operation_id)
    return None if op is None else OperationMetadata.from_operation(op)


def _draw(ctx: OperationScope, purpose: str) -> bytes:
    runtime = ctx.runtime
    position = ctx.operations_started()
    draws = _DRAWS.setdefault(runtime, {})
    key = (ctx.id_prefix, position)
    count = draws.get(key, 0)
    draws[key] = count + 1
    material = "\x1f".join(
        (runtime.execution_arn, ctx.id_prefix or "", str(position), str(count), purpose)
    )
    return hashlib.blake2b(material.encode(), digest_size=32).digest()


def _now_update(
    identity: OperationIdentity, action: OperationAction, payload: str | None
) -> OperationUpdate:
    return OperationUpdate(
        Id=identity.operation_id,
        ParentId=identity.parent_id,
        Type=OperationType.STEP,
        SubType=NOW_SUB_TYPE,
        Action=action,
        Payload=payload,
    )


def _read_time(payload: str | None, runtime: ExecutionRuntime, operation_id: str) -> datetime:
    try:
        text = json.loads(payload or "")
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError) as error:
        raise SerDesError(
            f"the recorded time is not an ISO 8601 timestamp: {payload!r}",
            execution_arn=runtime.execution_arn,
            operation_id=operation_id,
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
