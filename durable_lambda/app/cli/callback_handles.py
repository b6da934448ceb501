"""Short handles for callback ids, as git has short hashes: ``callback succeed 3f9a1c2b``.

A callback id is 200 to 350 characters: too long to read, and a line a terminal wraps breaks when
copied. The command line prints a handle instead, the first ``HANDLE_LENGTH`` hex digits of the
id's SHA-256, and takes any unique prefix of one (at least ``SHORTEST`` digits) wherever it
takes a callback id, finding the callback among the store's executions. A full id is used as it
is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from durable_lambda.app.cli.options import CommandError
from durable_lambda.app.cli.store_lookup import listing
from durable_lambda.app.ports import LocalService
from durable_lambda.core.model import OperationType
from durable_lambda.service.ports import ExecutionNotFoundError, ExecutionStore
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus

__all__ = ["HANDLE_LENGTH", "SHORTEST", "callback_handle", "is_handle", "resolve_callback"]

HANDLE_LENGTH = 8
"""How many hex digits of the id's hash a printed handle has."""

SHORTEST = 4
"""The fewest hex digits a handle may be typed with."""

_HANDLE = re.compile(rf"[0-9a-f]{{{SHORTEST},64}}")


def callback_handle(callback_id: str) -> str:
    """Return the short handle the command line prints for ``callback_id``."""
    return _digest(callback_id)[:HANDLE_LENGTH]


def is_handle(text: str) -> bool:
    """Whether ``text`` is typed as a handle (hex digits), not a full callback id."""
    return _HANDLE.fullmatch(text) is not None


def _digest(callback_id: str) -> str:
    return hashlib.sha256(callback_id.encode()).hexdigest()


async def resolve_callback(
    store: ExecutionStore, service: LocalService, reference: str, where: str
) -> str:
    """Return the callback id ``reference`` names: a full id, or a handle (a hash prefix).

    A handle is looked up among the callbacks of the running executions first, then among those
    of every execution (so that answering a callback that has closed says so).

    Args:
        store: The store to look in.
        service: The local service over it.
        reference: What the user typed.
        where: The store, as messages name it.

    Raises:
        CommandError: The handle matches no callback of the store, or several.
    """
    if not is_handle(reference):
        return reference
    summaries = (await listing(store)).executions
    running = [s.DurableExecutionArn for s in summaries if s.Status is ExecutionStatus.RUNNING]
    ended = [s.DurableExecutionArn for s in summaries if s.Status is not ExecutionStatus.RUNNING]
    for arns in (running, ended):
        found = {
            callback_id
            for record in await _records(service, arns)
            for callback_id in _callback_ids(record)
            if _digest(callback_id).startswith(reference)
        }
        if len(found) == 1:
            return found.pop()
        if found:
            raise CommandError(
                f"callback handle {reference!r} matches {len(found)} callbacks in {where}; "
                "type more of it",
                exit_code=1,
            )
    raise CommandError(
        f"no callback in {where} has the handle {reference!r} (`durable-lambda status "
        "EXECUTION` shows the handle of each callback that waits)",
        exit_code=1,
    )


async def _records(service: LocalService, arns: Iterable[str]) -> list[ExecutionRecord]:
    records = []
    for arn in arns:
        try:
            records.append(await service.get_record(arn))
        except ExecutionNotFoundError:  # deleted since it was listed
            continue
    return records


def _callback_ids(record: ExecutionRecord) -> list[str]:
    return [
        op.CallbackDetails.CallbackId
        for op in record.operations.values()
        if op.Type is OperationType.CALLBACK
        and op.CallbackDetails is not None
        and op.CallbackDetails.CallbackId
    ]
