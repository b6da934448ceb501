"""S3 failures sorted into temporary (the invocation is retried) and permanent (FAILED).

S3 is stood in for below botocore, not above it: a real boto3 ``s3`` client makes each request,
and a ``before-send`` hook (botocore's own extension point, the one its ``Stubber`` builds on)
answers it instead of the network, with S3's real error XML and status, or raises botocore's
real connection errors. So botocore parses the answer, applies its retry mode and raises what
it raises against S3; only the socket is missing. (No network here; the moto server tests in
tests/integration/test_offload_s3.py cover the happy path against a real S3 API.)

The end-to-end test runs a durable function through ``DurableTestRunner`` with an
``OffloadSerDes`` whose S3 fails a few times and then works: the execution succeeds, each
step's body running at most once more than it would have.
"""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.config import Config

from durable_lambda import DurableContext, StepContext, durable_execution
from durable_lambda.adapters.offload import (
    BlobStoreError,
    BlobStoreUnavailableError,
    OffloadedPayloadMissingError,
    OffloadError,
    OffloadSerDes,
    OffloadUnavailableError,
    S3BlobStore,
)
from durable_lambda.core.errors import InvocationError, SerDesError, SerDesUnavailableError
from durable_lambda.core.plugins import BasePlugin
from durable_lambda.core.ports import InvocationEndInfo, InvocationEndStatus
from durable_lambda.core.serdes import SerDesContext
from durable_lambda.testing import DurableTestRunner

CONTEXT = SerDesContext("op-1", "arn:aws:lambda:us-east-1:123456789012:function:f")
BUCKET = "payloads"
ENDPOINT = "http://127.0.0.1:9"  # never reached: every request is answered by the hook


class _Raw:
    """The raw HTTP body botocore reads an answer from."""

    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body.read()

    def read(self, amt: int | None = None, **_: Any) -> bytes:
        return self._body.read(amt)


def _error(status: int, code: str) -> tuple[int, bytes]:
    body = f"<Error><Code>{code}</Code><Message>{code} here</Message></Error>"
    return status, body.encode()


class FakeS3:
    """An S3 behind a real boto3 client: objects in a dict, failures queued ahead of them.

    Each queued failure answers every HTTP request of one API call, botocore's own retries
    included (an S3 error, or a raised botocore error): S3 failing for as long as the client
    tries. With the queue empty, PutObject stores and GetObject returns.
    """

    def __init__(self, *, max_attempts: int = 1) -> None:
        self.objects: dict[str, bytes] = {}
        self.failures: list[tuple[int, bytes] | Exception] = []
        self.requests = 0
        self._failing: tuple[int, bytes] | Exception | None = None
        self.client: Any = boto3.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=ENDPOINT,
            aws_access_key_id="AKIDTEST",
            aws_secret_access_key="test-secret",
            config=Config(
                retries={"mode": "standard", "max_attempts": max_attempts},
                s3={"addressing_style": "path"},
            ),
        )
        self.client.meta.events.register("before-call.s3", self._call)
        self.client.meta.events.register("before-send.s3", self._send)

    def _call(self, **_: Any) -> None:
        self._failing = self.failures.pop(0) if self.failures else None

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        self.requests += 1
        failure = self._failing
        if failure is not None:
            if isinstance(failure, Exception):
                raise failure
            status, body = failure
            return AWSResponse(request.url, status, HTTPHeaders(), _Raw(body))
        key = urlsplit(request.url).path.split("/", 2)[2]
        if request.method == "PUT":
            body = request.body
            self.objects[key] = body if isinstance(body, bytes) else body.read()
            return AWSResponse(request.url, 200, HTTPHeaders(), _Raw(b""))
        if key not in self.objects:
            return AWSResponse(request.url, 404, HTTPHeaders(), _Raw(_error(404, "NoSuchKey")[1]))
        data = self.objects[key]
        headers = HTTPHeaders()
        headers["Content-Length"] = str(len(data))
        return AWSResponse(request.url, 200, headers, _Raw(data))


class Ends(BasePlugin):
    """Records how each invocation ended (RETRY: it raised for Lambda to retry it)."""

    def __init__(self) -> None:
        self.statuses: list[InvocationEndStatus] = []

    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        self.statuses.append(info.status)


def _serdes(s3: FakeS3) -> OffloadSerDes[Any]:
    return OffloadSerDes(S3BlobStore(BUCKET, client=s3.client), threshold=0)


TEMPORARY: dict[str, Any] = {
    "SlowDown 503": _error(503, "SlowDown"),
    "InternalError 500": _error(500, "InternalError"),
    "ServiceUnavailable 503": _error(503, "ServiceUnavailable"),
    "bad gateway 502": _error(502, "BadGateway"),
    "throttled 429": _error(429, "TooManyRequests"),
    "RequestTimeout 400": _error(400, "RequestTimeout"),
    "connection refused": botocore.exceptions.EndpointConnectionError(endpoint_url=ENDPOINT),
    "read timeout": botocore.exceptions.ReadTimeoutError(endpoint_url=ENDPOINT),
    "connect timeout": botocore.exceptions.ConnectTimeoutError(endpoint_url=ENDPOINT),
    "connection closed": botocore.exceptions.ConnectionClosedError(endpoint_url=ENDPOINT),
}
PERMANENT: dict[str, Any] = {
    "AccessDenied 403": _error(403, "AccessDenied"),
    "InvalidAccessKeyId 403": _error(403, "InvalidAccessKeyId"),
    "KMS.DisabledException 400": _error(400, "KMS.DisabledException"),
}


@pytest.mark.parametrize("failure", TEMPORARY.values(), ids=TEMPORARY.keys())
def test_a_temporary_upload_failure_retries_the_invocation_naming_the_object(
    failure: Any,
) -> None:
    s3 = FakeS3()
    s3.failures.append(failure)

    with pytest.raises(OffloadUnavailableError) as caught:
        _serdes(s3).serialize({"rows": [1, 2]}, CONTEXT)

    assert isinstance(caught.value, SerDesUnavailableError)
    assert isinstance(caught.value, InvocationError)
    assert not isinstance(caught.value, SerDesError)  # not one that ends the execution
    assert f"s3://{BUCKET}/{_serdes(s3).key_for(CONTEXT)}" in str(caught.value)
    assert isinstance(caught.value.__cause__, BlobStoreUnavailableError)


@pytest.mark.parametrize("failure", TEMPORARY.values(), ids=TEMPORARY.keys())
def test_a_temporary_download_failure_retries_the_invocation_naming_the_object(
    failure: Any,
) -> None:
    s3 = FakeS3()
    payload = _serdes(s3).serialize({"rows": [1, 2]}, CONTEXT)  # a fresh serializer reads
    s3.failures.append(failure)

    with pytest.raises(OffloadUnavailableError) as caught:
        _serdes(s3).deserialize(payload, CONTEXT)

    assert f"could not read s3://{BUCKET}/" in str(caught.value)
    assert _serdes(s3).deserialize(payload, CONTEXT) == {"rows": [1, 2]}  # and then it works


@pytest.mark.parametrize("failure", PERMANENT.values(), ids=PERMANENT.keys())
def test_a_permanent_failure_stays_an_offload_error(failure: Any) -> None:
    s3 = FakeS3()
    s3.failures.append(failure)
    with pytest.raises(OffloadError) as written:
        _serdes(s3).serialize("x", CONTEXT)
    assert not isinstance(written.value, InvocationError)
    assert type(written.value.__cause__) is BlobStoreError

    payload = _serdes(s3).serialize("x", CONTEXT)
    s3.failures.append(failure)
    with pytest.raises(OffloadError) as read:
        _serdes(s3).deserialize(payload, CONTEXT)
    assert not isinstance(read.value, InvocationError)


def test_a_missing_bucket_or_object_stays_permanent() -> None:
    s3 = FakeS3()
    s3.failures.append(_error(404, "NoSuchBucket"))
    with pytest.raises(OffloadError) as written:
        _serdes(s3).serialize("x", CONTEXT)
    assert not isinstance(written.value, InvocationError)

    payload = _serdes(s3).serialize("x", CONTEXT)
    s3.objects.clear()
    with pytest.raises(OffloadedPayloadMissingError):
        _serdes(s3).deserialize(payload, CONTEXT)


def test_what_survives_botocores_own_retries_is_passed_on() -> None:
    s3 = FakeS3(max_attempts=3)
    s3.failures.append(_error(503, "SlowDown"))

    with pytest.raises(OffloadUnavailableError):
        _serdes(s3).serialize("x", CONTEXT)

    assert s3.requests > 1  # botocore tried again itself before giving up


@pytest.mark.parametrize("failures", [1, 3])
async def test_an_execution_over_a_store_that_fails_then_works_succeeds(failures: int) -> None:
    s3 = FakeS3()
    serdes = _serdes(s3)
    runs: Counter[str] = Counter()

    def body(name: str) -> Any:
        def run(step: StepContext) -> Any:
            runs[name] += 1
            if name == "two" and runs[name] == 1:
                # S3 goes away while this step runs: its upload, and the next few, fail.
                s3.failures.extend([_error(503, "SlowDown")] * failures)
            return {"step": name, "rows": list(range(50))}

        return run

    @durable_execution(serdes=serdes)
    async def handler(event: Any, ctx: DurableContext) -> Any:
        results = [await ctx.step(body(name), name=name) for name in ("one", "two", "three")]
        await asyncio.sleep(0)
        return [result["step"] for result in results]

    ends = Ends()
    run = await DurableTestRunner(handler, plugins=[ends]).start({})
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == ["one", "two", "three"]
    # Each failed call retried the invocation: the upload of step two's result, then (with
    # more failures) the downloads of step one's as the retries replayed it. Step two's body
    # ran once more, the others once.
    assert runs == {"one": 1, "two": 2, "three": 1}
    assert ends.statuses == [InvocationEndStatus.RETRY] * failures + [InvocationEndStatus.SUCCEEDED]
    assert all(run.step(name).result["durable_lambda_offload"] == 1 for name in runs)
