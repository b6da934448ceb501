"""CloudRunner against the official emulator, through a Lambda API front door on 127.0.0.1.

``CloudRunner`` speaks to one endpoint, as to AWS: ``Invoke`` and the durable execution calls.
The emulator serves the durable execution calls but not ``Invoke``, so the test puts a small
front door before it that does what the Lambda service does with an asynchronous invoke of a
durable function: it starts an execution with the name the call carries (on the emulator's
``/start-durable-execution``) and answers 202 with the execution's ARN. Every other call is
passed through to the emulator unchanged. The emulator runs the handlers through the project's
Lambda Invoke endpoint (``lambda_endpoint.py``), in worker processes.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from botocore.config import Config

from durable_lambda import ValidationError
from durable_lambda.app.cloud_runner import CloudRunnerError, CloudTimeoutError
from durable_lambda.app.driver import ExecutionStuckError
from durable_lambda.core.model import OperationStatus, OperationType
from durable_lambda.testing import CloudRunner
from emulator.dex import REGION
from emulator.service import EmulatorSession

pytestmark = pytest.mark.emulator

DURABLE = {
    "Fulfilment": "emulator.cloud_handlers:fulfilment",
    "StepFails": "emulator.handlers:step_fails",
}
CREDENTIALS = {"aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "test-secret"}


class LambdaFrontDoor:
    """The Lambda API's one endpoint: durable invokes start executions, the rest is passed on.

    Args:
        emulator_url: Where the emulator serves the durable execution API.
        durable: The names of the durable functions.
    """

    def __init__(self, emulator_url: str, durable: Mapping[str, str]) -> None:
        self.emulator_url = emulator_url
        self.durable = set(durable)
        self.report_arn = True  # False: answer as if the ARN header were lost
        self.unseen_reads = 0  # how many reads of executions to answer "not found" first
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _front_door_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The front door's base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        """Start serving."""
        self._thread.start()

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def not_seen_yet(self) -> bool:
        """Whether to answer this read of an execution as if it were not visible yet."""
        with self._lock:
            if self.unseen_reads <= 0:
                return False
            self.unseen_reads -= 1
            return True

    def start_execution(self, function: str, qualifier: str, name: str, payload: str) -> str:
        """Start an execution on the emulator; return its ARN."""
        body = {
            "AccountId": "123456789012",
            "FunctionName": function,
            "FunctionQualifier": qualifier,
            "ExecutionName": name,
            "ExecutionTimeoutSeconds": 300,
            "ExecutionRetentionPeriodDays": 1,
            "Input": payload or "{}",
        }
        answer = self.forward("POST", "/start-durable-execution", json.dumps(body).encode(), {})
        started: dict[str, Any] = json.loads(answer[2])
        return str(started.get("ExecutionArn") or started["DurableExecutionArn"])

    def forward(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Send a request to the emulator; return its status, headers and body."""
        request = urllib.request.Request(
            self.emulator_url + path,
            data=body,
            method=method,
            headers={"Content-Type": headers.get("Content-Type", "application/json")},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, dict(answer.headers.items()), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers.items()), error.read()


def _front_door_handler(door: LambdaFrontDoor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet."""

        def do_GET(self) -> None:
            if self.path.startswith("/2025-12-01/durable-executions/") and door.not_seen_yet():
                error = {"Type": "User", "message": "execution not found"}
                self._reply(404, json.dumps(error).encode(), {
                    "x-amzn-ErrorType": "ResourceNotFoundException",
                })  # fmt: skip
                return
            self._pass_on()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            url = urlsplit(self.path)
            parts = url.path.strip("/").split("/")
            if len(parts) == 4 and parts[:2] == ["2015-03-31", "functions"]:
                self._invoke(unquote(parts[2]), parse_qs(url.query), body)
            else:
                self._pass_on(body)

        def _invoke(self, function: str, query: dict[str, list[str]], body: bytes) -> None:
            if function not in door.durable:
                error = {"Type": "User", "message": f"Function not found: {function}"}
                self._reply(404, json.dumps(error).encode(), {
                    "x-amzn-ErrorType": "ResourceNotFoundException",
                })  # fmt: skip
                return
            name = self.headers.get("X-Amz-Durable-Execution-Name") or uuid.uuid4().hex
            qualifier = query.get("Qualifier", ["$LATEST"])[0]
            arn = door.start_execution(function, qualifier, name, body.decode())
            headers = {"X-Amz-Durable-Execution-Arn": arn} if door.report_arn else {}
            self._reply(202, b"", headers)

        def _pass_on(self, body: bytes | None = None) -> None:
            sent = {"Content-Type": self.headers.get("Content-Type", "application/json")}
            status, headers, data = door.forward(self.command, self.path, body, sent)
            kept = {k: v for k, v in headers.items() if k.lower().startswith("x-amz")}
            self._reply(status, data, kept)

        def _reply(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture(scope="module")
def front_door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LambdaFrontDoor]:
    """The emulator, the project's Lambda endpoint behind it, and the front door before it."""
    session = EmulatorSession(DURABLE, {}, tmp_path_factory.mktemp("cloud-runner"))
    door = LambdaFrontDoor(session.url, DURABLE)
    try:
        session.start()
        door.start()
        yield door
    finally:
        door.close()
        session.close()


@pytest.fixture(autouse=True)
def door_as_lambda(front_door: LambdaFrontDoor) -> None:
    """Each test starts with the front door answering as Lambda does."""
    front_door.report_arn = True
    front_door.unseen_reads = 0


@pytest.fixture
def lambda_client(front_door: LambdaFrontDoor) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=front_door.url,
        region_name=REGION,
        config=Config(retries={"max_attempts": 2}, read_timeout=30),
        aws_access_key_id=CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )


def runner(client: Any, function: str = "Fulfilment", **options: Any) -> CloudRunner:
    return CloudRunner(function, client=client, poll_interval=0.2, timeout=60, **options)


async def test_steps_a_wait_and_a_callback_answered_through_the_cloud_runner(
    lambda_client: Any,
) -> None:
    name = f"order-{uuid.uuid4().hex[:8]}"
    run = await runner(lambda_client, qualifier="$LATEST").start({"orderId": "o-1"}, name=name)
    approval = run.callback("approval")
    await approval.heartbeat()
    await approval.succeed({"by": "ann"})
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == {"order": "o-1", "approved": True, "receipt": "charged 42 for ann"}
    assert result.error is None
    # Started, suspended in the wait, suspended on the callback, resumed by the answer.
    assert result.invocations >= 3
    assert run.name == name
    assert run.step("reserve").result == {"id": "o-1", "total": 42}
    assert run.step("charge").status is OperationStatus.SUCCEEDED
    assert run.operation("cool-off").type is OperationType.WAIT
    callback = run.operation("approval")
    assert callback.type is OperationType.CALLBACK
    assert callback.result == {"by": "ann"}
    names = [view.name for view in run.operations()]
    assert names == ["reserve", "cool-off", "approval", "charge"]
    assert [view.name for view in run.operations(type=OperationType.STEP)] == ["reserve", "charge"]
    events = [event.EventType.value for event in await run.history()]
    assert events[0] == "ExecutionStarted"
    assert events[-1] == "ExecutionSucceeded"
    assert "CallbackSucceeded" in events


async def test_a_failed_callback_reaches_the_handler(lambda_client: Any) -> None:
    run = await runner(lambda_client).start({"orderId": "o-2"})
    await run.callback("approval").fail("over budget")
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == {"order": "o-2", "approved": False, "reason": "over budget"}
    assert run.operation("approval").status is OperationStatus.FAILED


async def test_a_failing_function_reports_its_error(lambda_client: Any) -> None:
    result = await runner(lambda_client, "StepFails").run({})

    assert result.status == "FAILED"
    assert result.result is None
    assert result.error is not None
    assert result.error.ErrorMessage == "the input was rejected"


async def test_a_poll_that_times_out_says_what_the_execution_waits_on(lambda_client: Any) -> None:
    patient = CloudRunner("Fulfilment", client=lambda_client, poll_interval=0.2, timeout=3)
    run = await patient.start({"orderId": "o-3"})
    await run.callback("approval").callback_id()  # open; nobody answers it

    with pytest.raises(CloudTimeoutError) as caught:
        await run.result()

    message = str(caught.value)
    assert f"gave up waiting for {run.arn} to end after 3 s" in message
    assert "it is RUNNING; open callbacks: 'approval'" in message
    assert isinstance(caught.value, TimeoutError)
    await run.stop()
    stopped = lambda_client.get_durable_execution(DurableExecutionArn=run.arn)
    assert stopped["Status"] == "STOPPED"


async def test_the_arn_is_found_by_name_when_the_invoke_does_not_carry_it(
    front_door: LambdaFrontDoor, lambda_client: Any
) -> None:
    front_door.report_arn = False
    name = f"listed-{uuid.uuid4().hex[:8]}"
    run = await runner(lambda_client, "StepFails").start({}, name=name)

    described = lambda_client.get_durable_execution(DurableExecutionArn=run.arn)
    assert described["DurableExecutionName"] == name
    assert (await run.result()).status == "FAILED"


async def test_a_callback_the_execution_never_opens_is_an_execution_stuck_error(
    lambda_client: Any,
) -> None:
    run = await runner(lambda_client, "StepFails").start({})

    with pytest.raises(ExecutionStuckError, match="ended FAILED without opening a callback named"):
        await run.callback("approval").succeed("yes")


async def test_an_unknown_function_is_a_cloud_runner_error_naming_it(lambda_client: Any) -> None:
    with pytest.raises(CloudRunnerError, match="Invoke for NoSuchFunction failed: Resource"):
        await runner(lambda_client, "NoSuchFunction").start({})


async def test_the_client_is_built_from_region_and_endpoint(
    front_door: LambdaFrontDoor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    built = CloudRunner(
        "StepFails", region=REGION, endpoint_url=front_door.url, poll_interval=0.2, timeout=60
    )

    assert built.client.meta.region_name == REGION
    assert (await built.run({})).status == "FAILED"


@pytest.mark.parametrize("name", ["has space", "x" * 65, "dots.not.allowed"])
async def test_an_invalid_execution_name_is_refused(lambda_client: Any, name: str) -> None:
    with pytest.raises(ValidationError, match="an execution name is 1-64 letters") as caught:
        await runner(lambda_client).start({}, name=name)
    assert caught.value.field == "name"


def test_the_handlers_module_is_importable_where_the_workers_run() -> None:
    # The workers import handlers as ``emulator.<module>`` from tests/integration.
    assert (Path(__file__).parent / "cloud_handlers.py").is_file()


async def test_an_execution_not_visible_at_first_is_polled_until_it_is(
    front_door: LambdaFrontDoor, lambda_client: Any
) -> None:
    # Right after an asynchronous invoke the service may not find the execution yet.
    front_door.unseen_reads = 3
    run = await runner(lambda_client, "StepFails").start({})
    result = await run.result()

    assert result.status == "FAILED"
    assert front_door.unseen_reads == 0


async def test_an_execution_never_found_times_out_saying_so(
    front_door: LambdaFrontDoor, lambda_client: Any
) -> None:
    patient = CloudRunner("StepFails", client=lambda_client, poll_interval=0.2, timeout=1)
    run = await patient.start({})
    front_door.unseen_reads = 1_000_000

    with pytest.raises(CloudTimeoutError, match=r"has not found it yet \(ResourceNotFound"):
        await run.result()


async def test_an_execution_that_disappears_is_an_error_at_once(
    front_door: LambdaFrontDoor, lambda_client: Any
) -> None:
    run = await runner(lambda_client, "StepFails").start({})
    await run.result()
    front_door.unseen_reads = 1

    with pytest.raises(CloudRunnerError, match="ResourceNotFoundException") as caught:
        await run.result()
    assert caught.value.code == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"function_name": ""}, "function_name"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"timeout": -1}, "timeout"),
    ],
)
def test_bad_runner_options_are_refused(options: dict[str, Any], field: str) -> None:
    settings: dict[str, Any] = {"function_name": "f", "client": object(), **options}
    with pytest.raises(ValidationError) as caught:
        CloudRunner(**settings)
    assert caught.value.field == field
