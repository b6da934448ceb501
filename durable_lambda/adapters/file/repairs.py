"""Repairing and removing an execution's files: the rarely run part of ``FileExecutionStore``.

``StoreRepairs`` is the file store's base class: it holds ``repair``, ``recover`` and ``delete``
on top of the few primitives the store defines (where an execution's files are, the serialised
write in a worker thread, what the store remembers), so that the store's everyday reads and
writes stay in ``store`` on their own.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from durable_lambda.adapters.file.atomic import fsync_directory, make_directory
from durable_lambda.adapters.file.errors import UnsafeFileError, storage_error
from durable_lambda.adapters.file.execution_files import ExecutionFiles, StoredExecution
from durable_lambda.adapters.file.layout import (
    JOURNAL_FILE,
    LOCK_FILE,
    RECORD_FILE,
    RECORD_LOCK_FILE,
)
from durable_lambda.adapters.file.locking import ExecutionLock
from durable_lambda.adapters.file.recovery import (
    RepairOutcome,
    RepairReport,
    best_copy,
    check_folder,
    record_copies,
)
from durable_lambda.core.errors import ValidationError
from durable_lambda.service.ports import ExecutionNotFoundError
from durable_lambda.service.record import ExecutionRecord

__all__ = ["StoreRepairs"]

T = TypeVar("T")


class StoreRepairs:
    """``repair``, ``recover`` and ``delete`` of ``FileExecutionStore`` (its base class).

    The primitives below are the store's own; ``FileExecutionStore`` defines every one.
    """

    _executions: Path

    def execution_directory(self, arn: str) -> Path:
        """Return the folder of execution ``arn``."""
        raise NotImplementedError

    def _files(self, arn: str) -> ExecutionFiles:
        raise NotImplementedError

    def _remember(self, arn: str, stored: StoredExecution) -> None:
        raise NotImplementedError

    def _forget(self, arn: str) -> None:
        raise NotImplementedError

    async def _write(self, arn: str, write: Callable[[], T], action: str) -> T:
        raise NotImplementedError

    async def repair(
        self, record: ExecutionRecord, *, created_ns: int | None = None
    ) -> Path | None:
        """Replace execution ``record.arn``'s files with ``record``, whatever state they are in.

        The way past a ``CorruptExecutionError`` when you hold the record to store (``recover``
        finds one in the execution's folder): the damaged file is kept beside the new one,
        renamed ``execution.jsonl.corrupt-<time>`` (the journal, if any, as
        ``journal.corrupt-<time>``), for inspection.

        Args:
            record: The record to store (its ARN says which execution).
            created_ns: The execution's creation time (orders executions that started at the
                same moment); now by default.

        Returns:
            Where the damaged file was moved; None if there was no file.

        Raises:
            StorageFullError: No room on the disk; nothing was changed.
            StoragePermissionError: The directory may not be written.
        """
        return (await self._repair(record, created_ns))[0]

    async def _repair(
        self, record: ExecutionRecord, created_ns: int | None
    ) -> tuple[Path | None, Path | None]:
        """``repair``; return where the record file and the journal were kept."""
        files = self._files(record.arn)
        now = time.time_ns()
        created = now if created_ns is None else created_ns
        kept = record.snapshot()

        def write() -> tuple[StoredExecution, Path | None, Path | None]:
            make_directory(files.record_path.parent)
            # Later than any journal left beside it, which is then stale whatever it holds.
            generation = files.generations() + 1
            moved = [
                _keep(path, path.with_name(f"{path.name}.corrupt-{now}"))
                for path in (files.record_path, files.journal_path)
            ]
            return files.write_whole(kept, created, generation), moved[0], moved[1]

        try:
            stored, moved, moved_journal = await self._write(record.arn, write, "repair")
        except BaseException:
            self._forget(record.arn)
            raise
        self._remember(record.arn, stored)
        return moved, moved_journal

    async def delete(self, arn: str) -> None:
        """Remove execution ``arn``'s folder (``DeletingExecutionStore``).

        The record goes first, in one step: from then on the execution is gone for ``load``
        and the listings, and a crash before the rest of the folder goes (its lock files,
        temporaries, damaged copies kept by ``repair``) leaves only a folder they pass over.
        The caller holds ``lock(arn)`` meanwhile, so that no driver works on it.

        Raises:
            ExecutionNotFoundError: No such execution.
            UnsafeFileError: The execution's folder is a symbolic link.
            StoragePermissionError: The folder may not be changed.
        """
        directory = self.execution_directory(arn)
        path = directory / RECORD_FILE

        def remove() -> None:
            missing = ExecutionNotFoundError("no execution has this ARN", execution_arn=arn)
            try:
                mode = os.lstat(directory).st_mode
            except FileNotFoundError:
                raise missing from None
            if stat.S_ISLNK(mode):  # never through a link to somewhere else
                raise UnsafeFileError(directory, "a symbolic link")
            if not stat.S_ISDIR(mode):
                raise missing
            try:
                os.unlink(path)  # unlink(2) removes a link itself, never its target
            except FileNotFoundError:
                raise missing from None
            fsync_directory(directory)
            shutil.rmtree(directory, ignore_errors=True)
            fsync_directory(directory.parent)

        await self._write(arn, remove, "delete")
        self._forget(arn)

    async def recover(self, directory: str) -> RepairReport:
        """Repair the execution kept in folder ``directory``, with the best record it still has.

        If its files are sound, nothing changes (``HEALTHY``). Otherwise every copy of the
        record left in the folder is read (the record file itself, with as much of its journal
        as is sound, the complete temporary file of a write a crash interrupted, damaged files
        earlier repairs kept) and the most advanced one is stored, the damaged files kept
        beside it (``RESTORED``). When no copy is readable, the damaged file is renamed
        ``execution.jsonl.corrupt-<time>`` so that the execution is no longer listed
        (``SET_ASIDE``); nothing is ever deleted.

        It holds the execution's lock meanwhile, so it never races a driver.

        Args:
            directory: The execution's folder name (``DamagedExecution.name``;
                ``directory_name(arn)`` for an ARN).

        Returns:
            What was found and done.

        Raises:
            ValidationError: ``directory`` is not a folder name.
            ExecutionNotFoundError: The store has no such folder, or it holds no execution file.
            ExecutionLockedError: A driver is running the execution.
            ExecutionStoreError: The file was written by a newer durable-lambda, or may not be
                read or written.
        """
        if not directory or "/" in directory or directory in (".", "..") or "\0" in directory:
            raise ValidationError(f"{directory!r} is not the name of an execution folder")
        folder = self._executions / directory
        if not folder.is_dir():
            raise ExecutionNotFoundError(f"no execution folder {folder}")
        async with (
            ExecutionLock(folder / LOCK_FILE, directory, create_directory=False),
            ExecutionLock(folder / RECORD_LOCK_FILE, directory, wait=True, create_directory=False),
        ):
            sound, problem, damaged = await asyncio.to_thread(check_folder, folder)
            if problem is None:
                return RepairReport(folder, RepairOutcome.HEALTHY, restored=sound)
            best = best_copy(await asyncio.to_thread(record_copies, folder))
            if best is None:
                kept = await self._set_aside(folder)
                return RepairReport(folder, RepairOutcome.SET_ASIDE, problem, kept=kept)
            moved, moved_journal = await self._repair(best.record, best.created_ns)
            kept = moved_journal if damaged == folder / JOURNAL_FILE else moved
            return RepairReport(folder, RepairOutcome.RESTORED, problem, restored=best, kept=kept)

    async def _set_aside(self, folder: Path) -> Path | None:
        """Rename the folder's execution file (and journal) out of the way; return the first."""
        now = time.time_ns()

        def move() -> Path | None:
            kept = [
                path.with_name(f"{path.name}.corrupt-{now}")
                for path in (folder / RECORD_FILE, folder / JOURNAL_FILE)
            ]
            moved: list[Path | None] = []
            for path, new in zip((folder / RECORD_FILE, folder / JOURNAL_FILE), kept, strict=True):
                try:
                    os.rename(path, new)
                except FileNotFoundError:
                    moved.append(None)
                else:
                    moved.append(new)
            fsync_directory(folder)
            return moved[0]

        try:
            return await asyncio.to_thread(move)
        except OSError as error:
            raise storage_error(error, folder / RECORD_FILE, "set aside") from error


def _keep(path: Path, kept: Path) -> Path | None:
    """Keep ``path`` as ``kept`` too (a hard link; a link is linked itself, never followed)."""
    try:
        os.link(path, kept, follow_symlinks=False)
    except FileNotFoundError:
        return None
    return kept
