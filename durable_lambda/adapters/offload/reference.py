"""The reference checkpointed in place of an offloaded payload: small, self-describing JSON.

``{"durable_lambda_offload":1,"store":"s3","bucket":"b","key":"k","size":1048576,
"sha256":"..."}``: the format version first (so a payload is recognised as a reference by its
first characters alone), then where the object is, how many bytes it has and their SHA-256,
checked on every read. The format is durable-lambda's own; the official SDK reads it as a
plain dict.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from durable_lambda.adapters.offload.errors import OffloadError

__all__ = ["FORMAT_VERSION", "MARKER", "OffloadReference"]

FORMAT_VERSION = 1
"""The version of the reference format this package writes and reads."""

_MARKER_KEY = "durable_lambda_offload"
MARKER = '{"' + _MARKER_KEY + '":'
"""How every reference begins; a payload that begins so is read as a reference."""

_FIELDS = (_MARKER_KEY, "store", "bucket", "key", "size", "sha256")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_PREVIEW = 120


@dataclass(frozen=True, slots=True)
class OffloadReference:
    """Where an offloaded payload is, and how to tell it is the one written.

    Attributes:
        store: The kind of store that wrote it (``"s3"``, ``"file"``).
        bucket: The S3 bucket (for the file store, the root folder it was written under).
        key: The object's key.
        size: The payload's length in bytes (UTF-8).
        sha256: The SHA-256 of those bytes, as 64 lowercase hex digits.
    """

    store: str
    bucket: str
    key: str
    size: int
    sha256: str

    @property
    def where(self) -> str:
        """The object as a person would name it: ``s3://bucket/key``, or ``file:key``."""
        if self.store == "s3":
            return f"s3://{self.bucket}/{self.key}"
        return f"{self.store}:{self.bucket.rstrip('/')}/{self.key}"

    def to_json(self) -> str:
        """Return the reference as the compact JSON that is checkpointed."""
        document = {
            _MARKER_KEY: FORMAT_VERSION,
            "store": self.store,
            "bucket": self.bucket,
            "key": self.key,
            "size": self.size,
            "sha256": self.sha256,
        }
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def parse(cls, payload: str) -> OffloadReference:
        """Read a reference written by ``to_json``.

        Raises:
            OffloadError: ``payload`` is not such a reference (not JSON, a field missing,
                extra or of the wrong type), or is of a format version this package cannot read.
        """
        try:
            document: Any = json.loads(payload)
        except ValueError as error:
            raise _malformed(payload, f"it is not JSON ({error})") from None
        if not isinstance(document, dict) or set(document) != set(_FIELDS):
            found = sorted(document) if isinstance(document, dict) else type(document).__name__
            raise _malformed(payload, f"expected the fields {list(_FIELDS)}, found {found}")
        version = document[_MARKER_KEY]
        if version != FORMAT_VERSION or type(version) is not int:
            raise _malformed(
                payload,
                f"format version {version!r} is not {FORMAT_VERSION}, the one this version of "
                "durable-lambda reads (was it written by a newer one?)",
            )
        return cls(
            store=_text(document, "store", payload),
            bucket=_text(document, "bucket", payload, allow_empty=True),
            key=_text(document, "key", payload),
            size=_size(document, payload),
            sha256=_digest(document, payload),
        )


def _text(document: dict[str, Any], field: str, payload: str, *, allow_empty: bool = False) -> str:
    value = document[field]
    if not isinstance(value, str) or not (value or allow_empty):
        raise _malformed(payload, f"{field!r} must be a non-empty string, got {value!r}")
    return value


def _size(document: dict[str, Any], payload: str) -> int:
    value = document["size"]
    if type(value) is not int or value < 0:
        raise _malformed(payload, f"'size' must be a whole number of bytes, got {value!r}")
    return value


def _digest(document: dict[str, Any], payload: str) -> str:
    value = document["sha256"]
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise _malformed(payload, f"'sha256' must be 64 lowercase hex digits, got {value!r}")
    return value


def _malformed(payload: str, reason: str) -> OffloadError:
    shown = payload if len(payload) <= _PREVIEW else payload[:_PREVIEW] + "..."
    return OffloadError(f"malformed offload reference {shown!r}: {reason}")
