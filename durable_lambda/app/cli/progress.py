"""The live status line of ``durable-lambda run`` and ``resume``.

On a terminal it is a rich spinner that says how many invocations ran, how many operations
completed and what the execution waits on (counting down to the next timer); piped, it prints one
plain line per invocation instead. Either way, a callback that starts waiting is announced once,
with the exact command that answers it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Collection
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.status import Status

from durable_lambda.app.cli.callback_handles import callback_handle
from durable_lambda.app.cli.common import answer_hint
from durable_lambda.app.cli.render import printable
from durable_lambda.app.driver import Progress
from durable_lambda.app.history_render import format_duration

__all__ = ["ProgressView", "callback_label"]

_TICK_SECONDS = 0.5
_WAIT_FOR_CALLBACK_SUFFIX = " create callback id"
"""How ``wait_for_callback("approval")`` names its callback: ``approval create callback id``."""


def callback_label(name: str | None) -> str | None:
    """Return the name a person knows a callback by (``wait_for_callback``'s own name)."""
    if name and name.endswith(_WAIT_FOR_CALLBACK_SUFFIX):
        return name[: -len(_WAIT_FOR_CALLBACK_SUFFIX)] or name
    return name


class ProgressView:
    """Shows an execution's progress on ``console`` while the orchestrator drives it.

    Args:
        console: Where to show it (stderr, so stdout keeps only the result).
        name: The execution's name.
        store: The store folder (for the answer commands it prints).
        answered: Callback names answered automatically (``--answer``): not announced.
        now: The time the execution goes by (``--skip-time``'s clock runs ahead of the wall
            clock), for the countdown to the next timer; the wall clock by default.
    """

    def __init__(
        self,
        console: Console,
        name: str,
        store: Path,
        answered: Collection[str] = (),
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.now = now or (lambda: datetime.now(UTC))
        self.console = console
        self.name = name
        self.store = store
        self.answered = set(answered)
        self.last: Progress | None = None
        self.announced: set[str] = set()
        self._status: Status | None = None

    def describe(self, now: datetime | None = None) -> str:
        """Return the status line for the last progress report (control characters escaped)."""
        return printable(self._describe(now))

    def _describe(self, now: datetime | None) -> str:
        progress = self.last
        if progress is None:
            return f"{self.name}: starting"
        parts = [
            f"{self.name}: invocation {progress.invocation}",
            f"{progress.completed_operations} operations completed",
        ]
        waits = [
            f"callback {callback_label(name) or callback_handle(callback_id)!r}"
            for name, callback_id in _open(progress)
        ]
        if progress.next_timer is not None:
            left = (progress.next_timer - (now or self.now())).total_seconds()
            waits.append(f"next timer in {format_duration(max(left, 0.0))}")
        if waits:
            parts.append("waiting on " + ", ".join(waits))
        return " · ".join(parts)

    def on_progress(self, progress: Progress) -> None:
        """Take an orchestrator progress report (its ``on_progress`` callback)."""
        self.last = progress
        if self._status is not None:
            self._status.update(escape(self.describe()))
        else:
            self.console.print(escape(self.describe()))
        for raw_name, callback_id in _open(progress):
            name = callback_label(raw_name)
            if callback_id in self.announced or name in self.answered or raw_name in self.answered:
                continue
            self.announced.add(callback_id)
            label = f"callback {name!r}" if name else "a callback"
            hint = answer_hint(callback_id, self.store)
            self.console.print(
                f"[bold]{escape(printable(label))} waits for an answer.[/bold] Answer it with:\n"
                f"  {escape(printable(hint))}",
                soft_wrap=True,
            )

    @contextlib.asynccontextmanager
    async def showing(self) -> AsyncIterator[ProgressView]:
        """Show the live status (on a terminal) while the body runs."""
        if not self.console.is_terminal:
            yield self
            return
        with self.console.status(escape(self.describe()), spinner="dots") as status:
            self._status = status
            ticker = asyncio.create_task(self._tick())
            try:
                yield self
            finally:
                ticker.cancel()
                self._status = None

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(_TICK_SECONDS)
            if self._status is not None:
                self._status.update(escape(self.describe()))


def _open(progress: Progress) -> tuple[tuple[str | None, str], ...]:
    return progress.open_callbacks
