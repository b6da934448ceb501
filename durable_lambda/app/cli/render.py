"""Rich renderings for the terminal: the list of executions, one execution's status, its tree."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from durable_lambda.app.history_render import OperationNode, Timeline, format_duration
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.core.store import ExecutionRecord, ExecutionSummary

__all__ = ["STATUS_STYLES", "execution_table", "history_tree", "status_table"]

STATUS_STYLES: dict[str, str] = {
    "SUCCEEDED": "green",
    "FAILED": "bold red",
    "TIMED_OUT": "red",
    "STOPPED": "yellow",
    "CANCELLED": "yellow",
    "RUNNING": "cyan",
    "STARTED": "cyan",
    "PENDING": "magenta",
    "READY": "magenta",
}
"""The colour of each execution and operation status."""


def _status(value: str) -> Text:
    return Text(value, style=STATUS_STYLES.get(value, ""))


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def execution_table(executions: Sequence[ExecutionSummary], now: datetime) -> Table:
    """Return the executions as a table: name, status, function, start, duration.

    Args:
        executions: The store's executions, oldest first.
        now: Where a running execution's duration ends.
    """
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("NAME", "STATUS", "STARTED", "DURATION", "FUNCTION"):
        table.add_column(column, no_wrap=column != "FUNCTION")
    for summary in executions:
        end = summary.EndTimestamp or now
        table.add_row(
            summary.DurableExecutionName,
            _status(summary.Status.value),
            _when(summary.StartTimestamp),
            format_duration((end - summary.StartTimestamp).total_seconds()),
            summary.FunctionName,
        )
    return table


def status_table(record: ExecutionRecord, timeline: Timeline) -> Table:
    """Return one execution's facts as a two-column table."""
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("name", record.name)
    table.add_row("status", _status(record.status.value))
    table.add_row("arn", record.arn)
    table.add_row("function", record.function_name)
    table.add_row("started", _when(record.start_timestamp))
    if record.end_timestamp is not None:
        table.add_row("ended", _when(record.end_timestamp))
    table.add_row("duration", format_duration((timeline.end - timeline.start).total_seconds()))
    table.add_row("invocations", str(len(timeline.invocations)))
    operations = timeline.nodes()[1:]
    done = sum(1 for node in operations if node.status.is_terminal)
    table.add_row("operations", f"{len(operations)} ({done} completed)")
    if record.result is not None:
        table.add_row("result", record.result)
    if record.error is not None:
        error = record.error
        table.add_row("error", f"{error.ErrorType or 'Error'}: {error.ErrorMessage or ''}")
    return table


def history_tree(record: ExecutionRecord, timeline: Timeline) -> Tree:
    """Return the operations as a tree nested by parent.

    Each line shows the name, type and subtype, status, attempts (steps) and duration.
    """
    root = timeline.root
    label = Text.assemble(
        (record.name, "bold"),
        "  ",
        _status(record.status.value),
        f"  {format_duration(root.duration_seconds)}",
        f"  {len(timeline.invocations)} invocations",
    )
    tree = Tree(label)
    for child in root.children:
        _add(tree, child)
    return tree


def _add(parent: Tree, node: OperationNode) -> None:
    branch = parent.add(_line(node))
    for child in node.children:
        _add(branch, child)


def _line(node: OperationNode) -> Text:
    op = node.operation
    kind = op.Type.value if not op.SubType else f"{op.Type.value}/{op.SubType}"
    text = Text.assemble((op.Name or "(unnamed)", "bold"), "  ", (kind, "dim"), "  ")
    text.append_text(_status(op.Status.value))
    if node.attempts is not None:
        text.append(f"  attempts {node.attempts}")
    duration = format_duration(node.duration_seconds)
    text.append(f"  {duration}" + (" so far" if node.is_open else ""))
    text.append_text(_detail(node))
    return text


def _detail(node: OperationNode) -> Text:
    op = node.operation
    if op.Status is OperationStatus.FAILED or (op.error is not None and node.is_open):
        error = op.error
        if error is not None:
            message = f"{error.ErrorType or 'Error'}: {error.ErrorMessage or ''}"
            return Text(f"  {message}", style="red")
    if op.Type is OperationType.CALLBACK and node.is_open:
        return Text("  awaiting an answer (`durable-lambda status` shows how)", style="dim")
    if op.Type is OperationType.WAIT and node.is_open and op.WaitDetails:
        end = op.WaitDetails.ScheduledEndTimestamp
        return Text(f"  until {_when(end)}" if end else "", style="dim")
    return Text("")
