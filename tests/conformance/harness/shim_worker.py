"""The worker half of the Lambda shim: one warm execution environment running one handler.

Started by ``lambda_shim.py`` as ``python shim_worker.py`` under the interpreter of the SDK under
test, with the function described in ``LAMBDA_SHIM_WORKER_SPEC``. It reads one request per line
on stdin and answers one line on a private copy of stdout; whatever the handler prints (fd 1 and
fd 2) goes to stderr, which the shim records as the function's log. Standard library only.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import importlib
import json
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO, Any

__all__ = ["main"]

DEFAULT_MEMORY_MB = 128
_STD_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_state: dict[str, str | None] = {"request_id": None}


class LambdaContext:
    """What the Lambda Python runtime hands a handler as ``context``."""

    def __init__(self, request: dict[str, Any], spec: dict[str, Any]) -> None:
        self.function_name: str = spec["function_name"]
        self.function_version: str = request.get("version") or "$LATEST"
        self.invoked_function_arn: str = request["invoked_function_arn"]
        self.memory_limit_in_mb = str(spec.get("memory", DEFAULT_MEMORY_MB))
        self.aws_request_id: str = request["request_id"]
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name: str = spec.get("log_stream", "local/[$LATEST]shim")
        self.tenant_id: str | None = request.get("tenant_id")
        self.identity = None
        self.client_context = request.get("client_context")
        self._deadline_ms = int(request["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _timestamp(record: logging.LogRecord) -> str:
    when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{when}.{int(record.msecs):03d}Z"


class _JsonFormatter(logging.Formatter):
    """Lambda's ``JSON`` log format: one object per record, extra fields included."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "timestamp": _timestamp(record),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info and record.exc_info[0] is not None:
            out["errorType"] = record.exc_info[0].__name__
            out["errorMessage"] = str(record.exc_info[1])
            out["stackTrace"] = traceback.format_tb(record.exc_info[2])
        if _state["request_id"]:
            out["requestId"] = _state["request_id"]
        for key, value in record.__dict__.items():
            if key not in _STD_RECORD_ATTRS and key not in out and not key.startswith("_"):
                out[key] = value
        return json.dumps(out, default=str)


class _TextFormatter(logging.Formatter):
    """Lambda's ``Text`` log format: level, time, request id and message on one line."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        line = (
            f"[{record.levelname}]\t{_timestamp(record)}\t{_state['request_id'] or ''}\t{message}"
        )
        return line.replace("\n", "\r")


def _configure_logging(spec: dict[str, Any]) -> None:
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    out = logging.StreamHandler(sys.stderr)
    if str(spec.get("log_format", "Text")).upper() == "JSON":
        out.setFormatter(_JsonFormatter())
        level_name = str(spec.get("app_log_level") or "INFO").upper()
        root.setLevel(logging.getLevelNamesMapping().get(level_name, logging.INFO))
    else:
        out.setFormatter(_TextFormatter())
        root.setLevel(logging.WARNING)
    root.addHandler(out)


def _load(target: str) -> Callable[[Any, LambdaContext], Any]:
    """Import ``module:attr`` or Lambda's ``module.attr``."""
    if ":" in target:
        module_name, attr = target.split(":", 1)
    else:
        module_name, _, attr = target.rpartition(".")
    found: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        found = getattr(found, part)
    return found  # type: ignore[no-any-return]


def _apply_checkpoint_mode(handler: Any) -> None:
    """Run a durable-lambda handler in the mode ``--mode`` chose (``CONFORMANCE_CHECKPOINT_MODE``).

    The handlers leave the mode to its default; the runner's ``--mode`` sets it in the
    settings each ``@durable_execution`` function carries, as ``checkpoint_mode=`` would.
    """
    mode = os.environ.get("CONFORMANCE_CHECKPOINT_MODE")
    settings = getattr(handler, "settings", None)
    if mode and settings is not None:
        handler.settings = dataclasses.replace(settings, checkpoint_mode=mode)


def _error(exc: BaseException, request_id: str) -> dict[str, Any]:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": [line.rstrip("\n") for line in lines[1:]],
    }


def _invoke(
    handler: Callable[[Any, LambdaContext], Any], request: dict[str, Any], spec: dict[str, Any]
) -> dict[str, Any]:
    raw = request.get("payload")
    try:
        event = json.loads(raw) if raw not in (None, "") else {}
        result = handler(event, LambdaContext(request, spec))
    except BaseException as exc:  # the runtime reports every exception
        if isinstance(exc, SystemExit):
            sys.stderr.flush()
            os._exit(exc.code if isinstance(exc.code, int) else 1)
        logging.getLogger().error(
            "%s: %s", type(exc).__name__, exc, exc_info=(type(exc), exc, exc.__traceback__)
        )
        return {"ok": False, "error": _error(exc, request["request_id"])}
    try:
        return {"ok": True, "payload": json.dumps(result)}
    except (TypeError, ValueError) as exc:
        message = f"Unable to marshal response: {exc}"
        return {
            "ok": False,
            "error": {"errorType": "Runtime.MarshalError", "errorMessage": message},
        }


def _serve(proto: IO[bytes], spec: dict[str, Any]) -> int:
    handler: Callable[[Any, LambdaContext], Any] | None = None
    init_error: dict[str, Any] | None = None
    try:
        handler = _load(spec["handler"])
        _apply_checkpoint_mode(handler)
    except BaseException as exc:  # reported on every invoke, as Lambda does
        init_error = _error(exc, "")
        init_error["errorType"] = "Runtime.ImportModuleError"
        init_error["errorMessage"] = f"Unable to import module '{spec['handler']}': {exc!r}"
        sys.stderr.write(f"[ERROR] {init_error['errorMessage']}\n")
    proto.write(b'{"ready": true}\n')
    while line := sys.stdin.buffer.readline():
        request = json.loads(line)
        _state["request_id"] = request["request_id"]
        if handler is None:
            response: dict[str, Any] = {"ok": False, "error": init_error}
        else:
            response = _invoke(handler, request, spec)
        sys.stdout.flush()
        sys.stderr.flush()
        proto.write(json.dumps(response).encode("utf-8") + b"\n")
        _state["request_id"] = None
    return 0


def main() -> int:
    """Serve invocations until stdin closes."""
    # The protocol channel is a private copy of stdout; the handler's fd 1 becomes the log pipe.
    proto = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    with contextlib.suppress(OSError, AttributeError):  # die with the shim, even on SIGKILL
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    spec: dict[str, Any] = json.loads(os.environ.pop("LAMBDA_SHIM_WORKER_SPEC"))
    # The harness's own folder is not part of the function's code.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    for path in reversed(spec.get("sys_path") or []):
        if path not in sys.path:
            sys.path.insert(0, path)
    _configure_logging(spec)
    return _serve(proto, spec)


if __name__ == "__main__":
    sys.exit(main())
