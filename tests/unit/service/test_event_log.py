"""``EventLog``: events recorded as their parts read back exactly as if built when recorded."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from datetime import timedelta

import pytest
from service_builders import NOW, A, T, checkpoint, update

from durable_lambda.core.model import Operation, OperationStatus, OperationType, WireModel
from durable_lambda.service import execution_arn, start_execution
from durable_lambda.service.event_log import EventLog, build_event
from durable_lambda.service.history import (
    ContextStartedDetails,
    EventResult,
    EventType,
    HistoryEvent,
    InvocationCompletedDetails,
    StepSucceededDetails,
)
from durable_lambda.service.record import ExecutionRecord

OPERATION = Operation(
    Id="op",
    ParentId="parent",
    Name="name",
    Type=OperationType.STEP,
    SubType="Step",
    StartTimestamp=NOW,
    Status=OperationStatus.SUCCEEDED,
)
UNNAMED = Operation(
    Id="u", Type=OperationType.WAIT, StartTimestamp=NOW, Status=OperationStatus.STARTED
)


def succeeded_details(payload: str) -> StepSucceededDetails:
    return StepSucceededDetails(Result=EventResult(Payload=payload, Truncated=False))


def eager(
    event_type: EventType, event_id: int, details: WireModel, operation: Operation | None
) -> HistoryEvent:
    """The event as the service built it when recording it (before ``EventLog``)."""
    fields: dict[str, object] = {
        "EventType": event_type,
        "EventId": event_id,
        "EventTimestamp": NOW,
        f"{event_type.value}Details": details,
    }
    if operation is not None:
        fields.update(
            Id=operation.Id,
            Name=operation.Name,
            ParentId=operation.ParentId,
            SubType=operation.SubType,
        )
    return HistoryEvent.model_validate(fields)


def three_events() -> EventLog:
    log = EventLog()
    log.record(EventType.STEP_SUCCEEDED, NOW, OPERATION, succeeded_details, ("1",))
    log.record(EventType.CONTEXT_STARTED, NOW, UNNAMED, ContextStartedDetails())
    invocation = InvocationCompletedDetails(StartTimestamp=NOW, EndTimestamp=NOW, RequestId="r")
    log.record(EventType.INVOCATION_COMPLETED, NOW, None, invocation)
    return log


EXPECTED = [
    eager(EventType.STEP_SUCCEEDED, 1, succeeded_details("1"), OPERATION),
    eager(EventType.CONTEXT_STARTED, 2, ContextStartedDetails(), UNNAMED),
    eager(
        EventType.INVOCATION_COMPLETED,
        3,
        InvocationCompletedDetails(StartTimestamp=NOW, EndTimestamp=NOW, RequestId="r"),
        None,
    ),
]


def test_a_pending_event_builds_as_the_event_built_when_recorded() -> None:
    events = three_events().events()

    assert events == EXPECTED
    for built, expected in zip(events, EXPECTED, strict=True):
        assert type(built) is HistoryEvent
        assert built.model_fields_set == expected.model_fields_set
        assert list(built.__dict__) == list(expected.__dict__)
        assert built.model_dump_json() == expected.model_dump_json()


def test_recording_counting_and_truncating_build_nothing() -> None:
    calls: list[str] = []

    def details(payload: str) -> StepSucceededDetails:
        calls.append(payload)
        return succeeded_details(payload)

    log = EventLog()
    for payload in "abc":
        log.record(EventType.STEP_SUCCEEDED, NOW, OPERATION, details, (payload,))
    log.truncate(2)

    assert len(log) == 2
    assert calls == []
    assert [event.EventId for event in log] == [1, 2]
    assert calls == ["a", "b"]
    assert log[0] is log[0]  # built once, then kept


def test_copies_share_the_events_one_of_them_built() -> None:
    log = three_events()
    copies = [log.copy(), log.copy().copy()]
    built = log.events()

    for copy_ in copies:
        assert all(mine is theirs for mine, theirs in zip(copy_, built, strict=True))


def test_event_ids_count_every_event_recorded_before() -> None:
    log = EventLog(EXPECTED[:2])
    log.record(EventType.CONTEXT_STARTED, NOW, UNNAMED, ContextStartedDetails())

    assert log[-1] == eager(EventType.CONTEXT_STARTED, 3, ContextStartedDetails(), UNNAMED)


# Each list operation, applied to a log with pending events and to the list of its events.


def changing(
    change: Callable[[list[HistoryEvent]], None],
) -> Callable[[list[HistoryEvent]], object]:
    """An operation that changes the events, shown by what they are after it."""

    def apply(events: list[HistoryEvent]) -> object:
        change(events)
        return list(events)

    return apply


def delete_first(events: list[HistoryEvent]) -> None:
    del events[0]


def delete_tail(events: list[HistoryEvent]) -> None:
    del events[1:]


def set_first(events: list[HistoryEvent]) -> None:
    events[0] = EXPECTED[2]


OPERATIONS: dict[str, Callable[[list[HistoryEvent]], object]] = {
    "index": lambda events: events[1],
    "negative index": lambda events: events[-1],
    "slice": lambda events: events[-2:],
    "iterate": lambda events: [event.EventId for event in events],
    "reversed": lambda events: list(reversed(events)),
    "contains": lambda events: EXPECTED[2] in events,
    "index of": lambda events: events.index(EXPECTED[1]),
    "count": lambda events: events.count(EXPECTED[0]),
    "pop": lambda events: (events.pop(), list(events)),
    "pop first": lambda events: (events.pop(0), list(events)),
    "delete": changing(delete_first),
    "delete slice": changing(delete_tail),
    "set": changing(set_first),
    "insert": changing(lambda events: events.insert(1, EXPECTED[0])),
    "append": changing(lambda events: events.append(EXPECTED[1])),
    "extend": changing(lambda events: events.extend(EXPECTED[:2])),
    "clear": changing(lambda events: events.clear()),
    "remove": changing(lambda events: events.remove(EXPECTED[1])),
    "len": len,
    "equal": lambda events: events == EXPECTED,
    "not equal": lambda events: events != EXPECTED[:2],
    "repr": repr,
    "bool": bool,
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
def test_a_log_behaves_as_the_list_of_its_events(
    operation: Callable[[list[HistoryEvent]], object],
) -> None:
    log = three_events()

    assert operation(log) == operation(list(EXPECTED))  # type: ignore[arg-type]


def test_appending_an_event_after_pending_ones_keeps_the_order() -> None:
    log = three_events()
    log.append(EXPECTED[0])
    log.record(EventType.CONTEXT_STARTED, NOW, UNNAMED, ContextStartedDetails())

    assert log == [
        *EXPECTED,
        EXPECTED[0],
        eager(EventType.CONTEXT_STARTED, 5, ContextStartedDetails(), UNNAMED),
    ]


def test_truncating_cuts_built_and_pending_events() -> None:
    log = three_events()
    log.events()
    log.record(EventType.CONTEXT_STARTED, NOW, UNNAMED, ContextStartedDetails())
    log.truncate(2)
    log.record(EventType.CONTEXT_STARTED, NOW, UNNAMED, ContextStartedDetails())

    assert log == [
        *EXPECTED[:2],
        eager(EventType.CONTEXT_STARTED, 3, ContextStartedDetails(), UNNAMED),
    ]


def test_copies_are_independent_and_equal() -> None:
    log = three_events()
    shallow = log.copy()
    deep = copy.deepcopy(log)
    pickled = pickle.loads(pickle.dumps(log))
    shallow.pop()

    assert log == EXPECTED
    assert deep == EXPECTED
    assert pickled == EXPECTED
    assert shallow == EXPECTED[:2]
    assert copy.copy(log) == log


def test_a_log_equals_a_list_and_another_log_and_nothing_else() -> None:
    assert three_events() == three_events()
    assert three_events() == EXPECTED
    assert three_events() != tuple(EXPECTED)
    assert EventLog() == []


def record_with_history() -> ExecutionRecord:
    record = start_execution(execution_arn("fn", "run", "e"), "fn", "{}", NOW)
    checkpoint(
        record,
        update("c", T.CONTEXT, A.START, SubType="RunInChildContext"),
        update("s", T.STEP, A.START, ParentId="c", Name="n"),
        update("s", T.STEP, A.SUCCEED, ParentId="c", Payload='"é"'),
        update("c", T.CONTEXT, A.SUCCEED, Payload="1"),
        at=NOW + timedelta(seconds=1),
    )
    return record


def test_a_record_serialises_its_pending_events_as_built_ones() -> None:
    pending = record_with_history()
    built = record_with_history()
    built.history.events()
    as_list = built.model_dump()["history"]

    assert pending.to_json() == built.to_json()
    assert pending.model_dump() == built.model_dump()
    assert as_list == [event.model_dump() for event in built.history]
    assert ExecutionRecord.from_json(pending.to_json()) == pending


def test_a_record_validates_its_history_from_a_list_or_a_log_copied() -> None:
    record = record_with_history()
    fields = dict(vars(record))
    from_log = ExecutionRecord.model_validate(fields)
    from_list = ExecutionRecord.model_validate({**fields, "history": list(record.history)})
    from_dicts = ExecutionRecord.model_validate(
        {**fields, "history": [event.model_dump() for event in record.history]}
    )

    assert from_log == from_list == from_dicts == record
    assert isinstance(from_list.history, EventLog)
    assert from_log.history is not record.history
    from_log.history.clear()
    assert len(record.history) == 5


def test_each_record_starts_with_its_own_empty_log() -> None:
    first = ExecutionRecord(
        arn="a", name="n", function_name="f", checkpoint_token="t", start_timestamp=NOW
    )
    second = ExecutionRecord(
        arn="b", name="n", function_name="f", checkpoint_token="t", start_timestamp=NOW
    )
    first.history.append(EXPECTED[0])

    assert second.history == []


def test_a_snapshot_keeps_pending_events_pending_and_apart() -> None:
    record = record_with_history()
    snapshot = record.snapshot()
    snapshot.history.pop()

    assert len(record.history) == 5
    assert snapshot.history == record.history[:-1]


def test_build_event_is_what_the_log_does() -> None:
    pending = [EventType.STEP_SUCCEEDED, 1, NOW, OPERATION, succeeded_details, ("1",), None]

    assert build_event(pending) == EXPECTED[0]
    assert build_event(pending) is pending[6]
