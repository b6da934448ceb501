"""The file store's journal: each change appended in proportion to it, read back over the record.

Real files in a scratch folder and real processes; nothing is mocked. A change of a record
(``FileExecutionStore.update``, what the local service does on each checkpoint) is one fsynced
line of the execution's ``journal``; the record file is written whole only when the journal has
grown past its share or the summary changes. Loading replays the journal over the record file,
ignores a torn last line, refuses damage anywhere else, and ``recover`` repairs a damaged
journal with everything before the damage.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from fork_server import fork_server

from durable_lambda import DurableContext, Duration
from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.file import (
    CorruptExecutionError,
    FileExecutionStore,
    RepairOutcome,
    UnsafeFileError,
)
from durable_lambda.adapters.file.execution_files import JournalPolicy
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.contract import START, sample_record
from durable_lambda.contract._samples import update
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus
from durable_lambda.testing import DurableTestRunner

HERE = Path(__file__).parent
NEVER = JournalPolicy(min_bytes=1 << 40)
"""A journal that is never folded into the record file."""
OFTEN = JournalPolicy(min_bytes=0, fraction=0.5)
"""A journal folded in as soon as it holds half as much as the record file."""


class Execution:
    """An execution driven through the local service over a file store, one step per call."""

    def __init__(self, store: FileExecutionStore) -> None:
        self.store = store
        self.service = LocalDurableService(store, FakeClock(START))
        self.arn = ""
        self.token = ""
        self.steps = 0

    async def start(self) -> Execution:
        self.arn = await self.service.start_execution("fn", '{"go": 1}')
        self.token = (await self.service.invocation_input(self.arn)).CheckpointToken
        return self

    async def step(self, count: int = 1) -> None:
        for _ in range(count):
            name = f"s{self.steps}"
            response = await self.service.checkpoint(
                self.arn,
                self.token,
                [update(name, "STEP", "START"), update(name, "STEP", "SUCCEED", Payload='"ok"')],
            )
            assert response.CheckpointToken is not None
            self.token = response.CheckpointToken
            self.steps += 1

    async def record(self) -> ExecutionRecord:
        return await self.service.get_record(self.arn)


async def fresh_load(root: Path, arn: str) -> ExecutionRecord:
    """The record as a new store (another process) reads it from the files alone."""
    return await FileExecutionStore(root).load(arn)


def journal_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


async def test_a_checkpoint_appends_its_change_and_leaves_the_record_file_alone(
    tmp_path: Path,
) -> None:
    store = FileExecutionStore(tmp_path, journal_policy=NEVER)
    run = await Execution(store).start()
    await run.step(10)
    journal = store.journal_path(run.arn)
    record_file = store.record_path(run.arn)
    record_bytes = record_file.read_bytes()
    early = len(journal.read_bytes())
    await run.step()
    early = len(journal.read_bytes()) - early

    await run.step(400)
    late = len(journal.read_bytes())
    await run.step()
    late = len(journal.read_bytes()) - late

    assert record_file.read_bytes() == record_bytes  # never written again
    # What a checkpoint writes does not grow with the execution: its own change only.
    assert late <= early * 1.2
    assert len(journal_lines(journal)) == 1 + 1 + 412  # the header, the first input, the calls
    assert await fresh_load(tmp_path, run.arn) == await run.record()


async def test_loading_ignores_a_torn_last_change_and_the_next_change_cuts_it_off(
    tmp_path: Path,
) -> None:
    store = FileExecutionStore(tmp_path, journal_policy=NEVER)
    run = await Execution(store).start()
    await run.step(5)
    expected = await run.record()
    journal = store.journal_path(run.arn)
    complete = journal.read_bytes()
    last = journal_lines(journal)[-1]

    for torn in (
        last[: len(last) // 2],  # a write cut short
        last[:-3] + b"x\n",  # complete, but not what was written
        b"\0" * 40,  # blocks a power cut left unwritten
    ):
        journal.write_bytes(complete + torn.replace(b"6 ", b"7 ", 1))
        assert await fresh_load(tmp_path, run.arn) == expected

    await Execution(FileExecutionStore(tmp_path)).start()  # another execution: unaffected
    again = Execution(FileExecutionStore(tmp_path, journal_policy=NEVER))
    again.arn, again.token, again.steps = run.arn, run.token, run.steps
    await again.step()

    assert journal.read_bytes().startswith(complete)
    assert b"\0" not in journal.read_bytes()
    assert len(journal_lines(journal)) == len(complete.splitlines()) + 1
    assert await fresh_load(tmp_path, run.arn) == await again.record()


def flip_a_byte_of_change(path: Path, number: int) -> None:
    lines = journal_lines(path)
    line = bytearray(lines[number])
    at = line.index(b'"operations"') + 3
    line[at] ^= 0x20
    lines[number] = bytes(line)
    path.write_bytes(b"".join(lines))


async def test_a_damaged_change_is_refused_never_read_past_and_repaired(tmp_path: Path) -> None:
    store = FileExecutionStore(tmp_path, journal_policy=NEVER)
    run = await Execution(store).start()
    await run.step(2)
    good = await run.record()
    await run.step(3)
    journal = store.journal_path(run.arn)
    flip_a_byte_of_change(journal, 4)  # the third step's change
    damaged = journal.read_bytes()

    for reader in (store, FileExecutionStore(tmp_path)):
        with pytest.raises(CorruptExecutionError) as caught:
            await reader.load(run.arn)
        assert caught.value.path == journal
        assert "change 4 (at byte" in caught.value.problem
        assert "CRC-32 does not match" in caught.value.problem
        assert f"durable-lambda repair {journal.parent.name}" in str(caught.value)
    with pytest.raises(CorruptExecutionError):
        await run.step()
    assert journal.read_bytes() == damaged  # reported, never overwritten

    report = await FileExecutionStore(tmp_path).recover(journal.parent.name)

    assert report.outcome is RepairOutcome.RESTORED
    assert report.restored is not None
    assert report.restored.record == good  # everything before the damage
    assert report.kept is not None
    assert report.kept.name.startswith("journal.corrupt-")
    assert report.kept.read_bytes() == damaged
    assert await fresh_load(tmp_path, run.arn) == good
    report = await FileExecutionStore(tmp_path).recover(journal.parent.name)
    assert report.outcome is RepairOutcome.HEALTHY


async def test_the_journal_is_folded_into_the_record_file_once_past_its_share(
    tmp_path: Path,
) -> None:
    store = FileExecutionStore(tmp_path, journal_policy=OFTEN)
    run = await Execution(store).start()
    record_file = store.record_path(run.arn)
    journal = store.journal_path(run.arn)
    generations = set()
    for _ in range(60):
        await run.step()
        header = json.loads(record_file.read_bytes().split(b"\n", 1)[0])
        journal_header = json.loads(journal.read_bytes().split(b"\n", 1)[0])
        assert journal_header["generation"] == header["generation"]
        assert journal_header["record_sha256"] == header["record_sha256"]
        assert journal.stat().st_size <= 0.5 * header["record_bytes"] + 2_000
        generations.add(header["generation"])

    assert len(generations) > 3
    assert await fresh_load(tmp_path, run.arn) == await run.record()


async def test_a_crash_between_the_record_file_and_its_new_journal_loses_nothing(
    tmp_path: Path,
) -> None:
    store = FileExecutionStore(tmp_path, journal_policy=NEVER)
    run = await Execution(store).start()
    await run.step(3)
    journal = store.journal_path(run.arn)
    old_journal = journal.read_bytes()
    expected = await run.record()
    await store.save(expected)  # the record written whole, and a new journal
    journal.write_bytes(old_journal)  # as if the process died before the new journal

    assert await fresh_load(tmp_path, run.arn) == expected  # the old journal is stale
    again = Execution(FileExecutionStore(tmp_path, journal_policy=NEVER))
    again.arn, again.token, again.steps = run.arn, run.token, run.steps
    await again.step(2)
    assert await fresh_load(tmp_path, run.arn) == await again.record()
    assert len(journal_lines(journal)) == 3  # a journal of the new generation


async def test_a_journal_newer_than_its_record_file_is_damage(tmp_path: Path) -> None:
    store = FileExecutionStore(tmp_path, journal_policy=NEVER)
    run = await Execution(store).start()
    await run.step()
    journal = store.journal_path(run.arn)
    header, rest = journal.read_bytes().split(b"\n", 1)
    fields = json.loads(header)
    fields["generation"] += 1
    journal.write_bytes(json.dumps(fields).encode() + b"\n" + rest)

    with pytest.raises(CorruptExecutionError, match="later generation than the record file"):
        await fresh_load(tmp_path, run.arn)


async def test_another_store_reads_only_what_changed_since_it_last_read(tmp_path: Path) -> None:
    writer = FileExecutionStore(tmp_path, journal_policy=NEVER)
    run = await Execution(writer).start()
    reader = FileExecutionStore(tmp_path)
    assert await reader.load(run.arn) == await run.record()
    first = await reader.view(run.arn, lambda record: record)

    await run.step(3)
    assert await reader.load(run.arn) == await run.record()
    assert await reader.view(run.arn, lambda record: record) is first  # brought up to date

    writer.journal_policy = OFTEN
    await run.step(40)  # the record file written whole meanwhile, more than once
    assert await reader.load(run.arn) == await run.record()


async def test_a_change_of_the_summary_rewrites_the_record_file(tmp_path: Path) -> None:
    store = FileExecutionStore(tmp_path, journal_policy=NEVER)
    run = await Execution(store).start()
    await run.step(2)

    assert await run.service.stop_execution(run.arn)

    [summary] = await FileExecutionStore(tmp_path).list_executions()
    assert summary.Status is ExecutionStatus.STOPPED
    assert summary.EndTimestamp is not None
    assert await fresh_load(tmp_path, run.arn) == await run.record()


async def test_a_link_planted_at_the_journal_is_refused_and_its_target_untouched(
    tmp_path: Path,
) -> None:
    store = FileExecutionStore(tmp_path / "store", journal_policy=NEVER)
    run = await Execution(store).start()
    await run.step()
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    journal = store.journal_path(run.arn)
    journal.unlink()
    journal.symlink_to(precious)

    with pytest.raises(UnsafeFileError, match="symbolic link"):
        await fresh_load(tmp_path / "store", run.arn)
    with pytest.raises(UnsafeFileError):
        await run.step()
    assert precious.read_text() == "keep me"
    assert os.readlink(journal) == str(precious)


async def test_a_record_file_of_format_version_1_is_read_and_journalled(tmp_path: Path) -> None:
    store = FileExecutionStore(tmp_path)
    record = sample_record()
    await store.create(record)
    path = store.record_path(record.arn)
    header, rest = path.read_bytes().split(b"\n", 1)
    fields = json.loads(header)
    fields["version"] = 1
    del fields["generation"]
    path.write_bytes(json.dumps(fields).encode() + b"\n" + rest)

    assert await fresh_load(tmp_path, record.arn) == record
    await FileExecutionStore(tmp_path).update(
        record.arn, lambda stored: setattr(stored, "invocation_count", 42)
    )

    assert (await fresh_load(tmp_path, record.arn)).invocation_count == 42
    assert (
        json.loads(store.journal_path(record.arn).read_bytes().split(b"\n")[0])["generation"] == 0
    )


# Real processes: killed in the middle of a change, or out of room for it.


def crash_record(seq: int) -> ExecutionRecord:
    """The record a crash-test worker stores as number ``seq``: changes of 0 to 40 kB."""
    record = sample_record("crash")
    record.invocation_count = seq
    record.input_payload = f"{seq}:" + "z" * ((seq * 7919) % 40 * 1000)
    return record


def become(seq: int) -> Any:
    """The change that turns the stored record into ``crash_record(seq)``."""
    target = crash_record(seq)

    def change(record: ExecutionRecord) -> None:
        record.invocation_count = target.invocation_count
        record.input_payload = target.input_payload

    return change


# The fork server's workers (tests/integration/fork_server.py) change the record to
# crash_record(seq), seq + 1, ... through update (the journal, folded in often) and say
# "stored <seq>" after each.
ZYGOTE = """
import asyncio, os, sys
sys.path.insert(0, sys.argv[1])
from test_file_store_journal import become
from durable_lambda.adapters.file import FileExecutionStore
from durable_lambda.adapters.file.execution_files import JournalPolicy

async def work(seq):
    store = FileExecutionStore(sys.argv[2], journal_policy=JournalPolicy(min_bytes=50_000))
    while True:
        await store.update(sys.argv[3], become(seq))
        say(f"stored {seq}")
        seq += 1
"""


async def kill_changes_at_random(root: Path, kills: int, seed: int) -> None:
    store = FileExecutionStore(root)
    arn = crash_record(0).arn
    await store.create(crash_record(0))
    rng = random.Random(seed)
    stored, changes, generations = 0, 0, set()
    async with fork_server(ZYGOTE, str(HERE), str(root), arn) as server:
        for _ in range(kills):
            reported = [stored, *await server.kill_a_worker(stored + 1, rng.uniform(0.005, 0.1))]
            record = await fresh_load(root, arn)
            seq = record.invocation_count
            assert record == crash_record(seq), f"a torn record after a kill (seq {seq})"
            assert seq >= reported[-1], f"change {reported[-1]} was reported, but {seq} is stored"
            assert seq <= reported[-1] + 1, f"change {seq} is stored but was never started"
            changes += len(reported) - 1
            stored = seq
            header = store.record_path(arn).read_bytes().split(b"\n", 1)[0]
            generations.add(json.loads(header)["generation"])
    assert changes >= kills, f"only {changes} changes in {kills} rounds: the kills came too early"
    assert len(generations) > 1, "the record file was never written whole: no compaction killed"


async def test_a_writer_killed_mid_change_leaves_the_last_complete_change(tmp_path: Path) -> None:
    await kill_changes_at_random(tmp_path, kills=25, seed=3)


@pytest.mark.slow
async def test_a_writer_killed_mid_change_many_times(tmp_path: Path) -> None:
    await kill_changes_at_random(tmp_path, kills=250, seed=4)


FILE_SIZE_LIMIT = """
import asyncio, json, os, resource, signal, sys
sys.path.insert(0, sys.argv[1])
from test_file_store_journal import become
from durable_lambda.adapters.file import FileExecutionStore, StorageFullError

root, arn, journal = sys.argv[2:5]
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit: EFBIG, not a killed process
limit = os.path.getsize(journal) + 500
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

async def main():
    store = FileExecutionStore(root)
    try:
        await store.update(arn, become(7))  # about 15 kB of change: past the limit
    except StorageFullError as error:
        report = {"errno": error.errno, "path": str(error.path), "message": str(error)}
    else:
        report = None
    print(json.dumps(report))

asyncio.run(main())
"""


async def test_a_full_disk_leaves_the_journal_as_it_was(tmp_path: Path) -> None:
    store = FileExecutionStore(tmp_path)
    arn = crash_record(0).arn
    await store.create(crash_record(0))
    await store.update(arn, become(1))
    journal = store.journal_path(arn)
    before = journal.read_bytes()

    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", FILE_SIZE_LIMIT, str(HERE), str(tmp_path), arn, str(journal),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0, err.decode()
    report = json.loads(out.decode().splitlines()[-1])

    assert report is not None, "the change was stored past the file size limit"
    assert report["errno"] == errno.EFBIG
    assert "no room to" in report["message"]
    assert journal.read_bytes() == before  # cut back: nothing half-written stays
    assert await fresh_load(tmp_path, arn) == crash_record(1)


# Whole executions through the test runner: the files read back as the service's record.


async def _child(event: Any, ctx: DurableContext) -> int:
    return int(await ctx.step(lambda step: event["x"] * 10, name="times-ten"))


async def _everything(event: Any, ctx: DurableContext) -> dict[str, Any]:
    first = await ctx.step(lambda step: 1, name="first")
    await ctx.wait(Duration.from_seconds(30), name="pause")
    mapped = await ctx.map(list(range(12)), _double, name="map")
    invoked = await ctx.invoke("child", {"x": 4}, name="invoke")
    answer = await ctx.wait_for_callback(lambda callback_id, c: None, name="approval")
    return {"first": first, "map": mapped.get_results(), "answer": answer, "invoked": invoked}


async def _double(ctx: DurableContext, item: int, index: int, items: object) -> int:
    return item * 2


@pytest.mark.parametrize("policy", [NEVER, OFTEN], ids=["journalled", "folded-in-often"])
async def test_a_whole_execution_reads_back_from_the_files_as_the_service_holds_it(
    tmp_path: Path, policy: JournalPolicy
) -> None:
    store = FileExecutionStore(tmp_path, journal_policy=policy)
    runner = DurableTestRunner(_everything, store=store, functions={"child": _child})
    execution = await runner.start({})
    await execution.wait_for_callback("approval")
    # Mid-way (nothing has written the record whole since the invoke's event was changed):
    assert await fresh_load(tmp_path, execution.arn) == await runner.local_service.get_record(
        execution.arn
    )
    await execution.callback("approval").succeed("yes")

    result = await execution.result()

    assert result.status == "SUCCEEDED"
    assert result.result == {
        "first": 1,
        "map": [i * 2 for i in range(12)],
        "answer": "yes",
        "invoked": 40,
    }
    for summary in await FileExecutionStore(tmp_path).list_executions():
        arn = summary.DurableExecutionArn
        stored = await fresh_load(tmp_path, arn)
        assert stored == await runner.local_service.get_record(arn)
        assert list(stored.history) == await runner.local_service.history(arn)
        assert summary.Status is ExecutionStatus.SUCCEEDED
