"""The official emulator (``dex-local-runner``) and our Lambda endpoint, started for a test session.

Both listen on 127.0.0.1 only. The handlers run in worker processes whose environment points
boto3 at the emulator (``AWS_ENDPOINT_URL_LAMBDA``) with dummy credentials, so the default
container of ``@durable_execution`` (backend ``aws``) checkpoints through boto3 into it; every
other AWS endpoint is a closed loopback port.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from emulator.lambda_endpoint import LambdaEndpoint

__all__ = ["EmulatorSession", "free_port"]

REGION = "us-west-2"
_CREDENTIALS = {"aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "test-secret"}
_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})
_DURABLE = {"DurableConfig": {"ExecutionTimeout": 300, "RetentionPeriodInDays": 1}}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _dex_cli() -> str:
    """The emulator's console script, installed beside this interpreter by the dev extras."""
    path = Path(sys.executable).parent / "dex-local-runner"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: install the dev dependencies")
    return str(path)


class EmulatorSession:
    """The emulator, our Lambda endpoint, and a boto3 client of the emulator's durable API.

    Args:
        durable: Durable function name -> handler (``module:attr``).
        plain: Plain (non-durable) function name -> handler, for chained invokes.
        work_dir: Where the emulator's and the workers' logs go.
    """

    def __init__(
        self, durable: Mapping[str, str], plain: Mapping[str, str], work_dir: Path
    ) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.work_dir = work_dir
        # The emulator signs its invokes of our endpoint, so it needs credentials too.
        self._emulator_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self._emulator_env |= {
            "AWS_ACCESS_KEY_ID": _CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": _CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1",
        }
        env = self._emulator_env | {
            "AWS_ENDPOINT_URL_LAMBDA": self.url,
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # anything else: a closed loopback port
        }
        self.endpoint = LambdaEndpoint({**durable, **plain}, env, work_dir / "workers.log")
        configs = dict.fromkeys(durable, _DURABLE) | {name: {} for name in plain}
        self._configs = configs
        self._process: subprocess.Popen[bytes] | None = None
        self.client: Any = boto3.client(
            "lambda",
            endpoint_url=self.url,
            region_name=REGION,
            config=Config(retries={"max_attempts": 2}, read_timeout=30),
            aws_access_key_id=_CREDENTIALS["aws_access_key_id"],
            aws_secret_access_key=_CREDENTIALS["aws_secret_access_key"],
        )

    def start(self) -> None:
        """Start the endpoint, then the emulator; wait until the emulator answers."""
        self.endpoint.start()
        port = self.url.rsplit(":", 1)[1]
        command = [
            _dex_cli(), "start-server", "--host", "127.0.0.1", "--port", port,
            "--lambda-endpoint", self.endpoint.url, "--local-runner-endpoint", self.url,
            "--local-runner-region", REGION, "--function-configs", json.dumps(self._configs),
            "--invocation-timeout", "60", "--log-level", "WARNING",
        ]  # fmt: skip
        log = (self.work_dir / "dex-local-runner.log").open("ab")
        self._process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=self._emulator_env
        )
        log.close()  # the child holds its own copy
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"dex-local-runner exited; see {self.work_dir}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("dex-local-runner did not answer /health within 60 s")

    def close(self) -> None:
        """Stop the emulator (by the id of the process started here), then the endpoint."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self.endpoint.close()

    # -- durable executions ------------------------------------------------------------
    def start_execution(self, function: str, payload: object = None) -> str:
        """Start a durable execution of ``function`` with ``payload``; return its ARN."""
        body = {
            "AccountId": "123456789012",
            "FunctionName": function,
            "FunctionQualifier": "$LATEST",
            "ExecutionName": f"{function}-{time.monotonic_ns()}",
            "ExecutionTimeoutSeconds": 300,
            "ExecutionRetentionPeriodDays": 1,
            "Input": json.dumps(payload),
        }
        request = urllib.request.Request(
            f"{self.url}/start-durable-execution",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            started: dict[str, Any] = json.loads(answer.read())
        return str(started.get("ExecutionArn") or started["DurableExecutionArn"])

    def wait(self, arn: str, timeout: float = 60) -> dict[str, Any]:
        """Poll ``GetDurableExecution`` until the execution ends; return its description."""
        deadline = time.monotonic() + timeout
        while True:
            execution: dict[str, Any] = self.client.get_durable_execution(DurableExecutionArn=arn)
            if execution["Status"] in _TERMINAL:
                return execution
            if time.monotonic() > deadline:
                raise TimeoutError(f"{arn} still {execution['Status']} after {timeout} s")
            time.sleep(0.2)

    def run(self, function: str, payload: object = None, timeout: float = 60) -> dict[str, Any]:
        """Start an execution and wait for its end."""
        return self.wait(self.start_execution(function, payload), timeout)

    def history(self, arn: str) -> list[dict[str, Any]]:
        """Every history event of the execution, with payloads (all pages)."""
        events: list[dict[str, Any]] = []
        request: dict[str, Any] = {"DurableExecutionArn": arn, "IncludeExecutionData": True}
        while True:
            page = self.client.get_durable_execution_history(**request)
            events += page.get("Events", [])
            if not page.get("NextMarker"):
                return events
            request["Marker"] = page["NextMarker"]

    def wait_for_event(self, arn: str, event_type: str, timeout: float = 30) -> dict[str, Any]:
        """Poll the history until an event of ``event_type`` appears; return the first one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.history(arn):
                if event["EventType"] == event_type:
                    return event
            time.sleep(0.2)
        raise TimeoutError(f"no {event_type} event in {arn} after {timeout} s")
