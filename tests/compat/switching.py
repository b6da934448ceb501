"""One Lambda function whose invocations run on the official SDK or on ours, as a file says.

The official emulator invokes ``handler`` through the test Lambda endpoint (a worker process
importing this module). Each invocation reads ``$DURABLE_LAMBDA_SWITCH`` (a file holding
``official`` or ``ours``) and runs the corpus handler ``corpus/callback_in_flight.py`` with that
SDK: the official SDK's import lines as written, or switched to ``durable_lambda.compat.aws``,
as a deployment that changes SDK between two invocations of an execution would. Which SDK ran
each invocation is appended to ``$DURABLE_LAMBDA_SWITCH.log``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from oracle import CORPUS, load_ours

SOURCE = CORPUS / "callback_in_flight.py"


def _official() -> Any:
    spec = importlib.util.spec_from_file_location("in_flight_official", SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


_HANDLERS = {"official": _official(), "ours": load_ours(SOURCE).handler}


def handler(event: Any, lambda_context: Any) -> Any:
    """Run this invocation with the SDK the switch file names."""
    switch = Path(os.environ["DURABLE_LAMBDA_SWITCH"])
    sdk = switch.read_text().strip()
    with Path(f"{switch}.log").open("a") as log:
        log.write(f"{sdk}\n")
    return _HANDLERS[sdk](event, lambda_context)
