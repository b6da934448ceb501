"""Finding the execution a command names, when some of the store's files may be damaged.

A full ARN is looked up alone: no other execution's file is read. A name or id prefix is
matched against the store's listing, which reads header lines only and sets damaged
executions apart, so one damaged file never stops a command about another execution; a
reference that names only a damaged execution gets that execution's own error, which says how to
repair it.

Damage and repair are the file store's own capabilities (this module is one of the entry
points ``durable_lambda.app.container`` names as using them); any other ``ExecutionStore`` is
listed with ``list_executions`` and has no damaged executions to show.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape

from durable_lambda.adapters.file.layout import (
    EXECUTIONS,
    READABLE_LIMIT,
    directory_name,
    repair_command,
    slug,
)
from durable_lambda.adapters.file.listing import DamagedExecution, ExecutionListing
from durable_lambda.adapters.file.store import FileExecutionStore
from durable_lambda.app.cli.options import CommandError, resolve_execution
from durable_lambda.app.cli.render import printable
from durable_lambda.service.ports import ExecutionStore
from durable_lambda.service.record import ExecutionSummary

__all__ = [
    "damaged_note",
    "find_execution",
    "find_folder",
    "listing",
    "names_damaged",
    "repairable_store",
]

# How surely a reference names a damaged execution (see ``names_damaged``).
_SURE = 2
_MAYBE = 1
_NO = 0


async def listing(store: ExecutionStore) -> ExecutionListing:
    """Return the store's executions, oldest first, with the file store's damaged ones apart."""
    if isinstance(store, FileExecutionStore):
        return await store.scan()
    return ExecutionListing(executions=await store.list_executions())


def repairable_store(store: ExecutionStore, where: Path) -> FileExecutionStore:
    """Return ``store`` as the file store, which alone can repair an execution's file.

    Raises:
        CommandError: it is another kind of store.
    """
    if isinstance(store, FileExecutionStore):
        return store
    raise CommandError(
        f"repair works on the file store only; the store at {where} is a "
        f"{type(store).__name__} (from --store-factory)"
    )


async def find_execution(store: ExecutionStore, reference: str, where: Path) -> str:
    """Return the ARN ``reference`` names (a full ARN, or a unique prefix of a name or id).

    Args:
        store: The store to look in.
        reference: What the user typed.
        where: The ``--store`` value, for messages.

    Raises:
        CommandError: No execution matches, or several do.
        CorruptExecutionError: Only a damaged execution matches (the message says how to
            repair it).
        ExecutionStoreError: The store cannot be listed, or the only match cannot be read.
    """
    if not isinstance(store, FileExecutionStore):
        executions = await store.list_executions()
        return resolve_execution(reference, executions, where)
    files = store
    if await _holds(files, reference):
        return reference
    listing = await files.scan()
    sure = [item for item in listing.damaged if names_damaged(reference, item) == _SURE]
    healthy = _matches(reference, listing.executions)
    if healthy and not sure:
        return resolve_execution(reference, listing.executions, files.root)
    damaged = sure or [item for item in listing.damaged if names_damaged(reference, item)]
    if not damaged:
        unnamed = [item.name for item in listing.damaged if _name_unknown(item)]
        if healthy or not unnamed:
            return resolve_execution(reference, listing.executions, files.root)
        raise CommandError(
            f"no readable execution matches {reference!r}; it may be a damaged one whose folder "
            f"name no longer shows its name: {', '.join(unnamed)} (see `durable-lambda list`; "
            "repair one with `durable-lambda repair FOLDER`)",
            exit_code=1,
        )
    if not healthy and len(damaged) == 1:
        raise damaged[0].error
    names = healthy + [f"{item.name} (damaged)" for item in damaged]
    raise CommandError(
        f"{reference!r} matches {len(names)} executions ({', '.join(names)}); "
        "type more of its name or id",
        exit_code=1,
    )


async def find_folder(files: FileExecutionStore, reference: str) -> str:
    """Return the folder name of the execution ``reference`` names, damaged or not.

    A reference is what ``find_execution`` takes, or a folder name as ``list`` shows it for a
    damaged execution.

    Raises:
        CommandError: No execution matches, or several do.
    """
    if reference.startswith("arn:") and await asyncio.to_thread(
        os.path.isdir, files.execution_directory(reference)
    ):
        return directory_name(reference)
    if reference and "/" not in reference and reference not in (".", ".."):
        exact = files.root / EXECUTIONS / reference
        if await asyncio.to_thread(os.path.isdir, exact):
            return reference
    listing = await files.scan()
    folders = [directory_name(arn) for arn in _matches(reference, listing.executions, arns=True)]
    sure = [item.name for item in listing.damaged if names_damaged(reference, item) == _SURE]
    if sure or not folders:
        folders += sure or [item.name for item in listing.damaged if names_damaged(reference, item)]
    if len(folders) == 1:
        return folders[0]
    if not folders:
        raise CommandError(
            f"no execution matches {reference!r} (see `durable-lambda list`)", exit_code=1
        )
    raise CommandError(
        f"{reference!r} matches {len(folders)} executions ({', '.join(folders)}); "
        "give the folder name `durable-lambda list` shows",
        exit_code=1,
    )


def names_damaged(reference: str, damaged: DamagedExecution) -> int:
    """Whether ``reference`` names the damaged execution, whose name and ARN are unknown.

    Only its folder's name says anything: ``<function>.<name>``, cut to 80 characters, then a
    digest. The answer is ``_SURE`` (2) for the folder's name, its readable part, or a prefix
    of the execution name it carries whole; ``_MAYBE`` (1) when the name was cut and what is
    left of it begins ``reference``; ``_NO`` (0) otherwise.
    """
    if reference in (damaged.name, damaged.readable_name):
        return _SURE
    readable = damaged.readable_name
    _, dot, name = readable.partition(".")
    wanted = slug(reference)
    if not (dot and reference):
        return _NO
    if name.startswith(wanted):
        return _SURE
    cut = len(readable) >= READABLE_LIMIT
    return _MAYBE if cut and name and wanted.startswith(name) else _NO


def damaged_note(damaged: DamagedExecution) -> str:
    """Return, as rich markup, why an execution is damaged and how to repair it."""
    name = escape(damaged.name)
    problem = escape(printable(damaged.problem))
    if not damaged.repairable:
        return f"[bold red]{name}[/bold red] cannot be read: {problem}"
    return (
        f"[bold red]{name}[/bold red] is damaged: {problem}\n"
        f"  repair it with: {escape(repair_command(damaged.directory))}"
    )


def _name_unknown(damaged: DamagedExecution) -> bool:
    """Whether the folder's name was cut before any of the execution's name could show."""
    readable = damaged.readable_name
    return len(readable) >= READABLE_LIMIT and not readable.partition(".")[2]


async def _holds(files: FileExecutionStore, reference: str) -> bool:
    """Whether ``reference`` is the full ARN of an execution the store holds (reads nothing)."""
    if not reference.startswith("arn:"):
        return False
    return await asyncio.to_thread(os.path.lexists, files.record_path(reference))


def _matches(
    reference: str, executions: Sequence[ExecutionSummary], *, arns: bool = False
) -> list[str]:
    """Return the names (or ARNs) of the executions ``reference`` names.

    They match as in ``resolve_execution``: the full ARN, or a prefix of the name or id.
    """
    exact = [s for s in executions if s.DurableExecutionArn == reference]
    found = exact or [
        summary
        for summary in executions
        if summary.DurableExecutionName.startswith(reference)
        or summary.DurableExecutionArn.rsplit("/", 1)[-1].startswith(reference)
    ]
    return [s.DurableExecutionArn if arns else s.DurableExecutionName for s in found]
