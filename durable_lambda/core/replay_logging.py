"""Replay-aware logging: the wrapper the core puts around any logger, and a silent logger.

Both implement the ``Logger`` port of ``durable_lambda.core.ports``. The structlog, stdlib,
Lambda and Powertools adapters live in ``durable_lambda.adapters.logging`` (with
``CapturingLogger``, the in-memory one tests assert against); the classes here are what the core
wraps around them (``ReplayAwareLogger``) or uses when no logger is configured (``NullLogger``).

The replay rule (``ReplayPosition``): a log call is suppressed only when the same call was made
by an earlier invocation, that is while the code of its context is still before the last
operation an earlier invocation recorded in that context. From the last recorded operation on,
the code runs for the first time and its lines are written, even before the next new operation
(the line after a wait that just ended). A context whose own record is already closed is
replayed whole. A step's body only ever runs for the first time, so its logger
(``ReplayAwareLogger.live``) is never silenced.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Protocol
from weakref import WeakKeyDictionary

from durable_lambda.core.ids import operation_id
from durable_lambda.core.model import OperationStatus
from durable_lambda.core.ports import Logger
from durable_lambda.core.state import DurableState

__all__ = [
    "LOG_DURING_REPLAY",
    "NullLogger",
    "ReplayAwareLogger",
    "ReplayPosition",
    "live_logger",
    "positioned_logger",
]

LOG_DURING_REPLAY = "log_during_replay"
"""The field that, bound on a replay-aware logger, switches replay logging for that logger:
``ctx.logger.bind(log_during_replay=True)``. It is a switch, never written as a field."""


class NullLogger:
    """A logger that drops every event; the default when no logger is configured.

    Example:
        >>> NullLogger().bind(operation_id="abc").info("dropped")

    """

    __slots__ = ()

    def bind(self, **fields: object) -> NullLogger:
        """Return this logger: there is nothing to bind fields to.

        Args:
            **fields: Ignored.

        Returns:
            The same ``NullLogger``.

        """
        return self

    def debug(self, event: str, **fields: object) -> None:
        """Drop a debug event."""

    def info(self, event: str, **fields: object) -> None:
        """Drop an info event."""

    def warning(self, event: str, **fields: object) -> None:
        """Drop a warning event."""

    def error(self, event: str, **fields: object) -> None:
        """Drop an error event."""

    def exception(self, event: str, **fields: object) -> None:
        """Drop an error event with its exception."""


class ReplayAwareLogger:
    """Forward events to another logger, except while the execution replays.

    A durable function runs its code again from the start on every invocation; without this
    wrapper, every log line written before the last checkpoint would be written once per
    invocation. The predicate is asked at each event, so one logger serves an invocation that
    starts out replaying and then reaches new code. Each context's logger asks its own
    ``ReplayPosition`` (see the module docstring for the rule).

    Replay logging is switched per logger by binding ``log_during_replay``:
    ``ctx.logger.bind(log_during_replay=True)`` writes everything, replay included, and loggers
    bound from it inherit the switch; ``False`` turns it off again.

    Args:
        inner: The logger that receives the events.
        is_replaying: Answers whether the code is replaying right now.
        log_during_replay: Forward events even while replaying (useful when debugging replay).

    Example:
        >>> from durable_lambda.testing import CapturingLogger
        >>> replaying = True
        >>> captured = CapturingLogger()
        >>> logger = ReplayAwareLogger(captured, lambda: replaying)
        >>> logger.info("skipped")
        >>> replaying = False
        >>> logger.info("kept")
        >>> captured.events()
        ['kept']

    """

    __slots__ = ("_inner", "_is_replaying", "_log_during_replay", "_unbound")

    def __init__(
        self,
        inner: Logger,
        is_replaying: Callable[[], bool],
        log_during_replay: bool = False,
    ) -> None:
        self._inner = inner
        self._is_replaying = is_replaying
        self._log_during_replay = log_during_replay
        # Fields bound but not yet passed to ``inner.bind``: every step gets a logger bound to
        # it, most never log, and binding eagerly cost about a microsecond per step.
        self._unbound: dict[str, object] | None = None

    @property
    def inner(self) -> Logger:
        """The wrapped logger (with every field bound so far)."""
        if self._unbound is not None:
            self._inner = self._inner.bind(**self._unbound)
            self._unbound = None
        return self._inner

    def bind(self, **fields: object) -> ReplayAwareLogger:
        """Return a replay-aware logger around ``inner.bind(**fields)``, with the same predicate.

        Args:
            **fields: Fields added to every event of the returned logger. ``log_during_replay``
                is not a field but the switch (see the class docstring).

        Returns:
            A new ``ReplayAwareLogger``; this one is unchanged.

        """
        log_during_replay = self._log_during_replay
        if LOG_DURING_REPLAY in fields:
            fields = dict(fields)
            log_during_replay = bool(fields.pop(LOG_DURING_REPLAY))
        bound = ReplayAwareLogger(self._inner, self._is_replaying, log_during_replay)
        bound._unbound = {**self._unbound, **fields} if self._unbound else fields
        return bound

    def at(self, is_replaying: Callable[[], bool]) -> ReplayAwareLogger:
        """Return this logger, with every field bound so far, answering to another predicate.

        A child context's logger is its parent's, bound further, asking the child's own
        ``ReplayPosition``.

        Args:
            is_replaying: The predicate of the returned logger.

        Returns:
            A new ``ReplayAwareLogger``; this one is unchanged.

        """
        moved = ReplayAwareLogger(self._inner, is_replaying, self._log_during_replay)
        moved._unbound = self._unbound
        return moved

    def live(self) -> ReplayAwareLogger:
        """Return this logger, never silenced: for code that only runs for the first time.

        A step's body (and a submitter's, a condition check's) runs only when the step is
        executed, never on replay, so its lines are new whatever the context around it is
        doing; in always-replay mode it may even run while its context waits for the next
        invocation to write the rest.

        Returns:
            A new ``ReplayAwareLogger``; this one is unchanged.

        """
        return self.at(_never)

    def debug(self, event: str, **fields: object) -> None:
        """Log a debug event unless replaying."""
        if self._should_log(event):
            self.inner.debug(event, **fields)

    def info(self, event: str, **fields: object) -> None:
        """Log an info event unless replaying."""
        if self._should_log(event):
            self.inner.info(event, **fields)

    def warning(self, event: str, **fields: object) -> None:
        """Log a warning event unless replaying."""
        if self._should_log(event):
            self.inner.warning(event, **fields)

    def error(self, event: str, **fields: object) -> None:
        """Log an error event unless replaying."""
        if self._should_log(event):
            self.inner.error(event, **fields)

    def exception(self, event: str, **fields: object) -> None:
        """Log an error event with the exception being handled, unless replaying."""
        if self._should_log(event):
            self.inner.exception(event, **fields)

    def _should_log(self, event: str) -> bool:
        if self._log_during_replay:
            return True
        is_replaying = self._is_replaying
        if isinstance(is_replaying, ReplayPosition):
            return not is_replaying.replaying_for(event)
        return not is_replaying()


def _never() -> bool:
    return False


class _ReplayOptions(Protocol):
    """What ``ReplayPosition`` reads of the invocation's options (``RuntimeOptions`` has it)."""

    @property
    def replay_only(self) -> bool:
        """Whether the invocation only replays (nothing runs for the first time)."""
        ...

    @property
    def always_replay(self) -> bool:
        """Whether always-replay mode (a testing aid) is on."""
        ...


class _Runtime(Protocol):
    """What ``ReplayPosition`` reads of the invocation (``ExecutionRuntime`` has it).

    A protocol rather than the class: the runtime builds its logger from this module, so this
    module must not import the runtime's.
    """

    @property
    def options(self) -> _ReplayOptions:
        """How the invocation runs."""
        ...

    @property
    def state(self) -> DurableState:
        """The checkpointed operations."""
        ...

    @property
    def execution_arn(self) -> str:
        """The execution's ARN."""
        ...


class _Positioned(Protocol):
    """What ``ReplayPosition`` reads of a context (``DurableContext`` has it)."""

    @property
    def runtime(self) -> _Runtime:
        """The invocation's runtime."""
        ...

    @property
    def id_prefix(self) -> str | None:
        """Return what the context's ids derive from: its own operation's id (None: root)."""
        ...

    def operations_started(self) -> int:
        """How many operation ids the context has taken."""
        ...


_CLOSED = frozenset(
    {
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.CANCELLED,
        OperationStatus.TIMED_OUT,
        OperationStatus.STOPPED,
    }
)


class ReplayPosition:
    """Whether one context's code is replaying: the predicate of that context's logger.

    True while the operation this context would start next was recorded by an earlier
    invocation: the code is still before the last operation recorded in this context, so every
    line it logs now was logged then. False from the moment the code has reached the last
    recorded operation (or had none to replay). Also True, whatever the position, when the
    context's own operation is already closed in the record (its children are only being
    replayed to rebuild its result), and in a replay-only run.

    Looking one operation ahead is what keeps the line after a resume point: after a wait that
    just ended, or a callback just answered, nothing further was recorded, so the line is
    written, although no new operation has started yet.

    Always-replay mode (a testing aid: every invocation runs in the test's process) ends an
    invocation at the first new operation after a completion, so the code after the last
    recorded operation runs in two invocations. There each log call is also known by where it
    is made (context, operations taken, event, how many such calls there before it), and a call
    made at the same place by an earlier invocation of the same execution is not written again.

    Args:
        context: The context whose position it answers for.

    Example:
        >>> logger = ReplayAwareLogger(inner, ReplayPosition(ctx))  # doctest: +SKIP

    """

    __slots__ = ("_ahead", "_context", "_taken")

    def __init__(self, context: _Positioned) -> None:
        self._context = context
        # Whether the operation after ``_taken`` is recorded: asked again only when the context
        # has taken another id (the record gains an id only after the code has taken it).
        self._taken = -1
        self._ahead = False

    def __call__(self) -> bool:
        """Answer whether the context's code is replaying right now."""
        return self.replaying_for(None)

    def replaying_for(self, event: str | None) -> bool:
        """Answer for one log call of ``event``: whether it is replay (the logger asks this)."""
        context = self._context
        runtime = context.runtime
        if runtime.options.replay_only:
            return True
        state = runtime.state
        own = context.id_prefix
        if own is not None:
            record = state.get(own)
            if record is not None and record.Status in _CLOSED:
                return True
        taken = context.operations_started()
        if taken != self._taken:
            self._ahead = state.get(operation_id(own, taken + 1)) is not None
            self._taken = taken
        if runtime.options.always_replay and event is not None:
            return _seen_before(runtime, (own, taken, event)) or self._ahead
        return self._ahead


# Always-replay mode only: the log calls each execution made, by place, in this process.
# Bounded, as a test session may run many executions; an execution whose memory was dropped
# still follows the look-ahead rule.
_MAX_REMEMBERED_EXECUTIONS = 256
_Place = tuple[str | None, int, str]  # context, operations taken, event
_calls_made: OrderedDict[str, set[tuple[_Place, int]]] = OrderedDict()
_calls_this_invocation: WeakKeyDictionary[_Runtime, Counter[_Place]] = WeakKeyDictionary()


def _seen_before(runtime: _Runtime, place: _Place) -> bool:
    """Note a log call made at ``place``; answer whether an earlier invocation made it."""
    counts = _calls_this_invocation.get(runtime)
    if counts is None:
        counts = _calls_this_invocation[runtime] = Counter()
    made = counts[place]
    counts[place] = made + 1
    arn = runtime.execution_arn
    calls = _calls_made.get(arn)
    if calls is None:
        calls = _calls_made[arn] = set()
        while len(_calls_made) > _MAX_REMEMBERED_EXECUTIONS:
            _calls_made.popitem(last=False)
    else:
        _calls_made.move_to_end(arn)
    call = (place, made)
    if call in calls:  # unique within one invocation: an earlier invocation made it
        return True
    calls.add(call)
    return False


def positioned_logger(logger: Logger, context: _Positioned) -> Logger:
    """Return ``logger`` asking ``context``'s own ``ReplayPosition``, if it is replay-aware.

    A logger set by the application in place of the replay-aware one is returned unchanged.

    Args:
        logger: A context's logger, bound as the context wants it.
        context: The context it belongs to.

    Returns:
        The logger to hand the context's code.

    """
    if isinstance(logger, ReplayAwareLogger):
        return logger.at(ReplayPosition(context))
    return logger


def live_logger(logger: Logger) -> Logger:
    """Return ``logger`` never silenced for replay (``ReplayAwareLogger.live``), if replay-aware.

    Args:
        logger: The logger of the context a step body runs in.

    Returns:
        The logger for the body.

    """
    if isinstance(logger, ReplayAwareLogger):
        return logger.live()
    return logger
