"""How the runtime calls the plugins: one dispatcher per invocation, failures isolated.

``PluginDispatcher`` calls a hook of every plugin that has it and logs and swallows what a hook
raises; ``AttemptScope`` fires the attempt hooks around a step function's run; and
``ObservedCheckpointer`` reports each operation update this invocation queues, the one place
every operation's transitions pass through. See ``durable_lambda.core.plugins`` for the hooks.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from durable_lambda.core.checkpointer import Checkpointer
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.errors import error_object_from_exception
from durable_lambda.core.model import (
    ErrorObject,
    InvocationOutput,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.ports import (
    AttemptInfo,
    AttemptOutcome,
    DurableService,
    InstrumentationPlugin,
    InvocationEndInfo,
    InvocationEndStatus,
    InvocationStartInfo,
    Logger,
    OperationInfo,
)
from durable_lambda.core.state import DurableState, OperationIdentity

__all__ = ["AttemptScope", "ObservedCheckpointer", "PluginDispatcher"]

_CONTROL_EXCEPTIONS = (KeyboardInterrupt, SystemExit, GeneratorExit)

_END_STATUSES = {
    OperationAction.SUCCEED: OperationStatus.SUCCEEDED,
    OperationAction.FAIL: OperationStatus.FAILED,
    OperationAction.CANCEL: OperationStatus.CANCELLED,
}


class PluginDispatcher:
    """Calls the registered plugins' hooks for one invocation, isolating their failures.

    Args:
        plugins: The plugins, called in this order for every hook.
        logger: Where a hook's exception is logged (not replay-aware: a failing plugin is
            worth knowing about whenever it fails).
        execution_arn: The execution the invocation belongs to.
    """

    __slots__ = ("_first", "_logger", "execution_arn", "plugins")

    def __init__(
        self, plugins: Sequence[InstrumentationPlugin], logger: Logger, execution_arn: str
    ) -> None:
        self.plugins = tuple(plugins)
        self.execution_arn = execution_arn
        self._logger = logger
        self._first = False

    def __bool__(self) -> bool:
        return bool(self.plugins)

    def invocation_started(self, state: DurableState) -> None:
        """Fire ``on_invocation_start`` for the invocation about to run over ``state``."""
        if not self.plugins:
            return
        self._first = all(op.Type is OperationType.EXECUTION for op in state.operations())
        self.dispatch("on_invocation_start", InvocationStartInfo(self.execution_arn, self._first))

    def invocation_ended(self, output: InvocationOutput) -> None:
        """Fire ``on_invocation_end`` with the status and error of ``output``."""
        status = InvocationEndStatus(output.Status.value)
        self._invocation_end(status, output.Error)

    def invocation_raised(self, error: BaseException) -> None:
        """Fire ``on_invocation_end`` for an invocation that raised (Lambda retries it)."""
        self._invocation_end(InvocationEndStatus.RETRY, error_object_from_exception(error))

    def _invocation_end(self, status: InvocationEndStatus, error: ErrorObject | None) -> None:
        if self.plugins:
            info = InvocationEndInfo(self.execution_arn, self._first, status, error)
            self.dispatch("on_invocation_end", info)

    def operation_updated(self, update: OperationUpdate) -> None:
        """Fire the operation hook an update queued by this invocation stands for, if any."""
        if not self.plugins or update.Type is OperationType.EXECUTION:
            return
        if update.Action is OperationAction.START:
            self.dispatch("on_operation_start", self._operation(update, OperationStatus.STARTED))
        elif (status := _END_STATUSES.get(update.Action)) is not None:
            self.dispatch("on_operation_end", self._operation(update, status))

    def attempt(self, identity: OperationIdentity, attempt: int) -> AttemptScope:
        """Return a context manager that fires the attempt hooks around a step function's run."""
        return AttemptScope(self, identity, attempt)

    def _operation(self, update: OperationUpdate, status: OperationStatus) -> OperationInfo:
        return OperationInfo(
            execution_arn=self.execution_arn,
            operation_id=update.Id,
            operation_type=update.Type,
            sub_type=update.SubType,
            name=update.Name,
            parent_id=update.ParentId,
            status=status,
            error=update.Error,
        )

    def dispatch(self, hook: str, info: object) -> None:
        """Call ``hook`` (a method name, e.g. ``"on_operation_end"``) of each plugin with ``info``.

        A plugin without the hook is skipped; an exception the hook raises is logged and
        swallowed, except ``KeyboardInterrupt``, ``SystemExit`` and ``GeneratorExit``.
        """
        for plugin in self.plugins:
            method = getattr(plugin, hook, None)
            if method is None:
                continue
            try:
                returned = method(info)
            except _CONTROL_EXCEPTIONS:
                raise
            except BaseException as error:  # a plugin must never change the execution
                self._logger.exception(
                    "an instrumentation plugin hook raised; the error is ignored",
                    plugin_hook=hook,
                    plugin_type=type(plugin).__qualname__,
                    error=f"{type(error).__name__}: {error}",
                )
                continue
            if inspect.isawaitable(returned):
                _discard(returned)
                self._logger.error(
                    "an instrumentation plugin hook returned an awaitable; hooks are "
                    "synchronous, so it was not awaited",
                    plugin_hook=hook,
                    plugin_type=type(plugin).__qualname__,
                )


class AttemptScope:
    """Fires ``on_attempt_start`` on entry and ``on_attempt_end`` on exit (see ``attempt``).

    The outcome is read from how the block exits: normally (SUCCEEDED), with an ``Exception``
    (FAILED, with that error), or with any other ``BaseException`` such as a cancellation
    (INCOMPLETE). The block's exception is never suppressed.
    """

    __slots__ = ("_attempt", "_dispatcher", "_identity")

    def __init__(
        self, dispatcher: PluginDispatcher, identity: OperationIdentity, attempt: int
    ) -> None:
        self._dispatcher = dispatcher
        self._identity = identity
        self._attempt = attempt

    def __enter__(self) -> AttemptScope:
        if self._dispatcher:
            self._dispatcher.dispatch("on_attempt_start", self._info(None, None))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._dispatcher:
            return
        if exc is None:
            info = self._info(AttemptOutcome.SUCCEEDED, None)
        elif isinstance(exc, Exception):
            info = self._info(AttemptOutcome.FAILED, error_object_from_exception(exc))
        else:
            info = self._info(AttemptOutcome.INCOMPLETE, None)
        self._dispatcher.dispatch("on_attempt_end", info)

    def _info(self, outcome: AttemptOutcome | None, error: ErrorObject | None) -> AttemptInfo:
        identity = self._identity
        return AttemptInfo(
            execution_arn=self._dispatcher.execution_arn,
            operation_id=identity.operation_id,
            operation_type=identity.type,
            sub_type=identity.sub_type,
            name=identity.name,
            parent_id=identity.parent_id,
            attempt=self._attempt,
            outcome=outcome,
            error=error,
        )


class ObservedCheckpointer(Checkpointer):
    """A ``Checkpointer`` that tells the plugins about every update it queues.

    Every START, SUCCEED, FAIL and CANCEL an operation makes goes through ``enqueue`` (``send``
    included), and replayed operations queue nothing, so this one place reports each operation
    transition of this invocation exactly once, for every operation type.

    Args:
        plugins: The dispatcher to notify.
        service: As for ``Checkpointer``.
        state: As for ``Checkpointer``.
        checkpoint_token: As for ``Checkpointer``.
        mode: As for ``Checkpointer``.
    """

    def __init__(
        self,
        plugins: PluginDispatcher,
        service: DurableService,
        state: DurableState,
        checkpoint_token: str,
        mode: CheckpointMode = CheckpointMode.BATCHED,
    ) -> None:
        super().__init__(service, state, checkpoint_token, mode)
        self._plugins = plugins

    def enqueue(self, update: OperationUpdate) -> None:
        """Queue ``update`` (see ``Checkpointer.enqueue``), then notify the plugins of it.

        Raises:
            CheckpointError: an earlier checkpoint call failed; nothing more can be sent.
        """
        super().enqueue(update)
        self._plugins.operation_updated(update)


def _discard(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if callable(close):  # a coroutine never awaited would warn at garbage collection
        close()
