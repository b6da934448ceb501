"""The journal of one execution: the changes made since its record file was last written whole.

``journal`` sits beside ``execution.jsonl`` (see ``layout``) and holds lines of text::

    {"format": "durable-lambda/journal", "version": 1, "arn": "...", "generation": 3,
     "created_ns": ..., "record_sha256": "..."}
    1 412 9f86d081 {"fields": {...}, "operations": {...}, "history_from": 12, ...}
    2 198 0c1e2a77 {...}

The first line is the header: the journal belongs to the record file of the same
``generation`` and ``created_ns`` whose record line has SHA-256 ``record_sha256``, and to no
other (a journal left by an earlier generation is stale and ignored). Each further line is one
change of the record (``service.changes.RecordChange``, as JSON) framed as
``<number> <length> <crc32> <change>``: numbered from 1, the length of the change in bytes and
its CRC-32 (8 hex digits). A change is appended and fsynced before the call that made it
returns, so a crash can only leave the last line incomplete (a torn tail): it never
acknowledged anything, and the reader ignores it. A damaged line anywhere else is damage
(``CorruptExecutionError``), never read past.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import pydantic
from pydantic import BaseModel, ConfigDict

from durable_lambda.adapters.file.errors import CorruptExecutionError, ExecutionStoreError
from durable_lambda.service.changes import RecordChange

__all__ = [
    "FORMAT",
    "VERSION",
    "JournalChanges",
    "JournalHeader",
    "encode_change",
    "encode_header",
    "parse_header",
    "read_changes",
]

FORMAT = "durable-lambda/journal"
VERSION = 1
MAX_HEADER_BYTES = 1 << 16
"""A header line longer than this is not one the store wrote."""


class JournalHeader(BaseModel):
    """The first line of a journal: which record file its changes apply to.

    Attributes:
        format: Always ``FORMAT``.
        version: The journal format's version.
        arn: The execution.
        generation: The generation of the record file it applies to.
        created_ns: The execution's creation time, as that record file's header gives it.
        record_sha256: The SHA-256 of that record file's record line.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    format: str
    version: int
    arn: str
    generation: int
    created_ns: int
    record_sha256: str


def encode_header(header: JournalHeader) -> bytes:
    """Return the header line of a new journal (the whole content of an empty one)."""
    return header.model_dump_json().encode() + b"\n"


def encode_change(number: int, change: bytes) -> bytes:
    """Return the line that journals ``change`` (a ``RecordChange``'s JSON) as change ``number``."""
    return b"%d %d %08x %s\n" % (number, len(change), zlib.crc32(change), change)


def parse_header(data: bytes, path: Path, arn: str) -> tuple[JournalHeader, int]:
    """Read the header at the start of a journal's bytes; return it and where the changes start.

    Raises:
        CorruptExecutionError: There is no complete header line, it is not one, or it names
            another execution.
        ExecutionStoreError: The journal was written by a newer format version.
    """
    end = data.find(b"\n", 0, MAX_HEADER_BYTES)
    if end < 0:
        raise CorruptExecutionError(path, "the journal's header line never ends", execution_arn=arn)
    try:
        header = JournalHeader.model_validate_json(data[:end])
    except pydantic.ValidationError as error:
        problem = error.errors()[0]["msg"]
        raise CorruptExecutionError(
            path, f"the journal's header line is not valid ({problem})", execution_arn=arn
        ) from error
    if header.format != FORMAT:
        raise CorruptExecutionError(
            path, f"not a journal (format {header.format!r})", execution_arn=arn
        )
    if header.version > VERSION:
        raise ExecutionStoreError(
            f"{path} was written by a newer durable-lambda (journal format version "
            f"{header.version}; this one reads up to {VERSION}); upgrade durable-lambda to read it",
            path=path,
            execution_arn=arn,
        )
    if header.arn != arn:
        raise CorruptExecutionError(
            path, f"the journal is execution {header.arn!r}'s, not {arn!r}", execution_arn=arn
        )
    return header, end + 1


@dataclass(frozen=True)
class JournalChanges:
    """The changes read from part of a journal.

    Attributes:
        changes: The complete changes, in order.
        end: The offset just past the last complete change (where the next one goes).
        torn: Whether an incomplete change follows ``end`` (a write a crash cut short).
        damage: What is wrong with the first damaged change, when one is followed by more
            lines (damage, not a torn tail); None when the journal is sound. The changes
            before it are in ``changes``.
    """

    changes: list[RecordChange]
    end: int
    torn: bool
    damage: str | None = None


def read_changes(data: bytes, offset: int, first: int, base: int = 0) -> JournalChanges:
    """Read the changes in ``data`` from ``offset`` on, the first numbered ``first``.

    ``data`` must run to the end of the journal, so that an incomplete last line is known for
    a torn tail. Reading stops at the first damaged line (``JournalChanges.damage``).

    Args:
        data: The journal's bytes from ``base`` on, to its end.
        offset: Where in ``data`` the first change starts.
        first: The number of that change.
        base: Where ``data`` starts in the journal (for the offsets in messages).
    """
    changes: list[RecordChange] = []
    position = offset
    size = len(data)
    number = first
    while position < size:
        newline = data.find(b"\n", position)
        if newline < 0:
            return JournalChanges(changes, position, torn=True)
        body, problem = _frame(data[position:newline], number)
        change: RecordChange | None = None
        if body is not None:
            try:
                change = RecordChange.from_json(body)
            except pydantic.ValidationError as error:
                problem = f"it is not a change ({error.errors()[0]['msg']})"
        if change is None:
            if newline + 1 == size:
                return JournalChanges(changes, position, torn=True)
            return JournalChanges(
                changes,
                position,
                torn=False,
                damage=(
                    f"change {number} (at byte {base + position} of the journal) is damaged: "
                    f"{problem}"
                ),
            )
        changes.append(change)
        position = newline + 1
        number += 1
    return JournalChanges(changes, position, torn=False)


def _frame(line: bytes, number: int) -> tuple[bytes | None, str]:
    """Return the change the line frames, or None and what is wrong with the frame."""
    parts = line.split(b" ", 3)
    if len(parts) != 4 or not all(part.isdigit() for part in parts[:2]):
        return None, "its frame is not '<number> <length> <crc32> <change>'"
    found, length, crc, change = parts
    if int(found) != number:
        return None, f"it is numbered {int(found)}, not {number}"
    if int(length) != len(change):
        return None, f"it announces {int(length)} bytes but holds {len(change)}"
    if crc != b"%08x" % zlib.crc32(change):
        return None, "its CRC-32 does not match (altered after it was written)"
    return change, ""
