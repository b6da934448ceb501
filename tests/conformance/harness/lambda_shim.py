#!/usr/bin/env python3
# mypy: ignore-errors
# (mypy: adapted from the shared harness; typing it is a follow-up)
"""Minimal, SDK-agnostic emulation of the Lambda Invoke API on loopback.

Serves ``POST /2015-03-31/functions/{FunctionName}/invocations`` and runs the
named function's handler (``module:attr`` or Lambda-style ``module.attr``) in a
warm worker subprocess, one invocation per worker at a time (like a Lambda
execution environment).  Workers get their own environment (function env vars,
dummy credentials, ``AWS_ENDPOINT_URL_LAMBDA`` pointing at the durable
execution emulator), so handlers that crash with ``os._exit`` or hang only
take down their worker.

Two kinds of Invoke are distinguished, as the durable-execution local runner
(``dex-local-runner``) expects:

* an Invoke carrying ``X-Dex-Handler-Invoke: true`` (a handler invocation sent
  by the emulator), or any Invoke of a non-durable function, runs the handler
  once and returns its JSON result;
* an Invoke *without* the marker of a function configured as durable starts a
  new durable execution on the emulator (``POST /start-durable-execution``),
  like the real Lambda service: ``Event`` returns 202 at once, and
  ``RequestResponse`` waits for the execution to end; both report the
  execution ARN in ``X-Amz-Durable-Execution-Arn``.

Usage::

    python lambda_shim.py --mapping functions.json --port 3001 \
        --emulator-endpoint http://127.0.0.1:5000 [--log-file shim-logs.jsonl]

The mapping file (JSON, or YAML when PyYAML is available) looks like::

    {"python": "/path/to/venv/bin/python",          # interpreter for workers
     "sys_path": ["/path/to/handlers"],             # prepended to sys.path
     "env": {"COMMON": "1"},
     "functions": {
        "StepBasic": {"handler": "step.step_basic.handler", "timeout": 60,
                      "env": {}, "log_format": "JSON",
                      "durable": {"ExecutionTimeout": 300}},
        "Plain": {"handler": "pkg.mod:handler", "durable": null}}}

Each function's handler log output (stdout/stderr, and Python ``logging``
records formatted the way the Lambda Python runtime formats them) is appended
to ``--log-file`` as JSON lines ``{"ts", "seq", "function", "requestId",
"executionArn", "line"}``.

Only the standard library is needed (PyYAML optional for YAML mappings).
The worker half of this file runs under the interpreter of the SDK under test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit
from urllib.request import Request, urlopen

DEFAULT_REGION = "us-west-2"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_TIMEOUT_S = 60
DEFAULT_MEMORY_MB = 128
MAX_WORKERS_PER_FUNCTION = 16
MARKER_HEADER = "X-Dex-Handler-Invoke"
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED", "CANCELLED"}

# name | name:qualifier | account:function:name[:q] | arn:aws:lambda:region:acct:function:name[:q]
_FN_RE = re.compile(
    r"^(?:arn:[^:]+:lambda:(?P<region>[^:]+):(?P<acct>\d{12}):function:"
    r"|(?P<acct2>\d{12}):function:)?"
    r"(?P<name>[A-Za-z0-9_.-]+)(?::(?P<qual>[^:]+))?$"
)


def _log(msg: str) -> None:
    sys.stderr.write(f"[lambda_shim] {msg}\n")
    sys.stderr.flush()


class FunctionSpec:
    def __init__(self, name: str, raw: dict, defaults: dict) -> None:
        if isinstance(raw, str):
            raw = {"handler": raw}
        self.name = name
        self.handler = raw["handler"]
        self.python = raw.get("python") or defaults.get("python") or sys.executable
        self.sys_path = list(raw.get("sys_path") or []) + list(defaults.get("sys_path") or [])
        self.env = dict(defaults.get("env") or {})
        self.env.update(raw.get("env") or {})
        self.timeout = float(raw.get("timeout") or defaults.get("timeout") or DEFAULT_TIMEOUT_S)
        self.memory = int(raw.get("memory") or defaults.get("memory") or DEFAULT_MEMORY_MB)
        self.log_format = raw.get("log_format") or defaults.get("log_format") or "Text"
        self.app_log_level = raw.get("app_log_level") or defaults.get("app_log_level") or "INFO"
        durable = raw.get("durable", defaults.get("durable", {}))
        self.durable = durable if isinstance(durable, dict) else None
        self.cwd = (
            raw.get("cwd") or defaults.get("cwd") or (self.sys_path[0] if self.sys_path else None)
        )


def load_mapping(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith((".yaml", ".yml")):
        import yaml  # type: ignore

        return yaml.safe_load(text)
    return json.loads(text)


class LogSink:
    def __init__(self, path: str | None, echo: bool) -> None:
        # Open for the shim's whole life; close() closes it.
        self._f = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115
        self._echo = echo
        self._lock = threading.Lock()
        self._seq = 0

    def write(self, function: str, request_id: str | None, arn: str | None, line: str) -> None:
        with self._lock:
            self._seq += 1
            rec = {
                "ts": int(time.time() * 1000),
                "seq": self._seq,
                "function": function,
                "requestId": request_id,
                "executionArn": arn,
                "line": line,
            }
            if self._f:
                self._f.write(json.dumps(rec) + "\n")
                self._f.flush()
            if self._echo:
                sys.stderr.write(f"[{function}] {line}\n")

    def close(self) -> None:
        with self._lock:
            if self._f:
                self._f.close()
                self._f = None


class Worker:
    """One warm execution environment (a subprocess) for one function."""

    def __init__(self, spec: FunctionSpec, base_env: dict, logs: LogSink) -> None:
        self.spec = spec
        self.logs = logs
        self.current_request: str | None = None
        self.current_arn: str | None = None
        env = dict(base_env)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(spec.timeout)),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{uuid.uuid4().hex}",
                "AWS_LAMBDA_LOG_FORMAT": spec.log_format,
                "_HANDLER": spec.handler,
                "PYTHONUNBUFFERED": "1",
            }
        )
        if spec.sys_path:
            env["LAMBDA_TASK_ROOT"] = spec.sys_path[0]
        env.update({k: str(v) for k, v in spec.env.items()})
        env["LAMBDA_SHIM_WORKER_SPEC"] = json.dumps(
            {
                "function_name": spec.name,
                "handler": spec.handler,
                "sys_path": spec.sys_path,
                "memory": spec.memory,
                "log_format": spec.log_format,
                "app_log_level": spec.app_log_level,
                "log_stream": env["AWS_LAMBDA_LOG_STREAM_NAME"],
            }
        )
        self.proc = subprocess.Popen(
            [
                spec.python,
                os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim_worker.py"),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=spec.cwd or None,
            close_fds=True,
        )
        self.pid = self.proc.pid
        self._buf = b""
        self._reader = threading.Thread(
            target=self._pump_logs, daemon=True, name=f"logs-{spec.name}-{self.pid}"
        )
        self._reader.start()
        hello = self._read_line(time.monotonic() + 60)
        if hello is None:
            self.kill()
            raise RuntimeError(f"worker for {spec.name} failed to start (exit {self.proc.poll()})")

    def _pump_logs(self) -> None:
        assert self.proc.stderr is not None
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.logs.write(self.spec.name, self.current_request, self.current_arn, line)

    def _read_line(self, deadline: float) -> bytes | None:
        """One protocol line, or None on EOF; raises TimeoutError at deadline."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def alive(self) -> bool:
        return self.proc.poll() is None

    def invoke(self, payload: str, req: dict, timeout: float) -> tuple[bool, str, bool]:
        """Run one invocation. Returns (ok, body, worker_still_usable)."""
        self.current_request = req["request_id"]
        try:
            self.current_arn = (
                (json.loads(payload) or {}).get("DurableExecutionArn") if payload else None
            )
        except (ValueError, AttributeError):
            self.current_arn = None
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(dict(req, payload=payload)).encode("utf-8") + b"\n")
            self.proc.stdin.flush()
            line = self._read_line(time.monotonic() + timeout)
        except TimeoutError:
            self.kill()
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"
            err = {
                "errorMessage": (
                    f"{stamp} {req['request_id']} Task timed out after {timeout:.2f} seconds"
                ),
                "errorType": "Sandbox.Timedout",
            }
            self.logs.write(
                self.spec.name, req["request_id"], self.current_arn, err["errorMessage"]
            )
            return False, json.dumps(err), False
        except (BrokenPipeError, OSError):
            line = None
        if line is None:
            code = self.proc.wait(timeout=5) if self.proc.poll() is None else self.proc.returncode
            err = {
                "errorType": "Runtime.ExitError",
                "errorMessage": (
                    f"RequestId: {req['request_id']} Error: Runtime exited with error: "
                    f"exit status {code}"
                ),
            }
            self.logs.write(
                self.spec.name, req["request_id"], self.current_arn, err["errorMessage"]
            )
            self.kill()
            return False, json.dumps(err), False
        resp = json.loads(line)
        self.current_request = None
        if resp.get("ok"):
            return True, resp["payload"], True
        return False, json.dumps(resp["error"]), True

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass


class Shim:
    def __init__(self, args: argparse.Namespace) -> None:
        mapping = load_mapping(args.mapping)
        self.region = args.region
        self.account = args.account
        self.emulator = args.emulator_endpoint.rstrip("/") if args.emulator_endpoint else None
        self.sync_wait_cap = args.sync_wait_cap
        defaults = {k: v for k, v in mapping.items() if k not in ("functions", "requirements")}
        self.functions = {
            name: FunctionSpec(name, raw, defaults)
            for name, raw in (mapping.get("functions") or {}).items()
        }
        self.logs = LogSink(args.log_file, args.echo_logs)
        self._lock = threading.Lock()
        self._idle: dict[str, list[Worker]] = {}
        self._all: dict[int, Worker] = {}
        self._busy_count: dict[str, int] = {}
        self._cv = threading.Condition(self._lock)
        self.closing = False
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_SHIM"))}
        base.update(
            {
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_ACCESS_KEY_ID": "AKIDLOCALSHIM",
                "AWS_SECRET_ACCESS_KEY": "local-shim-secret",
                "AWS_SESSION_TOKEN": "local-shim-token",
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_EXECUTION_ENV": "AWS_Lambda_python_local_shim",
                # Any AWS service not explicitly routed goes to a dead loopback
                # port instead of the internet.
                "AWS_ENDPOINT_URL": args.default_aws_endpoint,
            }
        )
        if self.emulator:
            base["AWS_ENDPOINT_URL_LAMBDA"] = self.emulator
        self.base_env = base

    # -- worker pool ------------------------------------------------------
    def _acquire(self, spec: FunctionSpec) -> Worker:
        deadline = time.monotonic() + 120
        with self._cv:
            while True:
                if self.closing:
                    raise RuntimeError("shim is shutting down")
                idle = self._idle.setdefault(spec.name, [])
                while idle:
                    w = idle.pop()
                    if w.alive():
                        self._busy_count[spec.name] = self._busy_count.get(spec.name, 0) + 1
                        return w
                    self._all.pop(w.pid, None)
                if self._busy_count.get(spec.name, 0) < MAX_WORKERS_PER_FUNCTION:
                    self._busy_count[spec.name] = self._busy_count.get(spec.name, 0) + 1
                    break
                if not self._cv.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise RuntimeError(f"no free worker for {spec.name}")
        try:
            w = Worker(spec, self.base_env, self.logs)
        except Exception:
            with self._cv:
                self._busy_count[spec.name] -= 1
                self._cv.notify_all()
            raise
        with self._cv:
            self._all[w.pid] = w
            if self.closing:
                w.kill()
                raise RuntimeError("shim is shutting down")
        return w

    def _release(self, w: Worker, usable: bool) -> None:
        with self._cv:
            self._busy_count[w.spec.name] -= 1
            if usable and w.alive() and not self.closing:
                self._idle.setdefault(w.spec.name, []).append(w)
            else:
                self._all.pop(w.pid, None)
                w.kill()
            self._cv.notify_all()

    def run_handler(self, spec: FunctionSpec, payload: str, req: dict) -> tuple[bool, str]:
        w = self._acquire(spec)
        usable = False
        try:
            ok, body, usable = w.invoke(payload, req, spec.timeout)
            return ok, body
        finally:
            self._release(w, usable)

    def shutdown_workers(self) -> None:
        with self._cv:
            self.closing = True
            workers = list(self._all.values())
            self._all.clear()
            self._idle.clear()
        for w in workers:
            w.kill()
        self.logs.close()

    # -- durable starts ----------------------------------------------------
    def _emulator_call(
        self, method: str, path: str, body: dict | None = None, timeout: float = 30
    ) -> dict:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = Request(
            self.emulator + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read().decode("utf-8") or "{}")

    def start_execution(
        self,
        spec: FunctionSpec,
        qualifier: str | None,
        payload: str,
        name: str | None,
        tenant: str | None,
    ) -> str:
        durable = spec.durable or {}
        body = {
            "AccountId": self.account,
            "FunctionName": spec.name,
            "FunctionQualifier": qualifier or "$LATEST",
            "ExecutionName": name or str(uuid.uuid4()),
            "ExecutionTimeoutSeconds": int(durable.get("ExecutionTimeout", 300)),
            "ExecutionRetentionPeriodDays": int(durable.get("RetentionPeriodInDays", 7)),
            "InvocationId": str(uuid.uuid4()),
            "Input": payload if payload not in (None, "") else "{}",
        }
        if tenant:
            body["TenantId"] = tenant
        out = self._emulator_call("POST", "/start-durable-execution", body)
        arn = out.get("ExecutionArn") or out.get("DurableExecutionArn")
        if not arn:
            raise RuntimeError(f"emulator returned no execution ARN: {out}")
        return arn

    def wait_execution(self, arn: str, limit_s: float) -> dict:
        deadline = time.monotonic() + limit_s
        path = "/2025-12-01/durable-executions/" + quote(arn, safe="")
        last: dict = {}
        while time.monotonic() < deadline and not self.closing:
            last = self._emulator_call("GET", path)
            if last.get("Status") in TERMINAL:
                return last
            time.sleep(0.25)
        return last


def parse_function_name(raw: str, query: str) -> tuple[str, str | None]:
    m = _FN_RE.match(unquote(raw))
    if not m:
        return unquote(raw), None
    qual = m.group("qual")
    q = parse_qs(query).get("Qualifier")
    if q:
        qual = q[0]
    return m.group("name"), qual


def make_handler(shim: Shim):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "lambda-shim/1"

        def log_message(self, fmt, *args):  # quiet
            pass

        def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _api_error(self, status: int, code: str, message: str) -> None:
            body = json.dumps({"Type": "User", "message": message, "__type": code}).encode()
            self._send(
                status, body, {"x-amzn-ErrorType": code, "x-amzn-RequestId": str(uuid.uuid4())}
            )

        def do_GET(self):
            if self.path.rstrip("/") in ("/health", "/2015-03-31/health"):
                self._send(200, b'{"status":"ok"}')
            else:
                self._api_error(404, "ResourceNotFoundException", f"no route for GET {self.path}")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            segs = parts.path.strip("/").split("/")
            if (
                len(segs) != 4
                or segs[0] != "2015-03-31"
                or segs[1] != "functions"
                or segs[3] != "invocations"
            ):
                self._api_error(404, "ResourceNotFoundException", f"no route for POST {self.path}")
                return
            name, qualifier = parse_function_name(segs[2], parts.query)
            spec = shim.functions.get(name)
            request_id = str(uuid.uuid4())
            if spec is None:
                self._api_error(
                    404,
                    "ResourceNotFoundException",
                    f"Function not found: arn:aws:lambda:{shim.region}:{shim.account}"
                    f":function:{name}",
                )
                return
            inv_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
            marked = (self.headers.get(MARKER_HEADER) or "").lower() == "true"
            tenant = self.headers.get("X-Amz-Tenant-Id")
            payload = body.decode("utf-8") if body else ""
            executed = qualifier if qualifier and qualifier[0].isdigit() else "$LATEST"
            common = {"x-amzn-RequestId": request_id, "X-Amz-Executed-Version": executed}
            if inv_type == "DryRun":
                self._send(204, b"", common)
                return

            if spec.durable is not None and not marked:
                self._start_durable(spec, qualifier, payload, inv_type, tenant, common)
                return

            arn = f"arn:aws:lambda:{shim.region}:{shim.account}:function:{name}" + (
                f":{qualifier}" if qualifier else ""
            )
            req = {
                "request_id": request_id,
                "invoked_function_arn": arn,
                "deadline_ms": int(time.time() * 1000 + spec.timeout * 1000),
                "tenant_id": tenant,
                "version": executed,
            }
            if inv_type == "Event":
                threading.Thread(
                    target=self._safe_run, args=(spec, payload, req), daemon=True
                ).start()
                self._send(202, b"", common)
                return
            try:
                ok, out = shim.run_handler(spec, payload, req)
            except Exception as exc:
                self._api_error(500, "ServiceException", f"shim could not run {name}: {exc}")
                return
            headers = dict(common)
            if not ok:
                headers["X-Amz-Function-Error"] = "Unhandled"
            self._send(200, out.encode("utf-8"), headers)

        @staticmethod
        def _safe_run(spec, payload, req):
            try:
                shim.run_handler(spec, payload, req)
            except Exception as exc:
                _log(f"async invoke of {spec.name} failed: {exc}")

        def _start_durable(self, spec, qualifier, payload, inv_type, tenant, common):
            if not shim.emulator:
                self._api_error(500, "ServiceException", "durable start needs --emulator-endpoint")
                return
            try:
                arn = shim.start_execution(
                    spec,
                    qualifier,
                    payload,
                    self.headers.get("X-Amz-Durable-Execution-Name"),
                    tenant,
                )
            except Exception as exc:
                self._api_error(
                    500, "ServiceException", f"could not start durable execution: {exc}"
                )
                return
            headers = dict(common, **{"X-Amz-Durable-Execution-Arn": arn})
            if inv_type == "Event":
                self._send(202, b"", headers)
                return
            limit = min(
                float((spec.durable or {}).get("ExecutionTimeout", 300)), shim.sync_wait_cap
            )
            try:
                final = shim.wait_execution(arn, limit)
            except Exception as exc:
                self._api_error(500, "ServiceException", f"lost track of {arn}: {exc}")
                return
            status = final.get("Status")
            if status == "SUCCEEDED":
                self._send(200, (final.get("Result") or "null").encode("utf-8"), headers)
                return
            err = final.get("Error") or {}
            if status in TERMINAL:
                out = {
                    "errorType": err.get("ErrorType") or status,
                    "errorMessage": err.get("ErrorMessage") or f"Execution {status}",
                }
            else:
                out = {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"execution still {status} after {limit:.0f}s",
                }
            headers["X-Amz-Function-Error"] = "Unhandled"
            self._send(200, json.dumps(out).encode("utf-8"), headers)

    return Handler


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(
        description="Local Lambda Invoke API shim for durable-execution conformance runs."
    )
    ap.add_argument(
        "--mapping", required=True, help="JSON/YAML mapping of function names to handlers"
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=3001)
    ap.add_argument(
        "--emulator-endpoint",
        default=None,
        help="durable execution emulator URL (AWS_ENDPOINT_URL_LAMBDA for handlers)",
    )
    ap.add_argument("--region", default=DEFAULT_REGION)
    ap.add_argument("--account", default=DEFAULT_ACCOUNT)
    ap.add_argument("--log-file", default=None, help="append handler log lines here as JSON lines")
    ap.add_argument("--echo-logs", action="store_true", help="also echo handler output to stderr")
    ap.add_argument(
        "--sync-wait-cap",
        type=float,
        default=900.0,
        help="max seconds a synchronous durable Invoke waits",
    )
    ap.add_argument(
        "--default-aws-endpoint",
        default="http://127.0.0.1:9",
        help="AWS_ENDPOINT_URL for every other AWS service (default: dead loopback port)",
    )
    ap.add_argument("--ready-file", default=None, help="write the bound port here once listening")
    args = ap.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the shim only binds loopback addresses")

    shim = Shim(args)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(shim))
    server.daemon_threads = True
    port = server.server_address[1]

    def _stop(signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.ready_file:
        with open(args.ready_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.ready_file + ".tmp", args.ready_file)
    _log(f"listening on http://{args.host}:{port} ({len(shim.functions)} functions)")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        shim.shutdown_workers()
        server.server_close()
        _log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
