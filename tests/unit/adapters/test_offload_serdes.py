"""OffloadSerDes: threshold, keys, references and their checks, over real files in tmp_path.

The serializer's logic is the same over every blob store; these tests run it over a
``FileBlobStore`` (real files), and over a small in-memory store where a store must fail in a
way files cannot be made to (an upload refused).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aws_durable_execution_sdk_python.serdes import ExtendedTypeSerDes

from durable_lambda import (
    DurableContext,
    EnvelopeSerDes,
    JsonSerDes,
    SerDesContext,
    SerDesError,
    ValidationError,
    durable_execution,
)
from durable_lambda.adapters.offload import (
    DEFAULT_PREFIX,
    DEFAULT_THRESHOLD,
    FORMAT_VERSION,
    BlobStore,
    BlobStoreError,
    FileBlobStore,
    OffloadedPayloadCorruptError,
    OffloadedPayloadMissingError,
    OffloadError,
    OffloadReference,
    OffloadSerDes,
    S3BlobStore,
    execution_key_part,
)
from durable_lambda.testing import DurableTestRunner

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:3/durable-execution/o-17/9f2c"
CONTEXT = SerDesContext("1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97", ARN)
OFFICIAL: Any = ExtendedTypeSerDes()  # type: ignore[no-untyped-call]


@pytest.fixture
def store(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "payloads")


@pytest.fixture
def serdes(store: FileBlobStore) -> OffloadSerDes[Any]:
    return OffloadSerDes(store, threshold=100)


def stored_files(store: FileBlobStore) -> list[str]:
    if not store.root.exists():
        return []
    found = (path for path in store.root.rglob("*") if path.is_file())
    return sorted(path.relative_to(store.root).as_posix() for path in found)


class MemoryBlobStore:
    """A BlobStore in a dict, whose uploads can be made to fail."""

    kind = "memory"
    location = "memory"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.refuse: Exception | None = None

    def put(self, key: str, data: bytes, metadata: Mapping[str, str]) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.objects[key] = data

    def get(self, location: str, key: str) -> bytes:
        return self.objects[key]


def _written(serdes: OffloadSerDes[Any], value: Any = None) -> str:
    """Serialize as the core does: write, then read back at once."""
    payload = serdes.serialize({"rows": list(range(100))} if value is None else value, CONTEXT)
    serdes.deserialize(payload, CONTEXT)
    return payload


# -- under the threshold -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [None, 3, "text", [1, "two"], {"ok": 3}, Decimal("1.50"), date(2026, 1, 2)]
)
def test_a_payload_under_the_threshold_is_what_the_inner_serializer_writes(
    serdes: OffloadSerDes[Any], store: FileBlobStore, value: Any
) -> None:
    payload = serdes.serialize(value, CONTEXT)

    assert payload == JsonSerDes().serialize(value, CONTEXT)
    assert serdes.deserialize(payload, CONTEXT) == value
    assert stored_files(store) == []


def test_a_payload_under_the_threshold_stays_readable_by_the_official_sdk(
    store: FileBlobStore,
) -> None:
    serdes = OffloadSerDes(store, inner=EnvelopeSerDes(), threshold=1000)
    value = {"when": date(2026, 1, 2), "amount": Decimal("9.99"), "items": (1, 2)}

    payload = serdes.serialize(value, CONTEXT)

    assert OFFICIAL.deserialize(payload) == value


def test_a_payload_of_exactly_the_threshold_is_kept(store: FileBlobStore) -> None:
    serdes = OffloadSerDes(store, threshold=12)
    payload = serdes.serialize("x" * 10, CONTEXT)  # 12 bytes with its quotes

    assert payload == '"xxxxxxxxxx"'
    assert serdes.serialize("x" * 11, CONTEXT).startswith('{"durable_lambda_offload":1,')


def test_the_threshold_counts_utf8_bytes_not_characters(store: FileBlobStore) -> None:
    serdes = OffloadSerDes(store, threshold=20)

    assert serdes.serialize("é" * 9, CONTEXT) == '"' + "é" * 9 + '"'  # 20 bytes
    assert json.loads(serdes.serialize("é" * 10, CONTEXT))["size"] == 22


# -- over the threshold ------------------------------------------------------------------


def test_a_large_payload_is_stored_and_a_self_describing_reference_returned(
    serdes: OffloadSerDes[Any], store: FileBlobStore
) -> None:
    value = {"rows": list(range(100))}
    written = JsonSerDes().serialize(value, CONTEXT).encode()

    payload = serdes.serialize(value, CONTEXT)

    key = f"{DEFAULT_PREFIX}{execution_key_part(ARN)}/{CONTEXT.operation_id}"
    assert json.loads(payload) == {
        "durable_lambda_offload": FORMAT_VERSION,
        "store": "file",
        "bucket": str(store.root),
        "key": key,
        "size": len(written),
        "sha256": hashlib.sha256(written).hexdigest(),
    }
    assert (store.root / key).read_bytes() == written
    assert stored_files(store) == [key]


def test_a_reference_reads_back_as_the_value_first_from_memory_then_from_the_store(
    serdes: OffloadSerDes[Any], store: FileBlobStore
) -> None:
    value = {"rows": list(range(100)), "when": date(2026, 1, 2)}
    payload = serdes.serialize(value, CONTEXT)
    # The core reads a payload back at once; that read is served from what was just written...
    (store.root / serdes.key_for(CONTEXT)).unlink()
    assert serdes.deserialize(payload, CONTEXT) == value
    # ...once: a replay's read goes to the store.
    with pytest.raises(OffloadedPayloadMissingError):
        serdes.deserialize(payload, CONTEXT)


def test_the_key_is_the_same_for_every_attempt_so_a_rerun_overwrites(
    serdes: OffloadSerDes[Any], store: FileBlobStore
) -> None:
    first = _written(serdes, ["first"] * 40)
    second = _written(serdes, ["second"] * 40)

    assert json.loads(first)["key"] == json.loads(second)["key"]
    assert stored_files(store) == [serdes.key_for(CONTEXT)]
    assert serdes.deserialize(second, CONTEXT) == ["second"] * 40
    # The first reference now names an object that is not the one it describes.
    with pytest.raises(OffloadedPayloadCorruptError):
        serdes.deserialize(first, CONTEXT)


def test_keys_differ_by_execution_and_by_operation(serdes: OffloadSerDes[Any]) -> None:
    keys = {
        serdes.key_for(SerDesContext("a", ARN)),
        serdes.key_for(SerDesContext("b", ARN)),
        serdes.key_for(SerDesContext("a", ARN + "0")),
    }
    assert len(keys) == 3
    assert serdes.key_for(SerDesContext("a", ARN)).startswith(serdes.execution_prefix(ARN))


@pytest.mark.parametrize("operation_id", ["../../etc/passwd", "a/b", "..", "x" * 200, "id é"])
def test_an_operation_id_unfit_for_a_key_is_hashed_into_one(
    serdes: OffloadSerDes[Any], store: FileBlobStore, operation_id: str
) -> None:
    context = SerDesContext(operation_id, ARN)
    key = serdes.key_for(context)

    assert key.rsplit("/", 1)[1] == hashlib.sha256(operation_id.encode()).hexdigest()
    payload = serdes.serialize("y" * 200, context)
    assert serdes.deserialize(payload, context) == "y" * 200
    assert stored_files(store) == [key]


@pytest.mark.parametrize("context", [SerDesContext("", ARN), SerDesContext("op", "")])
def test_a_context_without_execution_or_operation_cannot_name_a_key(
    serdes: OffloadSerDes[Any], context: SerDesContext
) -> None:
    with pytest.raises(OffloadError, match="derived from the execution ARN and the operation id"):
        serdes.serialize("z" * 200, context)


def test_a_small_payload_that_looks_like_a_reference_is_offloaded_to_read_back_exactly(
    serdes: OffloadSerDes[Any], store: FileBlobStore
) -> None:
    impostor = {"durable_lambda_offload": 1, "key": "k"}

    payload = serdes.serialize(impostor, CONTEXT)

    assert json.loads(payload)["key"] == serdes.key_for(CONTEXT)
    serdes.deserialize(payload, CONTEXT)  # the read-back
    assert serdes.deserialize(payload, CONTEXT) == impostor


def test_a_lone_surrogate_from_a_custom_serializer_survives_the_trip(
    store: FileBlobStore,
) -> None:
    class Raw:
        def serialize(self, value: str, context: SerDesContext, /) -> str:
            return value

        def deserialize(self, payload: str, context: SerDesContext, /) -> str:
            return payload

    serdes = OffloadSerDes(store, inner=Raw(), threshold=0)
    payload = serdes.serialize("a\ud800b", CONTEXT)
    serdes.deserialize(payload, CONTEXT)

    assert serdes.deserialize(payload, CONTEXT) == "a\ud800b"


def test_payloads_that_are_not_references_go_to_the_inner_serializer(
    serdes: OffloadSerDes[Any],
) -> None:
    # An answer sent to a callback by someone else, say.
    assert serdes.deserialize('{"approved":true}', CONTEXT) == {"approved": True}
    with pytest.raises(SerDesError, match="cannot deserialize payload"):
        serdes.deserialize("not json", CONTEXT)


# -- what goes wrong ---------------------------------------------------------------------


def test_a_missing_object_is_a_missing_payload_error_naming_it(
    serdes: OffloadSerDes[Any], store: FileBlobStore
) -> None:
    payload = _written(serdes)
    path = store.root / serdes.key_for(CONTEXT)
    path.unlink()

    with pytest.raises(OffloadedPayloadMissingError) as caught:
        serdes.deserialize(payload, CONTEXT)

    assert isinstance(caught.value, SerDesError)
    assert f"file:{store.root}/{serdes.key_for(CONTEXT)}" in str(caught.value)
    assert "is missing" in str(caught.value)


@pytest.mark.parametrize(
    "tamper", [b'{"rows":[0]}', b"", None], ids=["replaced", "emptied", "same-size"]
)
def test_a_changed_object_is_a_corrupt_payload_error(
    serdes: OffloadSerDes[Any], store: FileBlobStore, tamper: bytes | None
) -> None:
    payload = _written(serdes)
    path = store.root / serdes.key_for(CONTEXT)
    original = path.read_bytes()
    path.write_bytes(original.replace(b"99", b"98") if tamper is None else tamper)

    with pytest.raises(OffloadedPayloadCorruptError, match="is not the one written") as caught:
        serdes.deserialize(payload, CONTEXT)

    assert json.loads(payload)["sha256"] in str(caught.value)
    assert isinstance(caught.value, SerDesError)


def _reference(**changes: Any) -> str:
    document = {
        "durable_lambda_offload": 1,
        "store": "file",
        "bucket": "/x",
        "key": "k",
        "size": 1,
        "sha256": "0" * 64,
    }
    document.update(changes)
    return json.dumps({k: v for k, v in document.items() if v is not ...})


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ('{"durable_lambda_offload":1,', "it is not JSON"),
        (_reference(extra=1), "expected the fields"),
        (_reference(sha256=...), "expected the fields"),
        (_reference(durable_lambda_offload=2), "format version 2 is not 1"),
        (_reference(durable_lambda_offload=True), "format version True is not 1"),
        (_reference(size=-1), "'size' must be a whole number"),
        (_reference(size=1.0), "'size' must be a whole number"),
        (_reference(sha256="ABC"), "'sha256' must be 64 lowercase hex digits"),
        (_reference(key=""), "'key' must be a non-empty string"),
        (_reference(store=None), "'store' must be a non-empty string"),
    ],
)
def test_a_malformed_reference_is_an_offload_error_saying_what_is_wrong(
    serdes: OffloadSerDes[Any], payload: str, problem: str
) -> None:
    with pytest.raises(OffloadError, match="malformed offload reference") as caught:
        serdes.deserialize(payload, CONTEXT)
    assert problem in str(caught.value)


def test_a_reference_to_another_kind_of_store_is_refused(serdes: OffloadSerDes[Any]) -> None:
    with pytest.raises(OffloadError, match="offloaded to a 's3' store; this serializer reads"):
        serdes.deserialize(_reference(store="s3"), CONTEXT)


def test_a_reference_whose_key_leaves_the_folder_is_refused(serdes: OffloadSerDes[Any]) -> None:
    with pytest.raises(OffloadError, match=re.escape("unsafe key '../../secret'")):
        serdes.deserialize(_reference(key="../../secret"), CONTEXT)


def test_a_refused_upload_is_an_offload_error_naming_the_object() -> None:
    store = MemoryBlobStore()
    store.refuse = BlobStoreError("quota exceeded")
    serdes = OffloadSerDes(store, threshold=0)

    with pytest.raises(OffloadError, match=r"could not offload .* to memory:memory/.*quota") as e:
        serdes.serialize("q", CONTEXT)

    assert e.value.operation_id == CONTEXT.operation_id
    assert e.value.execution_arn == ARN


def test_an_unreadable_object_is_an_offload_error() -> None:
    store = MemoryBlobStore()
    serdes = OffloadSerDes(store, threshold=0)
    payload = serdes.serialize("q", CONTEXT)
    serdes.deserialize(payload, CONTEXT)
    store.objects.clear()  # its get raises KeyError, as an unexpected store failure

    with pytest.raises(OffloadError, match="could not read memory:memory/"):
        serdes.deserialize(payload, CONTEXT)


def test_the_inner_serializers_failure_is_a_serdes_error(serdes: OffloadSerDes[Any]) -> None:
    with pytest.raises(SerDesError, match="JsonSerDes cannot serialize a value of type 'object'"):
        serdes.serialize(object(), CONTEXT)


# -- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize("threshold", [-1, 256 * 1024 + 1, 1.5, True, "100"])
def test_a_threshold_out_of_range_is_refused(store: FileBlobStore, threshold: Any) -> None:
    with pytest.raises(ValidationError, match="threshold must be a whole number") as caught:
        OffloadSerDes(store, threshold=threshold)
    assert caught.value.field == "threshold"


@pytest.mark.parametrize("prefix", ["/abs/", "a/../b", "a//b", "./x", 3])
def test_a_prefix_that_is_not_a_relative_key_prefix_is_refused(
    store: FileBlobStore, prefix: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        OffloadSerDes(store, prefix=prefix)
    assert caught.value.field == "prefix"


@pytest.mark.parametrize(("prefix", "kept"), [("runs", "runs/"), ("a/b/", "a/b/"), ("", "")])
def test_a_prefix_ends_with_a_slash(store: FileBlobStore, prefix: str, kept: str) -> None:
    serdes = OffloadSerDes(store, prefix=prefix)
    assert serdes.prefix == kept
    assert serdes.key_for(CONTEXT) == f"{kept}{execution_key_part(ARN)}/{CONTEXT.operation_id}"


def test_a_store_that_is_not_a_blob_store_is_refused() -> None:
    with pytest.raises(ValidationError, match="store must be a BlobStore") as caught:
        OffloadSerDes("my-bucket")  # type: ignore[arg-type]
    assert caught.value.field == "store"


def test_the_defaults_and_the_constructors(tmp_path: Path) -> None:
    on_s3 = OffloadSerDes.s3("my-bucket", prefix="p/")
    on_disk = OffloadSerDes.filesystem(tmp_path, threshold=10)

    assert isinstance(on_s3.store, S3BlobStore)
    assert on_s3.store.bucket == "my-bucket"
    assert on_s3.threshold == DEFAULT_THRESHOLD == 128 * 1024
    assert isinstance(on_disk.store, FileBlobStore)
    assert on_disk.store.root == tmp_path
    assert isinstance(on_disk.store, BlobStore)
    assert isinstance(on_disk.inner, JsonSerDes)


@pytest.mark.parametrize("bucket", ["s3://b", "My_Bucket", "b", "bucket/key", ""])
def test_a_bucket_that_is_not_a_bucket_name_is_refused(bucket: str) -> None:
    with pytest.raises(ValidationError, match="bucket must be an S3 bucket name"):
        S3BlobStore(bucket)


def test_a_reference_knows_where_its_object_is() -> None:
    reference = OffloadReference("s3", "b", "p/k", 3, "0" * 64)
    assert reference.where == "s3://b/p/k"
    assert OffloadReference.parse(reference.to_json()) == reference


# -- in a durable function ---------------------------------------------------------------


async def test_a_durable_function_replays_its_offloaded_results_from_files(
    store: FileBlobStore,
) -> None:
    serdes = OffloadSerDes(store, threshold=1024)

    @durable_execution(serdes=serdes)
    async def handler(event: Any, ctx: DurableContext) -> list[int]:
        big = await ctx.step(lambda step: list(range(1000)), name="big")
        small = await ctx.step(lambda step: sum(big), name="small")
        return [len(big), small]

    runner = DurableTestRunner(handler, always_replay=True)
    run = await runner.start({})
    result = await run.result()

    assert result.status == "SUCCEEDED", result.error
    assert result.result == [1000, 499500]
    assert run.step("big").result["key"] == serdes.key_for(
        SerDesContext(run.step("big").id, run.arn)
    )
    assert run.step("small").result == 499500  # under the threshold: checkpointed as it is
    assert stored_files(store) == [serdes.key_for(SerDesContext(run.step("big").id, run.arn))]
