"""The typed errors of the file execution store: each names the file and what went wrong."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from durable_lambda.adapters.file.layout import (
    EXECUTIONS,
    JOURNAL_FILE,
    RECORD_FILE,
    repair_command,
)
from durable_lambda.core.errors import DurableExecutionError
from durable_lambda.service import ports

__all__ = [
    "CorruptExecutionError",
    "ExecutionLockedError",
    "ExecutionStoreError",
    "StorageFullError",
    "StoragePermissionError",
    "UnsafeFileError",
    "storage_error",
]

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_DENIED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


class ExecutionStoreError(DurableExecutionError):
    """The store could not read or write an execution's files.

    The original ``OSError``, when there is one, is the ``__cause__``.

    Args:
        message: What failed, including the path.
        path: The file or directory involved.
        **where: The execution ARN (``execution_arn=``), when known.
    """

    def __init__(self, message: str, *, path: Path | str, **where: Any) -> None:
        super().__init__(message, **where)
        self.path = Path(path)


class CorruptExecutionError(ExecutionStoreError):
    """An execution file cannot be read back as the record that was written.

    The store never resets, overwrites or deletes such a file on its own: ``load`` and
    ``save`` refuse it, listings report it apart (``FileExecutionStore.scan``), and only a
    repair replaces it (``durable-lambda repair``, or ``FileExecutionStore.recover`` and
    ``repair`` from Python), keeping the bad file beside it for inspection.

    Args:
        path: The corrupt file.
        problem: What is wrong with it (truncated, checksum mismatch, not JSON...).
        **where: The execution ARN (``execution_arn=``), when known.
    """

    def __init__(self, path: Path | str, problem: str, **where: Any) -> None:
        path = Path(path)
        super().__init__(
            f"execution file {path} is corrupt: {problem}; it was left untouched "
            f"(inspect it, then {_repair_hint(path)})",
            path=path,
            **where,
        )
        self.problem = problem


def _repair_hint(path: Path) -> str:
    if path.name in (RECORD_FILE, JOURNAL_FILE) and path.parent.parent.name == EXECUTIONS:
        return f"run `{repair_command(path.parent)}`"
    return "replace it with FileExecutionStore.repair"


class UnsafeFileError(ExecutionStoreError):
    """A path where the store keeps a file holds something else: a link, a folder, a pipe.

    The store never follows a symbolic link it finds where its own file should be (a link
    planted at a lock path would otherwise have its target emptied), and never reads or writes
    anything but a regular file there.

    Args:
        path: The path that was refused.
        found: What is there ("a symbolic link", "a directory", "a FIFO"...).
        **where: The execution ARN (``execution_arn=``), when known.
    """

    def __init__(self, path: Path | str, found: str, **where: Any) -> None:
        super().__init__(
            f"refused {path}: it is {found}, not a regular file; the store never follows or "
            "opens anything else where its own files go (remove it if you did not put it there)",
            path=path,
            **where,
        )
        self.found = found


class StorageFullError(ExecutionStoreError):
    """The disk (or the process's file size limit) has no room to write a file.

    The previous version of the file is intact: writes go to a temporary file first.

    Args:
        message: What failed, including the path.
        path: The file that could not be written.
        error_number: The ``errno`` (ENOSPC, EDQUOT or EFBIG).
        **where: The execution ARN (``execution_arn=``), when known.
    """

    def __init__(self, message: str, *, path: Path | str, error_number: int, **where: Any) -> None:
        super().__init__(message, path=path, **where)
        self.errno = error_number


class StoragePermissionError(ExecutionStoreError):
    """The process may not read or write a file or directory of the store.

    Args:
        message: What failed, including the path.
        path: The file or directory that was refused.
        error_number: The ``errno`` (EACCES, EPERM or EROFS).
        **where: The execution ARN (``execution_arn=``), when known.
    """

    def __init__(self, message: str, *, path: Path | str, error_number: int, **where: Any) -> None:
        super().__init__(message, path=path, **where)
        self.errno = error_number


class ExecutionLockedError(ports.ExecutionLockedError):
    """Another process (or task) holds the execution's lock: it is driving the execution.

    The port's ``ExecutionLockedError`` (what a generic caller catches), naming the lock file.

    Args:
        execution_arn: The execution that is locked.
        lock_path: The lock file.
        holder_pid: The pid the holder wrote into the lock file; None if it has not yet.
    """

    def __init__(
        self, *, execution_arn: str, lock_path: Path | str, holder_pid: int | None
    ) -> None:
        holder = f"process {holder_pid}" if holder_pid is not None else "another process"
        if holder_pid == os.getpid():
            holder = f"another task of this process ({holder_pid})"
        super().__init__(
            f"the execution is locked by {holder}, which is driving it (lock file {lock_path})",
            execution_arn=execution_arn,
            holder_pid=holder_pid,
        )
        self.lock_path = Path(lock_path)


def storage_error(error: OSError, path: Path, action: str, **where: Any) -> ExecutionStoreError:
    """Translate an ``OSError`` into the store's typed error; the caller raises it ``from`` it.

    Args:
        error: What the operating system said.
        path: The store's file the action was about (the message also names
            ``error.filename`` when that differs, a temporary file for instance).
        action: What the store was doing, as a verb phrase ("write", "read").
        **where: The execution ARN (``execution_arn=``), when known.

    Returns:
        ``StorageFullError``, ``StoragePermissionError`` or a plain ``ExecutionStoreError``.
    """
    code = error.errno or 0
    name = errno.errorcode.get(code, str(code))
    detail = f"{name}: {error.strerror or error}"
    if error.filename and Path(str(error.filename)) != path:
        detail += f" on {error.filename}"
    if code in _FULL:
        message = f"no room to {action} {path} ({detail}); the stored file, if any, is unchanged"
        return StorageFullError(message, path=path, error_number=code, **where)
    if code in _DENIED:
        message = f"not allowed to {action} {path} ({detail})"
        return StoragePermissionError(message, path=path, error_number=code, **where)
    return ExecutionStoreError(f"could not {action} {path} ({detail})", path=path, **where)
