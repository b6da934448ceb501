"""LambdaDurableService against a real boto3 client whose answers come from botocore's Stubber.

The Stubber is used because this unit test must not need a server: it checks our requests against
botocore's own model of the two operations and hands back modelled answers and errors, without
sending anything. The same adapter is exercised against the official emulator by the integration
tests.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import boto3
import pytest
from aws_durable_execution_sdk_python.exceptions import CheckpointError as OfficialCheckpointError
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import ANY, Stubber
from mypy_boto3_lambda import LambdaClient

from durable_lambda.adapters.aws.lambda_service import LambdaDurableService
from durable_lambda.adapters.logging.capturing import CapturingLogger
from durable_lambda.core.errors import CheckpointError, InvalidCheckpointTokenError, ValidationError
from durable_lambda.core.model import (
    CheckpointResponse,
    ErrorObject,
    ExecutionState,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StepOptions,
    WaitOptions,
)
from durable_lambda.core.ports import DurableService

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/run-1/abc"
T0 = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def client() -> LambdaClient:
    return boto3.client(
        "lambda",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        endpoint_url="http://127.0.0.1:9",
    )


@pytest.fixture
def stubber(client: LambdaClient) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        # Every queued answer was asked for: no fewer calls than the test expects.
        stub.assert_no_pending_responses()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def fake_sleep(sleeps: list[float]) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return sleep


@pytest.fixture
def service(
    client: LambdaClient, fake_sleep: Callable[[float], Awaitable[None]]
) -> LambdaDurableService:
    return LambdaDurableService(client, sleep=fake_sleep)


def stub_checkpoint_ok(stubber: Stubber, token: str = "tok-2") -> None:
    stubber.add_response(
        "checkpoint_durable_execution",
        {"CheckpointToken": token, "NewExecutionState": {"Operations": []}},
    )


def stub_error(stubber: Stubber, method: str, code: str, status: int, message: str = "x") -> None:
    stubber.add_client_error(
        method,
        service_error_code=code,
        service_message=message,
        http_status_code=status,
        response_meta={"RequestId": "req-42"},
    )


async def call(service: LambdaDurableService, method: str, token: str = "tok-1") -> object:
    if method == "checkpoint_durable_execution":
        return await service.checkpoint(ARN, token, [])
    return await service.get_state(ARN, token, "m-1")


def test_satisfies_the_port(service: LambdaDurableService) -> None:
    assert isinstance(service, DurableService)


# --- requests and responses ---------------------------------------------------------------


async def test_checkpoint_sends_updates_as_wire_dicts_and_parses_the_answer(
    service: LambdaDurableService, stubber: Stubber
) -> None:
    updates = [
        OperationUpdate(
            Id="op-1",
            Name="charge",
            Type=OperationType.STEP,
            SubType="Step",
            Action=OperationAction.START,
        ),
        OperationUpdate(
            Id="op-1",
            Type=OperationType.STEP,
            Action=OperationAction.RETRY,
            Error=ErrorObject(ErrorType="ValueError", ErrorMessage="no", StackTrace=("a", "b")),
            StepOptions=StepOptions(NextAttemptDelaySeconds=5),
        ),
        OperationUpdate(
            Id="op-2",
            ParentId="op-0",
            Type=OperationType.WAIT,
            Action=OperationAction.START,
            WaitOptions=WaitOptions(WaitSeconds=30),
        ),
    ]
    stubber.add_response(
        "checkpoint_durable_execution",
        {
            "CheckpointToken": "tok-2",
            "NewExecutionState": {
                "Operations": [
                    {
                        "Id": "op-1",
                        "Name": "charge",
                        "Type": "STEP",
                        "SubType": "Step",
                        "Status": "PENDING",
                        "StartTimestamp": T0,
                        "StepDetails": {"Attempt": 1, "NextAttemptTimestamp": T0},
                    }
                ],
                "NextMarker": "",
            },
        },
        expected_params={
            "DurableExecutionArn": ARN,
            "CheckpointToken": "tok-1",
            # Written out by hand: exactly what must go on the wire, absent fields left out.
            "Updates": [
                {
                    "Id": "op-1",
                    "Name": "charge",
                    "Type": "STEP",
                    "SubType": "Step",
                    "Action": "START",
                },
                {
                    "Id": "op-1",
                    "Type": "STEP",
                    "Action": "RETRY",
                    "Error": {
                        "ErrorType": "ValueError",
                        "ErrorMessage": "no",
                        "StackTrace": ["a", "b"],
                    },
                    "StepOptions": {"NextAttemptDelaySeconds": 5},
                },
                {
                    "Id": "op-2",
                    "ParentId": "op-0",
                    "Type": "WAIT",
                    "Action": "START",
                    "WaitOptions": {"WaitSeconds": 30},
                },
            ],
            "ClientToken": "client-token-1",
        },
    )

    response = await service.checkpoint(ARN, "tok-1", updates, client_token="client-token-1")

    assert isinstance(response, CheckpointResponse)
    assert response.CheckpointToken == "tok-2"
    (operation,) = response.NewExecutionState.Operations
    assert operation.Id == "op-1"
    assert operation.Status is OperationStatus.PENDING
    assert operation.Type is OperationType.STEP
    assert operation.StartTimestamp == T0
    assert operation.StepDetails is not None
    assert operation.StepDetails.NextAttemptTimestamp == T0
    assert operation.StepDetails.Attempt == 1


EXECUTION_SUCCEEDS = OperationUpdate(
    Id="exec-1", Type=OperationType.EXECUTION, Action=OperationAction.SUCCEED, Payload='"big"'
)


async def test_checkpoint_answer_without_token_means_the_execution_is_done(
    service: LambdaDurableService, stubber: Stubber
) -> None:
    stubber.add_response("checkpoint_durable_execution", {"NewExecutionState": {"Operations": []}})

    response = await service.checkpoint(ARN, "tok-1", [EXECUTION_SUCCEEDS])

    assert response.CheckpointToken is None
    assert response.NewExecutionState.Operations == ()


async def test_checkpoint_answer_without_token_while_the_execution_goes_on_is_retried(
    service: LambdaDurableService, stubber: Stubber, sleeps: list[float]
) -> None:
    # Without a next token the invocation could checkpoint nothing more: never a result.
    for _ in range(4):
        stubber.add_response(
            "checkpoint_durable_execution", {"NewExecutionState": {"Operations": []}}
        )

    with pytest.raises(CheckpointError) as caught:
        await service.checkpoint(ARN, "tok-1", [])

    assert caught.value.retriable is True
    assert "without CheckpointToken" in str(caught.value)
    assert "gave up after 4 attempts" in str(caught.value)
    assert len(sleeps) == 3


async def test_one_generated_client_token_is_reused_by_every_retry(
    client: LambdaClient, service: LambdaDurableService, stubber: Stubber
) -> None:
    sent: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(params["ClientToken"])

    client.meta.events.register("before-parameter-build.lambda.CheckpointDurableExecution", record)
    stub_error(stubber, "checkpoint_durable_execution", "TooManyRequestsException", 429)
    stubber.add_response(
        "checkpoint_durable_execution",
        {"CheckpointToken": "tok-2", "NewExecutionState": {}},
        expected_params={
            "DurableExecutionArn": ARN,
            "CheckpointToken": "tok-1",
            "Updates": [],
            "ClientToken": ANY,
        },
    )

    await service.checkpoint(ARN, "tok-1", [])

    assert len(sent) == 2
    assert sent[0] == sent[1]
    uuid.UUID(sent[0])  # a UUID, which fits the API's 64-character limit


async def test_get_state_sends_the_pagination_fields_and_parses_the_page(
    service: LambdaDurableService, stubber: Stubber
) -> None:
    stubber.add_response(
        "get_durable_execution_state",
        {
            "Operations": [
                {
                    "Id": "op-7",
                    "Type": "WAIT",
                    "SubType": "Wait",
                    "Status": "SUCCEEDED",
                    "StartTimestamp": T0,
                    "EndTimestamp": T0,
                    "WaitDetails": {"ScheduledEndTimestamp": T0},
                }
            ],
            "NextMarker": "m-3",
        },
        expected_params={
            "DurableExecutionArn": ARN,
            "CheckpointToken": "tok-1",
            "Marker": "m-2",
            "MaxItems": 25,
        },
    )

    page = await service.get_state(ARN, "tok-1", "m-2", max_items=25)

    assert isinstance(page, ExecutionState)
    assert page.NextMarker == "m-3"
    (operation,) = page.Operations
    assert operation.Status is OperationStatus.SUCCEEDED
    assert operation.WaitDetails is not None
    assert operation.WaitDetails.ScheduledEndTimestamp == T0


async def test_get_state_asks_for_the_largest_page_by_default(
    service: LambdaDurableService, stubber: Stubber
) -> None:
    stubber.add_response(
        "get_durable_execution_state",
        {"Operations": []},
        expected_params={
            "DurableExecutionArn": ARN,
            "CheckpointToken": "tok-1",
            "Marker": "m-2",
            "MaxItems": 1000,
        },
    )

    page = await service.get_state(ARN, "tok-1", "m-2")

    assert page.Operations == ()
    assert page.NextMarker is None


async def test_an_unreadable_answer_is_a_non_retriable_error(
    service: LambdaDurableService, stubber: Stubber
) -> None:
    # botocore does not check maximum lengths in answers; our model does (ids are <= 64 chars).
    operation = {"Id": "x" * 70, "Type": "STEP", "Status": "STARTED", "StartTimestamp": T0}
    stubber.add_response("get_durable_execution_state", {"Operations": [operation]})

    with pytest.raises(CheckpointError) as caught:
        await service.get_state(ARN, "tok-1", "m-1")

    assert caught.value.retriable is False
    assert "GetDurableExecutionState" in str(caught.value)
    assert caught.value.execution_arn == ARN


@pytest.mark.parametrize("method", ["checkpoint_durable_execution", "get_durable_execution_state"])
async def test_an_empty_token_fails_before_calling_the_service(
    service: LambdaDurableService, stubber: Stubber, method: str
) -> None:
    with pytest.raises(CheckpointError) as caught:
        await call(service, method, token="")

    assert caught.value.retriable is True
    assert "needs a checkpoint token" in str(caught.value)


# --- error mapping -----------------------------------------------------------------------

# (code, HTTP status, message, our error class, retriable, retried here)
ERROR_CASES = [
    pytest.param(
        "InvalidParameterValueException",
        400,
        "Invalid checkpoint token",
        InvalidCheckpointTokenError,
        True,
        False,
        id="stale-token",
    ),
    pytest.param(
        "InvalidParameterValueException",
        400,
        "Updates[0].Id failed to satisfy constraint",
        CheckpointError,
        False,
        False,
        id="invalid-parameter",
    ),
    pytest.param(
        "ResourceNotFoundException",
        404,
        "Durable Execution does not exist",
        CheckpointError,
        False,
        False,
        id="not-found",
    ),
    pytest.param(
        "KMSAccessDeniedException", 502, "denied", CheckpointError, False, False, id="kms-502"
    ),
    pytest.param(
        "TooManyRequestsException", 429, "Rate exceeded", CheckpointError, True, True, id="429"
    ),
    pytest.param("ServiceException", 500, "boom", CheckpointError, True, True, id="500"),
    pytest.param("ServiceUnavailable", 503, "later", CheckpointError, True, True, id="503"),
]


@pytest.mark.parametrize("method", ["checkpoint_durable_execution", "get_durable_execution_state"])
@pytest.mark.parametrize(
    ("code", "status", "message", "error_class", "retriable", "retried"), ERROR_CASES
)
async def test_service_errors_are_mapped(
    service: LambdaDurableService,
    stubber: Stubber,
    sleeps: list[float],
    method: str,
    code: str,
    status: int,
    message: str,
    error_class: type[CheckpointError],
    retriable: bool,
    retried: bool,
) -> None:
    attempts = 4 if retried else 1
    for _ in range(attempts):
        stub_error(stubber, method, code, status, message)

    with pytest.raises(CheckpointError) as caught:
        await call(service, method)

    error = caught.value
    assert type(error) is error_class
    assert error.retriable is retriable
    assert error.execution_arn == ARN
    operation = "".join(part.title() for part in method.split("_"))
    for expected in (operation, code, f"HTTP {status}", message, "req-42"):
        assert expected in str(error)
    assert sleeps == ([0.1, 0.2, 0.4] if retried else [])
    if retried:
        assert "after 4 attempts" in str(error)


@pytest.mark.parametrize(
    ("code", "status", "message", "error_class", "retriable", "retried"), ERROR_CASES
)
def test_retriable_agrees_with_the_official_sdk(
    code: str,
    status: int,
    message: str,
    error_class: type[CheckpointError],
    retriable: bool,
    retried: bool,
) -> None:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    error = ClientError(response, "CheckpointDurableExecution")
    assert OfficialCheckpointError.from_exception(error).is_retryable() is retriable


async def test_throttling_exception_is_retried_whatever_its_status(
    service: LambdaDurableService, stubber: Stubber, sleeps: list[float]
) -> None:
    stub_error(stubber, "checkpoint_durable_execution", "ThrottlingException", 400)
    stub_checkpoint_ok(stubber)

    response = await service.checkpoint(ARN, "tok-1", [])

    assert response.CheckpointToken == "tok-2"
    assert sleeps == [0.1]


async def test_transient_failures_are_retried_until_the_call_succeeds(
    client: LambdaClient, stubber: Stubber, sleeps: list[float], fake_sleep: Any
) -> None:
    logger = CapturingLogger()
    service = LambdaDurableService(client, sleep=fake_sleep, logger=logger)
    stub_error(stubber, "checkpoint_durable_execution", "TooManyRequestsException", 429)
    stub_error(stubber, "checkpoint_durable_execution", "ServiceException", 500)
    stub_checkpoint_ok(stubber, token="tok-9")

    response = await service.checkpoint(ARN, "tok-1", [])

    assert response.CheckpointToken == "tok-9"
    assert sleeps == [0.1, 0.2]
    assert [
        (r.level, r.event, r.fields["attempt"], r.fields["error_code"]) for r in logger.records
    ] == [
        ("warning", "durable_api_call_retrying", 1, "TooManyRequestsException"),
        ("warning", "durable_api_call_retrying", 2, "ServiceException"),
    ]


async def test_retries_are_bounded_and_delays_capped(
    client: LambdaClient, stubber: Stubber, sleeps: list[float], fake_sleep: Any
) -> None:
    service = LambdaDurableService(
        client, max_retries=5, base_delay=0.5, max_delay=2.0, sleep=fake_sleep
    )
    for _ in range(6):  # the first attempt and five retries; a seventh call would find no stub
        stub_error(stubber, "get_durable_execution_state", "ServiceException", 500)

    with pytest.raises(CheckpointError) as caught:
        await service.get_state(ARN, "tok-1", "m-1")

    assert caught.value.retriable is True
    assert "after 6 attempts" in str(caught.value)
    assert sleeps == [0.5, 1.0, 2.0, 2.0, 2.0]


async def test_no_retries_when_max_retries_is_zero(
    client: LambdaClient, stubber: Stubber, sleeps: list[float], fake_sleep: Any
) -> None:
    service = LambdaDurableService(client, max_retries=0, sleep=fake_sleep)
    stub_error(stubber, "checkpoint_durable_execution", "ServiceException", 500)

    with pytest.raises(CheckpointError) as caught:
        await service.checkpoint(ARN, "tok-1", [])

    assert caught.value.retriable is True
    assert sleeps == []


def fail_first_calls(client: LambdaClient, errors: list[Exception]) -> None:
    """Raise ``errors`` one per call, before the Stubber answers, as a broken network would."""

    def raise_next(**_: Any) -> None:
        if errors:
            raise errors.pop(0)

    # The same pattern as the Stubber's own handler, so that "first" puts ours ahead of it.
    client.meta.events.register_first("before-call.*.*", raise_next)


async def test_connection_failures_and_timeouts_are_retried(
    client: LambdaClient, service: LambdaDurableService, stubber: Stubber, sleeps: list[float]
) -> None:
    fail_first_calls(
        client,
        [
            EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
            ReadTimeoutError(endpoint_url="http://127.0.0.1:9", error="timed out"),
        ],
    )
    stub_checkpoint_ok(stubber)

    response = await service.checkpoint(ARN, "tok-1", [])

    assert response.CheckpointToken == "tok-2"
    assert sleeps == [0.1, 0.2]


async def test_persistent_connection_failure_is_retriable(
    client: LambdaClient, service: LambdaDurableService, sleeps: list[float]
) -> None:
    # No Stubber: the failing handler raises before anything could be sent.
    fail_first_calls(client, [EndpointConnectionError(endpoint_url="http://x") for _ in range(4)])

    with pytest.raises(CheckpointError) as caught:
        await service.get_state(ARN, "tok-1", "m-1")

    assert caught.value.retriable is True
    assert "EndpointConnectionError" in str(caught.value)
    assert "GetDurableExecutionState" in str(caught.value)
    assert len(sleeps) == 3


async def test_errors_not_from_botocore_propagate_unchanged(
    client: LambdaClient, service: LambdaDurableService, sleeps: list[float]
) -> None:
    fail_first_calls(client, [RuntimeError("a bug")])

    with pytest.raises(RuntimeError, match="a bug"):
        await service.checkpoint(ARN, "tok-1", [])
    assert sleeps == []


# --- the client built on first use ---------------------------------------------------------


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and region from the environment only, never from this machine's files."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # Lambda sets it, with AWS_REGION
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LAMBDA", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("aws_env")
def test_built_client_follows_the_standard_endpoint_and_region_resolution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:5050")

    client = LambdaDurableService().client

    assert client.meta.endpoint_url == "http://127.0.0.1:5050"
    assert client.meta.region_name == "eu-west-1"
    # botocore's own retries are off: the bounded retries are the adapter's.
    config: Any = client.meta.config  # botocore-stubs do not declare Config's options
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert config.read_timeout == 50
    assert config.connect_timeout == 5
    assert "durable-lambda/" in config.user_agent_extra


@pytest.mark.usefixtures("aws_env")
def test_built_client_takes_explicit_settings_over_the_defaults() -> None:
    service = LambdaDurableService(
        config=Config(read_timeout=7),
        region_name="ap-south-1",
        endpoint_url="http://127.0.0.1:6060",
    )

    client = service.client

    assert client.meta.endpoint_url == "http://127.0.0.1:6060"
    assert client.meta.region_name == "ap-south-1"
    config: Any = client.meta.config  # botocore-stubs do not declare Config's options
    assert config.read_timeout == 7
    assert config.connect_timeout == 5
    assert service.client is client  # built once


@pytest.mark.usefixtures("aws_env")
async def test_a_refused_connection_through_the_built_client_is_retriable(
    sleeps: list[float], fake_sleep: Any
) -> None:
    # A bound socket that never listens: connections to its port are refused, and no other
    # process can take the port while the test holds it. No server is involved.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        service = LambdaDurableService(endpoint_url=f"http://127.0.0.1:{port}", sleep=fake_sleep)

        with pytest.raises(CheckpointError) as caught:
            await service.checkpoint(ARN, "tok-1", [])

    assert caught.value.retriable is True
    assert "EndpointConnectionError" in str(caught.value)
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert sleeps == [0.1, 0.2, 0.4]


def test_importing_the_module_does_not_import_boto3() -> None:
    code = (
        "import sys, durable_lambda.adapters.aws.lambda_service as m; "
        "m.LambdaDurableService(endpoint_url='http://127.0.0.1:9'); "
        "print(sorted(n for n in ('boto3', 'botocore') if n in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_settings_for_a_client_that_is_given_are_refused(client: LambdaClient) -> None:
    with pytest.raises(ValidationError, match="client you pass in"):
        LambdaDurableService(client, endpoint_url="http://127.0.0.1:9")


def test_negative_retry_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="max_delay must not be negative") as caught:
        LambdaDurableService(max_delay=-1)
    assert caught.value.field == "max_delay"


# --- garbled answers, through botocore's real parsing ---------------------------------------


JSON = "application/json"


class AnsweringServer:
    """An HTTP server on 127.0.0.1 that answers each request with the next queued body.

    A botocore ``Stubber`` hands the client parsed dicts, so it cannot show what botocore makes
    of a body cut short or an HTML page; this server sends real bytes over a real socket.
    """

    def __init__(self) -> None:
        self.answers: list[tuple[int, str, bytes]] = []
        self.requests: list[tuple[str, str, bytes]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for the serving loop to notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def queue(self, body: bytes, status: int = 200, content_type: str = JSON) -> None:
        self.answers.append((status, content_type, body))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Stay quiet."""

            def do_GET(self) -> None:
                self._answer(b"")

            def do_POST(self) -> None:
                self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _answer(self, body: bytes) -> None:
                server.requests.append((self.command, self.path, body))
                status, content_type, answer = server.answers.pop(0)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        return Handler


GOOD_PAGE = json.dumps(
    {
        "Operations": [
            {"Id": "op-1", "Type": "STEP", "Status": "SUCCEEDED", "StartTimestamp": 1.7e9}
        ],
        "NextMarker": "m-2",
    }
).encode()
GOOD_CHECKPOINT = json.dumps(
    {"CheckpointToken": "tok-2", "NewExecutionState": {"Operations": []}}
).encode()
# Bodies a 200 answer can arrive with when something on the way garbles it.
GARBLED = {
    "truncated": GOOD_PAGE[: len(GOOD_PAGE) // 2],
    "empty-object": b"{}",
    "html": b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    "no-body": b"",
    "null": b"null",
    "a-list": b"[1, 2]",
    "not-utf8": b"\xff\xfe{\x00",
}


@pytest.fixture
def answering() -> Iterator[AnsweringServer]:
    server = AnsweringServer()
    yield server
    server.close()


@pytest.fixture
def served(
    answering: AnsweringServer, aws_env: None, fake_sleep: Callable[[float], Awaitable[None]]
) -> LambdaDurableService:
    """The adapter with the client it builds itself, pointed at ``answering``."""
    return LambdaDurableService(endpoint_url=answering.url, sleep=fake_sleep)


@pytest.mark.parametrize("garbled", GARBLED)
@pytest.mark.parametrize("method", ["checkpoint_durable_execution", "get_durable_execution_state"])
async def test_a_garbled_answer_is_retried_then_raised_as_retriable(
    served: LambdaDurableService,
    answering: AnsweringServer,
    sleeps: list[float],
    method: str,
    garbled: str,
) -> None:
    for _ in range(4):
        content_type = "text/html" if garbled == "html" else JSON
        answering.queue(GARBLED[garbled], content_type=content_type)

    with pytest.raises(CheckpointError) as caught:
        await call(served, method)

    error = caught.value
    assert error.retriable is True, "a garbled answer must make Lambda retry, not end the run"
    checkpoint = method.startswith("checkpoint")
    operation = "CheckpointDurableExecution" if checkpoint else "GetDurableExecutionState"
    assert operation in str(error)
    assert "gave up after 4 attempts" in str(error)
    assert ("IncompleteAnswer" in str(error)) or ("UnparseableAnswer" in str(error))
    assert len(answering.requests) == 4
    assert sleeps == [0.1, 0.2, 0.4]
    if checkpoint:
        client_tokens = {json.loads(body)["ClientToken"] for _, _, body in answering.requests}
        assert len(client_tokens) == 1, "a retry must carry the same ClientToken"


async def test_a_state_page_without_operations_is_never_an_empty_last_page(
    served: LambdaDurableService, answering: AnsweringServer
) -> None:
    answering.queue(b"{}")
    answering.queue(GOOD_PAGE)

    page = await served.get_state(ARN, "tok-1", "m-1")

    assert [operation.Id for operation in page.Operations] == ["op-1"]
    assert page.NextMarker == "m-2"
    assert len(answering.requests) == 2


async def test_an_empty_list_of_operations_is_a_real_last_page(
    served: LambdaDurableService, answering: AnsweringServer
) -> None:
    answering.queue(b'{"Operations": []}')

    page = await served.get_state(ARN, "tok-1", "m-1")

    assert page.Operations == ()
    assert not page.NextMarker
    assert len(answering.requests) == 1


@pytest.mark.parametrize("garbled", ["truncated", "html"])
async def test_a_garbled_checkpoint_answer_is_asked_again_with_the_same_client_token(
    served: LambdaDurableService, answering: AnsweringServer, garbled: str
) -> None:
    answering.queue(GARBLED[garbled], content_type="text/html" if garbled == "html" else JSON)
    answering.queue(GOOD_CHECKPOINT)

    response = await served.checkpoint(ARN, "tok-1", [], client_token="ct-1")

    assert response.CheckpointToken == "tok-2"
    sent = [json.loads(body) for _, _, body in answering.requests]
    assert [(body["ClientToken"], body["CheckpointToken"]) for body in sent] == [
        ("ct-1", "tok-1"),
        ("ct-1", "tok-1"),
    ]


async def test_a_garbled_answer_to_the_closing_checkpoint_is_retried_too(
    served: LambdaDurableService, answering: AnsweringServer
) -> None:
    # The closing checkpoint needs no next token, but its answer still carries a state.
    answering.queue(b"{}")
    answering.queue(b'{"NewExecutionState": {"Operations": []}}')

    response = await served.checkpoint(ARN, "tok-1", [EXECUTION_SUCCEEDS])

    assert response.CheckpointToken is None
    assert len(answering.requests) == 2


# --- where calls run ----------------------------------------------------------------------


class ThreadRecordingClient:
    """Answers checkpoints and notes the thread each call ran on (a client is duck-typed)."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def checkpoint_durable_execution(self, **request: Any) -> dict[str, Any]:
        self.threads.append(threading.get_ident())
        return {"CheckpointToken": "tok-next", "NewExecutionState": {"Operations": []}}


async def test_a_call_other_work_may_run_beside_goes_to_one_long_lived_sender_thread() -> None:
    client = ThreadRecordingClient()
    service = LambdaDurableService(cast("LambdaClient", client))
    for _ in range(3):
        await service.checkpoint(ARN, "tok-1", [])
    loop_thread = threading.get_ident()
    assert loop_thread not in client.threads
    assert len(set(client.threads)) == 1  # the same thread every time, not one per call


async def test_a_call_every_task_waits_for_runs_on_the_loops_own_thread() -> None:
    from durable_lambda.core.checkpointer import Checkpointer
    from durable_lambda.core.config import CheckpointMode
    from durable_lambda.core.model import Operation
    from durable_lambda.core.state import DurableState

    client = ThreadRecordingClient()
    service = LambdaDurableService(cast("LambdaClient", client))
    execution = Operation(
        Id="exec", Type=OperationType.EXECUTION, Status=OperationStatus.STARTED, StartTimestamp=T0
    )
    checkpointer = Checkpointer(
        service, DurableState(ARN, [execution]), "tok-1", CheckpointMode.EAGER
    )
    update = OperationUpdate(Id="op-1", Type=OperationType.STEP, Action=OperationAction.START)
    await checkpointer.send(update)
    assert client.threads == [threading.get_ident()]


async def test_an_answer_read_the_short_way_equals_the_models_reading(
    service: LambdaDurableService, stubber: Stubber
) -> None:
    answer = {
        "CheckpointToken": "tok-2",
        "NewExecutionState": {
            "Operations": [
                {
                    "Id": "op-1",
                    "Type": "STEP",
                    "SubType": "Step",
                    "Status": "SUCCEEDED",
                    "StartTimestamp": T0,
                    "EndTimestamp": T0,
                    "StepDetails": {"Attempt": 1, "Result": "1"},
                }
            ],
            "NextMarker": "",
        },
    }
    stubber.add_response("checkpoint_durable_execution", answer)
    response = await service.checkpoint(ARN, "tok-1", [])
    expected = CheckpointResponse.model_validate(answer)
    assert response == expected
    assert response.model_fields_set == expected.model_fields_set
    assert list(response.NewExecutionState.Operations) == list(
        expected.NewExecutionState.Operations
    )
