"""The branch scheduler on its own: eager starts, tasks for branches that pause, cancellation."""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Coroutine
from typing import Any

import pytest

from durable_lambda.core.completion import CompletionPolicy
from durable_lambda.core.config import CompletionConfig
from durable_lambda.core.errors import ExecutionError
from durable_lambda.core.operations.concurrency import BranchOutcome, BranchState, run_branches

CURRENT = contextvars.ContextVar[str]("CURRENT", default="caller")


def _all(total: int) -> CompletionPolicy:
    return CompletionPolicy.from_config(total, CompletionConfig.all_completed())


async def test_context_variables_set_in_a_branch_stay_in_that_branch() -> None:
    seen: dict[int, list[str]] = {}

    async def branch(index: int) -> BranchOutcome:
        seen[index] = [CURRENT.get()]
        CURRENT.set(f"branch-{index}")
        if index == 1:
            await asyncio.sleep(0)  # continues in a task: the variable must follow it there
        seen[index].append(CURRENT.get())
        return BranchOutcome(index, BranchState.SUCCEEDED, index)

    run = await run_branches(3, branch, max_concurrency=None, policy=_all(3))

    assert sorted(run.outcomes) == [0, 1, 2]
    assert seen == {i: ["caller", f"branch-{i}"] for i in range(3)}
    assert CURRENT.get() == "caller"


async def test_every_admitted_branch_runs_before_any_finishes_when_they_pause() -> None:
    order: list[str] = []

    async def branch(index: int) -> BranchOutcome:
        order.append(f"start-{index}")
        await asyncio.sleep(0)
        order.append(f"end-{index}")
        return BranchOutcome(index, BranchState.SUCCEEDED, index)

    await run_branches(3, branch, max_concurrency=None, policy=_all(3))

    assert order[:3] == ["start-0", "start-1", "start-2"]
    assert sorted(order[3:]) == ["end-0", "end-1", "end-2"]


async def test_an_error_ending_the_invocation_cancels_the_paused_branches() -> None:
    started: list[int] = []
    cancelled: list[int] = []

    async def branch(index: int) -> BranchOutcome:
        started.append(index)
        if index == 2:
            raise ExecutionError("stop everything")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(index)
            raise
        return BranchOutcome(index, BranchState.SUCCEEDED)

    with pytest.raises(ExecutionError, match="stop everything"):
        await run_branches(4, branch, max_concurrency=None, policy=_all(4))

    # Every branch that started and paused is cancelled (whether branch 3 started before the
    # error was seen depends on eager starts, Python 3.12 and later).
    assert sorted(cancelled) == [index for index in started if index != 2]
    assert {0, 1} <= set(cancelled)


async def test_the_loop_gets_a_pass_between_branches_when_asked_to_give_way() -> None:
    loop = asyncio.get_running_loop()
    events: list[str] = []
    asks = iter([False, True, False])

    def give_way(waiting: int) -> bool:
        return next(asks)

    def starter(index: int) -> Coroutine[Any, Any, BranchOutcome]:
        events.append(f"start-{index}")
        if index == 0:
            loop.call_soon(events.append, "loop-pass")

        async def branch() -> BranchOutcome:
            return BranchOutcome(index, BranchState.SUCCEEDED)

        return branch()

    await run_branches(3, starter, max_concurrency=None, policy=_all(3), give_way=give_way)

    assert events == ["start-0", "loop-pass", "start-1", "start-2"]


async def test_giving_way_counts_the_branches_started_that_have_not_run_yet() -> None:
    # From Python 3.12 a branch runs as it starts; before, it waits for the next loop pass.
    seen: list[int] = []

    def give_way(waiting: int) -> bool:
        seen.append(waiting)
        return len(seen) == 3  # a pass of the loop before the third branch

    async def branch(index: int) -> BranchOutcome:
        return BranchOutcome(index, BranchState.SUCCEEDED)

    await run_branches(4, branch, max_concurrency=None, policy=_all(4), give_way=give_way)

    # Before 3.12: the first two run in the pass let through, the third is started after it.
    assert seen == ([0, 0, 0, 0] if sys.version_info >= (3, 12) else [0, 1, 2, 1])


async def test_a_branch_that_swallows_its_cancellation_still_reports_an_outcome() -> None:
    async def branch(index: int) -> BranchOutcome:
        if index == 0:
            return BranchOutcome(0, BranchState.SUCCEEDED, "first")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return BranchOutcome(index, BranchState.SUCCEEDED, "late")
        return BranchOutcome(index, BranchState.FAILED)

    policy = CompletionPolicy.from_config(2, CompletionConfig(min_successful=1))
    run = await run_branches(2, branch, max_concurrency=None, policy=policy)

    assert run.started == 2
    assert run.outcomes[0].result == "first"


async def test_a_branch_is_one_task_from_its_first_line_to_its_last() -> None:
    # Libraries capture the current task before a pause and use it after (asyncio.timeout,
    # anyio's cancel scopes in httpx): a branch must not change tasks when it first pauses.
    tasks: dict[int, list[asyncio.Task[Any] | None]] = {}

    async def branch(index: int) -> BranchOutcome:
        tasks[index] = [asyncio.current_task()]
        await asyncio.sleep(0)
        tasks[index].append(asyncio.current_task())
        return BranchOutcome(index, BranchState.SUCCEEDED)

    caller = asyncio.current_task()
    await run_branches(3, branch, max_concurrency=None, policy=_all(3))

    for before, after in tasks.values():
        assert before is after
        assert before is not caller


async def test_a_timeout_inside_a_branch_ends_that_branch_only() -> None:
    async def branch(index: int) -> BranchOutcome:
        try:
            async with asyncio.timeout(0.01 if index == 1 else 5):
                await asyncio.sleep(0.2 if index == 1 else 0)
        except TimeoutError:
            return BranchOutcome(index, BranchState.FAILED)
        return BranchOutcome(index, BranchState.SUCCEEDED)

    run = await run_branches(3, branch, max_concurrency=None, policy=_all(3))

    assert {i: o.state for i, o in run.outcomes.items()} == {
        0: BranchState.SUCCEEDED,
        1: BranchState.FAILED,
        2: BranchState.SUCCEEDED,
    }


@pytest.mark.parametrize("pause", [False, True], ids=["done-at-once", "pausing"])
async def test_a_task_factory_the_application_installed_makes_every_branch_task(
    pause: bool,
) -> None:
    loop = asyncio.get_running_loop()
    made: list[asyncio.Task[Any]] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Future[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        made.append(task)
        return task

    async def branch(index: int) -> BranchOutcome:
        if pause:
            await asyncio.sleep(0)
        return BranchOutcome(index, BranchState.SUCCEEDED, index * 10)

    previous = loop.get_task_factory()
    loop.set_task_factory(factory)
    try:
        run = await run_branches(4, branch, max_concurrency=2, policy=_all(4))
    finally:
        loop.set_task_factory(previous)

    assert len(made) == 4
    assert {index: outcome.result for index, outcome in run.outcomes.items()} == {
        0: 0,
        1: 10,
        2: 20,
        3: 30,
    }
