"""Callback utilities of the pipeline: how approvals are requested and what a time-out means."""

from __future__ import annotations

import os
import shlex
from typing import Any

DEFAULT_APPROVAL_TIMEOUT_SECONDS = 24 * 3600
"""How long the pipeline waits for an approval unless APPROVAL_TIMEOUT_SECONDS says otherwise."""

DEFAULT_APPROVAL: dict[str, Any] = {
    "approved": True,
    "reviewer": "default",
    "uppercase": True,
    "timedOut": True,
}
"""What the pipeline continues with when nobody answered the approval in time."""


def approval_timeout_seconds() -> int:
    """Return the approval time-out from the environment (APPROVAL_TIMEOUT_SECONDS), validated.

    Raises:
        ValueError: the variable is set but is not a positive whole number of seconds.
    """
    raw = os.environ.get("APPROVAL_TIMEOUT_SECONDS")
    if raw is None or raw == "":
        return DEFAULT_APPROVAL_TIMEOUT_SECONDS
    try:
        seconds = int(raw)
    except ValueError:
        raise ValueError(f"APPROVAL_TIMEOUT_SECONDS must be whole seconds, got {raw!r}") from None
    if seconds < 1:
        raise ValueError(f"APPROVAL_TIMEOUT_SECONDS must be at least 1, got {seconds}")
    return seconds


def approval_command(callback_id: str) -> str:
    """Return the exact command that approves this callback on a local run."""
    payload = shlex.quote('{"approved": true, "reviewer": "you"}')
    return f"durable-lambda callback succeed {shlex.quote(callback_id)} --payload {payload}"


def describe_request(workflow_id: str, callback_id: str, item_count: int) -> dict[str, Any]:
    """Return what an approval request says, for a notification or a log line."""
    return {
        "workflowId": workflow_id,
        "callbackId": callback_id,
        "items": item_count,
        "approveWith": approval_command(callback_id),
    }


def normalise_approval(answer: Any) -> dict[str, Any]:
    """Turn whatever the approver sent into the approval the pipeline uses."""
    if not isinstance(answer, dict):
        answer = {"approved": bool(answer)}
    return {**DEFAULT_APPROVAL, **answer, "timedOut": False}
