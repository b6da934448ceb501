"""The official emulator, and a Lambda endpoint that runs our handlers with checkpoints via a proxy.

The emulator (``dex-local-runner``) listens on 127.0.0.1 and invokes durable functions through
the Lambda Invoke API at ``--lambda-endpoint``: this module's ``InvokeEndpoint``, which runs the
handler in this process with a ``LambdaDurableService`` (the AWS adapter, boto3) whose endpoint
is the fault proxy in front of the emulator. What each invocation ended with (its output status,
or the error it raised for Lambda to retry) is recorded per execution.

The emulator retries a failed invocation after 5 s; the tests start it through a tiny wrapper
that makes that 1 s, so that a suite with several retried invocations stays short.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.config import Config
from emulator import dex
from emulator.dex import REGION, free_port

from durable_lambda.adapters.aws.lambda_service import LambdaDurableService
from durable_lambda.app.lambda_handler import DurableFunction
from durable_lambda.core.errors import CheckpointError

__all__ = ["CREDENTIALS", "REGION", "EmulatorProcess", "InvokeEndpoint"]

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret"}
_LAUNCH = (
    "import sys\n"
    "from aws_durable_execution_sdk_python_testing import executor, cli\n"
    "executor.Executor.RETRY_BACKOFF_SECONDS = 1\n"
    "sys.argv[0] = 'dex-local-runner'\n"
    "sys.exit(cli.main())\n"
)


class InvokeEndpoint:
    """The Lambda Invoke API for durable functions run in this process (see the module doc).

    Args:
        functions: Function name -> durable function.
        service_url: Where the handlers' ``LambdaDurableService`` sends its calls (the proxy).
        read_timeout: The boto3 client's read timeout, in seconds.
    """

    def __init__(
        self, functions: Mapping[str, DurableFunction[Any]], service_url: str, read_timeout: float
    ) -> None:
        self.functions = dict(functions)
        self.service_url = service_url
        self.read_timeout = read_timeout
        self.outcomes: dict[str, list[str]] = defaultdict(list)
        self.errors: dict[str, list[BaseException]] = defaultdict(list)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """The endpoint's base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def invoke(self, name: str, event: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """Run one invocation; return (succeeded, output or Lambda's error body)."""
        arn = str(event.get("DurableExecutionArn"))
        service = LambdaDurableService(
            endpoint_url=self.service_url,
            region_name=REGION,
            config=Config(read_timeout=self.read_timeout, connect_timeout=2),
        )
        try:
            function = self.functions[name]
            environment = dataclasses.replace(function.lambda_environment(), service=service)
            output = asyncio.run(function.invoke_model(event, environment))
        except Exception as error:  # Lambda reports what a handler raised, then retries it
            retriable = isinstance(error, CheckpointError) and error.retriable
            with self._lock:
                self.outcomes[arn].append(f"raised {type(error).__name__} retriable={retriable}")
                self.errors[arn].append(error)
            return False, {"errorType": type(error).__name__, "errorMessage": str(error)}
        with self._lock:
            self.outcomes[arn].append(output.Status.value)
        return True, output.to_wire()


def _handler_class(endpoint: InvokeEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet."""

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path).path.strip("/").split("/")
            name = unquote(parts[2]).split(":function:")[-1].split(":")[0]
            ok, answer = endpoint.invoke(name, json.loads(body or b"{}"))
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if not ok:
                self.send_header("X-Amz-Function-Error", "Unhandled")
            self.end_headers()
            self.wfile.write(data)

    return Handler


class EmulatorProcess:
    """``dex-local-runner`` on 127.0.0.1, invoking ``lambda_endpoint``.

    Args:
        functions: The durable function names it may invoke.
        lambda_endpoint: The Invoke API's base URL.
        log: Where its output goes.
    """

    def __init__(self, functions: list[str], lambda_endpoint: str, log: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        configs = {name: {"DurableConfig": {"ExecutionTimeout": 300}} for name in functions}
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env |= CREDENTIALS | {"AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true"}
        command = [
            sys.executable, "-c", _LAUNCH, "start-server", "--host", "127.0.0.1",
            "--port", self.url.rsplit(":", 1)[1], "--lambda-endpoint", lambda_endpoint,
            "--local-runner-endpoint", self.url, "--local-runner-region", REGION,
            "--function-configs", json.dumps(configs), "--invocation-timeout", "60",
            "--skip-time", "--log-level", "WARNING",
        ]  # fmt: skip
        with log.open("ab") as output:
            self._process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, env=env
            )
        self.client: Any = dex.emulator_client(
            self.url, CREDENTIALS["AWS_ACCESS_KEY_ID"], CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
        )
        dex.wait_until_healthy(self._process, self.url, log)

    def close(self) -> None:
        """Stop the emulator (the process started here, by its id)."""
        dex.stop(self._process)

    def run(self, function: str, payload: Any, timeout: float = 60) -> tuple[str, dict[str, Any]]:
        """Start an execution and wait for its end; return its ARN and how it ended."""
        arn = dex.start_execution(self.url, function, payload)
        return arn, dex.wait_for_end(self.client, arn, timeout, poll=0.05)

    def history(self, arn: str) -> list[dict[str, Any]]:
        """Every history event of the execution (all pages)."""
        return dex.history(self.client, arn)
