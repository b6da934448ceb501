"""The replay-safe helpers of ``DurableContext``: time, UUIDs, random numbers, metadata.

``ReplaySafeHelpers`` is part of ``DurableContext`` (``durable_context.py``); how each value
stays the same on every replay is told in ``core/operations/replay_safe.py``.
"""

from __future__ import annotations

from datetime import datetime
from random import Random
from uuid import UUID

from durable_lambda.core.operations.replay_safe import (
    OperationMetadata,
    current_time,
    new_random,
    new_uuid,
    read_operation_metadata,
)
from durable_lambda.core.operations.scope import OperationScope

__all__ = ["ReplaySafeHelpers"]


class ReplaySafeHelpers:
    """``DurableContext``'s values that are the same on every replay."""

    __slots__ = ()

    def now(self: OperationScope) -> datetime:
        """Return the time (UTC) at which the code first reached this call; the same on replay.

        The first run reads the clock and checkpoints the value as a STEP with subtype ``Now``;
        replay returns the stored value. Like any durable call it takes an operation id of
        this context (the update is queued, not awaited).

        Raises:
            NonDeterministicExecutionError: another operation was checkpointed here.
        """
        return current_time(self)

    def uuid4(self: OperationScope) -> UUID:
        """Return a random-looking version-4 UUID that is identical on every replay.

        Derived from the execution ARN, this context and its position (how many operation ids
        it has taken, and how many draws came before at that position): it differs between
        executions, takes no operation id and checkpoints nothing.
        """
        return new_uuid(self)

    def random(self: OperationScope) -> Random:
        """Return a ``random.Random`` seeded so that it draws the same numbers on every replay.

        Seeded like ``uuid4`` (execution, context, position, draws so far); takes no operation
        id and checkpoints nothing.

        Example:
            >>> delay = ctx.random().uniform(1.0, 5.0)
        """
        return new_random(self)

    async def operation_metadata(
        self: OperationScope, operation_id: str | None = None
    ) -> OperationMetadata | None:
        """Return what the service recorded about an operation: id, name, attempt, timestamps.

        Queued updates are flushed first, so an operation that just completed shows its end
        timestamp. For an operation that has completed the answer is the same on every replay.

        Args:
            operation_id: The operation's id (e.g. ``StepContext.operation_id``); None for the
                operation this context started last.

        Returns:
            The metadata, or None when no such operation was checkpointed.

        Raises:
            CheckpointError: flushing the queued updates failed.
        """
        return await read_operation_metadata(self, operation_id)
