"""The HTML timeline of an execution: one self-contained page, an inline SVG, no script.

Each operation is a row, indented under its parent, with its time drawn as bars over a shared
time axis: solid for code that ran (each step attempt its own bar), striped for waiting (waits,
callbacks, chained invokes), grey stripes for the back-off before a step's next attempt. Colours
say the status. The handler's invocations have a lane of their own at the top.

The axis is linear while code runs and compressed while nothing does (``history_scale``): a
stretch between invocations longer than the invocations themselves is a grey band of fixed
width that says how long it lasted, so operations of a few milliseconds stay visible beside a
wait of days. Each row is a link to the operation's details panel (``history_details``), which
the page's CSS shows when the URL names it: payloads, errors with the user's own frames, and
attempts. Hovering a bar shows a summary (an SVG ``<title>``). The page fetches nothing and runs
no script; every piece of user text in it is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from pathlib import Path

from durable_lambda.app.history_details import detail_panel, panel_id
from durable_lambda.app.history_render import (
    OperationNode,
    Segment,
    SegmentKind,
    Timeline,
    format_duration,
)
from durable_lambda.app.history_scale import TimeScale
from durable_lambda.app.user_frames import display_path
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.service.record import ExecutionRecord

__all__ = [
    "BACKOFF_COLOUR",
    "IDLE_COLOUR",
    "INVOCATION_COLOUR",
    "STATUS_COLOURS",
    "function_label",
    "render_html",
]

STATUS_COLOURS: dict[OperationStatus, str] = {
    OperationStatus.SUCCEEDED: "#2f9e44",
    OperationStatus.FAILED: "#e03131",
    OperationStatus.STARTED: "#1c7ed6",
    OperationStatus.PENDING: "#f59f00",
    OperationStatus.READY: "#f59f00",
    OperationStatus.TIMED_OUT: "#e8590c",
    OperationStatus.CANCELLED: "#868e96",
    OperationStatus.STOPPED: "#868e96",
}
"""The fill of a bar, by the status its stretch of time ended with."""

BACKOFF_COLOUR = "#adb5bd"
"""The stripes of a step's back-off before its next attempt."""

INVOCATION_COLOUR = "#495057"
"""The bars of the invocations lane."""

IDLE_COLOUR = "#e7f5ff"
"""The band of a compressed stretch during which no invocation ran."""

_LABEL_WIDTH = 330
_CHART_WIDTH = 700
_RIGHT_MARGIN = 120
_ROW = 26
_BAR = 14
_AXIS = 34
_MIN_BAR = 3.0
_TICK_ROOM = 70  # pixels between two labelled ticks of a compressed axis

_CSS = """
body { font: 13px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #212529;
       margin: 20px; background: #ffffff; }
h1 { font-size: 18px; margin: 0 0 4px; }
.facts { color: #495057; margin: 0 0 10px; }
.facts b { color: #212529; }
.hint { color: #868e96; margin: 0 0 6px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
         font-weight: 600; font-size: 12px; }
.legend { margin: 6px 0 12px; }
.legend span { display: inline-flex; align-items: center; margin-right: 14px; }
.legend svg { margin-right: 5px; }
svg text { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; }
.label { font-size: 12px; fill: #212529; }
.sub { font-size: 10px; fill: #868e96; }
.tick { font-size: 10px; fill: #868e96; }
.idle { font-size: 10px; fill: #1971c2; }
.dur { font-size: 10px; fill: #495057; }
a.op { cursor: pointer; }
a.op:hover .hit { fill: #1c7ed6; fill-opacity: 0.06; }
.detail { display: none; border: 1px solid #dee2e6; border-radius: 6px; padding: 10px 14px;
          margin: 12px 0; max-width: 1100px; }
.detail:target { display: block; }
.detail h2 { font-size: 15px; margin: 0 0 6px; }
.detail h2 small { color: #868e96; font-weight: 400; margin-left: 6px; }
.detail h3 { font-size: 13px; margin: 10px 0 4px; }
.detail dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
.detail dt { color: #868e96; }
.detail dd { margin: 0; overflow-wrap: anywhere; }
.detail pre { background: #f8f9fa; padding: 6px 8px; margin: 4px 0; max-height: 420px;
              overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.payload:has(details.more[open]) > pre.preview { display: none; }
.error p { margin: 4px 0; color: #c92a2a; }
.frames { margin: 4px 0; padding-left: 22px; }
.frames pre { margin: 2px 0 6px; }
.attempts { border-collapse: collapse; }
.attempts th, .attempts td { text-align: left; vertical-align: top; padding: 3px 10px 3px 0;
                             border-top: 1px solid #f1f3f5; }
.attempts tr.backoff td { color: #868e96; }
"""


def function_label(function_name: str, root: Path | None) -> str:
    """Return ``path/to/handler.py:attr`` with the path relative to ``root`` when inside it.

    Args:
        function_name: The record's function name: ``PATH:ATTRIBUTE`` for a local run, else any
            name (a Lambda function's), returned as it is.
        root: The project folder.
    """
    path, colon, attribute = function_name.rpartition(":")
    if not colon or not path.endswith(".py"):
        return function_name
    return f"{display_path(path, root)}:{attribute}"


def render_html(
    record: ExecutionRecord, timeline: Timeline, *, project_root: Path | None = None
) -> str:
    """Return the timeline page of an execution.

    Args:
        record: The execution (for its name, function, status, input, result and error).
        timeline: Its operations laid out in time (``execution_timeline``).
        project_root: The folder paths are shown relative to (the function's file, the files
            of stack traces); the current working folder by default.

    Returns:
        A complete HTML document: inline CSS and SVG, no script, no external resource.
    """
    root = Path.cwd() if project_root is None else project_root
    nodes = timeline.nodes()
    status = _status_of(record)
    colour = STATUS_COLOURS.get(status, STATUS_COLOURS[OperationStatus.STARTED])
    total = (timeline.end - timeline.start).total_seconds()
    error = ""
    if record.error is not None:
        error = f" · {record.error.ErrorType or 'Error'}: {record.error.ErrorMessage or ''}"
    facts = (
        f"function <b>{escape(function_label(record.function_name, root))}</b> · started "
        f"{escape(timeline.start.isoformat(timespec='milliseconds'))} · "
        f"<b>{escape(format_duration(total))}</b> · {len(timeline.invocations)} invocations · "
        f"{len(nodes) - 1} operations{escape(error)}"
    )
    scale = TimeScale(
        timeline.start,
        timeline.end,
        [(invocation.start, invocation.end) for invocation in timeline.invocations],
        _CHART_WIDTH,
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(record.name)} · durable-lambda timeline</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>{escape(record.name)} "
            f'<span class="badge" style="background:{colour}">{escape(record.status.value)}'
            "</span></h1>",
            f'<p class="facts">{facts}</p>',
            _legend(scale),
            '<p class="hint">Click an operation for its payloads, errors and attempts.</p>',
            _svg(timeline, nodes, scale),
            *(_panel(record, node, index, timeline, root) for index, node in enumerate(nodes)),
            "</body></html>",
        ]
    )


def _panel(
    record: ExecutionRecord, node: OperationNode, index: int, timeline: Timeline, root: Path
) -> str:
    op = node.operation
    is_execution = op.Type is OperationType.EXECUTION
    return detail_panel(
        node,
        index,
        origin=timeline.start,
        result=record.result if is_execution else op.result_payload,
        error=record.error if is_execution else op.error,
        root=root,
    )


def _status_of(record: ExecutionRecord) -> OperationStatus:
    value = record.status.value
    return OperationStatus.STARTED if value == "RUNNING" else OperationStatus(value)


def _legend(scale: TimeScale) -> str:
    entries = [
        (f'<rect width="14" height="10" fill="{STATUS_COLOURS[status]}"/>', status.value.lower())
        for status in (
            OperationStatus.SUCCEEDED,
            OperationStatus.FAILED,
            OperationStatus.STARTED,
            OperationStatus.PENDING,
            OperationStatus.TIMED_OUT,
            OperationStatus.CANCELLED,
        )
    ]
    entries.append(('<rect width="14" height="10" fill="url(#stripes-SUCCEEDED)"/>', "waiting"))
    entries.append(('<rect width="14" height="10" fill="url(#backoff)"/>', "retry back-off"))
    entries.append((f'<rect width="14" height="10" fill="{INVOCATION_COLOUR}"/>', "invocation"))
    if scale.compressed:
        entries.append(
            (f'<rect width="14" height="10" fill="{IDLE_COLOUR}"/>', "no invocation (not to scale)")
        )
    spans = "".join(
        f'<span><svg width="14" height="10">{shape}</svg>{escape(text)}</span>'
        for shape, text in entries
    )
    return f'<div class="legend">{spans}</div>'


def _x(scale: TimeScale, moment: datetime) -> float:
    return _LABEL_WIDTH + scale.x(moment)


def _span(scale: TimeScale, start: datetime, end: datetime) -> tuple[float, float]:
    """Return x and width; a short stretch still gets a visible sliver."""
    left = _x(scale, start)
    width = max(_x(scale, end) - left, _MIN_BAR)
    return min(left, _LABEL_WIDTH + scale.width - width), width


def _svg(timeline: Timeline, nodes: list[OperationNode], scale: TimeScale) -> str:
    height = _AXIS + _ROW * (len(nodes) + 1) + 10
    width = int(_LABEL_WIDTH + scale.width + _RIGHT_MARGIN)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="operations over time">',
        _defs(),
    ]
    for row in range(1, len(nodes) + 1, 2):  # every other row shaded, under everything
        parts.append(
            f'<rect x="0" y="{_AXIS + row * _ROW}" width="{width}" height="{_ROW}" fill="#f8f9fa"/>'
        )
    parts.extend(_idle_bands(scale, height))
    parts.extend(_axis(scale, height))
    parts.extend(_invocation_row(timeline, scale))
    for row, (index, node) in enumerate(enumerate(nodes), start=1):
        parts.extend(_node_row(node, index, scale, _AXIS + row * _ROW, width))
    parts.append("</svg>")
    return "\n".join(parts)


def _defs() -> str:
    patterns = [
        f'<pattern id="stripes-{status.value}" width="8" height="8" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="8" height="8" fill="{colour}" fill-opacity="0.35"/>'
        f'<rect width="4" height="8" fill="{colour}"/></pattern>'
        for status, colour in STATUS_COLOURS.items()
    ]
    patterns.append(
        '<pattern id="backoff" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(-45)"><rect width="6" height="6" fill="#f1f3f5"/>'
        f'<rect width="2" height="6" fill="{BACKOFF_COLOUR}"/></pattern>'
    )
    return "<defs>" + "".join(patterns) + "</defs>"


def _idle_bands(scale: TimeScale, height: int) -> Iterable[str]:
    for piece in scale.pieces:
        if not piece.idle:
            continue
        left = _LABEL_WIDTH + piece.left
        middle = left + (piece.right - piece.left) / 2
        yield (
            f'<rect class="idle-band" x="{left:.1f}" y="{_AXIS - 8}" '
            f'width="{piece.right - piece.left:.1f}" height="{height - _AXIS + 2}" '
            f'fill="{IDLE_COLOUR}"><title>{escape(format_duration(piece.seconds))} with no '
            "invocation running (not drawn to scale)</title></rect>"
        )
        # In the invocations lane, which is empty there by definition.
        yield (
            f'<text class="idle" x="{middle:.1f}" y="{_AXIS + 16}" text-anchor="middle">'
            f"{escape(format_duration(piece.seconds))}</text>"
        )


def _axis(scale: TimeScale, height: int) -> Iterable[str]:
    if scale.compressed:
        # A tick where each stretch drawn to scale starts, where there is room for its label.
        marks = [(piece.left, piece.start) for piece in scale.pieces if not piece.idle]
        marks.append((scale.width, scale.end))
        last = -1000.0
        for left, moment in marks:
            if left - last < _TICK_ROOM:
                continue
            last = left
            offset = (moment - scale.start).total_seconds()
            anchor = "start" if left == 0 else "end" if left == scale.width else "middle"
            yield from _tick(_LABEL_WIDTH + left, offset, height, anchor)
        return
    steps = 6
    seconds = (scale.end - scale.start).total_seconds()
    for index in range(steps + 1):
        anchor = "start" if index == 0 else "end" if index == steps else "middle"
        x = _LABEL_WIDTH + scale.width * index / steps
        yield from _tick(x, seconds * index / steps, height, anchor)


def _tick(x: float, offset: float, height: int, anchor: str) -> Iterable[str]:
    yield (
        f'<line x1="{x:.1f}" y1="{_AXIS - 8}" x2="{x:.1f}" y2="{height - 6}" '
        'stroke="#e9ecef" stroke-width="1"/>'
    )
    yield (
        f'<text class="tick" x="{x:.1f}" y="{_AXIS - 14}" text-anchor="{anchor}">'
        f"+{escape(format_duration(offset) if offset else '0s')}</text>"
    )


def _invocation_row(timeline: Timeline, scale: TimeScale) -> Iterable[str]:
    y = _AXIS
    yield f'<text class="label" x="8" y="{y + 16}" font-weight="600">invocations</text>'
    for number, invocation in enumerate(timeline.invocations, start=1):
        x, width = _span(scale, invocation.start, invocation.end)
        colour = STATUS_COLOURS[OperationStatus.FAILED] if invocation.error else INVOCATION_COLOUR
        detail = f"invocation {number} · {format_duration(invocation.duration_seconds)}"
        if invocation.error:
            detail += f" · crashed: {invocation.error}"
        yield (
            f'<rect class="invocation" x="{x:.1f}" y="{y + 5}" width="{width:.1f}" '
            f'height="{_BAR}" rx="2" fill="{colour}"><title>{escape(detail)}</title></rect>'
        )


def _node_row(
    node: OperationNode, index: int, scale: TimeScale, y: int, width: int
) -> Iterable[str]:
    op = node.operation
    indent = 8 + 16 * node.depth
    kind = op.SubType or op.Type.value
    yield (
        f'<a class="op" href="#{panel_id(index)}" data-name="{escape(node.title)}">'
        f'<rect class="hit" x="0" y="{y}" width="{width}" height="{_ROW}" fill="#ffffff" '
        'fill-opacity="0"/>'
    )
    yield (
        f'<text class="label" x="{indent}" y="{y + 16}">{escape(_clip(node.title, indent))}'
        f'<tspan class="sub" dx="6">{escape(kind)}</tspan></text>'
    )
    # Waits and back-offs first: an attempt that failed in a millisecond stays visible on top.
    for segment in sorted(node.segments, key=lambda s: s.kind is SegmentKind.RUN):
        yield _segment(node, segment, scale, y)
    right = _x(scale, node.end) + 6
    text = format_duration(node.duration_seconds)
    if node.attempts and node.attempts > 1:
        text += f" · {node.attempts} attempts"
    yield f'<text class="dur" x="{right:.1f}" y="{y + 16}">{escape(text)}</text></a>'


def _clip(title: str, indent: int) -> str:
    room = max(8, (_LABEL_WIDTH - indent - 90) // 7)
    return title if len(title) <= room else title[: room - 1] + "…"


def _segment(node: OperationNode, segment: Segment, scale: TimeScale, y: int) -> str:
    x, width = _span(scale, segment.start, segment.end)
    colour = STATUS_COLOURS.get(segment.status, STATUS_COLOURS[OperationStatus.STARTED])
    fill = colour
    if segment.kind is SegmentKind.WAIT:
        fill = f"url(#stripes-{segment.status.value})"
    elif segment.kind is SegmentKind.BACKOFF:
        fill = "url(#backoff)"
        colour = BACKOFF_COLOUR
    height = _BAR if node.depth else _BAR - 6  # the execution's own bar stays slim
    top = y + (_ROW - height) // 2
    detail = (
        f"{node.title} · {segment.label} · {segment.status.value} · "
        f"{format_duration(segment.duration_seconds)}"
    )
    if segment.error is not None:
        detail += f" · {segment.error}"
    return (
        f'<rect class="bar {segment.kind.value}" x="{x:.1f}" y="{top}" width="{width:.1f}" '
        f'height="{height}" rx="2" fill="{fill}" stroke="{colour}" stroke-width="1">'
        f"<title>{escape(detail)}</title></rect>"
    )
