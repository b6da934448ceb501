"""``S3BlobStore``: offloaded payloads as objects of an S3 bucket, through boto3.

boto3 is imported on the first upload or download, not with this module: a function that
offloads nothing on a given invocation does not pay for it at cold start. The client retries
throttling and server errors itself (botocore's standard mode, 8 attempts). A failure that
survives those retries is sorted by whether a later try can succeed (``_unavailable``):
throttling, a server error (5xx), a request time-out, a connection that could not be made or
was dropped, a download cut short, is ``BlobStoreUnavailableError`` (the invocation is retried);
anything else (access denied, no such bucket, bad credentials or parameters) is
``BlobStoreError`` (the execution fails).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from durable_lambda.adapters.offload.errors import (
    BlobNotFoundError,
    BlobStoreError,
    BlobStoreUnavailableError,
)
from durable_lambda.core.errors import ValidationError

__all__ = ["S3BlobStore"]

# What S3 names a bucket (general purpose and directory buckets); an access point or Outposts
# ARN is accepted as boto3 accepts it.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](--[a-z0-9-]+--x-s3)?|arn:[^\s]+")
_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound"})
_MAX_ATTEMPTS = 8
# Error codes a later try can get past: those botocore's standard retry mode treats as
# throttling or transient, plus S3's own (SlowDown, 503; InternalError, 500; ServiceUnavailable).
_TEMPORARY_CODES = frozenset(
    {
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "InternalError",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "TransactionInProgressException",
    }
)


class S3BlobStore:
    """A ``BlobStore`` over one S3 bucket.

    Args:
        bucket: The bucket objects are written to (references name it; reads go to the
            bucket a reference names).
        client: A boto3 ``s3`` client to use; else one is built on first use from the standard
            credential chain, ``region`` and ``endpoint_url``.
        region: The client's region (else boto3's resolution: ``AWS_REGION``...).
        endpoint_url: Another endpoint (a VPC endpoint, a local S3-compatible server).
        put_options: Extra ``PutObject`` parameters, such as
            ``{"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "..."}``.

    Raises:
        ValidationError: ``bucket`` is not a bucket name (``s3://`` or a key included?).
    """

    kind = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        client: Any = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        put_options: Mapping[str, Any] | None = None,
    ) -> None:
        checked: object = bucket  # the annotation is a promise a caller may break
        if not isinstance(checked, str) or not _BUCKET.fullmatch(checked):
            raise ValidationError(
                f"bucket must be an S3 bucket name (3-63 lowercase letters, digits, '.', '-'), "
                f"without 's3://' or a key, got {bucket!r}",
                field="bucket",
            )
        self.bucket = bucket
        self._client = client
        self._region = region
        self._endpoint_url = endpoint_url
        self._put_options = dict(put_options or {})
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3BlobStore({self.bucket!r})"

    @property
    def location(self) -> str:
        """The bucket written to."""
        return self.bucket

    @property
    def client(self) -> Any:
        """The boto3 ``s3`` client, built (and boto3 imported) on first use."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build_client()
        return self._client

    def _build_client(self) -> Any:
        import boto3
        from botocore.config import Config

        retries: Any = {"mode": "standard", "max_attempts": _MAX_ATTEMPTS}
        return boto3.client(
            "s3",
            region_name=self._region,
            endpoint_url=self._endpoint_url,
            config=Config(retries=retries),
        )

    def put(self, key: str, data: bytes, metadata: Mapping[str, str]) -> None:
        """Write ``data`` as object ``key`` of the bucket, replacing any object there.

        Raises:
            BlobStoreError: S3 refused the upload, or could not be reached.
        """
        import botocore.exceptions

        request = {**self._put_options, "Bucket": self.bucket, "Key": key, "Body": data}
        request.setdefault("Metadata", dict(metadata))
        try:
            self.client.put_object(**request)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            kind = BlobStoreUnavailableError if _unavailable(error) else BlobStoreError
            raise kind(f"PutObject s3://{self.bucket}/{key} failed: {error}") from error

    def get(self, location: str, key: str) -> bytes:
        """Return object ``key`` of bucket ``location`` (the bucket the reference names).

        Raises:
            BlobNotFoundError: no such object (or no such bucket).
            BlobStoreError: S3 refused the download, or could not be reached.
        """
        import botocore.exceptions

        bucket = location or self.bucket
        try:
            answer = self.client.get_object(Bucket=bucket, Key=key)
            body: bytes = answer["Body"].read()
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise BlobNotFoundError(f"s3://{bucket}", key) from None
            kind = BlobStoreUnavailableError if _unavailable(error) else BlobStoreError
            raise kind(f"GetObject s3://{bucket}/{key} failed: {error}") from error
        except botocore.exceptions.BotoCoreError as error:
            kind = BlobStoreUnavailableError if _unavailable(error) else BlobStoreError
            raise kind(f"GetObject s3://{bucket}/{key} failed: {error}") from error
        return body


def _unavailable(error: Exception) -> bool:
    """Whether a botocore failure may pass with time (see the module docstring).

    A ``ClientError`` is S3's answer: temporary when its code is a throttling or transient one,
    or its HTTP status is 429 or 5xx. Of botocore's own errors, those of the connection are
    temporary: it could not be made, timed out, was closed, or the body stopped coming
    (``HTTPClientError`` covers the last three, ``ConnectionError`` the first). Credentials,
    parameters, endpoints and configuration are not.
    """
    import botocore.exceptions

    if isinstance(error, botocore.exceptions.ClientError):
        response: Any = error.response or {}
        code = (response.get("Error") or {}).get("Code")
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        return (
            code in _TEMPORARY_CODES or status == 429 or (isinstance(status, int) and status >= 500)
        )
    return isinstance(
        error, botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError
    )
