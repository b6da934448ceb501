"""The service's port to storage: ``ExecutionStore``, the capabilities a store adds, their errors.

The local service keeps each execution as one ``ExecutionRecord`` in an ``ExecutionStore``. A
store may declare more than the four calls every store has, by having the methods of a
capability (each a ``runtime_checkable`` protocol, so ``isinstance(store, Capability)`` tells):

* ``LendingExecutionStore``: the store keeps records in this process and lends the stored record
  out uncopied (the in-memory store), so a checkpoint costs the same however long the execution.

``docs/storage-adapters.md`` describes each call and capability; ``durable_lambda.contract``
holds the tests a store runs to prove it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from durable_lambda.core.errors import DurableExecutionError
from durable_lambda.service.record import ExecutionRecord, ExecutionSummary

__all__ = [
    "ExecutionAlreadyExistsError",
    "ExecutionNotFoundError",
    "ExecutionStore",
    "LendingExecutionStore",
]


class ExecutionNotFoundError(DurableExecutionError, LookupError):
    """No execution has this ARN (the service's ResourceNotFoundException)."""


class ExecutionAlreadyExistsError(DurableExecutionError):
    """An execution with this ARN exists already."""


@runtime_checkable
class ExecutionStore(Protocol):
    """Where the local service keeps execution records; each call is atomic for one record."""

    async def create(self, record: ExecutionRecord) -> None:
        """Store a new record.

        Raises:
            ExecutionAlreadyExistsError: A record with the same ARN exists.
        """
        ...

    async def load(self, arn: str) -> ExecutionRecord:
        """Return the record of execution ``arn``; changing it does not change the store.

        Raises:
            ExecutionNotFoundError: No such execution.
        """
        ...

    async def save(self, record: ExecutionRecord) -> None:
        """Replace the stored record of ``record.arn`` with ``record``.

        Raises:
            ExecutionNotFoundError: No such execution was created.
        """
        ...

    async def list_executions(self) -> list[ExecutionSummary]:
        """Return a summary of every stored execution, oldest first."""
        ...


@runtime_checkable
class LendingExecutionStore(ExecutionStore, Protocol):
    """An ``ExecutionStore`` in this process that can lend out the record it keeps, uncopied.

    ``load`` and ``save`` copy whole records, so that what a caller holds and what the store
    keeps never change each other. The local service changes a record once per checkpoint; over
    a store that keeps its records in this process's memory it borrows the stored record
    instead and changes it in place, which keeps a checkpoint's cost independent of how long
    the execution is. A borrower must change the record all-or-nothing, only while it holds the
    execution's lock, and must not keep it or hand it out (``load`` is for that).
    """

    def lend(self, arn: str) -> ExecutionRecord:
        """Return the stored record of execution ``arn`` itself, not a copy.

        Raises:
            ExecutionNotFoundError: No such execution.
        """
        ...
