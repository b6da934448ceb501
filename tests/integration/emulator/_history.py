"""Small readers of emulator history events, shared by the tests."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["event_types", "events_of", "payload"]


def event_types(events: list[dict[str, Any]]) -> list[str]:
    """The event types in order, without the ``InvocationCompleted`` markers."""
    return [e["EventType"] for e in events if e["EventType"] != "InvocationCompleted"]


def events_of(events: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    """Every event of ``event_type``, in order."""
    return [e for e in events if e["EventType"] == event_type]


def payload(event: dict[str, Any], details: str, field: str = "Result") -> Any:
    """The JSON value of a ``{Payload, Truncated}`` field of an event's details."""
    return json.loads(event[details][field]["Payload"])
