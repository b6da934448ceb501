"""Talking to a running ``dex-local-runner``: the pieces every emulator-backed test shares.

Starting it (which handlers, which Lambda endpoint, which fixes) differs between suites; once it
runs, waiting for it, starting executions, polling them, reading history and stopping it are the
same everywhere, and live here.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request
from typing import Any

import boto3
from botocore.config import Config

__all__ = [
    "REGION",
    "emulator_client",
    "free_port",
    "history",
    "start_execution",
    "stop",
    "wait_for_end",
    "wait_until_healthy",
]

REGION = "us-west-2"
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def emulator_client(url: str, access_key: str, secret_key: str) -> Any:
    """A boto3 ``lambda`` client of the emulator's durable execution API at ``url``."""
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name=REGION,
        config=Config(retries={"max_attempts": 2}, read_timeout=30),
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
    )


def wait_until_healthy(process: subprocess.Popen[bytes], url: str, where: object) -> None:
    """Return once the emulator at ``url`` answers ``/health``; ``where`` names its logs."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dex-local-runner exited; see {where}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("dex-local-runner did not answer /health within 60 s")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """Stop the emulator process started by the test (by its id), killing it if it hangs."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def start_execution(url: str, function: str, payload: object = None) -> str:
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
        f"{url}/start-durable-execution",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        started: dict[str, Any] = json.loads(answer.read())
    return str(started.get("ExecutionArn") or started["DurableExecutionArn"])


def wait_for_end(client: Any, arn: str, timeout: float, poll: float) -> dict[str, Any]:
    """Poll ``GetDurableExecution`` until the execution ends; return its description."""
    deadline = time.monotonic() + timeout
    while True:
        execution: dict[str, Any] = client.get_durable_execution(DurableExecutionArn=arn)
        if execution["Status"] in TERMINAL:
            return execution
        if time.monotonic() > deadline:
            raise TimeoutError(f"{arn} still {execution['Status']} after {timeout} s")
        time.sleep(poll)


def history(client: Any, arn: str) -> list[dict[str, Any]]:
    """Every history event of the execution, with payloads (all pages)."""
    events: list[dict[str, Any]] = []
    request: dict[str, Any] = {"DurableExecutionArn": arn, "IncludeExecutionData": True}
    while True:
        page = client.get_durable_execution_history(**request)
        events += page.get("Events", [])
        if not page.get("NextMarker"):
            return events
        request["Marker"] = page["NextMarker"]
