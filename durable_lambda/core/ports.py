"""The ports of the core: what it needs from the outside world, as small protocols.

The core never talks to AWS, the disk, the wall clock or a random source directly; it is handed an
object that satisfies one of these protocols. Adapters live in ``durable_lambda.adapters``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from durable_lambda.core.model import CheckpointResponse, ExecutionState, OperationUpdate

__all__ = ["Clock", "DurableService", "Logger", "RandomSource"]


@runtime_checkable
class DurableService(Protocol):
    """Checkpoint storage: the two calls of the durable execution API an invocation makes.

    Implemented over boto3's ``lambda`` client on AWS, and by a local service over an execution
    store for in-memory and file-based runs.
    """

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        """Apply ``updates`` in order; return the next token and the operations that changed.

        Raises:
            InvalidCheckpointTokenError: the token is not the execution's current one.
            CheckpointError: the call failed; ``retriable`` says whether a retry can succeed.
        """
        ...

    async def get_state(
        self,
        execution_arn: str,
        checkpoint_token: str,
        marker: str,
        max_items: int | None = None,
    ) -> ExecutionState:
        """Return the page of operations that starts at ``marker``."""
        ...


@runtime_checkable
class Clock(Protocol):
    """Time, for the core and for the local service."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware (UTC)."""
        ...

    async def sleep_until(self, moment: datetime) -> None:
        """Return once ``moment`` has come (a fake clock jumps there at once)."""
        ...


class RandomSource(Protocol):
    """Randomness for retry jitter; ``random.Random`` satisfies it."""

    def random(self) -> float:
        """Return a float in [0, 1)."""
        ...


@runtime_checkable
class Logger(Protocol):
    """Structured logging, bound to an execution and an operation."""

    def bind(self, **fields: object) -> Logger:
        """Return a logger that adds ``fields`` to every event."""
        ...

    def debug(self, event: str, **fields: object) -> None:
        """Log a debug event."""
        ...

    def info(self, event: str, **fields: object) -> None:
        """Log an info event."""
        ...

    def warning(self, event: str, **fields: object) -> None:
        """Log a warning event."""
        ...

    def error(self, event: str, **fields: object) -> None:
        """Log an error event."""
        ...

    def exception(self, event: str, **fields: object) -> None:
        """Log an error event with the exception being handled."""
        ...
