"""``EventLog``: an execution's history as the local service records it, validated when read.

The local service records one or two history events for every update it applies, and building
a ``HistoryEvent`` (31 fields to validate, plus its details) was most of what an update cost,
although most histories are never read while the execution runs. An ``EventLog`` records each
event as a short list of what it is made of (``PendingEvent``) and validates the
``HistoryEvent`` from it when the history is first read, exactly as it would have been validated
when recorded: every part of a pending event is a frozen value (an enum, a timestamp, a frozen
operation or details model, text), so building it later gives the same event. It also leaves
the garbage collector one object to walk per event instead of up to nine.

Every read sees ``HistoryEvent`` objects only: anything but ``len()``, ``truncate()``, ``copy()``
and recording builds the pending events first (all of them, once; copies of a log share what
one of them built). Serialisation (the file store's JSON, ``model_dump``) goes through the same
path, and a log compares equal to a list of the same events. What is moved, not saved, is the
building of the events somebody reads: about 2 µs per event, on the first read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableSequence
from copy import deepcopy
from datetime import datetime
from typing import Any, overload

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from durable_lambda.core.model import Operation, WireModel
from durable_lambda.service.history import EventType, HistoryEvent

__all__ = ["EventLog", "PendingEvent", "build_event"]

PendingEvent = list[Any]
"""What an event is made of, every part a frozen value, and the event once built.

``[EventType, EventId, EventTimestamp, operation, details, arguments, event]``: the operation it
is about (its Id, Name, ParentId and SubType), if any; the details, or what builds them from
``arguments`` (None: the details are built already); the ``HistoryEvent``, None until built. A
list, so that copies of a log share what one of them built.
"""

_DETAILS_FIELDS = {event_type: f"{event_type.value}Details" for event_type in EventType}


def build_event(pending: PendingEvent) -> HistoryEvent:
    """Return the ``HistoryEvent`` that ``pending`` describes, validating it the first time.

    Args:
        pending: What the event is made of.

    Returns:
        The event, with the fields a recorded event always had set.
    """
    built: HistoryEvent | None = pending[6]
    if built is None:
        built = pending[6] = _build(*pending[:6])
    return built


def _build(
    event_type: EventType,
    event_id: int,
    timestamp: datetime,
    operation: Operation | None,
    details: WireModel | Callable[..., WireModel],
    arguments: tuple[Any, ...] | None,
) -> HistoryEvent:
    if arguments is not None:
        assert callable(details)
        details = details(*arguments)
    fields: dict[str, object] = {
        "EventType": event_type,
        "EventId": event_id,
        "EventTimestamp": timestamp,
        _DETAILS_FIELDS[event_type]: details,
    }
    if operation is not None:
        fields.update(
            Id=operation.Id,
            Name=operation.Name,
            ParentId=operation.ParentId,
            SubType=operation.SubType,
        )
    return HistoryEvent.model_validate(fields)


class EventLog(MutableSequence[HistoryEvent]):
    """A list of history events whose newest ones may still be pending (see the module).

    It behaves as a ``list[HistoryEvent]`` (indexing and slicing, ``append``, ``pop``,
    ``clear``, ``del``, ``==`` with a list or another log), and is what
    ``ExecutionRecord.history`` holds: it validates from a list of events and serialises as one.

    Args:
        events: The events it starts with.
    """

    __slots__ = ("_built", "_edited", "_items")

    def __init__(self, events: Iterable[HistoryEvent] = ()) -> None:
        # _items[:_built] are HistoryEvents, _items[_built:] PendingEvents (recorded since).
        self._items: list[Any] = list(events)
        self._built = len(self._items)
        # The first position changed other than by appending since forget_edits (None: none).
        self._edited: int | None = None

    # What the service does: record, count, cut back; none of it builds pending events.

    def record(
        self,
        event_type: EventType,
        timestamp: datetime,
        operation: Operation | None,
        details: WireModel | Callable[..., WireModel],
        arguments: tuple[Any, ...] | None = None,
    ) -> None:
        """Append an event, to be built when the log is read; its ``EventId`` is its position.

        Args:
            event_type: The event's type.
            timestamp: When it happened.
            operation: The operation it is about, if any.
            details: Its details; or, with ``arguments``, what builds them.
            arguments: What ``details(*arguments)`` builds the details from.
        """
        items = self._items
        items.append([event_type, len(items) + 1, timestamp, operation, details, arguments, None])

    def __len__(self) -> int:
        return len(self._items)

    def truncate(self, length: int) -> None:
        """Keep only the first ``length`` events (``del log[length:]``, without building any)."""
        self._note_index(slice(length, None))
        del self._items[length:]
        self._built = min(self._built, len(self._items))

    def copy(self) -> EventLog:
        """Return an independent log with the same events (and the same edits noted).

        Pending events stay pending, and are built once for the log and all its copies.
        """
        log = EventLog()
        log._items = self._items.copy()
        log._built = self._built
        log._edited = self._edited
        return log

    # Which events changed: a store that saves only what changed (see service.changes) asks.

    def forget_edits(self) -> None:
        """Start noting edits afresh: ``edited_from`` is None until an event changes again."""
        self._edited = None

    def edited_from(self) -> int | None:
        """Return the first position changed other than by appending since ``forget_edits``.

        Every event from there on may differ (replaced, removed, moved); None when events were
        only appended.
        """
        return self._edited

    def _note_edit(self, position: int) -> None:
        if self._edited is None or position < self._edited:
            self._edited = position

    def _note_index(self, index: int | slice) -> None:
        """Note a change at ``index`` (as a list reads it), before it is made."""
        length = len(self._items)
        if isinstance(index, slice):
            start, stop, step = index.indices(length)
            # What a slice with a positive step changes starts at its start (an empty slice
            # assigned to inserts there); with a negative step, at its lowest position.
            position = start if step > 0 else min(range(start, stop, step), default=length)
            if step > 0 and start >= stop and start >= length:
                return  # e.g. del log[len(log):], or truncate to the length it has: nothing
        else:
            position = index + length if index < 0 else index
        self._note_edit(min(max(position, 0), length))

    # Everything else reads events, so it builds the pending ones first.

    def events(self) -> list[HistoryEvent]:
        """Return the events as the list this log keeps (build pending events first).

        The list is the log's own: changing it changes the log.
        """
        items = self._items
        if self._built < len(items):
            for index in range(self._built, len(items)):
                items[index] = build_event(items[index])
            self._built = len(items)
        return items

    @overload
    def __getitem__(self, index: int) -> HistoryEvent: ...

    @overload
    def __getitem__(self, index: slice) -> list[HistoryEvent]: ...

    def __getitem__(self, index: int | slice) -> HistoryEvent | list[HistoryEvent]:
        return self.events()[index]

    @overload
    def __setitem__(self, index: int, value: HistoryEvent) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[HistoryEvent]) -> None: ...

    def __setitem__(self, index: int | slice, value: Any) -> None:
        self._note_index(index)
        self.events()[index] = value
        self._built = len(self._items)

    def __delitem__(self, index: int | slice) -> None:
        self._note_index(index)
        del self.events()[index]
        self._built = len(self._items)

    def insert(self, index: int, value: HistoryEvent) -> None:
        """Insert an event before ``index``, as ``list.insert``."""
        length = len(self._items)
        self._note_edit(min(max(index + length if index < 0 else index, 0), length))
        self.events().insert(index, value)
        self._built = len(self._items)

    def append(self, value: HistoryEvent) -> None:
        """Append an event, as ``list.append``."""
        self.events().append(value)
        self._built = len(self._items)

    def pop(self, index: int = -1) -> HistoryEvent:
        """Remove and return an event (the last by default), as ``list.pop``."""
        if self._items:
            self._note_index(index)
        event: HistoryEvent = self.events().pop(index)
        self._built = len(self._items)
        return event

    def clear(self) -> None:
        """Remove every event."""
        if self._items:
            self._note_edit(0)
        self._items.clear()
        self._built = 0

    def __iter__(self) -> Iterator[HistoryEvent]:
        return iter(self.events())

    def __reversed__(self) -> Iterator[HistoryEvent]:
        return reversed(self.events())

    def __contains__(self, value: object) -> bool:
        return value in self.events()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventLog):
            return self.events() == other.events()
        if isinstance(other, list):
            return self.events() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    def __repr__(self) -> str:
        return repr(self.events())

    def __copy__(self) -> EventLog:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> EventLog:
        return EventLog(deepcopy(self.events(), memo))

    def __reduce__(self) -> tuple[type[EventLog], tuple[list[HistoryEvent]]]:
        return EventLog, (list(self.events()),)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from a list of events (or a log, copied); serialise as a list of events."""
        events = handler.generate_schema(list[HistoryEvent])
        from_events = core_schema.no_info_after_validator_function(cls, events)
        from_log = core_schema.no_info_after_validator_function(
            cls.copy, core_schema.is_instance_schema(cls)
        )
        return core_schema.json_or_python_schema(
            json_schema=from_events,
            python_schema=core_schema.union_schema([from_log, from_events], mode="left_to_right"),
            serialization=core_schema.plain_serializer_function_ser_schema(
                cls.events, return_schema=events
            ),
        )
