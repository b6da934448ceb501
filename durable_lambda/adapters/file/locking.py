"""Locks that keep two drivers off one execution: across processes, and across tasks of one.

Across processes the lock is ``fcntl.flock`` on a lock file in the execution's directory: the
kernel releases it when its holder exits, however it exits (even ``SIGKILL``), so a lock is
never left behind by a crash; the holder writes its pid into the file so that a refused
process can say who holds it. The lock file is opened without following a link and only if it
is a regular file (see ``atomic.open_regular``): a link planted at the lock path must not get its
target emptied when the holder writes its pid. Inside one process an ``asyncio.Lock`` queues the
tasks of an event loop in order, without polling. POSIX only (Linux, macOS).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
import weakref
from pathlib import Path
from types import TracebackType

from durable_lambda.adapters.file.atomic import make_directory, open_regular
from durable_lambda.adapters.file.errors import (
    ExecutionLockedError,
    UnsafeFileError,
    storage_error,
)
from durable_lambda.service.ports import ExecutionNotFoundError

__all__ = ["ExecutionLock", "local_lock"]

_POLL_FIRST = 0.005
_POLL_MOST = 0.1
_LOCAL_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def local_lock(key: str) -> asyncio.Lock:
    """Return the ``asyncio.Lock`` that every task of the running loop shares for ``key``.

    Locks belong to one event loop, so each loop gets its own set (a process that runs
    several loops one after the other, as a test suite does, never shares a lock across them).
    """
    loop = asyncio.get_running_loop()
    locks = _LOCAL_LOCKS.get(loop)
    if locks is None:
        locks = _LOCAL_LOCKS[loop] = {}
    lock = locks.get(key)
    if lock is None:
        lock = locks[key] = asyncio.Lock()
    return lock


def _deadline(wait: bool | float) -> float | None:
    """Turn ``wait`` into a ``time.monotonic`` deadline; None waits for ever."""
    if wait is True:
        return None
    seconds = 0.0 if wait is False else float(wait)
    if seconds < 0:
        raise ValueError(f"wait must be True, False or seconds >= 0; got {wait!r}")
    return time.monotonic() + seconds


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


class ExecutionLock:
    """Holds one execution's lock while a driver (an orchestrator) works on it.

    Use it through ``FileExecutionStore.lock``. It is not re-entrant: a task that holds it and
    asks again is refused (or waits for itself).

    Args:
        path: The lock file (created if missing).
        execution_arn: The execution, for error messages.
        wait: True to wait as long as it takes, False to fail at once if the lock is held,
            or a number of seconds to wait at most.
        create_directory: Whether to create the lock file's directory if it is missing; when
            False, a missing directory means the execution does not exist.

    Raises:
        ExecutionLockedError: (on entry) The lock is held and waiting ran out; it names the
            execution and the holder's pid.
        ExecutionNotFoundError: (on entry) The directory is missing and may not be created.
        UnsafeFileError: (on entry) The lock path is a link, or anything but a regular file.
        StoragePermissionError: (on entry) The lock file cannot be opened.
    """

    def __init__(
        self,
        path: Path,
        execution_arn: str,
        wait: bool | float = False,
        *,
        create_directory: bool = True,
    ) -> None:
        self.path = path
        self.execution_arn = execution_arn
        self._wait = wait
        self._create_directory = create_directory
        self._local: asyncio.Lock | None = None
        self._fd: int | None = None

    async def __aenter__(self) -> ExecutionLock:
        deadline = _deadline(self._wait)
        local = local_lock(f"drive:{self.path}")
        if local.locked() and _remaining(deadline) == 0:
            raise self._locked(os.getpid())
        try:
            async with asyncio.timeout(_remaining(deadline)):
                await local.acquire()
        except TimeoutError:
            raise self._locked(os.getpid()) from None
        try:
            self._fd = await self._hold_file_lock(deadline)
        except BaseException:
            local.release()
            raise
        self._local = local
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        fd, local = self._fd, self._local
        self._fd = self._local = None
        try:
            if fd is not None:
                # Clear the holder's pid first, so nobody ever reads a pid that no longer holds.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        finally:
            if local is not None:
                local.release()

    async def _hold_file_lock(self, deadline: float | None) -> int:
        # One trip to a worker thread when nobody holds the lock (the local service takes the
        # record lock around every change): open it, take it, write the pid.
        fd, held = await asyncio.to_thread(self._open_and_take)
        try:
            pause = _POLL_FIRST
            while not held:
                remaining = _remaining(deadline)
                if remaining == 0:
                    raise self._locked(await asyncio.to_thread(_read_pid, fd))
                await asyncio.sleep(pause if remaining is None else min(pause, remaining))
                pause = min(pause * 2, _POLL_MOST)
                held = _try_flock(fd)
                if held:
                    await asyncio.to_thread(_write_pid, fd)
        except BaseException:
            os.close(fd)  # closing also releases the flock if it was taken
            raise
        return fd

    def _open_and_take(self) -> tuple[int, bool]:
        """Open the lock file and try to take it; write the pid if taken (blocking)."""
        fd = self._open()
        try:
            held = _try_flock(fd)
            if held:
                _write_pid(fd)
        except BaseException:
            os.close(fd)
            raise
        return fd, held

    def _open(self) -> int:
        try:
            if self._create_directory:
                make_directory(self.path.parent)
            return open_regular(self.path, os.O_RDWR | os.O_CREAT)
        except UnsafeFileError as error:
            error.execution_arn = self.execution_arn
            raise
        except FileNotFoundError as error:
            if self._create_directory:
                raise storage_error(
                    error, self.path, "open the lock file", execution_arn=self.execution_arn
                ) from error
            raise ExecutionNotFoundError(
                "no execution has this ARN", execution_arn=self.execution_arn
            ) from None
        except OSError as error:
            raise storage_error(
                error, self.path, "open the lock file", execution_arn=self.execution_arn
            ) from error

    def _locked(self, holder_pid: int | None) -> ExecutionLockedError:
        return ExecutionLockedError(
            execution_arn=self.execution_arn, lock_path=self.path, holder_pid=holder_pid
        )


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _write_pid(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def _read_pid(fd: int) -> int | None:
    """Return the pid the holder wrote, or None if it has not written it yet."""
    try:
        return int(os.pread(fd, 32, 0).split()[0])
    except (OSError, ValueError, IndexError):
        return None
