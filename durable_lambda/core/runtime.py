"""What every context of one invocation shares: state, checkpointer, ports and options."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from durable_lambda.core.body_threads import run_in_thread
from durable_lambda.core.checkpointer import Checkpointer
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.deadline import DEFAULT_DEADLINE_MARGIN_SECONDS, InvocationDeadline
from durable_lambda.core.errors import (
    BaseExceptionRaisedError,
    InvocationError,
    ReplayHorizonReached,
    SerDesError,
    SuspendExecution,
)
from durable_lambda.core.model import Operation, OperationUpdate
from durable_lambda.core.non_blocking import is_non_blocking
from durable_lambda.core.orphans import OrphanGuard
from durable_lambda.core.plugins import InstrumentationPlugin, PluginDispatcher
from durable_lambda.core.ports import Clock, Logger, RandomSource, SerDes, SerDesContext
from durable_lambda.core.replay_logging import ReplayAwareLogger
from durable_lambda.core.serdes import RetryHold, plain_reader_of, read_value
from durable_lambda.core.state import DurableState, OperationIdentity
from durable_lambda.core.suspensions import SuspensionLedger, settle_group

__all__ = [
    "MAX_OPERATION_PAYLOAD_BYTES",
    "MAX_RESPONSE_BYTES",
    "ExecutionRuntime",
    "RuntimeOptions",
    "call_user_function",
    "user_code_error",
]

T = TypeVar("T")

MAX_OPERATION_PAYLOAD_BYTES = 256 * 1024
"""The service stores at most this many bytes of payload per operation."""

MAX_RESPONSE_BYTES = 6 * 1024 * 1024 - 64
"""A Lambda response stays under 6 MiB; a bigger result is checkpointed instead of returned."""


@dataclass(frozen=True, slots=True)
class RuntimeOptions:
    """How an invocation runs.

    Attributes:
        checkpoint_mode: When checkpoints are sent (see ``CheckpointMode``).
        log_during_replay: Emit ``ctx.logger`` events while replaying (silent by default).
        always_replay: After every operation that completes for the first time, end the
            invocation at the next new operation, so the next invocation replays everything
            from the top (a testing aid that flushes out non-determinism). Ending at the next
            operation, not at the completion itself, lets the code that consumes the result
            (a race recording its winner, a map collecting an item) run first.
        max_operation_payload_bytes: Above this a child context's result is not stored; the
            children are replayed to rebuild it.
        max_response_bytes: Above this the execution's result is checkpointed, not returned.
        replay_only: Replay the recorded operations and stop, with ``ReplayHorizonReached``,
            at the first operation that would run for the first time (no body runs, nothing
            is checkpointed): how ``durable-lambda replay`` checks today's code against a
            recorded history.
        plugins: Instrumentation plugins told about the invocation, its operations and step
            attempts (see ``durable_lambda.core.plugins``); their failures never affect it.
        deadline_margin: How many seconds before Lambda's time-out (read from the Lambda
            context) step attempts stop and the invocation ends PENDING (see
            ``durable_lambda.core.deadline``); None turns the deadline off.
    """

    checkpoint_mode: CheckpointMode = CheckpointMode.BATCHED
    log_during_replay: bool = False
    always_replay: bool = False
    max_operation_payload_bytes: int = MAX_OPERATION_PAYLOAD_BYTES
    max_response_bytes: int = MAX_RESPONSE_BYTES
    replay_only: bool = False
    plugins: tuple[InstrumentationPlugin, ...] = ()
    deadline_margin: float | None = DEFAULT_DEADLINE_MARGIN_SECONDS


class ExecutionRuntime:
    """The per-invocation machinery behind every ``DurableContext`` of one execution.

    Args:
        state: The checkpointed operations.
        checkpointer: The queue of updates to the service.
        serdes: The default serializer of results and payloads.
        clock: The clock port.
        random: The randomness port (retry jitter).
        logger: The base logger; contexts bind operation fields onto it.
        options: How the invocation runs.
        plugins: The invocation's plugin dispatcher; None for one without plugins.
        lambda_context: The Lambda context object of the invocation (or a local stand-in);
            handed to the handler as ``ctx.lambda_context``.
        deadline: When step attempts stop (``durable_lambda.core.deadline``); None for none.
    """

    def __init__(
        self,
        *,
        state: DurableState,
        checkpointer: Checkpointer,
        serdes: SerDes[Any],
        clock: Clock,
        random: RandomSource,
        logger: Logger,
        options: RuntimeOptions,
        plugins: PluginDispatcher | None = None,
        lambda_context: object = None,
        deadline: InvocationDeadline | None = None,
    ) -> None:
        self.state = state
        self.lambda_context = lambda_context
        self.deadline = deadline
        self.checkpointer = checkpointer
        self.serdes = serdes
        # The fast lane of the serializer replay reads most, taken once (see ``read``).
        self._default_reader = plain_reader_of(serdes)
        self.clock = clock
        self.random = random
        self.options = options
        self.execution_arn = state.execution_arn
        self.replaying = state.has_completed_work()
        self._replay_requested = False
        # Whether note_new_work has anything to check: one test on the path every new operation
        # takes, instead of one per reason it may refuse.
        self._guarded = options.replay_only
        self.plugins = plugins or PluginDispatcher((), logger, state.execution_arn)
        self.logger: Logger = ReplayAwareLogger(
            logger.bind(execution_arn=state.execution_arn),
            self.is_replaying,
            log_during_replay=options.log_during_replay,
        )
        self.suspensions = SuspensionLedger()
        """Suspensions raised in this invocation that nothing has handled yet."""
        self.orphans = OrphanGuard(state.execution_arn, self.logger)
        """Work whose context has completed, whose checkpoints are refused."""
        self.retry_hold = RetryHold(self._hold_retry)
        """A serializer's temporary failure, which ends the invocation for Lambda to retry."""

    def is_replaying(self) -> bool:
        """Whether the code is still going over operations that were checkpointed before."""
        return self.replaying

    @property
    def replay_requested(self) -> bool:
        """Whether always-replay mode wants this invocation to end and replay from the top."""
        return self._replay_requested

    def note_new_work(self) -> None:
        """Record that the code reached an operation with no completed checkpoint.

        Raises:
            ReplayHorizonReached: in replay-only mode, where nothing new may run.
            SuspendExecution: in always-replay mode, when an operation completed since the
                invocation began: end here and replay from the top. And when code in this task
                caught an earlier suspension and went on: what follows an operation that has
                not finished waits for a later invocation.
        """
        self.replaying = False
        if self._guarded:
            self._check_new_work()

    def _check_new_work(self) -> None:
        if self.options.replay_only:
            raise ReplayHorizonReached
        if self._replay_requested:
            raise SuspendExecution
        if self.suspensions:
            held = self.suspensions.caught_in(asyncio.current_task())
            if held is not None:
                # Code here caught a suspension and went on (a bare except:, suppress, or a
                # finally: clause on the suspension's way up): what follows the operation that
                # suspended must not run before it has finished, so this suspends too.
                self.logger.warning(
                    "a durable call suspended and the code caught the suspension; the "
                    "operations after it wait for a later invocation",
                    suspended=held.describe(),
                )
                raise self.suspensions.repeat(held)

    def suspension(self, operation: OperationIdentity | Operation) -> SuspendExecution:
        """Return the ``SuspendExecution`` for ``operation`` to raise, recorded as unhandled.

        Every operation that suspends raises what this returns: the invocation then knows that
        something suspended, and can refuse to succeed if user code swallowed it.
        """
        if isinstance(operation, Operation):
            operation = OperationIdentity(
                operation.Id, operation.Type, operation.SubType, operation.Name, operation.ParentId
            )
        self._guarded = True
        return self.suspensions.record(SuspendExecution(), operation)

    def note_suspension(
        self, error: SuspendExecution, operation: OperationIdentity
    ) -> SuspendExecution:
        """Record a ``SuspendExecution`` raised for ``operation`` elsewhere; return it."""
        self._guarded = True
        return self.suspensions.record(error, operation)

    def absorb(self, error: BaseException | None, task: asyncio.Task[Any] | None = None) -> None:
        """Mark ``error`` (and all ``task`` suspended with) as handled by a branch or combinator."""
        self.suspensions.absorb(error, task)

    def abandon(self, tasks: Sequence[asyncio.Task[Any]], context_ids: Sequence[str] = ()) -> None:
        """Refuse from now on every checkpoint of ``tasks`` and of ``context_ids``' operations.

        Called for the items a batch cancels when it completes early and the losers a
        combinator cancels (see ``durable_lambda.core.orphans``).
        """
        if tasks or context_ids:
            self.orphans.abandon(tasks, context_ids)
            self.checkpointer.refuse = self._refuse

    def close(self, owner: asyncio.Task[Any] | None) -> None:
        """Refuse every checkpoint but those ``owner`` makes: the handler has ended."""
        self.orphans.close(owner)
        self.checkpointer.refuse = self._refuse

    def _hold_retry(self, error: InvocationError) -> None:
        # From now on nothing is checkpointed: what runs after a serializer's temporary failure
        # may be code that caught it and went another way, which the retry would contradict.
        # What was queued before is still sent (the checkpointer's queue is untouched).
        self.logger.warning(
            "a serializer could not reach where it keeps payloads; the invocation ends for "
            "Lambda to retry it, and nothing more is checkpointed in this one",
            error=error.describe(),
        )
        self.checkpointer.refuse = self._refuse

    def _refuse(self, update: OperationUpdate) -> None:
        held = self.retry_hold.error
        if held is not None:
            raise held
        self.orphans.check(update)

    def serdes_context(self, operation_id: str) -> SerDesContext:
        """Return the context a serializer is given for ``operation_id``."""
        return SerDesContext(operation_id=operation_id, durable_execution_arn=self.execution_arn)

    def read(self, serdes: SerDes[Any], payload: str | None, operation_id: str) -> Any:
        """Read a stored payload of ``operation_id`` (``read_value``); absent reads as None.

        A payload that cannot be read fails the execution (``state.fatal_error``).
        """
        if payload is None:
            return None
        reader = self._default_reader
        if reader is not None and serdes is self.serdes:
            try:
                return reader(payload)  # read_value's fast lane, already looked up
            except (ValueError, TypeError, RecursionError):
                pass
        try:
            return read_value(serdes, payload, operation_id, self.execution_arn)
        except SerDesError as error:
            # A stored payload that cannot be read back will never be readable: terminal.
            self.state.fatal_error = self.state.fatal_error or error
            raise

    async def after_first_completion(self) -> None:
        """Settle per the checkpoint mode after an operation completed for the first time.

        In always-replay mode this also asks for the invocation to end at the next new
        operation (see ``RuntimeOptions.always_replay``).
        """
        if self.note_first_completion():
            await self.checkpointer.settle()

    def note_first_completion(self) -> bool:
        """``after_first_completion`` without a coroutine: True if the caller must settle.

        For the hot paths (a step's or a map item's first completion), which then await
        ``checkpointer.settle()`` only when it has something to do.
        """
        if self.options.always_replay:
            self._replay_requested = self._guarded = True
        return self.checkpointer.must_settle()


async def call_user_function(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a user function that may be ``async def`` or plain, and return what it returns.

    Coroutine functions are awaited on the event loop. Plain functions run in a worker thread
    (``core/body_threads.py``) so that blocking I/O inside one does not stall other branches,
    unless marked ``non_blocking`` (``core/non_blocking.py``): those are called on the loop's
    thread, with no hand-over. Either way a plain function runs in a copy of the caller's
    context (``contextvars``), and if it (say, a lambda) returns an awaitable, that is awaited
    on the loop.

    What the function raises reaches the caller as something the SDK handles:

    * an ``Exception``, a suspension, ``KeyboardInterrupt`` (the process is told to stop),
      ``GeneratorExit`` and the task's own cancellation (from outside: a batch that completed,
      a race that was decided) pass unchanged;
    * an exception group (``asyncio.TaskGroup``) of nothing but suspensions is one suspension;
      a group holding more is its most serious error (see ``settle_group``);
    * any other ``BaseException``: ``asyncio.CancelledError`` the function raised itself (the
      task is not being cancelled), ``SystemExit``, a ``BaseException`` subclass of its own,
      becomes ``BaseExceptionRaisedError``, an ``Exception``: a failure of this attempt, which
      the retry strategy judges, instead of a signal that escapes every ``except``.
    """
    try:
        if _is_async_callable(fn):
            return await fn(*args)
        if is_non_blocking(fn):
            result = contextvars.copy_context().run(fn, *args)
        else:
            result = await run_in_thread(fn, *args)
        if inspect.isawaitable(result):
            return await result
        return result
    except Exception:
        raise
    except BaseException as error:
        settled = user_code_error(error)
        if settled is error:
            raise
        raise settled from error


_PASSED_ON = (Exception, SuspendExecution, ReplayHorizonReached, KeyboardInterrupt, GeneratorExit)


def user_code_error(error: BaseException) -> BaseException:
    """Return what the SDK takes ``error``, raised by user code, for (see ``call_user_function``).

    ``error`` itself when it passes unchanged; a suspension for a group of suspensions; the
    group's most serious error for another group; ``BaseExceptionRaisedError`` (its
    ``__cause__`` set) for a ``BaseException`` that counts as a failure. Must be called in the
    task that caught ``error``, which tells the task's own cancellation from one it raised.
    """
    if isinstance(error, _PASSED_ON):
        return error
    if isinstance(error, BaseExceptionGroup):
        settled = settle_group(error)
        if isinstance(settled, _PASSED_ON):
            return settled
        error = settled
    elif isinstance(error, asyncio.CancelledError):
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            return error  # the task is being cancelled from outside: not the code's failure
    failure = BaseExceptionRaisedError(error)
    failure.__cause__ = error
    return failure


def _is_async_callable(fn: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(fn):  # the common case, answered without the loop below
        return True
    while hasattr(fn, "func"):  # functools.partial
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    )
