"""The official emulator (``dex-local-runner``) and our Lambda endpoint, started for a test session.

Both listen on 127.0.0.1 only. The handlers run in worker processes whose environment points
boto3 at the emulator (``AWS_ENDPOINT_URL_LAMBDA``) with dummy credentials, so the default
container of ``@durable_execution`` (backend ``aws``) checkpoints through boto3 into it; every
other AWS endpoint is a closed loopback port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emulator import dex
from emulator.dex import REGION, free_port
from emulator.lambda_endpoint import LambdaEndpoint

__all__ = ["EmulatorSession", "free_port"]

_CREDENTIALS = {"aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "test-secret"}
_DURABLE = {"DurableConfig": {"ExecutionTimeout": 300, "RetentionPeriodInDays": 1}}


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
        self.client: Any = dex.emulator_client(
            self.url, _CREDENTIALS["aws_access_key_id"], _CREDENTIALS["aws_secret_access_key"]
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
        dex.wait_until_healthy(self._process, self.url, self.work_dir)

    def close(self) -> None:
        """Stop the emulator (by the id of the process started here), then the endpoint."""
        dex.stop(self._process)
        self.endpoint.close()

    # -- durable executions ------------------------------------------------------------
    def start_execution(self, function: str, payload: object = None) -> str:
        """Start a durable execution of ``function`` with ``payload``; return its ARN."""
        return dex.start_execution(self.url, function, payload)

    def wait(self, arn: str, timeout: float = 60) -> dict[str, Any]:
        """Poll ``GetDurableExecution`` until the execution ends; return its description."""
        return dex.wait_for_end(self.client, arn, timeout, poll=0.2)

    def run(self, function: str, payload: object = None, timeout: float = 60) -> dict[str, Any]:
        """Start an execution and wait for its end."""
        return self.wait(self.start_execution(function, payload), timeout)

    def history(self, arn: str) -> list[dict[str, Any]]:
        """Every history event of the execution, with payloads (all pages)."""
        return dex.history(self.client, arn)

    def wait_for_event(self, arn: str, event_type: str, timeout: float = 30) -> dict[str, Any]:
        """Poll the history until an event of ``event_type`` appears; return the first one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.history(arn):
                if event["EventType"] == event_type:
                    return event
            time.sleep(0.2)
        raise TimeoutError(f"no {event_type} event in {arn} after {timeout} s")
