"""One warm "execution environment" for the test Lambda endpoint: runs one handler, many times.

Started as ``python worker.py module:attr`` with ``tests/integration`` on ``PYTHONPATH``.
Reads one invocation per line on stdin (``{"payload": <JSON text>}``), calls the
handler as the Lambda Python runtime does (``handler(event, context)``), and answers one line on
the original stdout: ``{"ok": true, "payload": <JSON text>}`` or ``{"ok": false, "error": {...}}``.
Whatever the handler prints goes to stderr, so it cannot corrupt the answers.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any


class FakeLambdaContext:
    """The attributes of Lambda's context object that a handler may read."""

    function_name = "test-function"
    function_version = "$LATEST"
    aws_request_id = "test-request"
    memory_limit_in_mb = "128"

    def get_remaining_time_in_millis(self) -> int:
        """A generous, fixed amount of time left."""
        return 60_000


def _load(target: str) -> Callable[[Any, Any], Any]:
    module_name, attr = target.split(":", 1)
    handler: Callable[[Any, Any], Any] = getattr(importlib.import_module(module_name), attr)
    return handler


def _answer(handler: Callable[[Any, Any], Any], request: dict[str, Any]) -> dict[str, Any]:
    try:
        event = json.loads(request["payload"] or "{}")
        return {"ok": True, "payload": json.dumps(handler(event, FakeLambdaContext()))}
    except Exception as error:  # Lambda reports any exception as a function error
        trace = traceback.format_exception(type(error), error, error.__traceback__)
        details = {"errorType": type(error).__name__, "errorMessage": str(error)}
        return {"ok": False, "error": {**details, "stackTrace": trace}}


def main() -> int:
    """Serve invocations until stdin closes."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the handler's prints go to stderr
    handler = _load(sys.argv[1])
    answers.write('{"ready": true}\n')
    for line in sys.stdin:
        answers.write(json.dumps(_answer(handler, json.loads(line))) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
