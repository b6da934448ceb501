"""Finding what can be saved of a damaged execution: every copy of its record in its folder.

An execution's folder may hold more than ``execution.jsonl``: its ``journal`` (the changes made
since the record was written whole), the temporary file of a write a crash interrupted after it
was complete (``.execution.jsonl.<pid>-<random>.tmp``) and the damaged files earlier repairs kept
(``execution.jsonl.corrupt-<time>``). Each is read without following links; one that verifies
(header, length, checksum) is a verified copy, and a line that validates as this folder's record
is an unverified one. The record file's copy is also read with as much of the journal as is
sound, when the journal names that very record line (by its SHA-256): a damaged change cuts it
short there. The most advanced copy wins.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pydantic

from durable_lambda.adapters.file import journal, record_file
from durable_lambda.adapters.file.atomic import read_file
from durable_lambda.adapters.file.errors import (
    CorruptExecutionError,
    ExecutionStoreError,
    UnsafeFileError,
    storage_error,
)
from durable_lambda.adapters.file.execution_files import ExecutionFiles
from durable_lambda.adapters.file.layout import JOURNAL_FILE, RECORD_FILE, directory_name
from durable_lambda.service.ports import ExecutionNotFoundError
from durable_lambda.service.record import ExecutionRecord

__all__ = [
    "RecordCopy",
    "RepairOutcome",
    "RepairReport",
    "best_copy",
    "check_folder",
    "record_copies",
]

_KEPT_PREFIX = f"{RECORD_FILE}.corrupt-"
_TEMPORARY_PREFIX = f".{RECORD_FILE}."


class RepairOutcome(StrEnum):
    """What a repair did."""

    HEALTHY = "HEALTHY"
    """The execution's file was sound: nothing was changed."""
    RESTORED = "RESTORED"
    """A copy of the record was found and stored; the damaged file was kept beside it."""
    SET_ASIDE = "SET_ASIDE"
    """Nothing could be saved: the damaged file was renamed, so the execution is no longer
    listed (the file is kept for inspection; nothing is deleted)."""


@dataclass(frozen=True)
class RecordCopy:
    """One readable copy of an execution's record found in its folder.

    Attributes:
        path: The file it was read from.
        record: The record.
        verified: Whether the file passed its header's length and checksum check.
        created_ns: The creation time its header gives; None for an unverified copy.
    """

    path: Path
    record: ExecutionRecord
    verified: bool
    created_ns: int | None = None


@dataclass(frozen=True)
class RepairReport:
    """What ``FileExecutionStore.recover`` found and did.

    Attributes:
        directory: The execution's folder.
        outcome: What was done.
        problem: What was wrong with the execution's file; None when it was sound.
        restored: The copy that was stored (``RESTORED``), or the sound record (``HEALTHY``).
        kept: Where the damaged file was moved; None if nothing was moved.
    """

    directory: Path
    outcome: RepairOutcome
    problem: str | None = None
    restored: RecordCopy | None = None
    kept: Path | None = None


def record_copies(directory: Path) -> list[RecordCopy]:
    """Return every readable copy of the record of the execution kept in ``directory``.

    Blocking: run it in a worker thread. Files that cannot be read are passed over.
    """
    copies = []
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        if not (
            name == RECORD_FILE
            or name.startswith(_KEPT_PREFIX)
            or (name.startswith(_TEMPORARY_PREFIX) and name.endswith(".tmp"))
        ):
            continue
        path = Path(entry.path)
        try:
            found = read_file(path)
        except (OSError, ExecutionStoreError):
            continue
        if found is not None:
            read = _read_copy(path, found[0], directory.name)
            if read is not None:
                copy, line = read
                copies.append(copy)
                if name == RECORD_FILE:
                    journalled = _with_journal(copy, line, directory / JOURNAL_FILE)
                    if journalled is not None:
                        copies.append(journalled)
    return copies


def read_copy(path: Path, data: bytes, folder: str) -> RecordCopy | None:
    """Return the record ``data`` holds if it is the record of the execution of ``folder``."""
    read = _read_copy(path, data, folder)
    return None if read is None else read[0]


def _read_copy(path: Path, data: bytes, folder: str) -> tuple[RecordCopy, bytes] | None:
    """As ``read_copy``, with the record line the copy was read from."""
    end = data.find(b"\n", 0, record_file.MAX_HEADER_BYTES)
    if end >= 0:
        try:
            header = record_file.parse_header(data[:end], path)
            arn = header.summary.DurableExecutionArn
            if directory_name(arn) == folder:
                _, body = record_file.verify(data, path, arn)
                record = record_file.decode_record(body, path, arn)
                copy = RecordCopy(path, record, verified=True, created_ns=header.created_ns)
                return copy, body
        except ExecutionStoreError:
            pass
    for line in data.split(b"\n"):
        if not line.startswith(b"{"):
            continue
        try:
            record = ExecutionRecord.from_json(line.decode())
        except (pydantic.ValidationError, UnicodeDecodeError):
            continue
        if directory_name(record.arn) == folder:
            return RecordCopy(path, record, verified=False), line
    return None


def _with_journal(copy: RecordCopy, line: bytes, path: Path) -> RecordCopy | None:
    """Return ``copy`` with the sound changes of the journal at ``path`` applied, if it has any.

    Only a journal whose header names this very record line (its SHA-256) applies to it.
    """
    try:
        found = read_file(path)
    except (OSError, ExecutionStoreError):
        return None
    if found is None:
        return None
    record = copy.record
    try:
        header, start = journal.parse_header(found[0], path, record.arn)
    except ExecutionStoreError:
        return None
    if header.record_sha256 != hashlib.sha256(line).hexdigest():
        return None
    read = journal.read_changes(found[0], start, 1)
    if not read.changes:
        return None
    record = record.snapshot()
    for change in read.changes:
        change.apply(record)
    return RecordCopy(copy.path, record, copy.verified, copy.created_ns)


def check_folder(folder: Path) -> tuple[RecordCopy | None, str | None, Path | None]:
    """Read the execution kept in ``folder`` (blocking): its record and journal.

    Returns:
        The sound record, or None, what is wrong, and the damaged file.

    Raises:
        ExecutionNotFoundError: The folder holds no execution file.
        ExecutionStoreError: A file may not be read, or has a newer format: a repair would
            not fix that.
    """
    path = folder / RECORD_FILE
    try:
        found = read_file(path)
    except UnsafeFileError as error:
        return None, f"it is {error.found}", path
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
        stored = ExecutionFiles(folder, arn).read()
    except UnsafeFileError as error:
        return None, f"{error.path.name} is {error.found}", error.path
    except CorruptExecutionError as error:
        return None, error.problem, error.path
    except OSError as error:
        raise storage_error(error, path, "read") from error
    copy = RecordCopy(path, stored.record, verified=True, created_ns=stored.header.created_ns)
    return copy, None, None


def best_copy(copies: list[RecordCopy]) -> RecordCopy | None:
    """Return the most advanced copy; None if there is none.

    The most advanced has issued the most checkpoint tokens, then has the longest history; a
    verified copy wins a tie.
    """
    if not copies:
        return None
    return max(
        copies,
        key=lambda copy: (copy.record.token_sequence, len(copy.record.history), copy.verified),
    )
