"""``OffloadSerDes``: payloads over a threshold go to a blob store; a reference is checkpointed.

Any serializer writes the payload (``JsonSerDes`` by default). One that fits under the
threshold is returned unchanged, so it stays what the inner serializer wrote (and readable by
the official SDK). A larger one is stored in a ``BlobStore`` under a key derived from the
execution ARN and the operation id, and a small ``OffloadReference`` is checkpointed instead.
The key does not depend on the attempt, so a step that runs again (a retry, an invocation lost
before its checkpoint) overwrites its object instead of leaving another behind. Reading a
reference fetches the object, checks its size and SHA-256 and hands the text to the inner
serializer.

Store calls block the thread that serializes, which is the event loop's (the serializer port
is synchronous): docs/payload-offload.md gives measured figures.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from os import PathLike
from typing import Any, Generic

from typing_extensions import TypeVar

from durable_lambda.adapters.offload.blob_store import BlobStore
from durable_lambda.adapters.offload.errors import (
    BlobNotFoundError,
    BlobStoreUnavailableError,
    OffloadedPayloadCorruptError,
    OffloadedPayloadMissingError,
    OffloadError,
    OffloadUnavailableError,
)
from durable_lambda.adapters.offload.reference import MARKER, OffloadReference
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.runtime import MAX_OPERATION_PAYLOAD_BYTES
from durable_lambda.core.serdes import (
    DEFAULT_SERDES,
    SerDes,
    SerDesContext,
    deserialize,
    payload_size,
    serialize,
)

__all__ = ["DEFAULT_PREFIX", "DEFAULT_THRESHOLD", "OffloadSerDes", "execution_key_part"]

T = TypeVar("T", default=Any)

DEFAULT_THRESHOLD = 128 * 1024
"""Payloads of more bytes than this are offloaded: half the service's 256 KiB per operation,
so that a few large payloads still share one checkpoint call."""
DEFAULT_PREFIX = "durable-lambda/offload/"
"""Where keys begin unless told otherwise; a lifecycle rule can match it."""

# Operation ids are hex digests; anything else (a custom id) is hashed into a safe key part.
_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_EXECUTION_DIGITS = 32
# Payloads just written, kept until the core reads them back (it does so at once, to hand the
# first run what replay will see); a handful covers concurrent branches.
_READ_BACK_SLOTS = 8


def execution_key_part(execution_arn: str) -> str:
    """Return the key segment of an execution: the first 32 hex digits of its ARN's SHA-256.

    ARNs hold ``:`` and ``/`` and run long; a digest is safe in any key and any file name.
    """
    return hashlib.sha256(execution_arn.encode("utf-8")).hexdigest()[:_EXECUTION_DIGITS]


class OffloadSerDes(Generic[T]):
    """A serializer that keeps payloads over ``threshold`` bytes in a blob store.

    Args:
        store: Where large payloads go (``S3BlobStore``, ``FileBlobStore``, or your own
            ``BlobStore``).
        inner: The serializer that writes and reads the payloads (``JsonSerDes()`` by default).
        threshold: Payloads of more UTF-8 bytes than this are offloaded (at most 256 KiB, the
            service's limit per operation; 0 offloads every payload).
        prefix: Where keys begin (``/`` is added if missing; ``""`` for none). Keys are
            ``{prefix}{execution digest}/{operation id}``; see ``execution_prefix``.

    Raises:
        ValidationError: ``threshold`` or ``prefix`` is out of range, or ``store`` is not a
            ``BlobStore``.

    Example:
        >>> serdes = OffloadSerDes.filesystem("/mnt/efs/payloads", threshold=64 * 1024)
        >>> serdes.threshold
        65536
    """

    def __init__(
        self,
        store: BlobStore,
        *,
        inner: SerDes[T] | None = None,
        threshold: int = DEFAULT_THRESHOLD,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        if not isinstance(store, BlobStore):
            raise ValidationError(
                f"store must be a BlobStore (kind, location, put, get), got {store!r}",
                field="store",
            )
        self.store = store
        self.inner: SerDes[Any] = inner if inner is not None else DEFAULT_SERDES
        self.threshold = _checked_threshold(threshold)
        self.prefix = _checked_prefix(prefix)
        self._just_written: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def s3(
        cls,
        bucket: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        threshold: int = DEFAULT_THRESHOLD,
        inner: SerDes[Any] | None = None,
        client: Any = None,
        region: str | None = None,
        endpoint_url: str | None = None,
    ) -> OffloadSerDes[Any]:
        """Return an ``OffloadSerDes`` over an ``S3BlobStore`` of ``bucket``.

        boto3 is imported on the first upload or download, not here. See ``S3BlobStore`` for
        ``client``, ``region`` and ``endpoint_url``.
        """
        from durable_lambda.adapters.offload.s3 import S3BlobStore

        store = S3BlobStore(bucket, client=client, region=region, endpoint_url=endpoint_url)
        return cls(store, inner=inner, threshold=threshold, prefix=prefix)

    @classmethod
    def filesystem(
        cls,
        root: str | PathLike[str],
        *,
        prefix: str = DEFAULT_PREFIX,
        threshold: int = DEFAULT_THRESHOLD,
        inner: SerDes[Any] | None = None,
    ) -> OffloadSerDes[Any]:
        """Return an ``OffloadSerDes`` over a ``FileBlobStore`` rooted at ``root``."""
        from durable_lambda.adapters.offload.filesystem import FileBlobStore

        return cls(FileBlobStore(root), inner=inner, threshold=threshold, prefix=prefix)

    def __repr__(self) -> str:
        return (
            f"OffloadSerDes({self.store!r}, inner={self.inner!r}, threshold={self.threshold}, "
            f"prefix={self.prefix!r})"
        )

    # -- keys -----------------------------------------------------------------------------

    def execution_prefix(self, execution_arn: str) -> str:
        """Return the key prefix under which every payload of ``execution_arn`` is offloaded.

        For cleaning up after one execution: delete the objects under it.
        """
        return f"{self.prefix}{execution_key_part(execution_arn)}/"

    def key_for(self, context: SerDesContext) -> str:
        """Return the key of the payload of ``context``'s operation.

        Raises:
            OffloadError: the context lacks the execution ARN or the operation id.
        """
        operation_id = context.operation_id
        if not operation_id or not context.durable_execution_arn:
            raise OffloadError(
                "an offloaded payload's key is derived from the execution ARN and the operation "
                f"id; got {context!r}"
            )
        if not _SAFE_ID.fullmatch(operation_id) or operation_id in (".", ".."):
            operation_id = hashlib.sha256(operation_id.encode("utf-8", "surrogatepass")).hexdigest()
        return self.execution_prefix(context.durable_execution_arn) + operation_id

    # -- the SerDes port ------------------------------------------------------------------

    def serialize(self, value: T, context: SerDesContext, /) -> str:
        """Return the inner serializer's payload, or a reference to it once stored.

        Raises:
            SerDesError: the inner serializer failed.
            OffloadError: the payload could not be stored, and no retry would store it.
            OffloadUnavailableError: the store was unavailable, for now (Lambda retries the
                invocation).
        """
        payload = serialize(self.inner, value, context)
        # A small payload that starts like a reference would be read as one: offload it too.
        if payload_size(payload) <= self.threshold and not payload.startswith(MARKER):
            return payload
        data = payload.encode("utf-8", "surrogatepass")
        reference = OffloadReference(
            store=self.store.kind,
            bucket=self.store.location,
            key=self.key_for(context),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        try:
            self.store.put(reference.key, data, _metadata(context, reference))
        except Exception as error:
            # A store that is away for now retries the invocation; anything else is for good.
            kind = OffloadUnavailableError if _temporary(error) else OffloadError
            raise kind(
                f"could not offload a payload of {reference.size} bytes to {reference.where}: "
                f"{error}",
                operation_id=context.operation_id,
                execution_arn=context.durable_execution_arn,
            ) from error
        text = reference.to_json()
        self._remember(text, payload)
        return text

    def deserialize(self, payload: str, context: SerDesContext, /) -> T:
        """Return the value of ``payload``, fetching and checking it first if it is a reference.

        Raises:
            OffloadedPayloadMissingError: the object is gone.
            OffloadedPayloadCorruptError: the object's size or SHA-256 differs from the
                reference's.
            OffloadError: the reference is malformed, names another kind of store, or the
                object could not be read, and no retry would read it.
            OffloadUnavailableError: the store was unavailable, for now (Lambda retries the
                invocation).
            SerDesError: the inner serializer cannot read the payload.
        """
        if not payload.startswith(MARKER):
            return deserialize(self.inner, payload, context)  # type: ignore[no-any-return]
        text = self._recall(payload)
        if text is None:
            text = self._fetch(OffloadReference.parse(payload))
        return deserialize(self.inner, text, context)  # type: ignore[no-any-return]

    # -- reading --------------------------------------------------------------------------

    def _fetch(self, reference: OffloadReference) -> str:
        if reference.store != self.store.kind:
            raise OffloadError(
                f"{reference.where} was offloaded to a {reference.store!r} store; this "
                f"serializer reads from a {self.store.kind!r} store ({self.store.location})"
            )
        try:
            data = self.store.get(reference.bucket, reference.key)
        except BlobNotFoundError:
            raise OffloadedPayloadMissingError(
                f"the offloaded payload {reference.where} ({reference.size} bytes) is missing: "
                "it was deleted (by hand, or by a lifecycle rule that expired it too early)"
            ) from None
        except Exception as error:
            kind = OffloadUnavailableError if _temporary(error) else OffloadError
            raise kind(f"could not read {reference.where}: {error}") from error
        _check(reference, data)
        return data.decode("utf-8", "surrogatepass")

    def _remember(self, reference: str, payload: str) -> None:
        with self._lock:
            self._just_written[reference] = payload
            while len(self._just_written) > _READ_BACK_SLOTS:
                self._just_written.popitem(last=False)

    def _recall(self, reference: str) -> str | None:
        # One read per write: later reads (replays) fetch and check the stored object.
        with self._lock:
            return self._just_written.pop(reference, None)


def _temporary(error: Exception) -> bool:
    """Whether a store's failure may pass with time: the store says so."""
    return isinstance(error, BlobStoreUnavailableError)


def _check(reference: OffloadReference, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != reference.size or digest != reference.sha256:
        raise OffloadedPayloadCorruptError(
            f"the offloaded payload {reference.where} is not the one written: "
            f"expected {reference.size} bytes with SHA-256 {reference.sha256}, "
            f"found {len(data)} bytes with SHA-256 {digest}"
        )


def _metadata(context: SerDesContext, reference: OffloadReference) -> dict[str, str]:
    found = {
        "execution-arn": context.durable_execution_arn,
        "operation-id": context.operation_id,
        "sha256": reference.sha256,
    }
    # Object metadata travels in HTTP headers: ASCII only.
    return {name: value for name, value in found.items() if value.isascii()}


def _checked_threshold(threshold: object) -> int:
    if type(threshold) is not int or not 0 <= threshold <= MAX_OPERATION_PAYLOAD_BYTES:
        raise ValidationError(
            f"threshold must be a whole number of bytes from 0 to {MAX_OPERATION_PAYLOAD_BYTES} "
            f"(the service's limit per operation payload), got {threshold!r}",
            field="threshold",
        )
    return threshold


def _checked_prefix(prefix: object) -> str:
    if not isinstance(prefix, str) or prefix.startswith("/") or "\x00" in prefix:
        raise ValidationError(
            f"prefix must be a relative key prefix such as 'offload/', got {prefix!r}",
            field="prefix",
        )
    if prefix and any(part in ("", ".", "..") for part in prefix.rstrip("/").split("/")):
        raise ValidationError(
            f"prefix must not hold empty, '.' or '..' parts: {prefix!r}", field="prefix"
        )
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"
