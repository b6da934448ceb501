"""FileBlobStore on real files in tmp_path: atomic replacement, modes, keys that stay inside."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from durable_lambda import ValidationError
from durable_lambda.adapters.offload import BlobNotFoundError, BlobStoreError, FileBlobStore


@pytest.fixture
def store(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "root")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_object_is_a_file_under_the_root_at_its_key(store: FileBlobStore) -> None:
    store.put("a/b/c", b"payload", {"sha256": "ignored"})

    assert (store.root / "a" / "b" / "c").read_bytes() == b"payload"
    assert store.get("/somewhere/else", "a/b/c") == b"payload"  # the store's own root counts
    assert store.location == str(store.root)


def test_files_are_0600_and_folders_0700(store: FileBlobStore) -> None:
    store.put("a/b/c", b"payload", {})

    assert mode(store.root / "a" / "b" / "c") == 0o600
    assert mode(store.root / "a" / "b") == 0o700
    assert mode(store.root / "a") == 0o700
    assert mode(store.root) == 0o700


def test_a_put_replaces_the_file_whole_and_leaves_no_temporary_file(
    store: FileBlobStore,
) -> None:
    store.put("k", b"first version, longer", {})
    inode = (store.root / "k").stat().st_ino
    store.put("k", b"second", {})

    assert store.get("", "k") == b"second"
    assert (store.root / "k").stat().st_ino != inode  # a new file renamed over the old one
    assert sorted(path.name for path in store.root.iterdir()) == ["k"]


def test_a_failed_write_changes_nothing_and_leaves_no_temporary_file(
    store: FileBlobStore,
) -> None:
    # A folder where the file should go: the rename over it fails after the data was written.
    (store.root / "k" / "inside").mkdir(parents=True)

    with pytest.raises(BlobStoreError, match="cannot write"):
        store.put("k", b"lost", {})

    assert sorted(path.name for path in store.root.iterdir()) == ["k"]
    assert sorted(path.name for path in (store.root / "k").iterdir()) == ["inside"]


def test_a_key_under_a_file_cannot_be_written(store: FileBlobStore) -> None:
    store.put("k", b"a file", {})

    with pytest.raises(BlobStoreError, match="cannot write"):
        store.put("k/child", b"x", {})
    assert store.get("", "k") == b"a file"


def test_a_missing_file_is_blob_not_found(store: FileBlobStore) -> None:
    with pytest.raises(BlobNotFoundError) as caught:
        store.get("", "no/such/key")

    assert caught.value.key == "no/such/key"
    assert caught.value.location == str(store.root)


@pytest.mark.parametrize(
    "key", ["../outside", "a/../../b", "/etc/passwd", "a//b", "", "./a", "a\x00"]
)
def test_a_key_that_would_leave_or_alias_under_the_root_is_refused(
    store: FileBlobStore, key: str
) -> None:
    with pytest.raises(BlobStoreError, match="unsafe key"):
        store.put(key, b"x", {})
    with pytest.raises(BlobStoreError, match="unsafe key"):
        store.get("", key)


def test_a_link_at_a_key_is_not_followed(store: FileBlobStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"do not read")
    store.root.mkdir(mode=0o700)
    (store.root / "k").symlink_to(secret)

    with pytest.raises(BlobStoreError, match="cannot read"):
        store.get("", "k")
    store.put("k", b"replaced", {})  # the link itself is replaced, its target left alone

    assert secret.read_bytes() == b"do not read"
    assert not (store.root / "k").is_symlink()
    assert store.get("", "k") == b"replaced"


def test_a_folder_at_a_key_is_not_read(store: FileBlobStore) -> None:
    (store.root / "k").mkdir(parents=True)

    with pytest.raises(BlobStoreError, match="cannot read"):
        store.get("", "k")


def test_an_empty_root_is_refused() -> None:
    with pytest.raises(ValidationError, match="root must name a folder"):
        FileBlobStore("")


def test_a_relative_root_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = FileBlobStore("payloads")

    assert store.root == tmp_path / "payloads"
