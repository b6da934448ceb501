"""``FileExecutionStore``: executions kept as files, safe against crashes and concurrent drivers.

Layout under the root (``.durable/`` in the working directory by default; see ``layout``)::

    .durable/executions/<function>.<name>-<sha256 of the ARN, 16 hex>/
        execution.jsonl     the record, after a header line (see ``record_file``)
        journal             the changes made since the record was last written whole
        lock                the driver's lock; holds the driver's pid while it is held

A change of a record (``update``, what the local service does on every checkpoint) is appended
to the journal and fsynced, in time proportional to the change; once the journal has grown past
a fraction of the record (``JournalPolicy``), or the change alters the execution's summary, the
record is written whole instead and the journal starts afresh (see ``execution_files``). Every
write is atomic: a ``SIGKILL`` at any moment leaves the record as the last completed change left
it. A file that is damaged anyway (by a power cut, by hand, by a disk) is reported as
``CorruptExecutionError`` for that execution alone, listed apart (``scan``), and never
overwritten until it is repaired (``recover``, ``repair``). Files are created ``0600`` and
folders ``0700``, and no link is ever followed where the store keeps a file. All file I/O runs in
worker threads, so the event loop never blocks on the disk.

The store keeps the executions it read last in memory, and trusts one only as long as its files
are the versions it read or wrote (two ``stat`` calls tell): reading a long execution again
costs what changed since, not the whole record.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from durable_lambda.adapters.file import record_file
from durable_lambda.adapters.file.atomic import (
    FileIdentity,
    create_exclusively,
    make_directory,
)
from durable_lambda.adapters.file.errors import (
    UnsafeFileError,
    storage_error,
)
from durable_lambda.adapters.file.execution_files import (
    ExecutionFiles,
    JournalPolicy,
    StoredExecution,
)
from durable_lambda.adapters.file.layout import (
    DEFAULT_ROOT,
    EXECUTIONS,
    JOURNAL_FILE,
    LOCK_FILE,
    RECORD_FILE,
    RECORD_LOCK_FILE,
    directory_name,
)
from durable_lambda.adapters.file.listing import ExecutionListing, scan_executions
from durable_lambda.adapters.file.locking import ExecutionLock, local_lock
from durable_lambda.adapters.file.repairs import StoreRepairs
from durable_lambda.service.changes import ChangeTracker, RecordChange
from durable_lambda.service.ports import ExecutionAlreadyExistsError
from durable_lambda.service.record import ExecutionRecord, ExecutionSummary

__all__ = ["DEFAULT_ROOT", "FileExecutionStore", "JournalPolicy", "directory_name"]

T = TypeVar("T")

_REMEMBERED = 8
"""How many executions a store keeps in memory (the ones it used last)."""
_UNKNOWN = FileIdentity(-1, -1, -1, -1)
"""An identity no file has: an execution remembered with it is read again before any use."""


class FileExecutionStore(StoreRepairs):
    """Implements ``ExecutionStore`` with one directory of files per execution.

    Several processes may share a root: writes are atomic, creation is exclusive, and
    ``lock`` keeps two drivers off one execution. Inside one process, writes of one execution
    apply in the order they were called. It declares the ``IncrementalExecutionStore``
    (``update``, ``view``), ``LockingExecutionStore`` (``lock``, ``record_lock``),
    ``RepairableExecutionStore`` (``repair``) and ``DeletingExecutionStore`` (``delete``)
    capabilities.

    Args:
        root: The directory to keep executions in; created when first needed.
        journal_policy: When a change is written as the whole record rather than journalled
            (``JournalPolicy()``: once the journal is larger than the record file, and than
            256 KiB).

    Example:
        >>> store = FileExecutionStore(tmp_path)  # doctest: +SKIP
        >>> async with store.lock(arn, wait=5):  # doctest: +SKIP
        ...     record = await store.load(arn)
        ...     await store.save(record)
    """

    def __init__(
        self, root: Path | str = DEFAULT_ROOT, *, journal_policy: JournalPolicy | None = None
    ) -> None:
        self.root = Path(root).absolute()
        self.journal_policy = journal_policy or JournalPolicy()
        self._executions = self.root / EXECUTIONS
        # The executions read or written last, as their files held them then (see the module).
        self._remembered: OrderedDict[str, StoredExecution] = OrderedDict()

    def execution_directory(self, arn: str) -> Path:
        """Return the directory that holds execution ``arn`` (it may not exist)."""
        return self._executions / directory_name(arn)

    def record_path(self, arn: str) -> Path:
        """Return the file that holds execution ``arn``'s record (it may not exist)."""
        return self.execution_directory(arn) / RECORD_FILE

    def journal_path(self, arn: str) -> Path:
        """Return the file that holds execution ``arn``'s journal (it may not exist)."""
        return self.execution_directory(arn) / JOURNAL_FILE

    def lock(self, arn: str, wait: bool | float = False) -> ExecutionLock:
        """Return the lock that a driver holds while it works on execution ``arn``.

        Hold it for as long as you drive the execution: another process (or task) that asks
        meanwhile waits or is refused. The kernel drops it if the holder dies.

        Args:
            arn: The execution (it need not exist yet).
            wait: True to wait as long as it takes, False to fail at once if it is held,
                or a number of seconds to wait at most.

        Returns:
            An async context manager.

        Raises:
            ExecutionLockedError: (on entry) It is held and waiting ran out; names the ARN and
                the holder's pid.
            StoragePermissionError: (on entry) The lock file cannot be opened.

        Example:
            >>> async with store.lock(arn, wait=10.0):  # doctest: +SKIP
            ...     await drive(arn)
        """
        return ExecutionLock(self.execution_directory(arn) / LOCK_FILE, arn, wait)

    def record_lock(self, arn: str) -> ExecutionLock:
        """Return the short lock held around one read-modify-write of execution ``arn``'s record.

        The local service takes it for every change, so a process answering a callback and an
        orchestrator checkpointing the same execution never overwrite each other's change. It is
        separate from ``lock``, which a driver holds for a whole run.
        """
        # Never creates the execution's folder: a lookup of an execution that does not exist (a
        # junk callback id names one) must leave the store as it was.
        return ExecutionLock(
            self.execution_directory(arn) / RECORD_LOCK_FILE,
            arn,
            wait=True,
            create_directory=False,
        )

    async def create(self, record: ExecutionRecord) -> None:
        """Store a new record.

        Raises:
            ExecutionAlreadyExistsError: A record with the same ARN exists (also when another
                process created it).
            StorageFullError: No room on the disk; nothing was created.
            StoragePermissionError: The root may not be written.
        """
        path = self.record_path(record.arn)
        data, header = record_file.encode(record, time.time_ns())
        kept = record.snapshot()

        def write() -> FileIdentity:
            make_directory(path.parent)
            return create_exclusively(path, data)

        try:
            identity = await self._write(record.arn, write, "create")
        except FileExistsError:
            raise ExecutionAlreadyExistsError(
                "an execution with this ARN exists already", execution_arn=record.arn
            ) from None
        self._remember(record.arn, StoredExecution(kept, header, identity, None))

    async def load(self, arn: str) -> ExecutionRecord:
        """Return the record of execution ``arn``, as its files hold it.

        Raises:
            ExecutionNotFoundError: No such execution.
            CorruptExecutionError: A file is damaged; it names the path and the damage.
            StoragePermissionError: A file may not be read.
        """
        return await self.view(arn, ExecutionRecord.snapshot)

    async def view(self, arn: str, read: Callable[[ExecutionRecord], T]) -> T:
        """Return ``read(record)`` for execution ``arn``'s record, without copying it.

        ``IncrementalExecutionStore``: only what changed in the files since this store last
        read them is read. ``read`` runs in the store's worker thread; it must neither change
        the record nor keep it.

        Raises:
            As ``load``.
        """
        files = self._files(arn)
        remembered = self._remembered.get(arn)
        answer: list[T] = []

        def current() -> StoredExecution:
            stored = files.read() if remembered is None else files.refresh(remembered)
            answer.append(read(stored.record))  # here: no change can come in between
            return stored

        await self._stored(arn, current, "read")
        return answer[0]

    async def update(self, arn: str, change: Callable[[ExecutionRecord], T]) -> T:
        """Apply ``change`` to execution ``arn``'s record and store what it changed.

        ``IncrementalExecutionStore``: what ``change`` changed (``service.changes``) is
        appended to the journal and fsynced, or the record is written whole when the journal is
        due for it (see ``JournalPolicy``) or the change alters the summary. ``change`` runs in
        the store's worker thread, between the read and the write: it must change the record in
        place, all or nothing, and touch nothing else. Hold ``record_lock(arn)`` meanwhile when
        other processes may change the execution.

        Returns:
            What ``change`` returned, once the change is durable.

        Raises:
            ExecutionNotFoundError: No such execution.
            CorruptExecutionError: A file is damaged: it is left as it is (see ``repair``).
            StorageFullError: No room on the disk; the stored record is unchanged.
            StoragePermissionError: A file may not be written.
        """
        files = self._files(arn)
        remembered = self._remembered.get(arn)
        policy = self.journal_policy
        outcome: list[T] = []

        def apply() -> StoredExecution:
            stored = files.read() if remembered is None else files.refresh(remembered)
            record = stored.record
            tracker = ChangeTracker(record)
            try:
                outcome.append(change(record))
            except BaseException:
                tracker.abandon(record)  # the record is as it was: nothing to write
                raise
            changes = tracker.finish(record)
            if not changes.is_empty():
                try:
                    _store_change(files, stored, changes, policy)
                except BaseException:
                    stored.snapshot = _UNKNOWN  # ahead of the files: read them again first
                    raise
            return stored

        await self._stored(arn, apply, "write")
        return outcome[0]

    async def save(self, record: ExecutionRecord) -> None:
        """Replace the stored record of ``record.arn`` with ``record``, atomically.

        The record is written whole (``update`` writes only what a change changed).

        Raises:
            ExecutionNotFoundError: No such execution was created.
            CorruptExecutionError: A stored file is damaged: it is left as it is (see
                ``repair``).
            StorageFullError: No room on the disk; the stored record is unchanged.
            StoragePermissionError: The file may not be written.
        """
        files = self._files(record.arn)
        remembered = self._remembered.get(record.arn)
        kept = record.snapshot()

        def write() -> StoredExecution:
            # What is stored is read (or checked unchanged) first: a damaged file is reported
            # rather than overwritten.
            stored = files.read() if remembered is None else files.refresh(remembered)
            stored.record = kept
            try:
                files.compact(stored)
            except BaseException:
                stored.snapshot = _UNKNOWN
                raise
            return stored

        await self._stored(record.arn, write, "write")

    async def list_executions(self) -> list[ExecutionSummary]:
        """Return a summary of every readable execution, oldest first.

        Reads only each file's header line, so it stays fast however long the histories are.
        An execution whose file is damaged is left out (``scan`` reports it): one bad file
        never hides the others.
        """
        return (await self.scan()).executions

    async def scan(self) -> ExecutionListing:
        """Return the readable executions, oldest first, and the damaged ones apart.

        Reads only each file's header line, and checks the file's size against it.

        Raises:
            ExecutionStoreError: The store's ``executions`` folder cannot be read.
        """
        return await asyncio.to_thread(scan_executions, self._executions)

    def _files(self, arn: str) -> ExecutionFiles:
        return ExecutionFiles(self.execution_directory(arn), arn)

    def _remember(self, arn: str, stored: StoredExecution) -> None:
        remembered = self._remembered
        remembered[arn] = stored
        remembered.move_to_end(arn)
        while len(remembered) > _REMEMBERED:
            remembered.popitem(last=False)

    def _forget(self, arn: str) -> None:
        self._remembered.pop(arn, None)

    async def _stored(
        self, arn: str, work: Callable[[], StoredExecution], action: str
    ) -> StoredExecution:
        """Run ``work`` (read and maybe write the files) and remember the execution it returns.

        Whatever it raises, the execution is forgotten unless ``work`` left it sound (a change
        that raised left the record as it was).
        """
        try:
            stored = await self._write(arn, work, action)
        except BaseException:
            remembered = self._remembered.get(arn)
            if remembered is not None and remembered.snapshot is _UNKNOWN:
                self._forget(arn)
            raise
        self._remember(arn, stored)
        return stored

    async def _write(self, arn: str, write: Callable[[], T], action: str) -> T:
        """Run ``write`` in a thread, after the file work on ``arn`` that was called before it.

        It runs to the end even if the caller is cancelled, so the next call cannot overtake
        it (nor find what it remembers half changed).
        """
        async with local_lock(f"write:{self.record_path(arn)}"):
            done = asyncio.ensure_future(asyncio.to_thread(write))
            cancelled = False
            while not done.done():
                try:
                    await asyncio.wait([done])
                except asyncio.CancelledError:
                    cancelled = True
            if cancelled:
                raise asyncio.CancelledError
            try:
                return done.result()
            except UnsafeFileError as error:
                error.execution_arn = arn
                raise
            except OSError as error:
                if isinstance(error, FileExistsError):
                    raise
                path = self.record_path(arn)
                raise storage_error(error, path, action, execution_arn=arn) from error


def _store_change(
    files: ExecutionFiles, stored: StoredExecution, changes: RecordChange, policy: JournalPolicy
) -> None:
    """Make ``changes`` (applied to ``stored.record`` already) durable: journal them, or compact."""
    if changes.changes_summary():
        files.compact(stored)  # the record file's header carries the summary
        return
    body = changes.to_json()
    journal = stored.journal
    journalled = journal.end if journal is not None and journal.applies else 0
    if policy.due(journalled + len(body), stored.header.record_bytes):
        files.compact(stored)
    else:
        files.append(stored, body)
