"""Following the pages of an execution's operations to the end, which must come.

The invocation input and every checkpoint answer may say there is more (``NextMarker``): the
rest is read page by page with ``GetDurableExecutionState``. A service (or something on the way)
that answers a marker with a marker it gave before would keep an invocation paging until Lambda
times it out, and a loop that never repeats but never ends does the same. ``follow_pages``
refuses both with a ``PagingError``: a marker seen before in this walk, or more pages than any
state can have. Either is an answer to retry, not a state to act on, so the error is retriable:
Lambda invokes again and the next walk starts afresh.
"""

from __future__ import annotations

from typing import Any, Final

from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import ExecutionState
from durable_lambda.core.ports import DurableService

__all__ = ["MAX_PAGES", "PagingError", "follow_pages"]

MAX_PAGES: Final = 100_000
"""More pages than any state can have. A page holds up to 1,000 operations or megabytes of
them: 100,000 pages would be about 100 million operations or hundreds of gigabytes, beyond what
one invocation (10 GiB of memory, 15 minutes) could hold or replay."""


class PagingError(CheckpointError):
    """The service's pages never end: a ``NextMarker`` came again, or too many pages came.

    Always retriable: it is raised out of the handler, so Lambda invokes again.

    Args:
        message: What the pages did.
        marker: The marker at fault (the repeated one, or the last one read).
        pages: How many pages this walk had read.
    """

    def __init__(self, message: str, *, marker: str, pages: int, **where: Any) -> None:
        super().__init__(message, retriable=True, **where)
        self.marker = marker
        self.pages = pages


async def follow_pages(
    service: DurableService,
    execution_arn: str,
    checkpoint_token: str,
    marker: str | None,
    page_size: int | None = None,
    *,
    max_pages: int = MAX_PAGES,
) -> list[ExecutionState]:
    """Read every page from ``marker`` on; return them in order (none when ``marker`` is empty).

    Args:
        service: Where the pages come from.
        execution_arn: The execution.
        checkpoint_token: The token the pages are read with.
        marker: The ``NextMarker`` that says there is more (the input's, or a checkpoint's).
        page_size: Operations asked for per page; the service's default when None.
        max_pages: The most pages one walk may read (``MAX_PAGES``; smaller in tests).

    Raises:
        PagingError: a page's ``NextMarker`` is one this walk has seen already (``marker``
            included), or there are more than ``max_pages`` pages.
        CheckpointError: a page could not be read (see ``DurableService.get_state``).
    """
    pages: list[ExecutionState] = []
    seen: set[str] = set()
    while marker:
        if marker in seen:
            raise PagingError(
                f"GetDurableExecutionState answered page {len(pages)} with NextMarker "
                f"{marker!r}, a marker it had given before: following it would page for ever. "
                "Lambda will retry the invocation",
                marker=marker,
                pages=len(pages),
                execution_arn=execution_arn,
            )
        if len(pages) >= max_pages:
            raise PagingError(
                f"GetDurableExecutionState gave {len(pages)} pages and a NextMarker still "
                f"({marker!r}): more pages than any state can have (at most {max_pages}). "
                "Lambda will retry the invocation",
                marker=marker,
                pages=len(pages),
                execution_arn=execution_arn,
            )
        seen.add(marker)
        page = await service.get_state(execution_arn, checkpoint_token, marker, page_size)
        pages.append(page)
        marker = page.NextMarker
    return pages
