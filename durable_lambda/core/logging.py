"""Loggers that need no logging library: a silent one, a replay-aware wrapper, a capturing fake.

All three implement the ``Logger`` port of ``durable_lambda.core.ports``. The structlog and stdlib
adapters live in ``durable_lambda.adapters.logging``; the classes here are what the core wraps
around them (``ReplayAwareLogger``) or uses when no logger is configured (``NullLogger``), and what
tests assert against (``CapturingLogger``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from durable_lambda.core.ports import Logger

__all__ = ["CapturedLog", "CapturingLogger", "NullLogger", "ReplayAwareLogger"]


class NullLogger:
    """A logger that drops every event; the default when no logger is configured.

    Example:
        >>> NullLogger().bind(operation_id="abc").info("dropped")

    """

    __slots__ = ()

    def bind(self, **fields: object) -> NullLogger:
        """Return this logger: there is nothing to bind fields to.

        Args:
            **fields: Ignored.

        Returns:
            The same ``NullLogger``.

        """
        return self

    def debug(self, event: str, **fields: object) -> None:
        """Drop a debug event."""

    def info(self, event: str, **fields: object) -> None:
        """Drop an info event."""

    def warning(self, event: str, **fields: object) -> None:
        """Drop a warning event."""

    def error(self, event: str, **fields: object) -> None:
        """Drop an error event."""

    def exception(self, event: str, **fields: object) -> None:
        """Drop an error event with its exception."""


class ReplayAwareLogger:
    """Forward events to another logger, except while the execution replays.

    A durable function runs its code again from the start on every invocation; without this
    wrapper, every log line written before the last checkpoint would be written once per
    invocation. The predicate is asked at each event, so one logger serves an invocation that
    starts out replaying and then reaches new code.

    Args:
        inner: The logger that receives the events.
        is_replaying: Answers whether the code is replaying right now.
        log_during_replay: Forward events even while replaying (useful when debugging replay).

    Example:
        >>> replaying = True
        >>> captured = CapturingLogger()
        >>> logger = ReplayAwareLogger(captured, lambda: replaying)
        >>> logger.info("skipped")
        >>> replaying = False
        >>> logger.info("kept")
        >>> captured.events()
        ['kept']

    """

    __slots__ = ("_inner", "_is_replaying", "_log_during_replay", "_unbound")

    def __init__(
        self,
        inner: Logger,
        is_replaying: Callable[[], bool],
        log_during_replay: bool = False,
    ) -> None:
        self._inner = inner
        self._is_replaying = is_replaying
        self._log_during_replay = log_during_replay
        # Fields bound but not yet passed to ``inner.bind``: every step gets a logger bound to
        # it, most never log, and binding eagerly cost about a microsecond per step.
        self._unbound: dict[str, object] | None = None

    @property
    def inner(self) -> Logger:
        """The wrapped logger (with every field bound so far)."""
        if self._unbound is not None:
            self._inner = self._inner.bind(**self._unbound)
            self._unbound = None
        return self._inner

    def bind(self, **fields: object) -> ReplayAwareLogger:
        """Return a replay-aware logger around ``inner.bind(**fields)``, with the same predicate.

        Args:
            **fields: Fields added to every event of the returned logger.

        Returns:
            A new ``ReplayAwareLogger``; this one is unchanged.

        """
        bound = ReplayAwareLogger(self._inner, self._is_replaying, self._log_during_replay)
        bound._unbound = {**self._unbound, **fields} if self._unbound else fields
        return bound

    def debug(self, event: str, **fields: object) -> None:
        """Log a debug event unless replaying."""
        if self._should_log():
            self.inner.debug(event, **fields)

    def info(self, event: str, **fields: object) -> None:
        """Log an info event unless replaying."""
        if self._should_log():
            self.inner.info(event, **fields)

    def warning(self, event: str, **fields: object) -> None:
        """Log a warning event unless replaying."""
        if self._should_log():
            self.inner.warning(event, **fields)

    def error(self, event: str, **fields: object) -> None:
        """Log an error event unless replaying."""
        if self._should_log():
            self.inner.error(event, **fields)

    def exception(self, event: str, **fields: object) -> None:
        """Log an error event with the exception being handled, unless replaying."""
        if self._should_log():
            self.inner.exception(event, **fields)

    def _should_log(self) -> bool:
        return self._log_during_replay or not self._is_replaying()


class CapturedLog(NamedTuple):
    """One event recorded by ``CapturingLogger``.

    Attributes:
        level: The method that logged it: ``debug``, ``info``, ``warning``, ``error`` or
            ``exception``.
        event: The event name.
        fields: Bound fields merged with the call's fields (the call's win on a clash).

    """

    level: str
    event: str
    fields: dict[str, object]


class CapturingLogger:
    """A logger that records every event in memory, for assertions in tests.

    Loggers returned by ``bind`` share the parent's record list, so the logger handed to the code
    under test sees everything its bound descendants logged.

    Args:
        records: The list to append to; a new one when omitted.

    Example:
        >>> logger = CapturingLogger()
        >>> logger.bind(operation_id="op-1").info("charged", amount=3)
        >>> logger.records
        [CapturedLog(level='info', event='charged', fields={'operation_id': 'op-1', 'amount': 3})]

    """

    __slots__ = ("_bound", "records")

    def __init__(self, records: list[CapturedLog] | None = None) -> None:
        self.records: list[CapturedLog] = [] if records is None else records
        self._bound: dict[str, object] = {}

    def bind(self, **fields: object) -> CapturingLogger:
        """Return a logger that adds ``fields`` to every event and records into the same list.

        Args:
            **fields: Fields added to every event of the returned logger.

        Returns:
            A new ``CapturingLogger`` sharing ``records`` with this one.

        """
        child = CapturingLogger(self.records)
        child._bound = {**self._bound, **fields}
        return child

    def events(self, level: str | None = None) -> list[str]:
        """Return the recorded event names, in order.

        Args:
            level: Only events logged at this level (method name), when given.

        Returns:
            The event names.

        """
        return [record.event for record in self.records if level in (None, record.level)]

    def clear(self) -> None:
        """Forget every recorded event (for this logger and all loggers sharing its list)."""
        self.records.clear()

    def debug(self, event: str, **fields: object) -> None:
        """Record a debug event."""
        self._record("debug", event, fields)

    def info(self, event: str, **fields: object) -> None:
        """Record an info event."""
        self._record("info", event, fields)

    def warning(self, event: str, **fields: object) -> None:
        """Record a warning event."""
        self._record("warning", event, fields)

    def error(self, event: str, **fields: object) -> None:
        """Record an error event."""
        self._record("error", event, fields)

    def exception(self, event: str, **fields: object) -> None:
        """Record an error event logged with its exception (level ``exception``)."""
        self._record("exception", event, fields)

    def _record(self, level: str, event: str, fields: dict[str, object]) -> None:
        self.records.append(CapturedLog(level, event, {**self._bound, **fields}))
