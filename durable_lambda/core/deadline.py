"""The invocation's deadline: when to stop starting step attempts, so Lambda never kills one.

Lambda stops an invocation at the function's time-out, and with it the step attempt that was
running: the step stays STARTED and runs again from scratch on the next invocation, uncounted, so
a step that cannot finish within one invocation runs again and again until the execution times
out. Knowing the deadline (the Lambda context's ``get_remaining_time_in_millis()`` when the
invocation starts), the SDK stops a margin before it instead:

* a step attempt still running then is cut short and recorded as failed with
  ``StepDeadlineError``; its retry strategy decides whether it runs again (see
  ``durable_lambda.core.operations.attempt``);
* a step reached after it does not start its body: the invocation suspends there, and the first
  such step of the invocation is checkpointed as deferred (due again in one second, not counted
  as an attempt), so that the service always has something to invoke the function again for;
* what finished is checkpointed, and the invocation ends PENDING.

The margin is ``RuntimeOptions.deadline_margin`` (2 seconds by default), never more than half of
the time the invocation had when it started. Times are the event loop's (``loop.time()``), which
measures real elapsed time even under a fake clock: Lambda's time-out is about compute time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from durable_lambda.core.lambda_context import remaining_millis

__all__ = ["DEFAULT_DEADLINE_MARGIN_SECONDS", "InvocationDeadline"]

DEFAULT_DEADLINE_MARGIN_SECONDS = 2.0
"""How long before Lambda's time-out the SDK stops starting and running step attempts."""


@dataclass(slots=True)
class InvocationDeadline:
    """When this invocation stops running step attempts, in event-loop time; one per invocation.

    The step attempts running are *watched*: one timer for the whole invocation, armed with the
    first attempt, cancels the tasks of the attempts still running when it fires (an
    ``asyncio.timeout`` per attempt would cost each step about 15 µs). An attempt started once
    it fired is cancelled at once.

    Attributes:
        stop_at: The event-loop time (``loop.time()``) at which attempts stop.
        margin_seconds: How long before Lambda's time-out that is (the configured margin, or
            half of the time the invocation had, whichever is less).
        deferral_sent: Whether a step of this invocation was already checkpointed as deferred
            (one is enough for the service to invoke the function again).
        reported: Whether reaching the deadline was logged (once per invocation).
    """

    stop_at: float
    margin_seconds: float
    deferral_sent: bool = False
    reported: bool = False
    # The tasks running an attempt, and whether the deadline cut each short.
    _watched: dict[asyncio.Task[Any], bool] = field(default_factory=dict, repr=False)
    _timer: asyncio.TimerHandle | None = field(default=None, repr=False)
    _fired: bool = field(default=False, repr=False)

    @classmethod
    def from_lambda_context(
        cls, lambda_context: object, margin_seconds: float | None, now: float
    ) -> InvocationDeadline | None:
        """Return the deadline of an invocation that starts at ``now`` with ``lambda_context``.

        Args:
            lambda_context: The Lambda context (or a stand-in); None for none.
            margin_seconds: How long before the time-out to stop; None turns the deadline off.
            now: The event loop's time at the start of the invocation.

        Returns:
            The deadline; None when it is turned off or the context cannot tell the remaining
            time (the invocation then runs as if it had no time-out).
        """
        if margin_seconds is None:
            return None
        remaining = remaining_millis(lambda_context)
        if remaining is None:
            return None
        seconds = remaining / 1000
        # Never more than half of what is left: a margin larger than the whole invocation
        # would stop every attempt before it began, and the execution would never progress.
        margin = min(max(margin_seconds, 0.0), seconds / 2)
        return cls(stop_at=now + seconds - margin, margin_seconds=margin)

    def passed(self, now: float) -> bool:
        """Whether attempts must stop at event-loop time ``now``."""
        return self._fired or now >= self.stop_at

    def watch(self, task: asyncio.Task[Any], loop: asyncio.AbstractEventLoop) -> None:
        """Watch ``task``, which starts an attempt: it is cancelled when the deadline comes."""
        self._watched[task] = False
        if self._fired:
            loop.call_soon(self._cut, task)
        elif self._timer is None:
            self._timer = loop.call_at(self.stop_at, self._fire)

    def cut_short(self, task: asyncio.Task[Any]) -> bool:
        """Whether the deadline cancelled ``task``'s attempt (its ``CancelledError`` is ours)."""
        return self._watched.get(task, False)

    def release(self, task: asyncio.Task[Any]) -> bool:
        """Stop watching ``task``, whose attempt ended; return whether the deadline cut it."""
        return self._watched.pop(task, False)

    def close(self) -> None:
        """Disarm the timer: the invocation has ended (a warm sandbox keeps its event loop)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._watched.clear()

    def _fire(self) -> None:
        self._fired = True
        self._timer = None
        for task in list(self._watched):
            self._cut(task)

    def _cut(self, task: asyncio.Task[Any]) -> None:
        if self._watched.get(task) is False and not task.done():
            self._watched[task] = True
            task.cancel()
