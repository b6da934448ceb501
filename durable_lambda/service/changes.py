"""What one change of an execution record changed: ``RecordChange``, noted by ``ChangeTracker``.

A store that writes the whole record on every change (``ExecutionStore.save``) spends time in
proportion to everything the execution ever did, on every checkpoint, which makes a long
execution quadratic in total. A store that keeps the record as a snapshot plus the changes made
since (the file store's journal; ``IncrementalExecutionStore`` in ``service.ports``) needs to
know what one change did, in time proportional to the change:

* operations: written only through ``recording.put_operation``, which notes each write for the
  tracker (the one part of a record too large to compare);
* history: events are appended, and the rare edit of an older event is noted by the
  ``EventLog`` itself (``edited_from``): the events from the first changed position on;
* every other container (timers, callbacks, chained invokes, undelivered changes): copied
  before the change and compared after it, as ``rollback`` copies them: they hold open work;
* every other field (status, token, result...): compared by identity.

``ChangeTracker(record)`` notes the record as it stands; after the change,
``tracker.finish(record)`` returns the ``RecordChange``; applied to the record as it stood
(``RecordChange.apply``), or read back from its JSON (``to_json``, ``from_json``), it gives the
record as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Annotated, Any, Generic, Optional, TypeVar, cast, get_origin

from pydantic import BaseModel, ConfigDict, create_model

from durable_lambda.core.model import Operation
from durable_lambda.service.history import HistoryEvent
from durable_lambda.service.record import (
    CallbackRegistration,
    ChainedInvokeRequest,
    ExecutionRecord,
    Timer,
)

__all__ = ["SUMMARY_FIELDS", "ChangeTracker", "ContainerChange", "RecordChange"]

V = TypeVar("V")

_SPECIAL = frozenset({"operations", "history"})
CONTAINERS = tuple(
    name
    for name, field in ExecutionRecord.model_fields.items()
    if name not in _SPECIAL and get_origin(field.annotation) in (dict, list)
)
"""The record's containers other than the operations: compared whole after a change."""
SCALARS = tuple(
    name for name in ExecutionRecord.model_fields if name not in _SPECIAL and name not in CONTAINERS
)
"""The record's other fields: values, compared by identity after a change."""
SUMMARY_FIELDS = frozenset(
    {"arn", "name", "function_name", "status", "start_timestamp", "end_timestamp"}
)
"""The fields an ``ExecutionSummary`` is made of (a store that lists from a summary rewrites it)."""
_scalar_values = itemgetter(*SCALARS)
_MISSING = object()


def _field_type(name: str) -> Any:
    field = ExecutionRecord.model_fields[name]
    annotation: Any = field.annotation
    if field.metadata:  # e.g. a timestamp's serializer: epoch milliseconds, as in the record
        annotation = Annotated[(annotation, *field.metadata)]
    return Optional[annotation]  # noqa: UP045 - a runtime type, not an annotation


_FIELD_DEFINITIONS: dict[str, Any] = {name: (_field_type(name), None) for name in SCALARS}
RecordFields: type[BaseModel] = create_model(
    "RecordFields",
    __config__=ConfigDict(extra="forbid"),
    __doc__="New values of the record's fields that a change set (those it set to None aside).",
    **_FIELD_DEFINITIONS,
)


class ContainerChange(BaseModel, Generic[V]):
    """How one of the record's containers (a dict by key) changed.

    Attributes:
        whole: ``put`` is the whole container (its order changed in a way ``put`` and
            ``removed`` cannot say).
        put: Entries added or replaced, in the container's order.
        removed: Keys removed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    whole: bool = False
    put: dict[str, V] = {}
    removed: list[str] = []

    def apply_to(self, container: dict[str, V]) -> dict[str, V]:
        """Return ``container`` changed in place, or the new container when ``whole``."""
        if self.whole:
            return dict(self.put)
        for key in self.removed:
            container.pop(key, None)
        container.update(self.put)
        return container


def _container_change(before: dict[str, Any], after: dict[str, Any]) -> ContainerChange[Any] | None:
    """Return how ``before`` became ``after``; None when it did not change."""
    if after == before and list(after) == list(before):
        return None
    removed = [key for key in before if key not in after]
    kept = [key for key in before if key in after] if removed else list(before)
    keys = list(after)
    # Keys kept keep their place and new keys come after them, unless a key was removed and
    # put back (it moves to the end): then only the whole container says the order.
    if keys[: len(kept)] != kept:
        return ContainerChange[Any](whole=True, put=dict(after))
    put = {key: value for key, value in after.items() if before.get(key, _MISSING) is not value}
    return ContainerChange[Any](put=put, removed=removed)


class RecordChange(BaseModel):
    """What one change of an execution record changed (see the module).

    Attributes:
        fields: New values of the fields it set to anything but None.
        cleared: The fields it set to None.
        operations: The operations it wrote, as they are now, in the order first written
            (new ones join the end of the record's operations in that order).
        removed_operations: Operations it wrote that are no longer there.
        history_from: The first event position that changed (appended or edited); None when
            the history did not change.
        history: The events from ``history_from`` to the end.
        timers: How the timers changed; None when they did not.
        callbacks: How the callback registrations changed.
        chained_invokes: How the chained invokes changed.
        undelivered: How the undelivered operation ids changed.
    """

    model_config = ConfigDict(extra="forbid")

    fields: RecordFields | None = None
    cleared: list[str] = []
    operations: dict[str, Operation] = {}
    removed_operations: list[str] = []
    history_from: int | None = None
    history: list[HistoryEvent] = []
    timers: ContainerChange[Timer] | None = None
    callbacks: ContainerChange[CallbackRegistration] | None = None
    chained_invokes: ContainerChange[ChainedInvokeRequest] | None = None
    undelivered: ContainerChange[None] | None = None

    def is_empty(self) -> bool:
        """Whether the change changed nothing."""
        return not (
            self.fields is not None
            or self.cleared
            or self.operations
            or self.removed_operations
            or self.history_from is not None
            or any(getattr(self, name) is not None for name in CONTAINERS)
        )

    def changes_summary(self) -> bool:
        """Whether it changed a field of the execution's summary (its status, its end...)."""
        names = set(self.cleared)
        if self.fields is not None:
            names |= self.fields.model_fields_set
        return not SUMMARY_FIELDS.isdisjoint(names)

    def apply(self, record: ExecutionRecord) -> None:
        """Change ``record`` as it stood before the change into the record as it was after."""
        fields = self.fields
        if fields is not None:
            for name in fields.model_fields_set:
                setattr(record, name, getattr(fields, name))
        for name in self.cleared:
            setattr(record, name, None)
        operations = record.operations
        for operation_id in self.removed_operations:
            operations.pop(operation_id, None)
        operations.update(self.operations)
        if self.history_from is not None:
            record.history.truncate(self.history_from)
            record.history.extend(self.history)
        for name in CONTAINERS:
            change: ContainerChange[Any] | None = getattr(self, name)
            if change is not None:
                setattr(record, name, change.apply_to(getattr(record, name)))

    def to_json(self) -> bytes:
        """Serialise the change (one line: JSON text holds no raw newline)."""
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> RecordChange:
        """Read a change written by :meth:`to_json`.

        Raises:
            pydantic.ValidationError: ``data`` is not such a change.
        """
        return cls.model_validate_json(data)


class ChangeTracker:
    """Notes a record as it stands, so that ``finish`` can say what a change then did.

    While it tracks, ``recording.put_operation`` notes each operation written (also on a
    ``snapshot`` of the record, whose writes count as the record's), and the history notes its
    edits. Call ``finish`` after the change, or ``abandon`` when it failed.

    Args:
        record: The record about to be changed.

    Example:
        >>> tracker = ChangeTracker(record)  # doctest: +SKIP
        >>> outcome = change(record)
        >>> store_journal.append(tracker.finish(record))
    """

    __slots__ = ("_containers", "_history_length", "_values")

    def __init__(self, record: ExecutionRecord) -> None:
        fields = vars(record)  # a pydantic model keeps its field values in its __dict__
        self._values: tuple[Any, ...] = _scalar_values(fields)
        self._containers: list[dict[str, Any]] = [fields[name].copy() for name in CONTAINERS]
        self._history_length = len(record.history)
        record.history.forget_edits()
        object.__setattr__(record, "_written", {})

    def finish(self, record: ExecutionRecord) -> RecordChange:
        """Stop tracking; return what changed since the tracker was made.

        Args:
            record: The record as the change left it (the same record, or one that took over
                a changed ``snapshot`` of it with ``replace_with``).
        """
        written = cast("dict[str, None]", getattr(record, "_written", None) or {})
        object.__setattr__(record, "_written", None)
        fields = vars(record)
        changed: dict[str, Any] = {}
        cleared: list[str] = []
        for name, before, after in zip(SCALARS, self._values, _scalar_values(fields), strict=True):
            if after is not before:
                if after is None:
                    cleared.append(name)
                else:
                    changed[name] = after
        operations = record.operations
        history = record.history
        edited = history.edited_from()
        start = self._history_length if edited is None else min(edited, self._history_length)
        containers: dict[str, Any] = {
            name: _container_change(before, fields[name])
            for name, before in zip(CONTAINERS, self._containers, strict=True)
        }
        return RecordChange.model_construct(
            fields=RecordFields.model_construct(**changed) if changed else None,
            cleared=cleared,
            operations={key: operations[key] for key in written if key in operations},
            removed_operations=[key for key in written if key not in operations],
            history_from=start if start < len(history) or start < self._history_length else None,
            history=history[start:] if start < len(history) else [],
            **containers,
        )

    @staticmethod
    def abandon(record: ExecutionRecord) -> None:
        """Stop tracking without a result (the change failed and left the record as it was)."""
        object.__setattr__(record, "_written", None)


Change = Callable[[ExecutionRecord], Any]
"""A change of a record: changes it in place, all or nothing, and returns an outcome."""
