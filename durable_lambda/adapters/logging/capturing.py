"""``CapturingLogger``: a ``Logger`` that keeps every event in memory, for tests to assert on.

The in-memory adapter of the ``Logger`` port, as ``InMemoryExecutionStore`` is of the store's and
``FakeClock`` of the clock's; users import it from ``durable_lambda.testing``.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CapturedLog", "CapturingLogger"]


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
