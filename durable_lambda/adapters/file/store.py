"""``FileExecutionStore``: executions kept as files, safe against crashes and concurrent drivers.

Layout under the root (``.durable/`` in the working directory by default; see ``layout``)::

    .durable/executions/<function>.<name>-<sha256 of the ARN, 16 hex>/
        execution.jsonl     the record, after a header line (see ``record_file``)
        lock                the driver's lock; holds the driver's pid while it is held

Every write is atomic (see ``atomic``): a ``SIGKILL`` at any moment leaves the last complete
record. A file that is damaged anyway (by a power cut, by hand, by a disk) is reported as
``CorruptExecutionError`` for that execution alone, listed apart (``scan``), and never
overwritten until it is repaired (``recover``, ``repair``). Files are created ``0600`` and
folders ``0700``, and no link is ever followed where the store keeps a file. All file I/O runs in
worker threads, so the event loop never blocks on the disk.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from durable_lambda.adapters.file import record_file
from durable_lambda.adapters.file.atomic import (
    FileIdentity,
    create_exclusively,
    fsync_directory,
    make_directory,
    read_file,
    remove_stale_temporaries,
    replace_atomically,
)
from durable_lambda.adapters.file.errors import (
    CorruptExecutionError,
    UnsafeFileError,
    storage_error,
)
from durable_lambda.adapters.file.layout import (
    DEFAULT_ROOT,
    EXECUTIONS,
    LOCK_FILE,
    RECORD_FILE,
    RECORD_LOCK_FILE,
    directory_name,
)
from durable_lambda.adapters.file.listing import ExecutionListing, scan_executions
from durable_lambda.adapters.file.locking import ExecutionLock, local_lock
from durable_lambda.adapters.file.recovery import (
    RecordCopy,
    RepairOutcome,
    RepairReport,
    best_copy,
    record_copies,
)
from durable_lambda.core.errors import ValidationError
from durable_lambda.service.ports import ExecutionAlreadyExistsError, ExecutionNotFoundError
from durable_lambda.service.record import ExecutionRecord, ExecutionSummary

__all__ = ["DEFAULT_ROOT", "FileExecutionStore", "directory_name"]

T = TypeVar("T")


class FileExecutionStore:
    """Implements ``ExecutionStore`` with one directory of files per execution.

    Several processes may share a root: writes are atomic, creation is exclusive, and
    ``lock`` keeps two drivers off one execution. Inside one process, saves of one execution
    apply in the order they were called. It declares the ``LockingExecutionStore`` (``lock``,
    ``record_lock``), ``RepairableExecutionStore`` (``repair``) and ``DeletingExecutionStore``
    (``delete``) capabilities.

    Args:
        root: The directory to keep executions in; created when first needed.

    Example:
        >>> store = FileExecutionStore(tmp_path)  # doctest: +SKIP
        >>> async with store.lock(arn, wait=5):  # doctest: +SKIP
        ...     record = await store.load(arn)
        ...     await store.save(record)
    """

    def __init__(self, root: Path | str = DEFAULT_ROOT) -> None:
        self.root = Path(root).absolute()
        self._executions = self.root / EXECUTIONS
        # The version of each file this store last wrote or verified, and its creation time:
        # a save over a file that has not changed since need not re-verify it.
        self._known: dict[str, tuple[FileIdentity, int]] = {}

    def execution_directory(self, arn: str) -> Path:
        """Return the directory that holds execution ``arn`` (it may not exist)."""
        return self._executions / directory_name(arn)

    def record_path(self, arn: str) -> Path:
        """Return the file that holds execution ``arn``'s record (it may not exist)."""
        return self.execution_directory(arn) / RECORD_FILE

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
        created_ns = time.time_ns()
        data = record_file.encode(record, created_ns)

        def write() -> FileIdentity:
            make_directory(path.parent)
            return create_exclusively(path, data)

        try:
            identity = await self._write(record.arn, write, "create")
        except FileExistsError:
            raise ExecutionAlreadyExistsError(
                "an execution with this ARN exists already", execution_arn=record.arn
            ) from None
        self._known[record.arn] = (identity, created_ns)

    async def load(self, arn: str) -> ExecutionRecord:
        """Return the record of execution ``arn``, read from its file.

        Raises:
            ExecutionNotFoundError: No such execution.
            CorruptExecutionError: The file is damaged; it names the path and the damage.
            StoragePermissionError: The file may not be read.
        """
        path = self.record_path(arn)

        def read() -> tuple[ExecutionRecord, FileIdentity, int]:
            found = self._read(path, arn)
            header, body = record_file.verify(found[0], path, arn)
            return record_file.decode_record(body, path, arn), found[1], header.created_ns

        record, identity, created_ns = await asyncio.to_thread(read)
        self._known[arn] = (identity, created_ns)
        return record

    async def save(self, record: ExecutionRecord) -> None:
        """Replace the stored record of ``record.arn`` with ``record``, atomically.

        Raises:
            ExecutionNotFoundError: No such execution was created.
            CorruptExecutionError: The stored file is damaged: it is left as it is (see
                ``repair``).
            StorageFullError: No room on the disk; the stored record is unchanged.
            StoragePermissionError: The file may not be written.
        """
        path = self.record_path(record.arn)

        def write() -> tuple[FileIdentity, int]:
            created_ns = self._created_ns(path, record.arn)
            data = record_file.encode(record, created_ns)
            # What writers killed mid-write left behind goes with the next write that succeeds.
            identity = replace_atomically(path, data)
            remove_stale_temporaries(path)
            return identity, created_ns

        self._known[record.arn] = await self._write(record.arn, write, "write")

    async def repair(
        self, record: ExecutionRecord, *, created_ns: int | None = None
    ) -> Path | None:
        """Replace execution ``record.arn``'s file with ``record``, whatever state it is in.

        The way past a ``CorruptExecutionError`` when you hold the record to store (``recover``
        finds one in the execution's folder): the damaged file is kept beside the new one,
        renamed ``execution.jsonl.corrupt-<time>``, for inspection.

        Args:
            record: The record to store (its ARN says which execution).
            created_ns: The execution's creation time (orders executions that started at the
                same moment); now by default.

        Returns:
            Where the damaged file was moved; None if there was no file.

        Raises:
            StorageFullError: No room on the disk; nothing was changed.
            StoragePermissionError: The directory may not be written.
        """
        path = self.record_path(record.arn)
        now = time.time_ns()
        created = now if created_ns is None else created_ns
        kept = path.with_name(f"{RECORD_FILE}.corrupt-{now}")

        def write() -> tuple[FileIdentity, Path | None]:
            make_directory(path.parent)
            moved: Path | None = kept
            try:
                # link(2) takes a symbolic link itself, never its target.
                os.link(path, kept, follow_symlinks=False)
            except FileNotFoundError:
                moved = None
            return replace_atomically(path, record_file.encode(record, created)), moved

        identity, moved = await self._write(record.arn, write, "repair")
        self._known[record.arn] = (identity, created)
        return moved

    async def delete(self, arn: str) -> None:
        """Remove execution ``arn``'s folder (``DeletingExecutionStore``).

        The record goes first, in one step: from then on the execution is gone for ``load``
        and the listings, and a crash before the rest of the folder goes (its lock files,
        temporaries, damaged copies kept by ``repair``) leaves only a folder they pass over.
        The caller holds ``lock(arn)`` meanwhile, so that no driver works on it.

        Raises:
            ExecutionNotFoundError: No such execution.
            UnsafeFileError: The execution's folder is a symbolic link.
            StoragePermissionError: The folder may not be changed.
        """
        directory = self.execution_directory(arn)
        path = directory / RECORD_FILE

        def remove() -> None:
            missing = ExecutionNotFoundError("no execution has this ARN", execution_arn=arn)
            try:
                mode = os.lstat(directory).st_mode
            except FileNotFoundError:
                raise missing from None
            if stat.S_ISLNK(mode):  # never through a link to somewhere else
                raise UnsafeFileError(directory, "a symbolic link")
            if not stat.S_ISDIR(mode):
                raise missing
            try:
                os.unlink(path)  # unlink(2) removes a link itself, never its target
            except FileNotFoundError:
                raise missing from None
            fsync_directory(directory)
            shutil.rmtree(directory, ignore_errors=True)
            fsync_directory(directory.parent)

        await self._write(arn, remove, "delete")
        self._known.pop(arn, None)

    async def recover(self, directory: str) -> RepairReport:
        """Repair the execution kept in folder ``directory``, with the best record it still has.

        If its file is sound, nothing changes (``HEALTHY``). Otherwise every copy of the record
        left in the folder is read (the file itself, the complete temporary file of a write a
        crash interrupted, damaged files earlier repairs kept) and the most advanced one is
        stored, the damaged file kept beside it (``RESTORED``). When no copy is readable, the
        damaged file is renamed ``execution.jsonl.corrupt-<time>`` so that the execution is no
        longer listed (``SET_ASIDE``); nothing is ever deleted.

        It holds the execution's lock meanwhile, so it never races a driver.

        Args:
            directory: The execution's folder name (``DamagedExecution.name``;
                ``directory_name(arn)`` for an ARN).

        Returns:
            What was found and done.

        Raises:
            ValidationError: ``directory`` is not a folder name.
            ExecutionNotFoundError: The store has no such folder, or it holds no execution file.
            ExecutionLockedError: A driver is running the execution.
            ExecutionStoreError: The file was written by a newer durable-lambda, or may not be
                read or written.
        """
        if not directory or "/" in directory or directory in (".", "..") or "\0" in directory:
            raise ValidationError(f"{directory!r} is not the name of an execution folder")
        folder = self._executions / directory
        if not folder.is_dir():
            raise ExecutionNotFoundError(f"no execution folder {folder}")
        async with (
            ExecutionLock(folder / LOCK_FILE, directory, create_directory=False),
            ExecutionLock(folder / RECORD_LOCK_FILE, directory, wait=True, create_directory=False),
        ):
            sound, problem = await asyncio.to_thread(self._check_folder, folder)
            if problem is None:
                return RepairReport(folder, RepairOutcome.HEALTHY, restored=sound)
            best = best_copy(await asyncio.to_thread(record_copies, folder))
            if best is None:
                kept = await self._set_aside(folder)
                return RepairReport(folder, RepairOutcome.SET_ASIDE, problem, kept=kept)
            kept = await self.repair(best.record, created_ns=best.created_ns)
            return RepairReport(folder, RepairOutcome.RESTORED, problem, restored=best, kept=kept)

    def _check_folder(self, folder: Path) -> tuple[RecordCopy | None, str | None]:
        """Return the sound record of the execution in ``folder``, or what is wrong with it.

        Raises:
            ExecutionNotFoundError: The folder holds no execution file.
            ExecutionStoreError: The file may not be read, or has a newer format: a repair
                would not fix that.
        """
        path = folder / RECORD_FILE
        try:
            found = read_file(path)
        except UnsafeFileError as error:
            return None, f"it is {error.found}"
        except OSError as error:
            raise storage_error(error, path, "read") from error
        if found is None:
            raise ExecutionNotFoundError(f"{folder} holds no execution file")
        data = found[0]
        try:
            end = data.find(b"\n", 0, record_file.MAX_HEADER_BYTES)
            if not data:
                raise CorruptExecutionError(path, "the file is empty")
            if end < 0:
                raise CorruptExecutionError(path, "the header line never ends")
            header = record_file.parse_header(data[:end], path)
            arn = header.summary.DurableExecutionArn
            if directory_name(arn) != folder.name:
                raise CorruptExecutionError(path, f"it holds execution {arn!r}, not this folder's")
            _, body = record_file.verify(data, path, arn)
            record = record_file.decode_record(body, path, arn)
        except CorruptExecutionError as error:
            return None, error.problem
        return RecordCopy(path, record, verified=True, created_ns=header.created_ns), None

    async def _set_aside(self, folder: Path) -> Path | None:
        """Rename the folder's execution file out of the way; return its new path."""
        path = folder / RECORD_FILE
        kept = path.with_name(f"{RECORD_FILE}.corrupt-{time.time_ns()}")

        def move() -> Path | None:
            try:
                os.rename(path, kept)
            except FileNotFoundError:
                return None
            fsync_directory(folder)
            return kept

        try:
            return await asyncio.to_thread(move)
        except OSError as error:
            raise storage_error(error, path, "set aside") from error

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

    async def _write(self, arn: str, write: Callable[[], T], action: str) -> T:
        """Run ``write`` in a thread, after the saves of ``arn`` that were called before it.

        It runs to the end even if the caller is cancelled, so the next save cannot overtake it.
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

    def _created_ns(self, path: Path, arn: str) -> int:
        """Check the file a save replaces; return its creation time.

        A file unchanged since this store wrote or verified it is trusted; any other is read
        and verified, so a damaged file is reported rather than overwritten.
        """
        known = self._known.get(arn)
        try:
            if known is not None and FileIdentity.of(path.stat()) == known[0]:
                return known[1]
        except FileNotFoundError:
            pass
        data, _ = self._read(path, arn)
        header, body = record_file.verify(data, path, arn)
        record_file.decode_record(body, path, arn)
        return header.created_ns

    def _read(self, path: Path, arn: str) -> tuple[bytes, FileIdentity]:
        try:
            found = read_file(path)
        except UnsafeFileError as error:
            error.execution_arn = arn
            raise
        except OSError as error:
            raise storage_error(error, path, "read", execution_arn=arn) from error
        if found is None:
            raise ExecutionNotFoundError("no execution has this ARN", execution_arn=arn)
        return found
