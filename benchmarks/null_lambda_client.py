"""One stand-in for the boto3 ``lambda`` client, shared by both SDKs (stand-alone, stdlib only).

Both SDKs take a client object and call two of its methods with botocore's keyword arguments:
``checkpoint_durable_execution(DurableExecutionArn=, CheckpointToken=, Updates=, ClientToken=)``
and ``get_durable_execution_state(DurableExecutionArn=, CheckpointToken=, Marker=, MaxItems=)``
(durable-lambda through ``durable_execution(client=...)``, the official SDK through
``durable_execution(boto3_client=...)``). ``NullLambdaClient`` answers them as botocore hands back
the service's answers, without a network:

* a checkpoint answer carries a fresh ``CheckpointToken``, ``ResponseMetadata`` and
  ``NewExecutionState.Operations``: each operation the call changed, once, as the service
  reports it after applying the call's last update to it (its status, timestamps as ``datetime``
  objects the way botocore parses them, and the details the update set: a result, an error, a
  wait's end, a callback id). Each update costs O(1); nothing is remembered between calls.
* a state page is served from pages given up front (``pages``: marker -> operations), O(1) per
  page, with ``NextMarker`` pointing at the next one.

So each SDK pays what it pays on Lambda for a call (building the request, parsing the answer,
applying the changed operations) except the network and botocore's own HTTP work, which is the
same for both. This file runs in each SDK's own environment and imports nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["NOW", "NullLambdaClient", "botocore_operation"]

NOW = datetime(2026, 1, 1, tzinfo=UTC)
"""Every timestamp the stand-in reports (botocore parses the wire's timestamps to datetimes)."""

_STATUS = {
    "START": "STARTED",
    "SUCCEED": "SUCCEEDED",
    "FAIL": "FAILED",
    "RETRY": "PENDING",
    "CANCEL": "CANCELLED",
}
_DETAILS = {
    "STEP": "StepDetails",
    "CONTEXT": "ContextDetails",
    "WAIT": "WaitDetails",
    "CALLBACK": "CallbackDetails",
    "CHAINED_INVOKE": "ChainedInvokeDetails",
    "EXECUTION": "ExecutionDetails",
}
_METADATA = {
    "RequestId": "00000000-0000-0000-0000-000000000000",
    "HTTPStatusCode": 200,
    "HTTPHeaders": {"content-type": "application/json"},
    "RetryAttempts": 0,
}


def changed_operation(update: Mapping[str, Any]) -> dict[str, Any]:
    """Return the operation the service reports after applying ``update`` (botocore's shape)."""
    action = update["Action"]
    kind = update["Type"]
    operation: dict[str, Any] = {
        "Id": update["Id"],
        "Type": kind,
        "StartTimestamp": NOW,
        "Status": _STATUS[action],
    }
    for key in ("ParentId", "Name", "SubType"):
        value = update.get(key)
        if value is not None:
            operation[key] = value
    details: dict[str, Any] = {}
    if action in ("SUCCEED", "FAIL", "CANCEL"):
        operation["EndTimestamp"] = NOW
    if kind == "STEP":
        details["Attempt"] = 1
        if action == "RETRY":
            delay = (update.get("StepOptions") or {}).get("NextAttemptDelaySeconds") or 1
            details["NextAttemptTimestamp"] = NOW + timedelta(seconds=delay)
    elif kind == "WAIT" and action == "START":
        seconds = (update.get("WaitOptions") or {}).get("WaitSeconds") or 1
        details["ScheduledEndTimestamp"] = NOW + timedelta(seconds=seconds)
    elif kind == "CALLBACK" and action == "START":
        details["CallbackId"] = f"callback-{update['Id']}"
    payload = update.get("Payload")
    if payload is not None and kind != "EXECUTION":
        details["Result"] = payload
    error = update.get("Error")
    if error is not None and kind != "EXECUTION":
        details["Error"] = error
    if details and kind in _DETAILS:
        operation[_DETAILS[kind]] = details
    return operation


def botocore_operation(operation: Mapping[str, Any]) -> dict[str, Any]:
    """Return a wire operation of an invocation input (epoch ms) as botocore returns it."""
    converted = dict(operation)
    for key in ("StartTimestamp", "EndTimestamp"):
        if isinstance(converted.get(key), int):
            converted[key] = NOW
    return converted


class NullLambdaClient:
    """The boto3 ``lambda`` client's two durable-execution calls, answered in process.

    Args:
        pages: State pages by marker, as ``get_durable_execution_state`` returns them: each
            ``{"Operations": [...], "NextMarker": "..."}`` (see ``paged_state``).

    Attributes:
        calls: Checkpoint calls so far.
        updates: Updates received so far.
        page_calls: State pages served so far.
    """

    def __init__(self, pages: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.calls = 0
        self.updates = 0
        self.page_calls = 0
        self._pages = dict(pages or {})

    def checkpoint_durable_execution(
        self,
        *,
        DurableExecutionArn: str,  # noqa: N803 - botocore's parameter names
        CheckpointToken: str,  # noqa: N803
        Updates: Sequence[Mapping[str, Any]] = (),  # noqa: N803
        ClientToken: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Acknowledge the updates: a new token and the operations they changed."""
        if not DurableExecutionArn or not CheckpointToken:
            raise ValueError("DurableExecutionArn and CheckpointToken are required")
        self.calls += 1
        self.updates += len(Updates)
        # One entry per operation changed (a START and a SUCCEED of one operation in one call
        # change it once), in the order the operations were first touched.
        changed = {update["Id"]: update for update in Updates}
        return {
            "ResponseMetadata": _METADATA,
            "CheckpointToken": f"token-{self.calls}",
            "NewExecutionState": {"Operations": [changed_operation(u) for u in changed.values()]},
        }

    def get_durable_execution_state(
        self,
        *,
        DurableExecutionArn: str,  # noqa: N803
        CheckpointToken: str,  # noqa: N803
        Marker: str,  # noqa: N803
        MaxItems: int = 1000,  # noqa: N803
    ) -> dict[str, Any]:
        """Return the page that starts at ``Marker``."""
        self.page_calls += 1
        page = self._pages[Marker]
        return {"ResponseMetadata": _METADATA, **page}


def paged_state(
    operations: Sequence[Mapping[str, Any]], page_size: int = 1000
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Split wire operations into an invocation's first page and the pages a client serves.

    Returns:
        The ``InitialExecutionState`` (the first ``page_size`` operations as in the Lambda event,
        epoch milliseconds) and the later pages by marker, as botocore returns them.
    """
    first = list(operations[:page_size])
    pages: dict[str, dict[str, Any]] = {}
    starts = range(page_size, len(operations), page_size)
    markers = [f"page-{start}" for start in starts]
    for index, start in enumerate(starts):
        page: dict[str, Any] = {
            "Operations": [botocore_operation(op) for op in operations[start : start + page_size]]
        }
        if index + 1 < len(markers):
            page["NextMarker"] = markers[index + 1]
        pages[markers[index]] = page
    initial: dict[str, Any] = {"Operations": first, "NextMarker": markers[0] if markers else ""}
    return initial, pages
