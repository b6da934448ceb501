"""Crash-safe file primitives (blocking; the store runs them in a worker thread).

A file is never written in place: the bytes go to a temporary file in the same directory,
which is flushed and fsynced, then renamed over the target (``os.replace``, atomic on POSIX)
or hard-linked to it when the target must not exist yet (``os.link`` fails if it does, so two
creators cannot both win). The directory is fsynced last, so the rename itself survives a
power cut. A reader therefore sees the old file or the new one, never a mix, whatever moment
a crash or a ``SIGKILL`` strikes.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "FileIdentity",
    "create_exclusively",
    "fsync_directory",
    "make_directory",
    "read_file",
    "replace_atomically",
]

_OPEN_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_OPEN_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


class FileIdentity(NamedTuple):
    """Tells one version of a file from another (a rename makes a new inode)."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, status: os.stat_result) -> FileIdentity:
        """Return the identity of a ``stat`` result."""
        return cls(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def fsync_directory(path: Path) -> None:
    """Make the entries of directory ``path`` (new names, renames) durable."""
    fd = os.open(path, _OPEN_READ | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as error:
        # Some file systems cannot fsync a directory; their renames are as durable as it gets.
        if error.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def make_directory(path: Path) -> None:
    """Create ``path`` and its parents if missing, making each new entry durable."""
    if path.is_dir():
        return
    make_directory(path.parent)
    with contextlib.suppress(FileExistsError):
        path.mkdir()
        fsync_directory(path.parent)


def _temporary_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")


def remove_stale_temporaries(path: Path) -> int:
    """Remove the temporary files of writes to ``path`` whose writing process has died.

    A writer killed between creating its temporary file and renaming it leaves the file behind
    (never read: only ``path`` is). A temporary file names its writer's pid; one whose process
    is alive (or whose pid was reused by a live process) is left alone, so a write in flight is
    never disturbed.

    Housekeeping only: a file that cannot be listed or removed is left, silently.

    Returns:
        How many files were removed.
    """
    prefix = f".{path.name}."
    removed = 0
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return 0
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid_text = name[len(prefix) : -len(".tmp")].partition("-")[0]
        if pid_text.isdigit() and not _process_alive(int(pid_text)):
            try:
                os.unlink(entry.path)
            except OSError:
                continue
            removed += 1
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, and another user's
        return True
    return True


def _write_temporary(path: Path, data: bytes) -> tuple[Path, FileIdentity]:
    """Write ``data`` to a new temporary file beside ``path`` and fsync it."""
    temporary = _temporary_name(path)
    fd = os.open(temporary, _OPEN_NEW, 0o666)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        identity = FileIdentity.of(os.fstat(fd))
    except BaseException:
        os.close(fd)
        _remove(temporary)
        raise
    os.close(fd)
    return temporary, identity


def replace_atomically(path: Path, data: bytes) -> FileIdentity:
    """Make ``data`` the content of ``path``, all at once.

    Returns:
        The identity of the new file.

    Raises:
        OSError: Nothing was changed (the temporary file is removed).
    """
    temporary, identity = _write_temporary(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        _remove(temporary)
        raise
    fsync_directory(path.parent)
    return identity


def create_exclusively(path: Path, data: bytes) -> FileIdentity:
    """Create ``path`` with ``data``, all at once, unless it exists.

    Returns:
        The identity of the new file.

    Raises:
        FileExistsError: ``path`` exists; it is left as it was.
        OSError: Nothing was created.
    """
    temporary, identity = _write_temporary(path, data)
    try:
        os.link(temporary, path)
    finally:
        _remove(temporary)
    fsync_directory(path.parent)
    return identity


def read_file(path: Path) -> tuple[bytes, FileIdentity] | None:
    """Return the bytes of ``path`` and the identity of the version read; None if missing."""
    try:
        fd = os.open(path, _OPEN_READ)
    except FileNotFoundError:
        return None
    try:
        identity = FileIdentity.of(os.fstat(fd))
        chunks = []
        while chunk := os.read(fd, max(identity.size, 1 << 16)):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks), identity


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
