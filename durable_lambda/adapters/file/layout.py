"""Where the file store keeps things: the folder of each execution and the files in it.

Layout under the root (``.durable/`` in the working directory by default)::

    .durable/executions/<function>.<name>-<sha256 of the ARN, 16 hex>/
        execution.jsonl     the record, after a header line (see ``record_file``)
        journal             the changes made since the record was last written whole
                            (see ``journal``); absent until the first change
        lock                the driver's lock; holds the driver's pid while it is held
        record.lock         held around one read-modify-write of the record
"""

from __future__ import annotations

import hashlib
import re
import shlex
from pathlib import Path

__all__ = [
    "DEFAULT_ROOT",
    "EXECUTIONS",
    "JOURNAL_FILE",
    "LOCK_FILE",
    "READABLE_LIMIT",
    "RECORD_FILE",
    "RECORD_LOCK_FILE",
    "directory_name",
    "readable_name",
    "repair_command",
    "slug",
]

DEFAULT_ROOT = ".durable"
"""Where executions are kept unless told otherwise (relative to the working directory)."""

EXECUTIONS = "executions"
"""The folder under the root that holds one folder per execution."""

RECORD_FILE = "execution.jsonl"
JOURNAL_FILE = "journal"
LOCK_FILE = "lock"
RECORD_LOCK_FILE = "record.lock"
READABLE_LIMIT = 80
"""The readable part of a folder's name is cut to this many characters."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_ARN_PARTS = re.compile(r":function:([^:/]+).*/durable-execution/([^/]+)/")
_DIGEST = re.compile(r"-[0-9a-f]{16}$")


def slug(text: str) -> str:
    """Return ``text`` with every run of characters unsafe in a file name made one ``_``."""
    return _UNSAFE.sub("_", text)


def directory_name(arn: str) -> str:
    """Return the directory name of execution ``arn``: readable, unique, safe on any disk.

    The readable part is the function and execution names when the ARN has them; the SHA-256
    prefix makes the name unique (also on case-insensitive file systems).
    """
    parts = _ARN_PARTS.search(arn)
    readable = ".".join(parts.groups()) if parts else arn.rsplit(":", 1)[-1]
    text = slug(readable).strip("._-")[:READABLE_LIMIT] or "execution"
    return f"{text}-{hashlib.sha256(arn.encode()).hexdigest()[:16]}"


def readable_name(directory: str) -> str:
    """Return the readable part of an execution directory's name (``<function>.<name>``)."""
    return _DIGEST.sub("", directory)


def repair_command(directory: Path) -> str:
    """Return the command line that repairs the execution kept in ``directory``.

    ``--store`` is added unless the directory lies in the default store of the working folder.
    """
    root = directory.parent.parent
    store = "" if root == Path(DEFAULT_ROOT).absolute() else f" --store {shlex.quote(str(root))}"
    return f"durable-lambda repair {shlex.quote(directory.name)}{store}"
