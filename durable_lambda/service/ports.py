"""The service's port to storage: ``ExecutionStore``, the capabilities a store adds, their errors.

The local service keeps each execution as one ``ExecutionRecord`` in an ``ExecutionStore``. A
store may declare more than the four calls every store has, by having the methods of a
capability. Each capability is a ``runtime_checkable`` protocol, and the code that uses one asks
``isinstance(store, Capability)`` once (when it is given the store), so a custom store gains a
capability by defining its methods, with no base class or registration; the contract suites in
``durable_lambda.contract`` then test it.

* ``LendingExecutionStore``: the store keeps records in this process and lends the stored record
  out uncopied (the in-memory store), so a checkpoint costs the same however long the execution.
* ``IncrementalExecutionStore``: the store saves each change of a record in proportion to the
  change, not to the record (the file store's journal); the local service hands it each change
  as a function (``update``) and reads through ``view``, instead of loading and saving copies.
* ``LockingExecutionStore``: several processes (or store objects) may share the storage; locks
  keep two drivers off one execution, and two read-modify-writes of one record apart (the file
  store). ``LocalOrchestrator`` holds ``lock`` while it drives an execution; the local service
  holds ``record_lock`` around each change of a record. Without it, both rely on being the only
  process (the service's own per-execution lock orders the calls of one process).
* ``RepairableExecutionStore``: the store can replace a record it can no longer read (the file
  store, whose files a power cut can damage).
* ``DeletingExecutionStore``: the store can remove an execution for good (the in-memory and file
  stores; ``durable-lambda delete`` and ``prune``).

``docs/storage-adapters.md`` describes each call and capability.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar, runtime_checkable

from durable_lambda.core.errors import DurableExecutionError
from durable_lambda.service.record import ExecutionRecord, ExecutionSummary

__all__ = [
    "DeletingExecutionStore",
    "ExecutionAlreadyExistsError",
    "ExecutionLockedError",
    "ExecutionNotFoundError",
    "ExecutionStore",
    "IncrementalExecutionStore",
    "LendingExecutionStore",
    "LockingExecutionStore",
    "RepairableExecutionStore",
]


class ExecutionNotFoundError(DurableExecutionError, LookupError):
    """No execution has this ARN (the service's ResourceNotFoundException)."""


class ExecutionAlreadyExistsError(DurableExecutionError):
    """An execution with this ARN exists already."""


class ExecutionLockedError(DurableExecutionError):
    """Another driver holds the execution's lock (``LockingExecutionStore.lock``).

    A store may raise a subclass that says more (the file store's names its lock file).

    Args:
        message: Who holds it, as far as the store knows.
        execution_arn: The execution that is locked.
        holder_pid: The id of the process that holds it, when the store knows it.
    """

    def __init__(
        self,
        message: str = "the execution is locked by another driver",
        *,
        execution_arn: str,
        holder_pid: int | None = None,
    ) -> None:
        super().__init__(message, execution_arn=execution_arn)
        self.holder_pid = holder_pid


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


T = TypeVar("T")


@runtime_checkable
class IncrementalExecutionStore(ExecutionStore, Protocol):
    """An ``ExecutionStore`` that saves a change of a record in proportion to the change.

    ``load`` and ``save`` move whole records: a store that writes the whole record on every
    checkpoint spends, over an execution, time in the square of its length. A store that
    keeps a record as a snapshot plus the changes made since (the file store's journal) takes
    each change as a function instead: ``update`` applies it to the stored record and stores
    what it changed, which ``service.changes.ChangeTracker`` says (the operations written,
    the events appended, the fields and containers changed, as a ``RecordChange``). ``view``
    reads the stored record without copying it. The local service uses both for every call on
    an execution when its store has them; ``load`` and ``save`` stay for everyone else.
    """

    async def update(self, arn: str, change: Callable[[ExecutionRecord], T]) -> T:
        """Apply ``change`` to the stored record of execution ``arn``; store what it changed.

        ``change`` changes the record in place, all or nothing, and returns an outcome: when
        it raises, the record is as it was and nothing is stored. Atomic for one record, as
        ``save`` is: a reader sees the record before the change or after it.

        Returns:
            What ``change`` returned, once the change is stored.

        Raises:
            ExecutionNotFoundError: No such execution.
        """
        ...

    async def view(self, arn: str, read: Callable[[ExecutionRecord], T]) -> T:
        """Return ``read(record)`` for the stored record of execution ``arn``, uncopied.

        ``read`` must neither change the record nor keep it (``load`` is for that).

        Raises:
            ExecutionNotFoundError: No such execution.
        """
        ...


@runtime_checkable
class LockingExecutionStore(ExecutionStore, Protocol):
    """An ``ExecutionStore`` that several processes may share, with the locks that keep them apart.

    Two locks per execution, each exclusive across every process and store object over the
    same storage, and across the tasks of one process; neither is re-entrant, and they are
    independent of each other (a driver holding ``lock`` still changes the record under
    ``record_lock``, as the local service does on its every checkpoint).
    """

    def lock(self, arn: str, wait: bool | float = False) -> AbstractAsyncContextManager[object]:
        """Return the lock a driver holds for as long as it drives execution ``arn``.

        The execution need not exist yet. The lock is taken on entry into the returned async
        context manager and released on exit, however the holder exits (a store shared
        between processes must release it when its holder dies, so that a crash never leaves
        an execution locked).

        Args:
            arn: The execution.
            wait: True to wait as long as it takes, False to fail at once if it is held, or
                a number of seconds to wait at most.

        Raises:
            ExecutionLockedError: (on entry) It is held and waiting ran out.
        """
        ...

    def record_lock(self, arn: str) -> AbstractAsyncContextManager[object]:
        """Return the lock held around one read-modify-write of execution ``arn``'s record.

        Taken on entry (waiting as long as it takes) and released on exit. It keeps a process
        answering a callback and another checkpointing the same execution from overwriting
        each other's change. Taking it for an execution that does not exist must leave the
        storage as it was: it may raise ``ExecutionNotFoundError`` on entry.
        """
        ...


@runtime_checkable
class RepairableExecutionStore(ExecutionStore, Protocol):
    """An ``ExecutionStore`` that can replace a stored record it can no longer read."""

    async def repair(self, record: ExecutionRecord) -> object:
        """Store ``record`` as execution ``record.arn``'s, whatever is stored there now.

        The way past a record that ``load`` and ``save`` refuse as damaged (they must never
        overwrite one on their own): afterwards ``load`` returns ``record``. It creates the
        execution if nothing is stored. The caller holds ``lock(arn)`` meanwhile when the
        store is also a ``LockingExecutionStore``, so that no driver works on the execution.

        Returns:
            Whatever the store wants to report (the file store: where it kept the damaged file).
        """
        ...


@runtime_checkable
class DeletingExecutionStore(ExecutionStore, Protocol):
    """An ``ExecutionStore`` that can remove an execution for good."""

    async def delete(self, arn: str) -> None:
        """Remove execution ``arn``: afterwards ``load`` and ``list_executions`` know it no more.

        Whether it may go (it has ended; nobody drives it) is for the caller to decide: the
        caller holds ``lock(arn)`` meanwhile when the store is also a ``LockingExecutionStore``.
        A crash part-way through must leave the execution either whole or gone.

        Raises:
            ExecutionNotFoundError: No such execution.
        """
        ...
