"""Crash-safe file primitives (blocking; the store runs them in a worker thread).

A file is never written in place: the bytes go to a temporary file in the same directory,
which is flushed and fsynced, then renamed over the target (``os.replace``, atomic on POSIX)
or hard-linked to it when the target must not exist yet (``os.link`` fails if it does, so two
creators cannot both win). The directory is fsynced last, so the rename itself survives a
power cut. A reader therefore sees the old file or the new one, never a mix, whatever moment
a crash or a ``SIGKILL`` strikes.

Every file is opened without following a symbolic link (``O_NOFOLLOW``) and refused unless it
is a regular file (``UnsafeFileError``): whoever plants a link where the store keeps a file
cannot make it read, write or empty the link's target. Files are created ``0600`` and folders
``0700`` (a umask can only narrow that), since records hold inputs and step results.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import NamedTuple

from durable_lambda.adapters.file.errors import UnsafeFileError

__all__ = [
    "DIRECTORY_MODE",
    "FILE_MODE",
    "FileIdentity",
    "append_durably",
    "create_exclusively",
    "fsync_directory",
    "make_directory",
    "open_regular",
    "read_file",
    "read_head",
    "read_tail",
    "replace_atomically",
]

FILE_MODE = 0o600
"""The mode of every file the store creates: records hold inputs and results."""
DIRECTORY_MODE = 0o700
"""The mode of every folder the store creates: nobody else may plant files in it."""

# O_NONBLOCK: opening a FIFO planted where a file should be must fail or return at once, never
# wait for a writer; on a regular file it changes nothing.
_SAFE = os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_OPEN_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL
_OPEN_DIRECTORY = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_DIRECTORY", 0)
# What open(2) says when the path holds a link (O_NOFOLLOW), a folder, a socket or a FIFO.
_WRONG_KIND = frozenset(
    {errno.ELOOP, errno.EISDIR, errno.ENXIO, errno.EMLINK, getattr(errno, "EFTYPE", errno.ELOOP)}
)
_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


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


def _kind(mode: int) -> str | None:
    """Return what a file of ``mode`` is, in words; None for a regular file."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return None if stat.S_ISREG(mode) else "not a regular file"


def open_regular(path: Path, flags: int, mode: int = FILE_MODE) -> int:
    """Open ``path`` as ``os.open`` does, but never through a link and only a regular file.

    Args:
        path: The file.
        flags: The ``os.open`` flags (``O_NOFOLLOW``, ``O_NONBLOCK`` and ``O_CLOEXEC`` are added).
        mode: The mode of a file ``O_CREAT`` creates.

    Returns:
        The file descriptor.

    Raises:
        UnsafeFileError: ``path`` is a symbolic link, a directory, a FIFO, a socket or a device.
        OSError: What ``os.open`` raised otherwise (``FileNotFoundError``...).
    """
    try:
        fd = os.open(path, flags | _SAFE, mode)
    except OSError as error:
        if error.errno in _WRONG_KIND:
            try:
                found = _kind(os.lstat(path).st_mode)
            except OSError:
                found = None
            if found is not None:
                raise UnsafeFileError(path, found) from error
        raise
    try:
        found = _kind(os.fstat(fd).st_mode)
    except BaseException:
        os.close(fd)
        raise
    if found is not None:
        os.close(fd)
        raise UnsafeFileError(path, found)
    return fd


def fsync_directory(path: Path) -> None:
    """Make the entries of directory ``path`` (new names, renames) durable."""
    fd = os.open(path, _OPEN_DIRECTORY)
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
        path.mkdir(mode=DIRECTORY_MODE)
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
    # O_EXCL never follows a link either: a link planted at the name fails the open.
    fd = open_regular(temporary, _OPEN_NEW)
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
    """Return the bytes of ``path`` and the identity of the version read; None if missing.

    Raises:
        UnsafeFileError: ``path`` is not a regular file (a link is not followed).
    """
    return read_tail(path, 0)


def read_tail(path: Path, offset: int) -> tuple[bytes, FileIdentity] | None:
    """Return the bytes of ``path`` from ``offset`` to its end, and the version read.

    None if the file is missing.

    Raises:
        UnsafeFileError: ``path`` is not a regular file (a link is not followed).
    """
    try:
        fd = open_regular(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        identity = FileIdentity.of(os.fstat(fd))
        chunks = []
        position = offset
        while chunk := os.pread(fd, max(identity.size - position, 1 << 16), position):
            chunks.append(chunk)
            position += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks), identity


def append_durably(path: Path, end: int, data: bytes, inode: tuple[int, int]) -> FileIdentity:
    """Write ``data`` at offset ``end`` of ``path``, cutting off what follows, and fsync it.

    What follows ``end`` is what a writer killed mid-write left (it was never acknowledged).
    ``data`` is durable when this returns; if writing fails, the file is cut back to ``end``
    (as far as it can be) so that nothing half-written stays.

    Args:
        path: The file; it must exist.
        end: Where ``data`` goes.
        data: What to write.
        inode: The (device, inode) the file must be: the version the caller read.

    Returns:
        The identity of the file once written.

    Raises:
        UnsafeFileError: ``path`` is not a regular file (a link is not followed).
        FileNotFoundError: ``path`` is missing, or was replaced since the caller read it.
        OSError: Writing failed; nothing of ``data`` is left in the file.
    """
    fd = open_regular(path, os.O_WRONLY)
    try:
        status = os.fstat(fd)
        if (status.st_dev, status.st_ino) != inode:
            raise FileNotFoundError(errno.ENOENT, "replaced since it was read", str(path))
        try:
            if status.st_size != end:
                os.ftruncate(fd, end)
            view = memoryview(data)
            position = end
            while view:
                written = os.pwrite(fd, view, position)
                view = view[written:]
                position += written
            _sync_data(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, end)
                _sync_data(fd)
            raise
        return FileIdentity.of(os.fstat(fd))
    finally:
        os.close(fd)


def _sync_data(fd: int) -> None:
    # fdatasync flushes the data and the size (all a reader needs), not the times.
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)


def read_head(path: Path, limit: int) -> tuple[bytes, int] | None:
    """Return the first line of ``path`` (at most ``limit`` bytes) and the file's size.

    The line keeps its newline; without one, it was cut short (or is longer than ``limit``).
    None if the file is missing.

    Raises:
        UnsafeFileError: ``path`` is not a regular file (a link is not followed).
    """
    try:
        fd = open_regular(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        size = os.fstat(fd).st_size
        head = b""
        while len(head) < limit and b"\n" not in head:
            chunk = os.read(fd, min(limit - len(head), 1 << 12))
            if not chunk:
                break
            head += chunk
    finally:
        os.close(fd)
    end = head.find(b"\n")
    return (head if end < 0 else head[: end + 1]), size


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
