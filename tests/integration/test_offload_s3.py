"""OffloadSerDes over S3BlobStore against a real S3 API: moto's server on 127.0.0.1.

The server runs in a subprocess started here (``moto_server`` on a free loopback port), and
everything talks to it through a real boto3 client with dummy credentials, as a Lambda
function talks to S3. Durable functions run through ``DurableTestRunner`` with the offloading
serializer as their execution-wide serializer.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from durable_lambda import (
    DurableContext,
    Duration,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    create_retry_strategy,
    durable_execution,
)
from durable_lambda.adapters.offload import (
    OffloadedPayloadCorruptError,
    OffloadedPayloadMissingError,
    OffloadError,
    OffloadSerDes,
    S3BlobStore,
)
from durable_lambda.core.errors import CheckpointError
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    OperationAction,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.ports import DurableService
from durable_lambda.core.serdes import SerDesContext
from durable_lambda.testing import DurableTestRunner

REGION = "us-east-1"
ONE_MB = 1024 * 1024
THRESHOLD = 64 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited; see {log}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer within 60 s; see {log}")


@pytest.fixture(scope="module")
def s3_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server, in a subprocess on 127.0.0.1; stopped (by its pid) afterwards."""
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = Path(sys.executable).parent / "moto_server"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out
        )
    try:
        _wait_until_serving(process, url, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def s3(s3_url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name=REGION,
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="test-secret",
        config=Config(retries={"max_attempts": 2}),
    )


@pytest.fixture
def bucket(s3: Any, request: pytest.FixtureRequest) -> str:
    # One bucket per test, versioned, so that an overwrite shows as a second version.
    name: str = "offload-" + request.node.name.lower().replace("_", "-")[:40].strip("-")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def serdes(s3: Any, bucket: str) -> OffloadSerDes[Any]:
    return OffloadSerDes(S3BlobStore(bucket, client=s3), threshold=THRESHOLD, prefix="runs/")


def keys(s3: Any, bucket: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def versions(s3: Any, bucket: str) -> list[str]:
    listed = s3.list_object_versions(Bucket=bucket).get("Versions", [])
    return sorted(item["Key"] for item in listed)


def big_text(seed: str) -> str:
    return (seed * (ONE_MB // len(seed) + 1))[:ONE_MB]


# -- the serializer on its own ---------------------------------------------------------


def test_a_large_payload_is_uploaded_and_a_small_reference_is_returned(
    s3: Any, bucket: str, serdes: OffloadSerDes[Any]
) -> None:
    context = SerDesContext("op-1", "arn:aws:lambda:us-east-1:123456789012:function:f")
    value = {"report": big_text("abc")}

    payload = serdes.serialize(value, context)

    reference = json.loads(payload)
    assert len(payload) < 300
    assert reference["bucket"] == bucket
    assert reference["key"] == serdes.key_for(context)
    assert keys(s3, bucket) == [reference["key"]]
    stored = s3.get_object(Bucket=bucket, Key=reference["key"])
    assert stored["Body"].read() == json.dumps(value, separators=(",", ":")).encode()
    assert stored["Metadata"]["operation-id"] == "op-1"
    assert stored["Metadata"]["execution-arn"] == context.durable_execution_arn
    # Once for the read-back the core makes at once, then fetched and checked from S3.
    assert serdes.deserialize(payload, context) == value
    assert serdes.deserialize(payload, context) == value


def test_a_small_payload_is_not_uploaded(s3: Any, bucket: str, serdes: OffloadSerDes[Any]) -> None:
    context = SerDesContext("op-1", "arn:aws:lambda:us-east-1:123456789012:function:f")

    assert serdes.serialize({"ok": 3}, context) == '{"ok":3}'
    assert keys(s3, bucket) == []


def test_an_upload_to_a_missing_bucket_is_an_offload_error(s3: Any) -> None:
    serdes = OffloadSerDes(S3BlobStore("no-such-bucket", client=s3), threshold=0)
    context = SerDesContext("op-1", "arn:f")

    with pytest.raises(OffloadError, match=r"could not offload .* s3://no-such-bucket/"):
        serdes.serialize("x", context)


# -- durable functions through DurableTestRunner ---------------------------------------


def _retry_once() -> Any:
    return create_retry_strategy(
        RetryStrategyConfig(max_attempts=2, initial_delay=Duration.from_seconds(1))
    )


def _report_handler(serdes: OffloadSerDes[Any], attempts: list[int]) -> Any:
    @durable_execution(serdes=serdes)
    async def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        def build(step: StepContext) -> str:
            attempts.append(step.attempt)
            if step.attempt == 1:
                raise ConnectionError("the report service timed out")
            return big_text("report ")

        report = await ctx.step(
            build, name="report", config=StepConfig(retry_strategy=_retry_once())
        )
        size = await ctx.step(lambda step: len(report), name="measure")
        return {"size": size, "head": report[:14]}

    return handler


async def test_a_one_megabyte_step_result_retried_once_is_offloaded_to_one_object(
    s3: Any, bucket: str, serdes: OffloadSerDes[Any]
) -> None:
    attempts: list[int] = []
    runner = DurableTestRunner(_report_handler(serdes, attempts), always_replay=True)
    run = await runner.start({})
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == {"size": ONE_MB, "head": "report report "}
    assert attempts == [1, 2]
    # The checkpoint holds the reference; the megabyte is in the bucket, once.
    report = run.step("report")
    assert report.attempts == 2
    reference = report.result
    assert reference["durable_lambda_offload"] == 1
    assert reference["size"] == ONE_MB + 2  # the JSON string's quotes
    assert keys(s3, bucket) == [reference["key"]]
    assert reference["key"].startswith(serdes.execution_prefix(run.arn))
    # Replayed from the top after each completion: every replay read the object back.
    assert result.invocations > 2


class LosesTheFirstStepSuccess:
    """The runner's service, but the first checkpoint that succeeds a step is lost.

    As when a Lambda invocation dies (or its checkpoint call fails) after the step's body ran
    and its result was uploaded, but before the SUCCEED was recorded: the next invocation runs
    the step again.
    """

    def __init__(self, inner: DurableService) -> None:
        self.inner = inner
        self.lost = False

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        succeeds_a_step = any(
            update.Type is OperationType.STEP and update.Action is OperationAction.SUCCEED
            for update in updates
        )
        if succeeds_a_step and not self.lost:
            self.lost = True
            raise CheckpointError("the connection was reset", retriable=True)
        return await self.inner.checkpoint(execution_arn, checkpoint_token, updates, client_token)

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        return await self.inner.get_state(execution_arn, checkpoint_token, marker, max_items)


async def test_a_step_run_again_overwrites_its_object_instead_of_adding_one(
    s3: Any, bucket: str, serdes: OffloadSerDes[Any]
) -> None:
    bodies: list[int] = []

    @durable_execution(serdes=serdes)
    async def handler(event: Any, ctx: DurableContext) -> int:
        def build(step: StepContext) -> str:
            bodies.append(step.attempt)
            return big_text(f"run {len(bodies)} ")

        report = await ctx.step(build, name="report")
        return len(report)

    runner = DurableTestRunner(handler)
    losing = LosesTheFirstStepSuccess(runner.counting_service.inner)
    runner.counting_service.inner = losing
    run = await runner.start({})
    with pytest.raises(CheckpointError, match="connection was reset"):
        await run.result()
    run.pending_work = True  # Lambda retries the invocation that raised
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == ONE_MB
    assert len(bodies) == 2  # the body ran twice and uploaded twice...
    reference = run.step("report").result
    assert keys(s3, bucket) == [reference["key"]]  # ...to one key:
    assert versions(s3, bucket) == [reference["key"], reference["key"]]  # overwritten
    stored = s3.get_object(Bucket=bucket, Key=reference["key"])["Body"].read()
    assert stored.startswith(b'"run 2 ')


def _two_invocations_handler(serdes: OffloadSerDes[Any]) -> Any:
    @durable_execution(serdes=serdes)
    async def handler(event: Any, ctx: DurableContext) -> int:
        report = await ctx.step(lambda step: big_text("data "), name="report")
        await ctx.wait(Duration.from_hours(1), name="later")
        return len(report)

    return handler


async def _first_invocation(serdes: OffloadSerDes[Any]) -> tuple[Any, dict[str, Any]]:
    """Run the first invocation only; return the execution and the report's reference."""
    run = await DurableTestRunner(_two_invocations_handler(serdes)).start({})
    output = await run.drive_once()
    assert output is not None
    assert output.Status.value == "PENDING"
    report = next(op for op in await run.operations_async() if op.Name == "report")
    assert report.result_payload is not None
    reference: dict[str, Any] = json.loads(report.result_payload)
    return run, reference


async def test_a_deleted_object_fails_the_execution_with_a_missing_payload_error(
    s3: Any, bucket: str, serdes: OffloadSerDes[Any]
) -> None:
    run, reference = await _first_invocation(serdes)
    s3.delete_object(Bucket=bucket, Key=reference["key"])

    result = await run.result()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == OffloadedPayloadMissingError.__name__
    assert f"s3://{bucket}/{reference['key']}" in (result.error.ErrorMessage or "")
    assert "is missing" in (result.error.ErrorMessage or "")


async def test_a_changed_object_fails_the_execution_with_a_corrupt_payload_error(
    s3: Any, bucket: str, serdes: OffloadSerDes[Any]
) -> None:
    run, reference = await _first_invocation(serdes)
    tampered = json.dumps(big_text("evil ")).encode()
    s3.put_object(Bucket=bucket, Key=reference["key"], Body=tampered)

    result = await run.result()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == OffloadedPayloadCorruptError.__name__
    assert "is not the one written" in (result.error.ErrorMessage or "")
    assert reference["sha256"] in (result.error.ErrorMessage or "")


async def test_an_untouched_object_lets_the_next_invocation_replay(
    s3: Any, bucket: str, serdes: OffloadSerDes[Any]
) -> None:
    run, _ = await _first_invocation(serdes)

    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == ONE_MB
