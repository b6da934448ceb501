"""The HTML timeline of an execution: one self-contained page, an inline SVG, no script.

Each operation is a row, indented under its parent, with its time drawn as bars over a shared
time axis: solid for code that ran (each step attempt its own bar), striped for waiting (waits,
callbacks, chained invokes), grey stripes for the back-off before a step's next attempt. Colours
say the status. The handler's invocations have a lane of their own at the top. Hovering a bar
shows its details (an SVG ``<title>``), and the page needs no network and no JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from durable_lambda.app.history_render import (
    OperationNode,
    Segment,
    SegmentKind,
    Timeline,
    format_duration,
)
from durable_lambda.core.model import OperationStatus
from durable_lambda.service.record import ExecutionRecord

__all__ = ["BACKOFF_COLOUR", "INVOCATION_COLOUR", "STATUS_COLOURS", "render_html"]

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

_LABEL_WIDTH = 330
_CHART_WIDTH = 700
_RIGHT_MARGIN = 120
_ROW = 26
_BAR = 14
_AXIS = 34
_MIN_BAR = 3.0

_CSS = """
body { font: 13px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #212529;
       margin: 20px; background: #ffffff; }
h1 { font-size: 18px; margin: 0 0 4px; }
.facts { color: #495057; margin: 0 0 10px; }
.facts b { color: #212529; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
         font-weight: 600; font-size: 12px; }
.legend { margin: 6px 0 12px; }
.legend span { display: inline-flex; align-items: center; margin-right: 14px; }
.legend svg { margin-right: 5px; }
svg text { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; }
.label { font-size: 12px; fill: #212529; }
.sub { font-size: 10px; fill: #868e96; }
.tick { font-size: 10px; fill: #868e96; }
.dur { font-size: 10px; fill: #495057; }
"""


def render_html(record: ExecutionRecord, timeline: Timeline) -> str:
    """Return the timeline page of an execution.

    Args:
        record: The execution (for its name, function, status, error).
        timeline: Its operations laid out in time (``execution_timeline``).

    Returns:
        A complete HTML document: inline CSS and SVG, no script, no external resource.
    """
    nodes = timeline.nodes()
    status = _status_of(record)
    colour = STATUS_COLOURS.get(status, STATUS_COLOURS[OperationStatus.STARTED])
    total = (timeline.end - timeline.start).total_seconds()
    error = ""
    if record.error is not None:
        error = f" · {record.error.ErrorType or 'Error'}: {record.error.ErrorMessage or ''}"
    facts = (
        f"function <b>{escape(record.function_name)}</b> · started "
        f"{escape(timeline.start.isoformat(timespec='milliseconds'))} · "
        f"<b>{escape(format_duration(total))}</b> · {len(timeline.invocations)} invocations · "
        f"{len(nodes) - 1} operations{escape(error)}"
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
            _legend(),
            _svg(timeline, nodes),
            "</body></html>",
        ]
    )


def _status_of(record: ExecutionRecord) -> OperationStatus:
    value = record.status.value
    return OperationStatus.STARTED if value == "RUNNING" else OperationStatus(value)


def _legend() -> str:
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
    spans = "".join(
        f'<span><svg width="14" height="10">{shape}</svg>{escape(text)}</span>'
        for shape, text in entries
    )
    return f'<div class="legend">{spans}</div>'


class _Scale:
    """Maps moments to x positions on the chart."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start = start
        self.seconds = max((end - start).total_seconds(), 0.001)

    def x(self, moment: datetime) -> float:
        fraction = (moment - self.start).total_seconds() / self.seconds
        return _LABEL_WIDTH + max(0.0, min(1.0, fraction)) * _CHART_WIDTH

    def span(self, start: datetime, end: datetime) -> tuple[float, float]:
        """Return x and width; a short stretch still gets a visible sliver."""
        left = self.x(start)
        width = max(self.x(end) - left, _MIN_BAR)
        return min(left, _LABEL_WIDTH + _CHART_WIDTH - width), width


def _svg(timeline: Timeline, nodes: list[OperationNode]) -> str:
    scale = _Scale(timeline.start, timeline.end)
    height = _AXIS + _ROW * (len(nodes) + 1) + 10
    width = _LABEL_WIDTH + _CHART_WIDTH + _RIGHT_MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="operations over time">',
        _defs(),
        *_axis(scale, height),
        *_invocation_row(timeline, scale),
    ]
    for row, node in enumerate(nodes, start=1):
        parts.extend(_node_row(node, scale, _AXIS + row * _ROW, shaded=row % 2 == 1))
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


def _axis(scale: _Scale, height: int) -> Iterable[str]:
    steps = 6
    for index in range(steps + 1):
        x = _LABEL_WIDTH + _CHART_WIDTH * index / steps
        offset = scale.seconds * index / steps
        yield (
            f'<line x1="{x:.1f}" y1="{_AXIS - 8}" x2="{x:.1f}" y2="{height - 6}" '
            'stroke="#e9ecef" stroke-width="1"/>'
        )
        anchor = "start" if index == 0 else "end" if index == steps else "middle"
        yield (
            f'<text class="tick" x="{x:.1f}" y="{_AXIS - 14}" text-anchor="{anchor}">'
            f"+{escape(format_duration(offset) if offset else '0s')}</text>"
        )


def _invocation_row(timeline: Timeline, scale: _Scale) -> Iterable[str]:
    y = _AXIS
    yield f'<text class="label" x="8" y="{y + 16}" font-weight="600">invocations</text>'
    for number, invocation in enumerate(timeline.invocations, start=1):
        x, width = scale.span(invocation.start, invocation.end)
        colour = STATUS_COLOURS[OperationStatus.FAILED] if invocation.error else INVOCATION_COLOUR
        detail = f"invocation {number} · {format_duration(invocation.duration_seconds)}"
        if invocation.error:
            detail += f" · crashed: {invocation.error}"
        yield (
            f'<rect x="{x:.1f}" y="{y + 5}" width="{width:.1f}" height="{_BAR}" rx="2" '
            f'fill="{colour}"><title>{escape(detail)}</title></rect>'
        )


def _node_row(node: OperationNode, scale: _Scale, y: int, *, shaded: bool) -> Iterable[str]:
    op = node.operation
    indent = 8 + 16 * node.depth
    kind = op.SubType or op.Type.value
    if shaded:
        yield (
            f'<rect x="0" y="{y}" width="{_LABEL_WIDTH + _CHART_WIDTH + _RIGHT_MARGIN}" '
            f'height="{_ROW}" fill="#f8f9fa"/>'
        )
    yield (
        f'<text class="label" x="{indent}" y="{y + 16}">{escape(_clip(node.title, indent))}'
        f'<tspan class="sub" dx="6">{escape(kind)}</tspan></text>'
    )
    # Waits and back-offs first: an attempt that failed in a millisecond stays visible on top.
    for segment in sorted(node.segments, key=lambda s: s.kind is SegmentKind.RUN):
        yield _segment(node, segment, scale, y)
    right = scale.x(node.end) + 6
    text = format_duration(node.duration_seconds)
    if node.attempts and node.attempts > 1:
        text += f" · {node.attempts} attempts"
    yield f'<text class="dur" x="{right:.1f}" y="{y + 16}">{escape(text)}</text>'


def _clip(title: str, indent: int) -> str:
    room = max(8, (_LABEL_WIDTH - indent - 90) // 7)
    return title if len(title) <= room else title[: room - 1] + "…"


def _segment(node: OperationNode, segment: Segment, scale: _Scale, y: int) -> str:
    x, width = scale.span(segment.start, segment.end)
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
        f'<rect x="{x:.1f}" y="{top}" width="{width:.1f}" height="{height}" rx="2" '
        f'fill="{fill}" stroke="{colour}" stroke-width="1"><title>{escape(detail)}</title></rect>'
    )
