"""The details panel of one operation on the HTML timeline.

Clicking an operation on the timeline opens its panel (an element the page's CSS shows when the
URL's fragment names it, so the page needs no script): what it is and when it ran, its input and
result payloads (pretty JSON, long ones cut short with a "show all"), its error with the frames
of the user's own code first and the whole stack trace a click away, and for a step every
attempt with how long it ran, how it ended and the delay before the next one.

Everything that comes from the execution (names, ids, payloads, errors, stack traces, paths) is
escaped: it is user text, and the page must show it, never run it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from html import escape
from pathlib import Path

from durable_lambda.app.history_render import OperationNode, SegmentKind, format_duration
from durable_lambda.app.user_frames import display_path, user_frames
from durable_lambda.core.model import ErrorObject, OperationType

__all__ = ["PREVIEW_CHARACTERS", "detail_panel", "panel_id", "pretty_payload"]

PREVIEW_CHARACTERS = 1200
"""How much of a payload a panel shows before its "show all"."""


def panel_id(index: int) -> str:
    """Return the HTML id of the panel of the ``index``-th node (depth first, 0 the execution)."""
    return f"op-{index}"


def pretty_payload(payload: str) -> str:
    """Return a payload as indented JSON when it is JSON, else as it is."""
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):
        return payload
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):  # pragma: no cover - json.loads output re-encodes
        return payload


def detail_panel(
    node: OperationNode,
    index: int,
    *,
    origin: datetime,
    result: str | None,
    error: ErrorObject | None,
    root: Path | None,
) -> str:
    """Return the panel of one operation.

    Args:
        node: The operation.
        index: Its position among the timeline's nodes (names its panel).
        origin: When the execution started (times are shown from there).
        result: Its result payload (the execution's is kept on the record, not the operation).
        error: Its error (likewise).
        root: The project folder, to show paths in stack traces relative to it.

    Returns:
        A ``<section>`` element.
    """
    op = node.operation
    kind = f"{op.Type.value}/{op.SubType}" if op.SubType else op.Type.value
    facts = [
        ("status", op.Status.value),
        ("id", op.Id),
        (
            "started",
            f"+{_offset(node.start, origin)} ({node.start.isoformat(timespec='milliseconds')})",
        ),
        ("ended", "not yet" if node.is_open else f"+{_offset(node.end, origin)}"),
        ("duration", format_duration(node.duration_seconds)),
    ]
    if node.attempts is not None:
        facts.append(("attempts", str(node.attempts)))
    if op.WaitDetails is not None and op.WaitDetails.ScheduledEndTimestamp is not None:
        facts.append(("scheduled end", op.WaitDetails.ScheduledEndTimestamp.isoformat()))
    if op.CallbackDetails is not None and op.CallbackDetails.CallbackId:
        facts.append(("callback id", op.CallbackDetails.CallbackId))
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    parts = [
        f'<section class="detail" id="{panel_id(index)}">',
        f"<h2>{escape(node.title)} <small>{escape(kind)}</small></h2>",
        f'<dl class="facts">{rows}</dl>',
    ]
    if node.input_payload is not None:
        parts.append(_payload("input", node.input_payload))
    if result is not None:
        parts.append(_payload("result", result))
    if error is not None:
        parts.append(_error("error", error, root))
    if op.Type is OperationType.STEP:
        parts.append(_attempts(node, origin, root, result))
    parts.append("</section>")
    return "\n".join(parts)


def _offset(moment: datetime, origin: datetime) -> str:
    seconds = (moment - origin).total_seconds()
    return format_duration(seconds) if seconds else "0s"


def _payload(title: str, payload: str) -> str:
    text = pretty_payload(payload)
    head = f"<h3>{escape(title)}</h3>"
    if len(text) <= PREVIEW_CHARACTERS:
        return f'<div class="payload">{head}<pre>{escape(text)}</pre></div>'
    return (
        f'<div class="payload">{head}'
        f'<pre class="preview">{escape(text[:PREVIEW_CHARACTERS])}…</pre>'
        f'<details class="more"><summary>show all ({len(text):,} characters)</summary>'
        f"<pre>{escape(text)}</pre></details></div>"
    )


def _error(title: str, error: ErrorObject, root: Path | None) -> str:
    parts = [
        '<div class="error">',
        f"<h3>{escape(title)}</h3>" if title else "",
        f"<p><b>{escape(error.ErrorType or 'Error')}</b>: {escape(error.ErrorMessage or '')}</p>",
    ]
    if error.ErrorData:
        parts.append(_payload("error data", error.ErrorData))
    parts.extend(_trace(error, root))
    parts.append("</div>")
    return "".join(parts)


def _trace(error: ErrorObject, root: Path | None) -> Iterable[str]:
    if not error.StackTrace:
        return
    frames = user_frames(error.StackTrace)
    if frames:
        items = "".join(
            f"<li><code>{escape(display_path(frame.path, root))}:{frame.line}</code> in "
            f"<code>{escape(frame.function)}</code>"
            + (f"<pre>{escape(frame.source)}</pre>" if frame.source else "")
            + "</li>"
            for frame in frames
        )
        yield f'<p class="where">in your code, innermost last:</p><ol class="frames">{items}</ol>'
    full = "\n".join(error.StackTrace)
    lines = full.count("\n") + 1
    yield (
        f'<details class="trace"><summary>full stack trace ({lines} lines)</summary>'
        f"<pre>{escape(full)}</pre></details>"
    )


def _attempts(node: OperationNode, origin: datetime, root: Path | None, result: str | None) -> str:
    rows = []
    for segment in node.segments:
        if segment.kind is SegmentKind.BACKOFF:
            asked = f" (asked for {segment.delay_seconds}s)" if segment.delay_seconds else ""
            rows.append(
                f'<tr class="backoff"><td></td><td>+{escape(_offset(segment.start, origin))}</td>'
                f"<td>{escape(format_duration(segment.duration_seconds))}</td>"
                f'<td colspan="2">back-off before the next attempt{escape(asked)}</td></tr>'
            )
            continue
        outcome = segment.status.value
        detail = ""
        if segment.failure is not None:
            detail = _error("", segment.failure, root)
        elif segment.error:
            detail = f"<p>{escape(segment.error)}</p>"
        elif segment.payload is not None and segment.payload != result:
            # What a poll of wait_for_condition checkpointed; the final result is shown above.
            detail = _payload("checkpointed", segment.payload)
        rows.append(
            f"<tr><td>{escape(segment.label)}</td>"
            f"<td>+{escape(_offset(segment.start, origin))}</td>"
            f"<td>{escape(format_duration(segment.duration_seconds))}</td>"
            f"<td>{escape(outcome)}</td><td>{detail}</td></tr>"
        )
    head = "<tr><th>attempt</th><th>started</th><th>lasted</th><th>outcome</th><th></th></tr>"
    return f'<h3>attempts</h3><table class="attempts">{head}{"".join(rows)}</table>'
