"""Rich renderings for the terminal: the list of executions, one execution's status, its tree.

Text that comes from user code or from the store (names, error messages, results) goes through
``printable`` before it reaches a terminal, so it cannot carry escape sequences.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from durable_lambda.adapters.file.listing import DamagedExecution
from durable_lambda.app.history_render import OperationNode, Timeline, format_duration
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.service.record import ExecutionRecord, ExecutionSummary

__all__ = [
    "STATUS_STYLES",
    "damaged_label",
    "execution_table",
    "history_tree",
    "printable",
    "status_table",
]

# Characters a terminal acts on instead of showing: C0 controls (ESC starts a sequence that can
# recolour, retitle, clear the screen or rewrite what was printed; CR overwrites the line), DEL,
# C1 controls (0x9b is a one-byte CSI), and the Unicode marks that reorder or hide text.
_CONTROLS = (
    [c for c in range(0x20) if c != 0x09]
    + list(range(0x7F, 0xA0))
    + [0x200E, 0x200F, 0x2028, 0x2029, 0x061C]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
)
_ESCAPES = {c: chr(c).encode("unicode_escape").decode("ascii") for c in _CONTROLS}
_ESCAPES_BUT_NEWLINES = {c: text for c, text in _ESCAPES.items() if c != 0x0A}


def printable(text: str, *, keep_newlines: bool = False) -> str:
    r"""Return ``text`` with every control character shown as its escape (``\x1b``).

    Use it on every piece of text from user code or from the store printed to a terminal
    (names, error messages, results, ids): a terminal would otherwise act on escape sequences in
    it. Rich markup is not escaped: do that too (``rich.markup.escape``) when printing markup.

    Args:
        text: The text to show.
        keep_newlines: Keep ``\n`` (for text printed over several lines on purpose); tabs
            are always kept.
    """
    return text.translate(_ESCAPES_BUT_NEWLINES if keep_newlines else _ESCAPES)


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


def damaged_label(damaged: DamagedExecution) -> str:
    """Return the status ``list`` shows for an execution whose file cannot be read."""
    return "DAMAGED" if damaged.repairable else "UNREADABLE"


def execution_table(
    executions: Sequence[ExecutionSummary],
    now: datetime,
    damaged: Sequence[DamagedExecution] = (),
) -> Table:
    """Return the executions as a table: name, status, function, start, duration.

    Args:
        executions: The store's executions, oldest first.
        now: Where a running execution's duration ends.
        damaged: Executions whose file cannot be read: listed last, by folder name, as
            DAMAGED (or UNREADABLE), with nothing else known.
    """
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("NAME", "STATUS", "STARTED", "DURATION", "FUNCTION"):
        table.add_column(column, no_wrap=column != "FUNCTION")
    for summary in executions:
        end = summary.EndTimestamp or now
        table.add_row(
            printable(summary.DurableExecutionName),
            _status(summary.Status.value),
            _when(summary.StartTimestamp),
            format_duration((end - summary.StartTimestamp).total_seconds()),
            printable(summary.FunctionName),
        )
    for execution in damaged:
        table.add_row(execution.name, Text(damaged_label(execution), style="bold red"), "-", "-")
    return table


def status_table(record: ExecutionRecord, timeline: Timeline) -> Table:
    """Return one execution's facts as a two-column table."""
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("name", printable(record.name))
    table.add_row("status", _status(record.status.value))
    table.add_row("arn", printable(record.arn))
    table.add_row("function", printable(record.function_name))
    table.add_row("started", _when(record.start_timestamp))
    if record.end_timestamp is not None:
        table.add_row("ended", _when(record.end_timestamp))
    table.add_row("duration", format_duration((timeline.end - timeline.start).total_seconds()))
    table.add_row("invocations", str(len(timeline.invocations)))
    operations = timeline.nodes()[1:]
    done = sum(1 for node in operations if node.status.is_terminal)
    table.add_row("operations", f"{len(operations)} ({done} completed)")
    if record.result is not None:
        table.add_row("result", printable(record.result))
    if record.error is not None:
        error = record.error
        message = f"{error.ErrorType or 'Error'}: {error.ErrorMessage or ''}"
        table.add_row("error", printable(message, keep_newlines=True))
    return table


def history_tree(record: ExecutionRecord, timeline: Timeline) -> Tree:
    """Return the operations as a tree nested by parent.

    Each line shows the name, type and subtype, status, attempts (steps) and duration.
    """
    root = timeline.root
    label = Text.assemble(
        (printable(record.name), "bold"),
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
    name = printable(op.Name) if op.Name else "(unnamed)"
    text = Text.assemble((name, "bold"), "  ", (printable(kind), "dim"), "  ")
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
            return Text(f"  {printable(message)}", style="red")
    if op.Type is OperationType.CALLBACK and node.is_open:
        return Text("  awaiting an answer (`durable-lambda status` shows how)", style="dim")
    if op.Type is OperationType.WAIT and node.is_open and op.WaitDetails:
        end = op.WaitDetails.ScheduledEndTimestamp
        return Text(f"  until {_when(end)}" if end else "", style="dim")
    return Text("")
