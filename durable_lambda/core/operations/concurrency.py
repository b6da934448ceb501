"""Running the branches of a map or parallel as asyncio tasks on one event loop.

Scheduling follows the official AWS SDK's coordinator, with tasks where it has threads:

* Branches start in index order, at most ``max_concurrency`` in flight, each in its own task
  (its own context variables, and the same ``current_task()`` from its first line to its last,
  which ``asyncio.timeout`` and anyio's cancel scopes rely on). From Python 3.12 the tasks start
  eagerly: a branch runs at once up to its first pause, so one that never pauses (most map
  items) costs no pass of the event loop. A branch that suspends
  (a wait, a callback, a retry scheduled for later) keeps its slot until the next invocation:
  ``max_concurrency`` bounds the branches in flight, suspended ones included, not only the ones
  running right now.
* Outcomes are taken one at a time, in the order the branches finish; after each, the completion
  policy decides whether the batch is complete. Nothing starts once it is.
* When the batch completes early, branches still running are cancelled (the official SDK
  abandons its threads and rejects their later checkpoints; here ``abandon`` is told first, and
  the runtime refuses every checkpoint they try from then on: either way nothing more of theirs
  is checkpointed) and reported as started. Outcomes that finished in the same instant as the
  deciding one still count as what they are, without changing the completion reason.
* When no branch is running and the batch is not complete (every branch in flight suspended,
  no free slot or nothing left to start), the whole batch suspends: ``SuspendExecution``.
* An error that must end the invocation (``ExecutionError``, ``InvocationError``,
  ``CheckpointError``) raised by a branch cancels the others and propagates.
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import Callable, Coroutine
from enum import Enum
from typing import TYPE_CHECKING, Any

from durable_lambda.core.completion import BatchItemStatus, CompletionPolicy, CompletionReason
from durable_lambda.core.errors import SuspendExecution

if TYPE_CHECKING:
    from durable_lambda.core.completion_rule import CompletionDecision, CompletionItemStatus
    from durable_lambda.core.model import ErrorObject

__all__ = ["BatchRun", "BranchOutcome", "BranchState", "run_branches"]


class BranchState(Enum):
    """Where a branch stands after one attempt to run it in this invocation."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SUSPENDED = "SUSPENDED"


class BranchOutcome:
    """What running one branch came to (never changed once made).

    A plain class with slots, not a dataclass: one is made per map item (a frozen dataclass's
    constructor sets each field through ``object.__setattr__``, at about three times the cost),
    and defining a dataclass costs a fresh process's first map about 0.2 ms.

    Attributes:
        index: The branch's 0-based index.
        state: Succeeded, failed, or suspended until a later invocation.
        result: The branch's result, when it succeeded.
        error: The branch's error, when it failed.
    """

    __slots__ = ("error", "index", "result", "state")

    def __init__(
        self,
        index: int,
        state: BranchState,
        result: Any = None,
        error: ErrorObject | None = None,
    ) -> None:
        self.index = index
        self.state = state
        self.result = result
        self.error = error

    def __repr__(self) -> str:
        return (
            f"BranchOutcome(index={self.index!r}, state={self.state!r}, "
            f"result={self.result!r}, error={self.error!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BranchOutcome):
            return NotImplemented
        return (self.index, self.state, self.result, self.error) == (
            other.index,
            other.state,
            other.result,
            other.error,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable slots, compared by value

    @property
    def finished(self) -> bool:
        """Whether the branch succeeded or failed (a suspended one has not finished)."""
        return self.state is not BranchState.SUSPENDED


class BatchRun:
    """What ``run_branches`` leaves behind when the batch completed.

    Attributes:
        started: How many branches were started; they are the indexes ``range(started)``.
        outcomes: The finished branches' outcomes by index.
        reason: Why the batch completed.
    """

    __slots__ = ("outcomes", "reason", "started")

    def __init__(
        self,
        started: int,
        reason: CompletionReason,
        outcomes: dict[int, BranchOutcome] | None = None,
    ) -> None:
        self.started = started
        self.reason = reason
        self.outcomes: dict[int, BranchOutcome] = {} if outcomes is None else outcomes


BranchStarter = Callable[[int], Coroutine[Any, Any, BranchOutcome]]
"""Starts branch ``index`` (checkpointing its START if new) and returns the coroutine to run."""

Abandon = Callable[[list[int], list["asyncio.Task[BranchOutcome]"]], None]
"""Told the indexes and tasks of the unfinished branches the batch is about to cancel."""


_Ended = BranchOutcome | BaseException
"""What a branch's task came to: its outcome, or what it raised (its cancellation included)."""


def _ended(task: asyncio.Task[BranchOutcome]) -> _Ended:
    """Return what a done task came to (a cancelled one: its ``CancelledError``)."""
    try:
        return task.result()
    except BaseException as error:
        return error


class _Scheduler:
    """The state of one batch while its branches run (see the module docstring)."""

    def __init__(
        self,
        total: int,
        max_concurrency: int | None,
        policy: CompletionPolicy,
        abandon: Abandon | None = None,
    ) -> None:
        self.total = total
        self.abandon = abandon
        self.limit = max_concurrency or max(total, 1)
        self.policy = policy
        self.loop = asyncio.get_running_loop()
        # A task factory the application installed (instrumentation, context propagation) makes
        # every branch's task; without one the tasks are made directly, as the default would.
        self.task_factory = self.loop.get_task_factory()
        # What finished branches came to, in the order they finished, and the one wake-up the
        # loop waits on (cheaper per branch than an asyncio.Queue, which a map pays once per item).
        self.finished: deque[_Ended] = deque()
        self._wake_up: asyncio.Future[None] | None = None
        self.tasks: list[asyncio.Task[BranchOutcome]] = []
        self.branches: list[Coroutine[Any, Any, BranchOutcome]] = []  # each task's branch
        self.outcomes: dict[int, BranchOutcome] = {}
        self.in_flight = 0  # started and not finished: running or suspended
        self.running = 0  # started, outcome not taken yet
        self.waiting = 0  # started in a task that has not run yet (before Python 3.12)
        self.succeeded = 0
        self.failed = 0
        self.decision: CompletionDecision | None = None  # the custom rule's last decision
        # The successes that complete the batch early (more than any batch has, without one).
        self.enough = policy.total + 1 if policy.min_successful is None else policy.min_successful

    def stopped(self) -> bool:
        policy = self.policy
        if policy.should_complete is not None:
            self.decision = policy.decide(self.succeeded, self.failed, self.snapshot())
            return policy.should_stop(self.succeeded, self.failed, self.decision)
        # Without a rule (most batches) ``should_stop`` is this, asked once per branch that
        # finishes: no failure tolerance is exceeded by none, and the target read once.
        succeeded, failed = self.succeeded, self.failed
        return (
            succeeded + failed >= policy.total
            or succeeded >= self.enough
            or (failed > 0 and policy.tolerance_exceeded(failed))
        )

    def snapshot(self) -> list[CompletionItemStatus]:
        """Describe every branch for a custom completion rule (``completion.CompletionStatus``)."""
        from durable_lambda.core.completion_rule import CompletionItemStatus

        started = len(self.tasks)
        name_of = self.policy.name_of
        items = []
        for index in range(self.total):
            outcome = self.outcomes.get(index)
            if outcome is not None and outcome.state is BranchState.SUCCEEDED:
                item = CompletionItemStatus(
                    index, name_of(index), BatchItemStatus.SUCCEEDED, outcome.result
                )
            elif outcome is not None:
                item = CompletionItemStatus(
                    index, name_of(index), BatchItemStatus.FAILED, error=outcome.error
                )
            else:
                status = BatchItemStatus.STARTED if index < started else None
                item = CompletionItemStatus(index, name_of(index), status)
            items.append(item)
        return items

    def start_more(self, start: BranchStarter, give_way: Callable[[int], bool]) -> bool:
        """Start branches, in index order, while slots are free; True if it stopped to give way.

        From Python 3.12 each branch's task runs it at once, up to its first pause (an eager
        start): a branch that never pauses (most map items) is finished before the next one
        starts, without a pass of the event loop. Before each branch, when ``give_way(waiting)``
        says something else needs the event loop (a full batch of checkpoints waiting for its
        sender, counting one update to come from each of the ``waiting`` branches started but
        not run yet), it stops: the caller lets one pass of the loop through, starts that
        branch anyway (``start_next``) and goes on. Not a coroutine, as it runs once per branch
        that finishes under ``max_concurrency`` and seldom needs to await.
        """
        tasks = self.tasks
        while len(tasks) < self.total and self.in_flight < self.limit:  # can_start(), inlined
            if give_way(self.waiting):
                return True
            self.start_next(start)
        return False

    def start_next(self, start: BranchStarter) -> None:
        """Start the next branch in its own task (a slot must be free)."""
        branch = start(len(self.tasks))
        self.branches.append(branch)
        self.tasks.append(self._new_task(branch))
        self.in_flight += 1
        self.running += 1

    # How a branch's task starts, and how what it came to reaches ``finished``.
    if sys.version_info >= (3, 12):

        def _new_task(
            self, branch: Coroutine[Any, Any, BranchOutcome]
        ) -> asyncio.Task[BranchOutcome]:
            """Start ``branch`` in a task that runs it at once, up to its first pause.

            Most branches are done by then; a done callback waits for the others.
            """
            if self.task_factory is not None:
                task = self.loop.create_task(branch)
            else:
                task = asyncio.Task(branch, loop=self.loop, eager_start=True)
            if task.done():  # no wake-up: the task taking outcomes is the one running this
                self.finished.append(_ended(task))
            else:
                task.add_done_callback(self._task_done)
            return task

        def _task_done(self, task: asyncio.Task[BranchOutcome]) -> None:
            self._finished(_ended(task))

    else:

        def _new_task(
            self, branch: Coroutine[Any, Any, BranchOutcome]
        ) -> asyncio.Task[BranchOutcome]:
            """Start ``branch`` in a task (Python 3.11 has no eager start: it runs on a later pass).

            The task queues what the branch came to itself (``_run``): a done callback would be
            one more call scheduled on the event loop per branch. Without a task factory the
            task is made directly, as from 3.12, not through ``loop.create_task`` and its checks
            (``docs/performance.md``, round 3).
            """
            self.waiting += 1
            if self.task_factory is not None:
                return self.loop.create_task(self._run(branch))
            return asyncio.Task(self._run(branch), loop=self.loop)

        async def _run(self, branch: Coroutine[Any, Any, BranchOutcome]) -> BranchOutcome:
            self.waiting -= 1
            try:
                outcome = await branch
            except BaseException as error:
                self._finished(error)
                raise
            self._finished(outcome)
            return outcome

    def _finished(self, ended: _Ended) -> None:
        self.finished.append(ended)
        wake_up = self._wake_up
        if wake_up is not None and not wake_up.done():
            wake_up.set_result(None)

    def can_start(self) -> bool:
        """Whether a branch is left to start and a slot is free for it."""
        return len(self.tasks) < self.total and self.in_flight < self.limit

    async def wait_for_finished(self) -> None:
        """Return once a finished task waits to be taken."""
        while not self.finished:
            self._wake_up = asyncio.get_running_loop().create_future()
            try:
                await self._wake_up
            finally:
                self._wake_up = None

    def next_finished(self) -> BranchOutcome:
        """Return the outcome of the earliest finished branch not taken yet (one must wait).

        Raises:
            BaseException: what ended the branch's task (an error that ends the invocation).
        """
        ended = self.finished.popleft()
        if isinstance(ended, BaseException):
            raise ended
        return ended

    def take(self, outcome: BranchOutcome) -> None:
        self.running -= 1
        if outcome.state is BranchState.SUSPENDED:
            return  # it keeps its slot until a later invocation finishes it
        self.in_flight -= 1
        self.outcomes[outcome.index] = outcome
        if outcome.state is BranchState.SUCCEEDED:
            self.succeeded += 1
        else:
            self.failed += 1

    def take_raced(self) -> None:
        """Record branches that finished along with the deciding one, the reason unchanged."""
        while self.finished:
            ended = self.finished.popleft()
            if isinstance(ended, asyncio.CancelledError):
                continue
            if isinstance(ended, BaseException):
                raise ended  # an error that ends the invocation propagates
            if ended.finished:
                self.outcomes[ended.index] = ended

    async def cancel_unfinished(self) -> None:
        unfinished = [
            (index, task, branch)
            for index, (task, branch) in enumerate(zip(self.tasks, self.branches, strict=True))
            if not task.done()
        ]
        if unfinished and self.abandon is not None:
            # Before the cancellation reaches them: what an item does once cancelled (a clean-up
            # step in a finally: clause) must not be recorded under an item reported unfinished.
            self.abandon([index for index, _, _ in unfinished], [task for _, task, _ in unfinished])
        for _, task, _ in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.gather(*(task for _, task, _ in unfinished), return_exceptions=True)
        for _, _, branch in unfinished:
            # A task cancelled before its first pass never started its branch; closed, the
            # branch is not reported as a coroutine that was never awaited.
            branch.close()
        for task in self.tasks:
            if not task.cancelled():
                # Mark what ended branches that were never taken (the batch stopped first) as
                # seen, so asyncio does not log it as an exception nobody retrieved.
                task.exception()


async def run_branches(
    total: int,
    start: BranchStarter,
    *,
    max_concurrency: int | None,
    policy: CompletionPolicy,
    give_way: Callable[[int], bool] = lambda waiting: False,
    abandon: Abandon | None = None,
) -> BatchRun:
    """Run branches ``0 .. total-1`` until the batch completes (see the module docstring).

    Args:
        total: How many branches the batch has.
        start: Starts one branch; its coroutine returns the branch's outcome and raises only
            errors that end the invocation.
        max_concurrency: Most branches in flight at once (suspended ones included); None for
            no limit.
        policy: When the batch is complete.
        give_way: Whether something else needs a pass of the event loop before the next
            branch starts, given how many started branches have not run yet (from Python
            3.12 none: branches run eagerly; see ``_Scheduler.start_more``).
        abandon: Told the indexes and tasks of the branches about to be cancelled because
            the batch completed (or is itself cancelled), before they are.

    Returns:
        The started count, the finished outcomes and the completion reason.

    Raises:
        SuspendExecution: no branch can progress in this invocation and the batch is not done.
    """
    scheduler = _Scheduler(total, max_concurrency, policy, abandon)
    try:
        # The awaits are skipped when there is nothing to wait for: with eager starts most
        # branches have finished by the time they are taken, and a coroutine per item adds up.
        while not scheduler.stopped():
            while scheduler.start_more(start, give_way):
                await asyncio.sleep(0)
                scheduler.start_next(start)
            if scheduler.running == 0:
                raise SuspendExecution
            if not scheduler.finished:
                await scheduler.wait_for_finished()
            scheduler.take(scheduler.next_finished())
        reason = policy.reason(scheduler.succeeded, scheduler.failed, scheduler.decision)
        scheduler.take_raced()
    finally:
        await scheduler.cancel_unfinished()
    return BatchRun(started=len(scheduler.tasks), reason=reason, outcomes=scheduler.outcomes)
