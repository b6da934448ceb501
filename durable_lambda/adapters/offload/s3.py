"""``S3BlobStore``: offloaded payloads as objects of an S3 bucket, through boto3.

boto3 is imported on the first upload or download, not with this module: a function that
offloads nothing on a given invocation does not pay for it at cold start. The client retries
throttling and server errors (botocore's standard mode, 8 attempts), since a store call that
fails fails the serializer, and the core ends the execution on a serializer's failure.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from durable_lambda.adapters.offload.errors import BlobNotFoundError, BlobStoreError
from durable_lambda.core.errors import ValidationError

__all__ = ["S3BlobStore"]

# What S3 names a bucket (general purpose and directory buckets); an access point or Outposts
# ARN is accepted as boto3 accepts it.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](--[a-z0-9-]+--x-s3)?|arn:[^\s]+")
_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound"})
_MAX_ATTEMPTS = 8


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
            raise BlobStoreError(f"PutObject s3://{self.bucket}/{key} failed: {error}") from error

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
            raise BlobStoreError(f"GetObject s3://{bucket}/{key} failed: {error}") from error
        except botocore.exceptions.BotoCoreError as error:
            raise BlobStoreError(f"GetObject s3://{bucket}/{key} failed: {error}") from error
        return body
