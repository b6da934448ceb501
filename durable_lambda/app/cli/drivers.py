"""Who drives an execution: the process that holds its lock, as the store knows it.

A ``durable-lambda run`` or ``resume`` holds an execution's lock for as long as it drives it
(``LockingExecutionStore.lock``; the file store writes the holder's pid into the lock file). A
command that reads or changes an execution asks here before it suggests ``resume`` or deletes
anything: taking the lock at once and letting it go tells whether someone holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from durable_lambda.service.ports import (
    ExecutionLockedError,
    ExecutionStore,
    LockingExecutionStore,
)

__all__ = ["Driver", "driver_of"]


@dataclass(frozen=True)
class Driver:
    """The process that drives an execution.

    Attributes:
        pid: Its process id, when the store knows it.
    """

    pid: int | None

    def describe(self) -> str:
        """Return who it is, in words: ``process 4242``, or ``another process``."""
        return f"process {self.pid}" if self.pid else "another process"


async def driver_of(store: ExecutionStore, arn: str) -> Driver | None:
    """Return who drives execution ``arn`` now; None if nobody does (or the store cannot tell).

    A store that is not a ``LockingExecutionStore`` has a single process by definition, so
    nobody else drives its executions.
    """
    if not isinstance(store, LockingExecutionStore):
        return None
    try:
        async with store.lock(arn):
            return None
    except ExecutionLockedError as error:
        return Driver(error.holder_pid)
