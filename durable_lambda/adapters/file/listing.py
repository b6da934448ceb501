"""Listing a store's executions from their header lines, with the damaged ones set apart.

One damaged file (emptied by a power cut, edited by hand, replaced by a link) must not hide the
other executions: every problem of one execution's files is caught here and reported as a
``DamagedExecution`` beside the healthy executions, never raised out of the listing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from durable_lambda.adapters.file import record_file
from durable_lambda.adapters.file.atomic import read_head
from durable_lambda.adapters.file.errors import (
    CorruptExecutionError,
    ExecutionStoreError,
    UnsafeFileError,
    storage_error,
)
from durable_lambda.adapters.file.layout import RECORD_FILE, directory_name, readable_name
from durable_lambda.service.record import ExecutionSummary

__all__ = ["DamagedExecution", "ExecutionListing", "scan_executions"]


@dataclass(frozen=True)
class DamagedExecution:
    """An execution whose file cannot be listed, and why.

    Attributes:
        directory: The execution's folder; its name is what ``durable-lambda repair`` takes.
        error: What reading its file raised (``CorruptExecutionError`` for damage; another
            ``ExecutionStoreError`` for a file that may not be read, or a newer format).
    """

    directory: Path
    error: ExecutionStoreError

    @property
    def name(self) -> str:
        """The folder's name: how ``list`` shows the execution and ``repair`` finds it."""
        return self.directory.name

    @property
    def readable_name(self) -> str:
        """The ``<function>.<execution name>`` part of the folder's name."""
        return readable_name(self.directory.name)

    @property
    def path(self) -> Path:
        """The file that could not be read."""
        return self.error.path

    @property
    def problem(self) -> str:
        """What is wrong, in words (without the path)."""
        if isinstance(self.error, CorruptExecutionError):
            return self.error.problem
        return self.error.message

    @property
    def repairable(self) -> bool:
        """Whether ``repair`` acts on it.

        True for damage; False for a file this version cannot read (a newer format) or may
        not read (permissions), which a repair would not fix.
        """
        return isinstance(self.error, CorruptExecutionError | UnsafeFileError)


@dataclass(frozen=True)
class ExecutionListing:
    """What a store holds: the executions it can list, and the ones it cannot.

    Attributes:
        executions: A summary of every readable execution, oldest first.
        damaged: Every execution whose file could not be listed, by folder name.
    """

    executions: list[ExecutionSummary] = field(default_factory=list)
    damaged: list[DamagedExecution] = field(default_factory=list)


def scan_executions(executions: Path) -> ExecutionListing:
    """List the executions under ``executions`` (blocking: run it in a worker thread).

    Reads only each file's header line, and checks the file's size against it, so a file cut
    short by a crash is reported here rather than when it is loaded.

    Raises:
        ExecutionStoreError: The ``executions`` folder itself cannot be read.
    """
    try:
        directories = sorted(os.scandir(executions), key=lambda entry: entry.name)
    except FileNotFoundError:
        return ExecutionListing()
    except OSError as error:
        raise storage_error(error, executions, "list") from error
    headers = []
    damaged = []
    for entry in directories:
        directory = Path(entry.path)
        try:
            header = _header(directory)
        except ExecutionStoreError as error:
            damaged.append(DamagedExecution(directory, error))
            continue
        if header is not None:
            headers.append(header)
    headers.sort(key=lambda h: (h.summary.StartTimestamp, h.created_ns))
    return ExecutionListing([header.summary for header in headers], damaged)


def _header(directory: Path) -> record_file.ExecutionFileHeader | None:
    """Return the header of the execution in ``directory``; None if it holds no execution.

    Raises:
        CorruptExecutionError: The file is empty, cut short, or not this folder's execution.
        ExecutionStoreError: It may not be read, or was written by a newer format version.
    """
    path = directory / RECORD_FILE
    try:
        found = read_head(path, record_file.MAX_HEADER_BYTES)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise storage_error(error, path, "read") from error
    if found is None:
        return None  # a creation that never completed
    line, size = found
    if not line:
        raise CorruptExecutionError(path, "the file is empty")
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
    expected = len(line) + header.record_bytes + 1
    if size != expected:
        raise CorruptExecutionError(
            path,
            f"the header announces a file of {expected} bytes but it holds {size} "
            "(truncated or appended to)",
            execution_arn=arn,
        )
    return header
