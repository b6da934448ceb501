"""A raw durable handler that lends its invocation to a test: the port contract's execution.

The ``DurableService`` port contract (``durable_lambda.contract.DurableServicePortContract``)
needs an execution whose invocation is in progress and its checkpoint token, to call the port
itself as an SDK would. Against the official emulator the invocation is this handler's: it
writes the invocation's ARN and token to the file its input names, then waits until the test
writes the release file beside it (or a minute has passed) and ends the execution.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

_HOLD_SECONDS = 55.0  # under the emulator's 60 s invocation time-out
_POLL_SECONDS = 0.05


def hold(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Hand the invocation's ARN and token to the test; return once it is done with them."""
    operations = event["InitialExecutionState"]["Operations"]
    payload = json.loads(operations[0]["ExecutionDetails"]["InputPayload"])
    handoff = Path(payload["handoff"])
    lent = {"arn": event["DurableExecutionArn"], "token": event["CheckpointToken"]}
    partial = handoff.with_suffix(".partial")
    partial.write_text(json.dumps(lent), encoding="utf-8")
    partial.replace(handoff)  # the test never reads half a file
    release = handoff.with_suffix(".release")
    deadline = time.monotonic() + _HOLD_SECONDS
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
    return {"Status": "SUCCEEDED", "Result": "null"}
