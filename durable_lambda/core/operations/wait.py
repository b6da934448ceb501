"""The wait operation: suspend until a duration has passed, at no compute cost.

A new wait sends START with ``WaitOptions.WaitSeconds`` and suspends; the service completes the
operation at its ``ScheduledEndTimestamp`` and invokes the function again. On replay a SUCCEEDED (or
CANCELLED) wait returns at once and a STARTED one suspends again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from durable_lambda.core.config import Duration
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.model import (
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    OperationUpdate,
    WaitOptions,
)

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope

__all__ = ["MAX_WAIT_SECONDS", "MIN_WAIT_SECONDS", "run_wait"]

MIN_WAIT_SECONDS = 1
MAX_WAIT_SECONDS = 31_622_400
"""The service accepts waits from 1 second up to 366 days."""


async def run_wait(ctx: OperationScope, duration: Duration, name: str | None) -> None:
    """Wait ``duration`` as the next operation of ``ctx``.

    Raises:
        ValidationError: the duration is under 1 second or over 366 days.
    """
    seconds = duration.to_seconds()
    if not MIN_WAIT_SECONDS <= seconds <= MAX_WAIT_SECONDS:
        raise ValidationError(
            f"wait duration must be between {MIN_WAIT_SECONDS} and {MAX_WAIT_SECONDS} seconds, "
            f"got {seconds}",
            field="duration",
            operation_name=name,
        )
    runtime = ctx.runtime
    identity = ctx.next_identity(OperationType.WAIT, OperationSubType.WAIT, name)
    op = runtime.state.checked(identity)
    if op is not None:
        if op.Status in (OperationStatus.SUCCEEDED, OperationStatus.CANCELLED):
            return
        raise runtime.suspension(identity)
    runtime.note_new_work()
    runtime.checkpointer.enqueue(
        OperationUpdate(
            Id=identity.operation_id,
            ParentId=identity.parent_id,
            Name=identity.name,
            Type=OperationType.WAIT,
            SubType=identity.sub_type,
            Action=OperationAction.START,
            WaitOptions=WaitOptions(WaitSeconds=seconds),
        )
    )
    raise runtime.suspension(identity)
