"""The blob store port: where ``OffloadSerDes`` keeps the payloads it takes out of checkpoints.

Two adapters implement it, ``S3BlobStore`` and ``FileBlobStore`` (a folder, for an EFS or S3
Files mount); the serializer's logic (threshold, keys, references, hash checks) is written once
against this port. A store of your own only needs these four members.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

__all__ = ["BlobStore"]


@runtime_checkable
class BlobStore(Protocol):
    """Bytes by key, written whole and replaced whole.

    Calls block (the serializer port is synchronous); they are made on the thread that
    serializes, the event loop's.
    """

    @property
    def kind(self) -> str:
        """What the store is (``"s3"``, ``"file"``), recorded in each reference."""
        ...

    @property
    def location(self) -> str:
        """Where this store writes (the bucket, the root folder), recorded in each reference."""
        ...

    def put(self, key: str, data: bytes, metadata: Mapping[str, str]) -> None:
        """Store ``data`` at ``key``, replacing any object there.

        Args:
            key: A ``/``-separated key, such as the serializer derives.
            data: The payload's bytes.
            metadata: Descriptive pairs (execution ARN, operation id, SHA-256) a store may keep
                beside the object for people looking at it; ASCII only.

        Raises:
            BlobStoreUnavailableError: the store could not be reached, for now.
            BlobStoreError: the key is unsafe for this store, or the object was not stored.
        """
        ...

    def get(self, location: str, key: str) -> bytes:
        """Return the bytes stored at ``key``.

        Args:
            location: Where the reference says the object was written; a store may read
                from its own configuration instead (a folder mounted elsewhere on this host).
            key: The object's key.

        Raises:
            BlobNotFoundError: no object is stored at ``key``.
            BlobStoreUnavailableError: the store could not be reached, for now.
            BlobStoreError: the key is unsafe for this store, or the object could not be read.
        """
        ...
