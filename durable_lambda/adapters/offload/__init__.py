"""Large payloads offloaded out of checkpoints: to S3, or to a folder (EFS, S3 Files).

``OffloadSerDes`` wraps any serializer; payloads over its threshold are stored in a
``BlobStore`` (``S3BlobStore``, ``FileBlobStore``) and a small reference is checkpointed in
their place. Importing this package does not import boto3. See docs/payload-offload.md.
"""

from durable_lambda.adapters.offload.blob_store import BlobStore
from durable_lambda.adapters.offload.errors import (
    BlobNotFoundError,
    BlobStoreError,
    BlobStoreUnavailableError,
    OffloadedPayloadCorruptError,
    OffloadedPayloadMissingError,
    OffloadError,
    OffloadUnavailableError,
)
from durable_lambda.adapters.offload.filesystem import FileBlobStore
from durable_lambda.adapters.offload.reference import FORMAT_VERSION, OffloadReference
from durable_lambda.adapters.offload.s3 import S3BlobStore
from durable_lambda.adapters.offload.serdes import (
    DEFAULT_PREFIX,
    DEFAULT_THRESHOLD,
    OffloadSerDes,
    execution_key_part,
)

__all__ = [
    "DEFAULT_PREFIX",
    "DEFAULT_THRESHOLD",
    "FORMAT_VERSION",
    "BlobNotFoundError",
    "BlobStore",
    "BlobStoreError",
    "BlobStoreUnavailableError",
    "FileBlobStore",
    "OffloadError",
    "OffloadReference",
    "OffloadSerDes",
    "OffloadUnavailableError",
    "OffloadedPayloadCorruptError",
    "OffloadedPayloadMissingError",
    "S3BlobStore",
    "execution_key_part",
]
