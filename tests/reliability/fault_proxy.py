"""An HTTP proxy on 127.0.0.1 that forwards to the emulator and breaks durable API calls on cue.

Every request is forwarded to the upstream (the official emulator) unchanged, except the calls
for which a fault is queued (``FaultProxy.inject``), one fault per call, in order. A fault is
queued for one kind of call (``on=``): every ``CheckpointDurableExecution`` (``checkpoint``, the
default), only the checkpoint that starts a callback (``callback-start``: its updates hold a
CALLBACK START; such a call takes from this queue first), or ``GetDurableExecutionState``
(``state``). Faults of a checkpoint:

* ``too-many-requests``: 429 ``TooManyRequestsException`` (Lambda's throttling answer);
* ``throttling``: 429 ``ThrottlingException``;
* ``server-error``: 500 ``ServiceException``;
* ``kms``: 502 ``KMSAccessDeniedException`` (a 5xx that no retry can fix);
* ``timeout``: forwarded (the emulator applies it), then the answer is held longer than the
  client's read timeout and the connection closed;
* ``drop``: forwarded (applied), then the connection is closed without an answer;
* ``stale-token``: the request's ``CheckpointToken`` is replaced by the first token this
  execution used (long since rotated), then forwarded;
* ``pass``: nothing (lets a call through before the next fault).

Garbled answers (``GARBLED_FAULTS``): the call is forwarded and applied, and its 200 answer
arrives damaged, as a proxy or a broken connection on the way can leave it. Any kind of call:

* ``truncated``: the first half of the real body (a complete HTTP answer; the JSON is cut);
* ``empty``: ``{}``;
* ``html``: an HTML error page, ``Content-Type: text/html``;

and two that keep the body readable but wrong:

* ``repeat-marker`` (state pages): ``NextMarker`` is set to the request's own ``Marker``, so the
  page points back at itself;
* ``no-callback-id`` (checkpoints): every ``CallbackDetails`` is dropped from the answer's
  operations, so the callback just started comes back without its id.

Each checkpoint call is logged (ARN, ClientToken, token, fault), and so is each state call
(ARN, marker, fault), for the tests.

The emulator (1.4.0) names the error of a refused call only in the body (``{"Type":
"InvalidParameterValueException", "message": ...}``), where botocore does not look for it, so
boto3 would report the code as ``400``. Lambda names it in the ``x-amzn-ErrorType`` header; the
proxy adds that header to the emulator's error answers, so the SDK sees them as it would on AWS.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["FAULTS", "GARBLED_FAULTS", "TARGETS", "CheckpointCall", "FaultProxy", "StateCall"]

_ERRORS: dict[str, tuple[int, str, dict[str, Any]]] = {
    "too-many-requests": (
        429,
        "TooManyRequestsException",
        {"Type": "User", "message": "Rate exceeded", "Reason": "CallerRateLimitExceeded"},
    ),
    "throttling": (429, "ThrottlingException", {"message": "Rate exceeded"}),
    "server-error": (500, "ServiceException", {"Type": "Service", "Message": "internal error"}),
    "kms": (
        502,
        "KMSAccessDeniedException",
        {"Type": "User", "Message": "Lambda was unable to decrypt with the KMS key"},
    ),
}
FAULTS = (*_ERRORS, "timeout", "drop", "stale-token")
"""Every fault of a checkpoint call that fails or is lost (``test_checkpoint_faults.py``)."""
GARBLED_FAULTS = ("truncated", "empty", "html", "repeat-marker", "no-callback-id")
"""Every fault that damages a 200 answer (``test_garbled_answers.py``)."""
TARGETS = ("checkpoint", "callback-start", "state")
"""The kinds of call a fault can be queued for."""
_HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>"
)
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass(frozen=True)
class CheckpointCall:
    """One checkpoint request the proxy saw, and the fault it got (None: passed through)."""

    arn: str
    client_token: str | None
    checkpoint_token: str
    fault: str | None


@dataclass(frozen=True)
class StateCall:
    """One ``GetDurableExecutionState`` request the proxy saw, and the fault it got."""

    arn: str
    marker: str | None
    fault: str | None


class FaultProxy:
    """The proxy (see the module docstring), served from a background thread.

    Args:
        upstream: The emulator's base URL (``http://127.0.0.1:PORT``).
        hold_seconds: How long a ``timeout`` fault holds the answer back.
    """

    def __init__(self, upstream: str, hold_seconds: float) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.hold_seconds = hold_seconds
        self.calls: list[CheckpointCall] = []
        self.state_calls: list[StateCall] = []
        self._faults: dict[str, deque[str]] = {target: deque() for target in TARGETS}
        self._first_tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def inject(self, *faults: str, on: str = "checkpoint") -> None:
        """Queue ``faults`` for the next calls of kind ``on``, one each.

        Clears every queue and both call logs first: each test starts from a clean proxy.
        """
        unknown = set(faults) - {*FAULTS, *GARBLED_FAULTS, "pass"}
        assert not unknown, f"unknown faults {unknown}"
        assert on in TARGETS, f"unknown kind of call {on!r}"
        with self._lock:
            self._faults = {target: deque() for target in TARGETS}
            self._faults[on].extend(faults)
            self.calls = []
            self.state_calls = []

    @property
    def pending_faults(self) -> int:
        """Faults queued but not injected yet."""
        with self._lock:
            return sum(len(queue) for queue in self._faults.values())

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def _next_fault(self, arn: str, body: dict[str, Any]) -> str | None:
        with self._lock:
            queue = self._faults["checkpoint"]
            if _starts_a_callback(body) and self._faults["callback-start"]:
                queue = self._faults["callback-start"]
            fault = queue.popleft() if queue else None
            fault = None if fault == "pass" else fault
            token = str(body.get("CheckpointToken", ""))
            self._first_tokens.setdefault(arn, token)
            self.calls.append(CheckpointCall(arn, body.get("ClientToken"), token, fault))
            if fault == "stale-token":
                body["CheckpointToken"] = self._first_tokens[arn]
            return fault

    def _next_state_fault(self, arn: str, marker: str | None) -> str | None:
        with self._lock:
            queue = self._faults["state"]
            fault = queue.popleft() if queue else None
            fault = None if fault == "pass" else fault
            self.state_calls.append(StateCall(arn, marker, fault))
            return fault

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Send the request upstream; return its status, headers and body."""
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()


def _checkpoint_arn(path: str) -> str | None:
    return _durable_execution_arn(path, "checkpoint")


def _durable_execution_arn(path: str, call: str) -> str | None:
    """The ARN in a ``/{version}/durable-executions/{arn}/{call}`` path, else None."""
    parts = urlsplit(path).path.strip("/").split("/")
    if len(parts) == 4 and parts[1] == "durable-executions" and parts[3] == call:
        return unquote(parts[2])
    return None


def _starts_a_callback(body: dict[str, Any]) -> bool:
    updates = body.get("Updates") or []
    return any(
        isinstance(update, dict)
        and update.get("Type") == "CALLBACK"
        and update.get("Action") == "START"
        for update in updates
    )


def _garbled(
    fault: str | None, status: int, headers: list[tuple[str, str]], body: bytes, marker: str | None
) -> tuple[list[tuple[str, str]], bytes]:
    """Damage a 2xx answer as ``fault`` says; anything else passes unchanged."""
    if fault not in GARBLED_FAULTS or not 200 <= status < 300:
        return headers, body
    if fault == "truncated":
        return headers, body[: len(body) // 2]
    if fault == "empty":
        return headers, b"{}"
    if fault == "html":
        kept = [(key, value) for key, value in headers if key.lower() != "content-type"]
        return [*kept, ("Content-Type", "text/html")], _HTML_PAGE
    answer = json.loads(body)
    if fault == "repeat-marker":
        answer["NextMarker"] = marker
    elif fault == "no-callback-id":
        for operation in (answer.get("NewExecutionState") or {}).get("Operations") or []:
            operation.pop("CallbackDetails", None)
    return headers, json.dumps(answer).encode()


def _as_lambda_error(
    status: int, headers: list[tuple[str, str]], body: bytes
) -> list[tuple[str, str]]:
    """Add ``x-amzn-ErrorType`` to an error answer that names its type only in the body."""
    if status < 400 or any(key.lower() == "x-amzn-errortype" for key, _ in headers):
        return headers
    try:
        error_type = json.loads(body).get("Type")
    except (ValueError, AttributeError):
        return headers
    if isinstance(error_type, str) and error_type.endswith("Exception"):
        return [*headers, ("x-amzn-ErrorType", error_type)]
    return headers


def _handler_class(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet."""

        def do_GET(self) -> None:
            self._handle(b"")

        def do_POST(self) -> None:
            self._handle(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def _handle(self, body: bytes) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            arn = _checkpoint_arn(self.path)
            state_arn = _durable_execution_arn(self.path, "state")
            fault = None
            marker = None
            if arn is not None:
                request = json.loads(body or b"{}")
                fault = proxy._next_fault(arn, request)
                body = json.dumps(request).encode()
            elif state_arn is not None and self.command == "GET":
                markers = parse_qs(urlsplit(self.path).query).get("Marker")
                marker = markers[0] if markers else None
                fault = proxy._next_state_fault(state_arn, marker)
            if fault in _ERRORS:
                status, code, payload = _ERRORS[fault]
                self._reply(status, [("x-amzn-ErrorType", code)], json.dumps(payload).encode())
                return
            status, answer_headers, answer = proxy.forward(self.command, self.path, headers, body)
            if fault in ("timeout", "drop"):
                if fault == "timeout":
                    time.sleep(proxy.hold_seconds)
                self.close_connection = True  # the client never hears that it was applied
                return
            answer_headers, answer = _garbled(fault, status, answer_headers, answer, marker)
            self._reply(status, _as_lambda_error(status, answer_headers, answer), answer)

        def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
