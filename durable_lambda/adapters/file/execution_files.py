"""One execution's files together: the record file and its journal, read and written as one.

Blocking: the store runs all of this in worker threads, under the locks it needs.

* ``read``: the record file is verified and decoded, and the journal's changes are applied to it
  when the journal belongs to it (same generation, creation time and record SHA-256). A journal
  of an older generation (or of an earlier execution with the same ARN) is stale: the record
  file was written whole since, with every change in it, so it is ignored. A journal of a newer
  generation means another process is writing the record whole at this moment: the read starts
  over.
* ``refresh``: an execution read before is checked with two ``stat`` calls; when neither file
  changed nothing is read, when only the journal grew only its new changes are.
* ``append``: a change goes to the end of the journal, and is fsynced before the call returns.
* ``compact``: the record is written whole, as the next generation (atomically), then a new empty
  journal replaces the old one (atomically). A crash between the two leaves the new record file
  and the old journal, stale by then: nothing is lost, nothing is applied twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from durable_lambda.adapters.file import journal, record_file
from durable_lambda.adapters.file.atomic import (
    FileIdentity,
    append_durably,
    read_file,
    read_head,
    read_tail,
    remove_stale_temporaries,
    replace_atomically,
)
from durable_lambda.adapters.file.errors import CorruptExecutionError, ExecutionStoreError
from durable_lambda.adapters.file.journal import JournalHeader
from durable_lambda.adapters.file.layout import JOURNAL_FILE, RECORD_FILE
from durable_lambda.adapters.file.record_file import ExecutionFileHeader
from durable_lambda.service.ports import ExecutionNotFoundError
from durable_lambda.service.record import ExecutionRecord

__all__ = ["ExecutionFiles", "JournalPolicy", "JournalState", "StoredExecution"]

_READ_ATTEMPTS = 20


@dataclass(frozen=True)
class JournalPolicy:
    """When the record is written whole instead of journalling one more change.

    The journal may grow to ``fraction`` of the record file, and to ``min_bytes`` whatever the
    record's size. The record file then grows by about that fraction from one whole write to
    the next, so over an execution's life the whole writes add up to about
    ``(1 + fraction) / fraction`` times the final record (twice it, by default) besides the
    journal itself: linear in the execution. Loading reads at most ``1 + fraction`` times the
    record.

    Attributes:
        min_bytes: The journal never needs compacting below this size.
        fraction: Past this fraction of the record file's size, it does.
    """

    min_bytes: int = 256 * 1024
    fraction: float = 1.0

    def due(self, journal_bytes: int, record_bytes: int) -> bool:
        """Whether a journal of ``journal_bytes`` beside a record of ``record_bytes`` is due."""
        return journal_bytes > max(self.min_bytes, self.fraction * record_bytes)


@dataclass
class JournalState:
    """The journal as last read or written.

    Attributes:
        identity: The version read or written (another inode at its path is another journal;
            the same one with another time was changed, and is read again).
        end: Where its last complete change ends (where the next one goes).
        changes: How many changes it holds.
        applies: Whether it belongs to the record file read with it; a stale one does not.
    """

    identity: FileIdentity
    end: int
    changes: int
    applies: bool

    @property
    def inode(self) -> tuple[int, int]:
        """Its (device, inode)."""
        return self.identity.device, self.identity.inode


@dataclass
class StoredExecution:
    """An execution as its files hold it, and which versions of the files that was.

    Attributes:
        record: The record: the record file's, with the journal's changes applied.
        header: The record file's header.
        snapshot: The identity of the record file read.
        journal: The journal read with it; None when there was none.
    """

    record: ExecutionRecord
    header: ExecutionFileHeader
    snapshot: FileIdentity
    journal: JournalState | None


class ExecutionFiles:
    """The record file and the journal of one execution, in ``directory``.

    Args:
        directory: The execution's folder.
        arn: The execution (the files must hold it).
    """

    def __init__(self, directory: Path, arn: str) -> None:
        self.arn = arn
        self.record_path = directory / RECORD_FILE
        self.journal_path = directory / JOURNAL_FILE

    def read(self) -> StoredExecution:
        """Read the execution from its files.

        Raises:
            ExecutionNotFoundError: There is no record file.
            CorruptExecutionError: A file is damaged (it names the file).
            UnsafeFileError: A file is a link, a folder, a pipe...
            ExecutionStoreError: A file was written by a newer format, or the files kept
                being rewritten while they were read.
            OSError: A file could not be read.
        """
        previous: FileIdentity | None = None
        for _ in range(_READ_ATTEMPTS):
            found = read_file(self.record_path)
            if found is None:
                raise ExecutionNotFoundError("no execution has this ARN", execution_arn=self.arn)
            data, identity = found
            if identity == previous:
                # The journal is newer than a record file that is not being rewritten.
                raise CorruptExecutionError(
                    self.journal_path,
                    "the journal names a later generation than the record file",
                    execution_arn=self.arn,
                )
            header, body = record_file.verify(data, self.record_path, self.arn)
            record = record_file.decode_record(body, self.record_path, self.arn)
            stored = StoredExecution(record, header, identity, None)
            if self._read_journal(stored):
                return stored
            previous = identity
        raise ExecutionStoreError(
            f"{self.record_path} was written whole again and again while it was read; try again",
            path=self.record_path,
            execution_arn=self.arn,
        )

    def _read_journal(self, stored: StoredExecution) -> bool:
        """Apply the journal to ``stored``; False when it is newer than the record file read."""
        found = read_file(self.journal_path)
        if found is None:
            return True
        data, identity = found
        header, start = journal.parse_header(data, self.journal_path, self.arn)
        ours = stored.header
        if header.created_ns != ours.created_ns or header.generation < ours.generation:
            stored.journal = JournalState(identity, len(data), 0, applies=False)
            return True
        if header.generation > ours.generation:
            return False  # written whole meanwhile: read again
        if header.record_sha256 != ours.record_sha256:
            raise CorruptExecutionError(
                self.journal_path,
                "the journal belongs to another version of the record (the record SHA-256 "
                "its header names differs)",
                execution_arn=self.arn,
            )
        read = journal.read_changes(data, start, 1)
        if read.damage is not None:
            raise CorruptExecutionError(self.journal_path, read.damage, execution_arn=self.arn)
        for change in read.changes:
            change.apply(stored.record)
        stored.journal = JournalState(identity, read.end, len(read.changes), applies=True)
        return True

    def refresh(self, stored: StoredExecution) -> StoredExecution:
        """Bring ``stored`` up to date with the files, reading only what changed.

        Returns:
            ``stored`` (changed in place when only the journal grew), or the execution read
            anew.

        Raises:
            As ``read``.
        """
        try:
            status = os.stat(self.record_path, follow_symlinks=False)
        except FileNotFoundError:
            raise ExecutionNotFoundError(
                "no execution has this ARN", execution_arn=self.arn
            ) from None
        if FileIdentity.of(status) != stored.snapshot:
            return self.read()
        try:
            journal_status: os.stat_result | None = os.stat(
                self.journal_path, follow_symlinks=False
            )
        except FileNotFoundError:
            journal_status = None
        state = stored.journal
        if journal_status is None:
            return stored if state is None else self.read()
        found = FileIdentity.of(journal_status)
        if state is not None and found == state.identity:
            return stored
        if (
            state is None
            or not state.applies
            or (found.device, found.inode) != state.inode
            or found.size <= state.identity.size  # changed in place, not appended to
        ):
            return self.read()
        tail = read_tail(self.journal_path, state.end)
        if tail is None or (tail[1].device, tail[1].inode) != state.inode:
            return self.read()
        data, identity = tail
        read = journal.read_changes(data, 0, state.changes + 1, base=state.end)
        if read.damage is not None:
            raise CorruptExecutionError(self.journal_path, read.damage, execution_arn=self.arn)
        for change in read.changes:
            change.apply(stored.record)
        state.identity = identity
        state.end += read.end
        state.changes += len(read.changes)
        return stored

    def append(self, stored: StoredExecution, change: bytes) -> None:
        """Journal ``change`` (a ``RecordChange``'s JSON, applied to ``stored.record``), durably.

        Raises:
            OSError: It could not be written; the journal is as it was.
        """
        state = stored.journal
        if state is None or not state.applies:
            state = self._new_journal(stored)
        line = journal.encode_change(state.changes + 1, change)
        state.identity = append_durably(self.journal_path, state.end, line, state.inode)
        state.end += len(line)
        state.changes += 1

    def compact(self, stored: StoredExecution) -> None:
        """Write ``stored.record`` whole as the next generation, and start a new journal.

        Raises:
            OSError: The record file could not be written; the files are as they were.
        """
        header = stored.header
        data, new_header = record_file.encode(
            stored.record, header.created_ns, header.generation + 1
        )
        stored.snapshot = replace_atomically(self.record_path, data)
        stored.header = new_header
        # From here the change is durable: the old journal is stale beside the new record.
        remove_stale_temporaries(self.record_path)
        try:
            self._new_journal(stored)
        except OSError:
            stored.journal = None  # the next change starts the journal (or says why it cannot)
        remove_stale_temporaries(self.journal_path)

    def write_whole(
        self, record: ExecutionRecord, created_ns: int, generation: int
    ) -> StoredExecution:
        """Store ``record`` whole as ``generation``, whatever the files hold, with a new journal.

        Raises:
            OSError: The record file could not be written; the files are as they were.
        """
        data, header = record_file.encode(record, created_ns, generation)
        identity = replace_atomically(self.record_path, data)
        stored = StoredExecution(record, header, identity, None)
        remove_stale_temporaries(self.record_path)
        try:
            self._new_journal(stored)
        except OSError:
            stored.journal = None
        return stored

    def generations(self) -> int:
        """Return the highest generation either file's header names (0 when neither says).

        For a repair: a record written whole after it must be of a later generation than any
        journal left beside it. Damaged headers are passed over.
        """
        highest = 0
        for path in (self.record_path, self.journal_path):
            try:
                found = read_head(path, record_file.MAX_HEADER_BYTES)
            except (OSError, ExecutionStoreError):
                continue
            if found is None or not found[0].endswith(b"\n"):
                continue
            try:
                if path == self.record_path:
                    highest = max(highest, record_file.parse_header(found[0], path).generation)
                else:
                    highest = max(highest, JournalHeader.model_validate_json(found[0]).generation)
            except (ExecutionStoreError, ValueError):
                continue
        return highest

    def _new_journal(self, stored: StoredExecution) -> JournalState:
        """Replace the journal with an empty one that belongs to ``stored``'s record file."""
        header = stored.header
        data = journal.encode_header(
            JournalHeader(
                format=journal.FORMAT,
                version=journal.VERSION,
                arn=self.arn,
                generation=header.generation,
                created_ns=header.created_ns,
                record_sha256=header.record_sha256,
            )
        )
        identity = replace_atomically(self.journal_path, data)
        state = JournalState(identity, len(data), 0, applies=True)
        stored.journal = state
        return state
