"""A small Lambda Invoke API on 127.0.0.1 that runs our handlers, for the official emulator.

The emulator (``dex-local-runner``) runs no code itself: it invokes a durable function's handler
through the Lambda Invoke API (``POST /2015-03-31/functions/{name}/invocations``) at its
``--lambda-endpoint``, and invokes the plain targets of chained invokes the same way. This
endpoint answers those calls. Each function gets warm worker processes (``worker.py``), as Lambda
gives each function its own execution environments: one invocation per process at a time, and a
second process when the first is busy. A process per function also keeps apart the per-process
state our Lambda entry point relies on (one event loop per container).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

__all__ = ["LambdaEndpoint"]

_WORKER = Path(__file__).with_name("worker.py")
# Handlers are imported as ``emulator.<module>``, as pytest and mypy name these test modules.
_IMPORT_ROOT = Path(__file__).resolve().parents[1]


class _Worker:
    """One worker process running one function's handler."""

    def __init__(self, handler: str, env: Mapping[str, str], log: IO[bytes]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(_WORKER), handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            # Folders the session's environment adds (another suite's handlers) come after.
            env={
                **env,
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(_IMPORT_ROOT), env.get("PYTHONPATH")])
                ),
            },
        )
        if self._read() != {"ready": True}:
            raise RuntimeError(f"the worker for {handler} did not start")

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            return {"ok": False, "error": {"errorType": "Runtime.ExitError", "errorMessage": ""}}
        answer: dict[str, Any] = json.loads(line)
        return answer

    def invoke(self, payload: str) -> dict[str, Any]:
        """Run one invocation and return the worker's answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"payload": payload}).encode() + b"\n")
        self.proc.stdin.flush()
        return self._read()

    def stop(self) -> None:
        """Close the worker's input (it exits) and reap it; kill it if it lingers."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class LambdaEndpoint:
    """The Lambda Invoke API for a fixed set of functions, served from a background thread.

    Args:
        functions: Function name -> handler as ``module:attr`` importable from
            ``tests/integration`` (e.g. ``emulator.handlers:step_retry``).
        env: The environment of every worker process (endpoint, region, credentials).
        log_path: Where the workers' output (stderr) is appended.
    """

    def __init__(
        self, functions: Mapping[str, str], env: Mapping[str, str], log_path: Path
    ) -> None:
        self.functions = dict(functions)
        self.invocations: list[tuple[str, bool]] = []  # (function, marked by the emulator)
        self._env = dict(env)
        self._log = log_path.open("ab")
        self._idle: dict[str, list[_Worker]] = {}
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The endpoint's base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        """Start serving."""
        self._thread.start()

    def close(self) -> None:
        """Stop serving and stop every worker."""
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            workers, self._all, self._idle = self._all, [], {}
        for worker in workers:
            worker.stop()
        self._log.close()

    def invoke(self, function: str, payload: str, marked: bool) -> dict[str, Any]:
        """Run one invocation of ``function`` in a free worker (started if none is free)."""
        with self._lock:
            self.invocations.append((function, marked))
            idle = self._idle.setdefault(function, [])
            worker = idle.pop() if idle else None
        if worker is None:
            worker = _Worker(self.functions[function], self._env, self._log)
            with self._lock:
                self._all.append(worker)
        answer = worker.invoke(payload)
        if worker.proc.poll() is None:
            with self._lock:
                self._idle[function].append(worker)
        return answer


def _handler_class(endpoint: LambdaEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: the emulator calls this endpoint often."""

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path).path.strip("/").split("/")
            if len(parts) != 4 or parts[:2] != ["2015-03-31", "functions"]:
                self._reply(404, {"message": f"no route for {self.path}"})
                return
            # The name may be an ARN or carry a qualifier: the function name is what remains.
            name = unquote(parts[2]).split(":function:")[-1].split(":")[0]
            if name not in endpoint.functions:
                error = {"__type": "ResourceNotFoundException", "message": f"no function {name}"}
                self._reply(404, error, {"x-amzn-ErrorType": "ResourceNotFoundException"})
                return
            marked = self.headers.get("X-Dex-Handler-Invoke", "").lower() == "true"
            answer = endpoint.invoke(name, body.decode() or "{}", marked)
            if answer["ok"]:
                self._reply(200, json.loads(answer["payload"]))
            else:
                self._reply(200, answer["error"], {"X-Amz-Function-Error": "Unhandled"})

        def _reply(
            self, status: int, body: object, headers: Mapping[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
