"""``FileExecutionStore``: executions kept as files, safe against crashes and concurrent drivers.

Layout under the root (``.durable/`` in the working directory by default)::

    .durable/executions/<function>.<name>-<sha256 of the ARN, 16 hex>/
        execution.jsonl     the record, after a header line (see ``record_file``)
        lock                the driver's lock; holds the driver's pid while it is held

Every write is atomic (see ``atomic``): a ``SIGKILL`` at any moment leaves the last complete
record. A file that is damaged anyway (by hand, by a disk) is reported as
``CorruptExecutionError`` and never overwritten until ``repair`` is called. All file I/O runs in
worker threads, so the event loop never blocks on the disk.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from durable_lambda.adapters.file import record_file
from durable_lambda.adapters.file.atomic import (
    FileIdentity,
    create_exclusively,
    make_directory,
    read_file,
    remove_stale_temporaries,
    replace_atomically,
)
from durable_lambda.adapters.file.errors import CorruptExecutionError, storage_error
from durable_lambda.adapters.file.locking import ExecutionLock, local_lock
from durable_lambda.core.store import (
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    ExecutionRecord,
    ExecutionSummary,
)

__all__ = ["DEFAULT_ROOT", "FileExecutionStore"]

T = TypeVar("T")

DEFAULT_ROOT = ".durable"
"""Where executions are kept unless told otherwise (relative to the working directory)."""

RECORD_FILE = "execution.jsonl"
LOCK_FILE = "lock"
RECORD_LOCK_FILE = "record.lock"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_ARN_PARTS = re.compile(r":function:([^:/]+).*/durable-execution/([^/]+)/")


def directory_name(arn: str) -> str:
    """Return the directory name of execution ``arn``: readable, unique, safe on any disk.

    The readable part is the function and execution names when the ARN has them; the SHA-256
    prefix makes the name unique (also on case-insensitive file systems).
    """
    parts = _ARN_PARTS.search(arn)
    readable = ".".join(parts.groups()) if parts else arn.rsplit(":", 1)[-1]
    slug = _UNSAFE.sub("_", readable).strip("._-")[:80] or "execution"
    return f"{slug}-{hashlib.sha256(arn.encode()).hexdigest()[:16]}"


class FileExecutionStore:
    """Implements ``ExecutionStore`` with one directory of files per execution.

    Several processes may share a root: writes are atomic, creation is exclusive, and
    ``lock`` keeps two drivers off one execution. Inside one process, saves of one execution
    apply in the order they were called.

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
        self._executions = self.root / "executions"
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
        return ExecutionLock(self.execution_directory(arn) / RECORD_LOCK_FILE, arn, wait=True)

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

    async def repair(self, record: ExecutionRecord) -> Path | None:
        """Replace execution ``record.arn``'s file with ``record``, whatever state it is in.

        The only way past a ``CorruptExecutionError``: the damaged file is kept beside the new
        one, renamed ``execution.jsonl.corrupt-<time>``, for inspection.

        Args:
            record: The record to store (its ARN says which execution).

        Returns:
            Where the damaged file was moved; None if there was no file.

        Raises:
            StorageFullError: No room on the disk; nothing was changed.
            StoragePermissionError: The directory may not be written.
        """
        path = self.record_path(record.arn)
        created_ns = time.time_ns()
        kept = path.with_name(f"{RECORD_FILE}.corrupt-{created_ns}")

        def write() -> tuple[FileIdentity, Path | None]:
            make_directory(path.parent)
            moved: Path | None = kept
            try:
                kept.hardlink_to(path)
            except FileNotFoundError:
                moved = None
            return replace_atomically(path, record_file.encode(record, created_ns)), moved

        identity, moved = await self._write(record.arn, write, "repair")
        self._known[record.arn] = (identity, created_ns)
        return moved

    async def list_executions(self) -> list[ExecutionSummary]:
        """Return a summary of every stored execution, oldest first.

        Reads only each file's header line, so it stays fast however long the histories are.

        Raises:
            CorruptExecutionError: A file's header is damaged (it names the file).
        """
        headers = await asyncio.to_thread(self._read_headers)
        headers.sort(key=lambda h: (h.summary.StartTimestamp, h.created_ns))
        return [header.summary for header in headers]

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
        except OSError as error:
            raise storage_error(error, path, "read", execution_arn=arn) from error
        if found is None:
            raise ExecutionNotFoundError("no execution has this ARN", execution_arn=arn)
        return found

    def _read_headers(self) -> list[record_file.ExecutionFileHeader]:
        try:
            directories = sorted(self._executions.iterdir())
        except FileNotFoundError:
            return []
        except OSError as error:
            raise storage_error(error, self._executions, "list") from error
        headers = []
        for directory in directories:
            path = directory / RECORD_FILE
            try:
                with path.open("rb") as file:
                    line = file.readline(record_file.MAX_HEADER_BYTES)
            except (FileNotFoundError, NotADirectoryError):
                continue  # a creation that never completed, or a stray file
            except OSError as error:
                raise storage_error(error, path, "read") from error
            if not line.endswith(b"\n"):
                raise CorruptExecutionError(path, "the header line is truncated")
            header = record_file.parse_header(line, path)
            arn = header.summary.DurableExecutionArn
            if directory.name != directory_name(arn):
                raise CorruptExecutionError(
                    path,
                    f"it holds execution {arn!r}, whose directory is {directory_name(arn)!r}",
                    execution_arn=arn,
                )
            headers.append(header)
        return headers
