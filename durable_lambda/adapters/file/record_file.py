"""The on-disk format of one execution: a header line, then the record, in one file.

``execution.jsonl`` holds two JSON lines::

    {"format": "durable-lambda/execution", "version": 2, "record_bytes": 5120,
     "record_sha256": "...", "created_ns": ..., "generation": 3,
     "summary": {"DurableExecutionArn": ...}}
    {"arn": "...", "operations": {...}, "history": [...], ...}

The header carries the execution's summary, so listing executions reads one short line per
execution instead of parsing every record; and since header and record live in the same file,
written atomically, the summary can never disagree with the record (a change of the summary is
never left to the journal: the file is written whole for it). The header also gives the
record's length and SHA-256, so a truncated or altered file is recognised, never half-read.

The record in the file is a snapshot: the changes made since are in the execution's
``journal`` (see ``journal``), whose header names the ``generation`` (and the SHA-256) of the
record file it applies to. Each time the file is written whole its generation goes up by one.
Version 2 added the generation and the journal; a version 1 file (generation 0, no journal)
is read as it always was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pydantic
from pydantic import BaseModel, ConfigDict

from durable_lambda.adapters.file.errors import CorruptExecutionError, ExecutionStoreError
from durable_lambda.service.record import ExecutionRecord, ExecutionSummary

__all__ = [
    "FORMAT",
    "VERSION",
    "ExecutionFileHeader",
    "decode_record",
    "encode",
    "parse_header",
    "verify",
]

FORMAT = "durable-lambda/execution"
VERSION = 2
MAX_HEADER_BYTES = 1 << 20
"""A header line longer than this is not one the store wrote."""


class ExecutionFileHeader(BaseModel):
    """The first line of an execution file.

    Attributes:
        format: Always ``FORMAT``: says what the file is.
        version: The format version, for migrations.
        record_bytes: The length of the record line, without its newline.
        record_sha256: The SHA-256 of the record line, hex.
        created_ns: When the execution was created (``time.time_ns``): orders executions that
            started at the same moment.
        summary: The record's summary, kept up to date on every save.
        generation: How many times the file was written whole (1 when created); the journal
            that applies to it has the same. 0 in a version 1 file.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    format: str
    version: int
    record_bytes: int
    record_sha256: str
    created_ns: int
    summary: ExecutionSummary
    generation: int = 0


def encode(
    record: ExecutionRecord, created_ns: int, generation: int = 1
) -> tuple[bytes, ExecutionFileHeader]:
    """Return the bytes of ``record``'s execution file, and its header."""
    body = record.to_json().encode()
    header = ExecutionFileHeader(
        format=FORMAT,
        version=VERSION,
        record_bytes=len(body),
        record_sha256=hashlib.sha256(body).hexdigest(),
        created_ns=created_ns,
        summary=record.summary(),
        generation=generation,
    )
    return header.model_dump_json().encode() + b"\n" + body + b"\n", header


def parse_header(line: bytes, path: Path, arn: str | None = None) -> ExecutionFileHeader:
    """Read a header line (with or without its newline).

    Args:
        line: The first line of the file.
        path: The file, for error messages.
        arn: The execution the file must hold; None to accept any.

    Raises:
        CorruptExecutionError: The line is not a header, or names another execution.
        ExecutionStoreError: The file was written by a newer format version.
    """
    where = {"execution_arn": arn} if arn else {}
    try:
        header = ExecutionFileHeader.model_validate_json(line)
    except pydantic.ValidationError as error:
        problem = error.errors()[0]
        raise CorruptExecutionError(
            path, f"the header line is not valid ({problem['msg']})", **where
        ) from error
    if header.format != FORMAT:
        raise CorruptExecutionError(path, f"not an execution file (format {header.format!r})")
    if header.version > VERSION:
        raise ExecutionStoreError(
            f"{path} was written by a newer durable-lambda (format version {header.version}; "
            f"this one reads up to {VERSION}); upgrade durable-lambda to read it",
            path=path,
            **where,
        )
    found = header.summary.DurableExecutionArn
    if arn is not None and found != arn:
        raise CorruptExecutionError(path, f"it holds execution {found!r}, not {arn!r}", **where)
    return header


def verify(data: bytes, path: Path, arn: str) -> tuple[ExecutionFileHeader, bytes]:
    """Check a whole execution file: its header, the record's length and checksum.

    Args:
        data: The file's bytes.
        path: The file, for error messages.
        arn: The execution the file must hold.

    Returns:
        The header and the record line (without its newline).

    Raises:
        CorruptExecutionError: The file is empty, truncated, altered or another execution's.
    """
    if not data:
        raise CorruptExecutionError(path, "the file is empty", execution_arn=arn)
    end = data.find(b"\n", 0, MAX_HEADER_BYTES)
    if end < 0:
        raise CorruptExecutionError(path, "the header line never ends", execution_arn=arn)
    header = parse_header(data[:end], path, arn)
    body = data[end + 1 :]
    if len(body) != header.record_bytes + 1 or not body.endswith(b"\n"):
        raise CorruptExecutionError(
            path,
            f"the header announces a record of {header.record_bytes} bytes and a newline, "
            f"but {len(body)} bytes follow it (truncated or appended to)",
            execution_arn=arn,
        )
    body = body[:-1]
    if hashlib.sha256(body).hexdigest() != header.record_sha256:
        raise CorruptExecutionError(
            path,
            "the record's SHA-256 does not match the header (altered after it was written)",
            execution_arn=arn,
        )
    return header, body


def decode_record(body: bytes, path: Path, arn: str) -> ExecutionRecord:
    """Read the record line that ``verify`` returned.

    Raises:
        CorruptExecutionError: The record does not validate, or belongs to another execution.
    """
    try:
        record = ExecutionRecord.from_json(body.decode())
    except (pydantic.ValidationError, UnicodeDecodeError) as error:
        raise CorruptExecutionError(
            path, f"the record does not validate ({_first_problem(error)})", execution_arn=arn
        ) from error
    if record.arn != arn:
        raise CorruptExecutionError(
            path, f"its record is execution {record.arn!r}, not {arn!r}", execution_arn=arn
        )
    return record


def _first_problem(error: pydantic.ValidationError | UnicodeDecodeError) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8: {error.reason}"
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]
