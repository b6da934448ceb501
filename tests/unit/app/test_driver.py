"""The local run loop reads an execution once per turn, and its modules import one way.

Each turn of ``ExecutionDriver.drive`` decides from one ``LocalService.snapshot``: on a store
that is read from disk or a database, every question asked separately was a full load of the
record (about six per turn before). A counting store shows the reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grimp
from counting_store import CountingStore

from durable_lambda import DurableContext, Duration
from durable_lambda.service.record import ExecutionStatus
from durable_lambda.testing import DurableTestRunner, TestExecution


async def wait_then_finish(event: Any, ctx: DurableContext) -> str:
    await ctx.step(lambda _: 1, name="before")
    await ctx.wait(Duration.from_hours(1), name="pause")
    return "done"


async def drive_counting_turns(run: TestExecution, store: CountingStore) -> tuple[int, int]:
    """Drive ``run`` to its end; return (turns, loads that changed nothing) meanwhile."""
    turns = 0

    def count_turn() -> bool:
        # Asked once per turn, after the turn's read, unless the execution has ended.
        nonlocal turns
        turns += 1
        return False

    reads_before = store.reads
    await run.drive(until=count_turn, skip_deadlines=True)
    assert run.seen is not None
    assert run.seen.status is ExecutionStatus.SUCCEEDED
    return turns + 1, store.reads - reads_before  # + the turn that saw the end


async def test_each_turn_of_the_loop_reads_the_record_once() -> None:
    store = CountingStore()
    run = await DurableTestRunner(wait_then_finish, store=store).start({})

    turns, reads = await drive_counting_turns(run, store)

    # Invoke, sleep to the wait's end, fire it, invoke again, see the end: five turns, two of
    # them idle (nothing to invoke), and one read of the record each.
    assert turns == 5
    assert reads == turns


async def test_a_turn_that_only_waits_writes_nothing() -> None:
    store = CountingStore()
    run = await DurableTestRunner(wait_then_finish, store=store).start({})
    await run.drive_once()  # the first invocation: the step runs, the wait starts
    saves, calls = store.saves, []

    def second_turn() -> bool:
        calls.append(1)
        return len(calls) == 2

    # One idle turn: nothing to invoke, no timer due yet; it sleeps to the wait's end.
    await run.drive(until=second_turn, skip_deadlines=True)

    assert store.saves == saves
    assert run.seen is not None
    assert run.seen.status is ExecutionStatus.RUNNING


def test_the_driver_and_the_chained_invokes_do_not_import_each_other() -> None:
    graph = grimp.build_graph("durable_lambda")  # TYPE_CHECKING imports included

    assert (
        graph.find_shortest_chain(
            importer="durable_lambda.app.chained_invokes", imported="durable_lambda.app.driver"
        )
        is None
    )


def test_the_orchestrator_reads_what_the_driver_saw_through_its_public_fields() -> None:
    import durable_lambda.app.orchestrator as orchestrator

    source = Path(orchestrator.__file__).read_text(encoding="utf-8")
    assert "driver._" not in source
