"""The history timeline: operations nested by parent, attempts, back-offs and waits in time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from rich.console import Console

from durable_lambda import service
from durable_lambda.app.cli.render import history_tree
from durable_lambda.app.history_html import BACKOFF_COLOUR, STATUS_COLOURS, render_html
from durable_lambda.app.history_render import SegmentKind, execution_timeline, format_duration
from durable_lambda.core.model import (
    ErrorObject,
    InvocationOutput,
    InvocationStatus,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.service.record import ExecutionRecord

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ARN = service.execution_arn("orders", "run-1", "abc")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def checkpoint(record: ExecutionRecord, seconds: float, *updates: dict[str, object]) -> None:
    models = [OperationUpdate.model_validate(update) for update in updates]
    service.apply_checkpoint(record, record.checkpoint_token, models, at(seconds))


def step(op_id: str, action: str, **fields: object) -> dict[str, object]:
    return {"Id": op_id, "Type": "STEP", "SubType": "Step", "Action": action, **fields}


def invocation(record: ExecutionRecord, start: float, end: float, status: str) -> None:
    result = '{"ok": true}' if status == "SUCCEEDED" else None
    output = InvocationOutput(Status=InvocationStatus(status), Result=result)
    service.record_invocation(record, at(start), at(end), output)


def orders_record(*, finished: bool = True) -> ExecutionRecord:
    """A step that fails once and retries after 2 s, a 5 s wait, and a child context."""
    record = service.start_execution(ARN, "orders", "{}", T0, name="run-1")
    boom = ErrorObject(ErrorType="RuntimeError", ErrorMessage="boom")
    checkpoint(record, 0.1, step("charge", "START", Name="charge"))
    checkpoint(
        record,
        0.3,
        step(
            "charge",
            "RETRY",
            Name="charge",
            Error=boom.to_wire(),
            StepOptions={"NextAttemptDelaySeconds": 2},
        ),
    )
    invocation(record, 0.0, 0.3, "PENDING")
    service.advance(record, at(2.3))
    checkpoint(record, 2.4, step("charge", "START", Name="charge"))
    checkpoint(record, 2.6, step("charge", "SUCCEED", Name="charge", Payload='"ok"'))
    wait = {"Id": "pause", "Name": "pause", "Type": "WAIT", "SubType": "Wait", "Action": "START"}
    checkpoint(record, 2.7, {**wait, "WaitOptions": {"WaitSeconds": 5}})
    invocation(record, 2.3, 2.7, "PENDING")
    if not finished:
        return record
    service.advance(record, at(7.7))
    context = {"Id": "group", "Name": "group", "Type": "CONTEXT", "SubType": "RunInChildContext"}
    checkpoint(record, 7.8, {**context, "Action": "START"})
    checkpoint(
        record,
        7.9,
        step("inc", "START", Name="inc", ParentId="group"),
        step("inc", "SUCCEED", Name="inc", ParentId="group", Payload="1"),
        {**context, "Action": "SUCCEED", "Payload": "1"},
    )
    invocation(record, 7.7, 8.0, "SUCCEEDED")
    return record


def test_operations_nest_under_the_execution_by_parent_in_start_order() -> None:
    timeline = execution_timeline(orders_record(), now=at(100))

    root = timeline.root
    assert root.operation.Type is OperationType.EXECUTION
    assert [child.operation.Id for child in root.children] == ["charge", "pause", "group"]
    group = root.children[2]
    assert [child.operation.Id for child in group.children] == ["inc"]
    assert [(node.operation.Id, node.depth) for node in timeline.nodes()][1:] == [
        ("charge", 1),
        ("pause", 1),
        ("group", 1),
        ("inc", 2),
    ]
    # A finished execution ends at its end, not at "now".
    assert timeline.end == at(8.0)


def test_a_retried_step_shows_each_attempt_and_the_back_off_between() -> None:
    charge = execution_timeline(orders_record(), now=at(100)).root.children[0]

    assert charge.attempts == 2
    assert [(s.kind, s.status, s.label) for s in charge.segments] == [
        (SegmentKind.RUN, OperationStatus.FAILED, "attempt 1"),
        (SegmentKind.BACKOFF, OperationStatus.PENDING, "next attempt in 2s"),
        (SegmentKind.RUN, OperationStatus.SUCCEEDED, "attempt 2"),
    ]
    first, backoff, second = charge.segments
    assert (first.start, first.end) == (at(0.1), at(0.3))
    assert first.error == "RuntimeError: boom"
    assert (backoff.start, backoff.end) == (at(0.3), at(2.4))
    assert (second.start, second.end) == (at(2.4), at(2.6))
    assert second.error is None


def test_a_wait_is_a_waiting_segment_and_invocations_are_listed() -> None:
    timeline = execution_timeline(orders_record(), now=at(100))
    pause = timeline.root.children[1]

    assert [(s.kind, s.status) for s in pause.segments] == [
        (SegmentKind.WAIT, OperationStatus.SUCCEEDED)
    ]
    assert pause.duration_seconds == 5.0
    assert [(i.start, i.end) for i in timeline.invocations] == [
        (at(0.0), at(0.3)),
        (at(2.3), at(2.7)),
        (at(7.7), at(8.0)),
    ]


def test_open_operations_of_a_running_execution_end_now() -> None:
    timeline = execution_timeline(orders_record(finished=False), now=at(4))
    pause = timeline.root.children[1]

    assert pause.is_open
    assert pause.end == at(4)
    assert pause.segments[0].end == at(4)
    assert timeline.end == at(4)
    assert timeline.root.status is OperationStatus.STARTED


def test_format_duration_reads_like_a_person_would_say_it() -> None:
    assert format_duration(0.004) == "4ms"
    assert format_duration(2.5) == "2.50s"
    assert format_duration(61) == "1m 01s"
    assert format_duration(3 * 3600 + 120) == "3h 02m"
    assert format_duration(2 * 86400 + 3600) == "2d 01h"


def test_the_html_page_is_self_contained_and_coloured_by_status() -> None:
    record = orders_record()
    page = render_html(record, execution_timeline(record, now=at(100)))

    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page
    assert "<script" not in page.lower()
    # No resource is fetched: the only URL is the SVG namespace.
    assert re.findall(r"https?://[^\"']+", page) == ["http://www.w3.org/2000/svg"]
    assert STATUS_COLOURS[OperationStatus.SUCCEEDED] in page
    assert STATUS_COLOURS[OperationStatus.FAILED] in page  # the failed first attempt
    assert BACKOFF_COLOUR in page
    assert 'fill="url(#backoff)"' in page
    assert 'fill="url(#stripes-SUCCEEDED)"' in page  # the wait
    assert "RuntimeError: boom" in page  # the failed attempt's tooltip


def test_the_html_page_escapes_names() -> None:
    record = service.start_execution(ARN, "orders", "{}", T0, name="run-1")
    checkpoint(record, 0.1, step("x", "START", Name="<b>evil</b>"))
    page = render_html(record, execution_timeline(record, now=at(1)))

    assert "<b>evil</b>" not in page
    assert "&lt;b&gt;evil&lt;/b&gt;" in page


def test_the_terminal_tree_shows_type_status_attempts_and_durations() -> None:
    record = orders_record()
    console = Console(width=200, record=True, color_system=None)
    console.print(history_tree(record, execution_timeline(record, now=at(100))))
    lines = console.export_text().splitlines()

    assert lines[0] == "run-1  SUCCEEDED  8.00s  3 invocations"
    assert lines[1:] == [
        "├── charge  STEP/Step  SUCCEEDED  attempts 2  2.50s",
        "├── pause  WAIT/Wait  SUCCEEDED  5.00s",
        "└── group  CONTEXT/RunInChildContext  SUCCEEDED  100ms",
        "    └── inc  STEP/Step  SUCCEEDED  attempts 1  0ms",
    ]
