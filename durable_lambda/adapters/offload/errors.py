"""What goes wrong when a payload is offloaded or read back, as typed errors.

The blob stores raise ``BlobStoreError``s, which the serializer turns into its own errors,
naming the object. Those come in two kinds, told apart by whether a later try can succeed:

* ``OffloadError`` (a ``SerDesError``) for a failure no retry fixes: access denied, no such
  bucket, a missing or altered object, a malformed reference. The core ends the execution
  FAILED on one.
* ``OffloadUnavailableError`` (a ``SerDesUnavailableError``) for a store that could not be
  reached, or was too busy, for now (``BlobStoreUnavailableError`` from the store: throttling,
  server errors, time-outs and dropped connections that the client's own retries did not get
  past). The core ends the invocation for Lambda to retry; the retry replays and goes on.
"""

from __future__ import annotations

from durable_lambda.core.errors import SerDesError, SerDesUnavailableError

__all__ = [
    "BlobNotFoundError",
    "BlobStoreError",
    "BlobStoreUnavailableError",
    "OffloadError",
    "OffloadUnavailableError",
    "OffloadedPayloadCorruptError",
    "OffloadedPayloadMissingError",
]


class BlobStoreError(Exception):
    """A blob store could not store or read an object, or refused its key."""


class BlobStoreUnavailableError(BlobStoreError):
    """The store could not be reached, or was too busy, for now: a later try can succeed.

    A ``BlobStore`` of your own raises it for such failures; anything else it raises is taken
    as permanent.
    """


class BlobNotFoundError(BlobStoreError):
    """No object is stored at the key asked for.

    Args:
        location: Where the store looked (the S3 bucket, the root folder).
        key: The key that names no object.
    """

    def __init__(self, location: str, key: str) -> None:
        super().__init__(f"no object {key!r} in {location}")
        self.location = location
        self.key = key


class OffloadError(SerDesError):
    """A payload could not be offloaded, or a reference to one could not be resolved."""


class OffloadUnavailableError(SerDesUnavailableError):
    """A payload could not be offloaded or fetched because its store was unavailable, for now.

    The invocation ends for Lambda to retry it (see ``SerDesUnavailableError``); the message
    names the object.
    """


class OffloadedPayloadMissingError(OffloadError):
    """A checkpointed reference names an object that is no longer stored.

    It was deleted: by hand, or by a lifecycle rule that expired it while the execution still
    needed it (see docs/payload-offload.md on retention).
    """


class OffloadedPayloadCorruptError(OffloadError):
    """The object a reference names is not the one written: its size or SHA-256 differs.

    It was changed or replaced after it was written.
    """
