"""Formatting helpers shared by the report and the target check."""

from __future__ import annotations

from typing import Any


def fmt(value: float | None, digits: int = 1) -> str:
    """Format a figure: thousands separators from 100 up, ``digits`` decimals below."""
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def ratio(slow: float | None, fast: float | None) -> float | None:
    """Return ``slow / fast``, or None when either is missing."""
    if slow is None or fast is None or fast <= 0:
        return None
    return slow / fast


def kb(value: float | None) -> str:
    """Format bytes as KiB."""
    return "-" if value is None else f"{value / 1024:,.1f}"


def get(results: dict[str, Any], *path: str) -> Any:
    """Return the value at ``path`` in nested dicts, or None when any key is missing."""
    node: Any = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def sizes(group: dict[str, Any] | None, position: int) -> list[int]:
    """Return the sorted sizes found at ``position`` of the ``/``-separated keys."""
    if not group:
        return []
    return sorted({int(key.split("/")[position]) for key in group})


def table(header: list[str], rows: list[list[str]]) -> str:
    """Return a markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
