"""Finding what can be saved of a damaged execution: every copy of its record in its folder.

An execution's folder may hold more than ``execution.jsonl``: the temporary file of a write a
crash interrupted after it was complete (``.execution.jsonl.<pid>-<random>.tmp``) and the
damaged files earlier repairs kept (``execution.jsonl.corrupt-<time>``). Each is read without
following links; one that verifies (header, length, checksum) is a verified copy, and a line
that validates as this folder's record is an unverified one. The most advanced copy wins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pydantic

from durable_lambda.adapters.file import record_file
from durable_lambda.adapters.file.atomic import read_file
from durable_lambda.adapters.file.errors import ExecutionStoreError
from durable_lambda.adapters.file.layout import RECORD_FILE, directory_name
from durable_lambda.service.record import ExecutionRecord

__all__ = ["RecordCopy", "RepairOutcome", "RepairReport", "best_copy", "record_copies"]

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
            copy = read_copy(path, found[0], directory.name)
            if copy is not None:
                copies.append(copy)
    return copies


def read_copy(path: Path, data: bytes, folder: str) -> RecordCopy | None:
    """Return the record ``data`` holds if it is the record of the execution of ``folder``."""
    end = data.find(b"\n", 0, record_file.MAX_HEADER_BYTES)
    if end >= 0:
        try:
            header = record_file.parse_header(data[:end], path)
            arn = header.summary.DurableExecutionArn
            if directory_name(arn) == folder:
                _, body = record_file.verify(data, path, arn)
                record = record_file.decode_record(body, path, arn)
                return RecordCopy(path, record, verified=True, created_ns=header.created_ns)
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
            return RecordCopy(path, record, verified=False)
    return None


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
