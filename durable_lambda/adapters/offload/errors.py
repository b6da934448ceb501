"""What goes wrong when a payload is offloaded or read back, as typed errors.

The serializer's errors are ``SerDesError``s (the core ends the execution FAILED on one: a
payload that cannot be read now will not be readable on the next try either); the blob stores
raise ``BlobStoreError``s, which the serializer turns into them, naming the object.
"""

from __future__ import annotations

from durable_lambda.core.errors import SerDesError

__all__ = [
    "BlobNotFoundError",
    "BlobStoreError",
    "OffloadError",
    "OffloadedPayloadCorruptError",
    "OffloadedPayloadMissingError",
]


class BlobStoreError(Exception):
    """A blob store could not store or read an object, or refused its key."""


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


class OffloadedPayloadMissingError(OffloadError):
    """A checkpointed reference names an object that is no longer stored.

    It was deleted: by hand, or by a lifecycle rule that expired it while the execution still
    needed it (see docs/payload-offload.md on retention).
    """


class OffloadedPayloadCorruptError(OffloadError):
    """The object a reference names is not the one written: its size or SHA-256 differs.

    It was changed or replaced after it was written.
    """
