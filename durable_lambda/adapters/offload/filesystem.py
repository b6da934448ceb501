"""``FileBlobStore``: offloaded payloads as files under a folder (an EFS or S3 Files mount).

Each object is written whole or not at all: to a temporary file beside it, flushed and
fsynced, renamed over the target (atomic on POSIX), then the folder is fsynced so the rename
survives a power cut. Files are created ``0600`` and folders ``0700`` (a umask can only narrow
that): payloads hold step results. Links are never followed, and keys cannot leave the root.

The file store of executions (``durable_lambda.adapters.file``) does the same for its records;
this module does not import it, so that a Lambda function writing to EFS loads no more than
these few lines.

A failure that may pass with time is ``BlobStoreUnavailableError`` (the invocation is retried):
a network file system that timed out (``ETIMEDOUT``), a file handle gone stale under another
client's rename (``ESTALE``, reopened by path on the next try), a resource busy or momentarily
exhausted (``EAGAIN``, ``EBUSY``, ``ENOLCK``). Everything else stays ``BlobStoreError`` (the
execution fails): permissions, a read-only or full file system (``ENOSPC``, ``EDQUOT``: a retry
within the minutes Lambda retries in would meet it again) and ``EIO``, which a file system
reports for a failed device as much as for a lost server.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from durable_lambda.adapters.offload.errors import (
    BlobNotFoundError,
    BlobStoreError,
    BlobStoreUnavailableError,
)
from durable_lambda.core.errors import ValidationError

__all__ = ["FileBlobStore"]

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
_NO_LINKS = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_READ_CHUNK = 1 << 20
_TEMPORARY_ERRNOS = frozenset(
    {errno.ETIMEDOUT, errno.ESTALE, errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY, errno.ENOLCK}
)


class FileBlobStore:
    """A ``BlobStore`` over a folder; keys are relative paths under it.

    References record the root they were written under, for people; reads go to this store's
    own root, since a shared mount may sit at another path on another host.

    Args:
        root: The folder (created, ``0700``, on first write if missing).

    Raises:
        ValidationError: ``root`` is empty.
    """

    kind = "file"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        if not os.fspath(root):
            raise ValidationError("root must name a folder, got ''", field="root")
        self.root = Path(root).absolute()

    def __repr__(self) -> str:
        return f"FileBlobStore({str(self.root)!r})"

    @property
    def location(self) -> str:
        """The root folder."""
        return str(self.root)

    def path_of(self, key: str) -> Path:
        """Return the file of ``key``.

        Raises:
            BlobStoreError: ``key`` is absolute, empty, or has an empty, ``.`` or ``..`` part
                (it would leave the root or alias another key).
        """
        parts = key.split("/")
        if any(part in ("", ".", "..") or "\x00" in part for part in parts):
            raise BlobStoreError(f"unsafe key {key!r} for a folder: it must stay under the root")
        return self.root.joinpath(*parts)

    def put(self, key: str, data: bytes, metadata: Mapping[str, str]) -> None:
        """Write ``data`` to the file of ``key``, all at once, replacing any file there.

        ``metadata`` is not kept: a file has nowhere to put it.

        Raises:
            BlobStoreError: the key is unsafe, or the file could not be written (nothing changed).
        """
        path = self.path_of(key)
        try:
            _make_directories(path.parent)
            _replace_atomically(path, data)
        except OSError as error:
            raise _store_error(f"cannot write {path}", error) from error

    def get(self, location: str, key: str) -> bytes:
        """Return the bytes of the file of ``key`` under this store's root.

        Raises:
            BlobNotFoundError: no such file.
            BlobStoreError: the key is unsafe, the path holds a link or something other than a
                regular file, or the file cannot be read.
        """
        path = self.path_of(key)
        try:
            return _read_regular(path)
        except FileNotFoundError:
            raise BlobNotFoundError(str(self.root), key) from None
        except OSError as error:
            raise _store_error(f"cannot read {path}", error) from error


def _store_error(what: str, error: OSError) -> BlobStoreError:
    """Describe an ``OSError``: ``BlobStoreUnavailableError`` if it may pass with time."""
    kind = BlobStoreUnavailableError if error.errno in _TEMPORARY_ERRNOS else BlobStoreError
    return kind(f"{what}: {error.strerror or error}")


def _make_directories(path: Path) -> None:
    """Create ``path`` and missing parents (``0700``), making each new entry durable."""
    if path.is_dir():
        return
    _make_directories(path.parent)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=DIRECTORY_MODE)
        _fsync_directory(path.parent)


def _replace_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_LINKS, FILE_MODE)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    _fsync_directory(path.parent)


def _read_regular(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NO_LINKS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        chunks = []
        while chunk := os.read(fd, _READ_CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    except OSError as error:
        # Some file systems cannot fsync a folder; their renames are as durable as it gets.
        if error.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)
