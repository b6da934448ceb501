"""Callbacks: hand an id to the outside world and suspend until it answers.

``create_callback`` checkpoints a CALLBACK START (with its time-outs) and waits for the service's
answer, because the service assigns the ``CallbackId`` the outside world answers to. It never
raises for how the callback ended: a callback that failed or timed out still yields its
``Callback``, so the code between creating a callback and awaiting its result runs the same on
every replay. ``Callback.result()`` reads the callback's current state each time it is awaited:

* SUCCEEDED: the answer the sender sent. An answer is external data, so by default it is handed
  over as the sender sent it, the raw text, as the official SDK does; it is never read as a
  payload of ours (an answer shaped like ``{"t": "d", "v": "1.50"}`` stays that text). Decoded
  JSON is an explicit choice: ``CallbackConfig(serdes=PlainJsonSerDes())``; any serializer
  given there reads the answer instead;
* FAILED, CANCELLED, STOPPED: ``CallbackExternalError`` carrying the sender's error;
* TIMED_OUT (no answer, or no heartbeat, in time): ``CallbackTimeoutError``;
* still STARTED: the branch suspends until the answer arrives.

``wait_for_callback`` is a child context (subtype ``WaitForCallback``) that creates a callback,
runs a submitter as a retried step to hand its id to the outside world, and returns the result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from durable_lambda.core.config import CallbackConfig, StepConfig, WaitForCallbackConfig
from durable_lambda.core.errors import (
    CheckpointError,
    ChildContextError,
    ExecutionError,
)
from durable_lambda.core.model import (
    CallbackOptions,
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.operations.callback_answers import RAW_ANSWER, PlainJsonSerDes
from durable_lambda.core.operations.callback_failures import (
    CallbackSubmitterError,
    callback_failure,
    rebuilt_failure,
)
from durable_lambda.core.operations.child import run_child_context
from durable_lambda.core.operations.skeleton import PROCEED, OperationExecutor, Proceed
from durable_lambda.core.operations.step import (
    DEFAULT_STEP_CONFIG,
    STEP,
    replay_step,
    step_identity,
)
from durable_lambda.core.ports import Logger, SerDes
from durable_lambda.core.runtime import call_user_function
from durable_lambda.core.state import NOT_SUCCEEDED, OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope
    from durable_lambda.core.operations.step_context import StepContext
    from durable_lambda.core.runtime import ExecutionRuntime

__all__ = [
    "CALLBACK",
    "Callback",
    "CallbackExecutor",
    "CallbackSubmitterError",
    "PlainJsonSerDes",
    "WaitForCallbackContext",
    "run_create_callback",
    "run_wait_for_callback",
]

T = TypeVar("T")

_DEFAULT_CONFIG = CallbackConfig()


@dataclass(frozen=True, slots=True)
class WaitForCallbackContext:
    """What a ``wait_for_callback`` submitter is given besides the callback id.

    Attributes:
        logger: A logger bound to the submitter step and this attempt.
        attempt: The 1-based number of this attempt of the submitter.
    """

    logger: Logger
    attempt: int


class Callback(Generic[T]):
    """A callback created by ``DurableContext.create_callback``: its id, and a way to await it.

    Hand ``callback_id`` to the system that will answer (it calls
    ``SendDurableExecutionCallbackSuccess``, ``...Failure`` or ``...Heartbeat`` with it), then
    ``await callback.result()``.

    Attributes:
        callback_id: The id the service assigned; the same on every replay.
        operation_id: The CALLBACK operation's id.
        name: The operation's name, if it has one.
    """

    __slots__ = ("_runtime", "_serdes", "callback_id", "name", "operation_id")

    def __init__(
        self,
        runtime: ExecutionRuntime,
        operation_id: str,
        name: str | None,
        callback_id: str,
        serdes: SerDes[Any],
    ) -> None:
        self._runtime = runtime
        self._serdes = serdes
        self.operation_id = operation_id
        self.name = name
        self.callback_id = callback_id

    def __repr__(self) -> str:
        return f"Callback(callback_id={self.callback_id!r}, name={self.name!r})"

    async def result(self) -> T:
        """Return the answer, or suspend this branch until there is one.

        Returns:
            The answer as the sender sent it (its raw text), or as the serializer of the
            callback's config reads it when one is set; None when the sender sent no payload.

        Raises:
            CallbackTimeoutError: no answer, or no heartbeat, came within the time-out.
            CallbackExternalError: the sender reported a failure (``message``, ``data`` and
                ``stack_trace`` are the sender's, its type is ``reported_error_type``), or the
                callback was cancelled or stopped.
        """
        op = self._runtime.state.get(self.operation_id)
        if op is None:  # create_callback stored it; only a broken state gets here
            raise ExecutionError(
                "the callback's operation is missing from the execution state",
                execution_arn=self._runtime.execution_arn,
                operation_id=self.operation_id,
                operation_name=self.name,
            )
        if op.Status is OperationStatus.SUCCEEDED:
            # An empty answer is no answer (the official SDK's service stores none for it).
            payload = op.result_payload or None
            result: T = self._runtime.read(self._serdes, payload, self.operation_id)
            return result
        if op.Status is OperationStatus.STARTED:
            raise self._runtime.suspension(op)
        raise callback_failure(self._runtime, op)


class CallbackExecutor(OperationExecutor[CallbackConfig, "Callback[Any]"]):
    """Creating a callback on the operation skeleton; its request is the callback's config."""

    __slots__ = ()

    operation_type = OperationType.CALLBACK

    def check_result(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: CallbackConfig,
    ) -> Callback[Any] | Proceed:
        """Replay a recorded callback: the same id, whatever its state (``result()`` tells)."""
        if record is None:
            return PROCEED
        return _callback(scope, identity, record, request, started_here=False)

    async def execute(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: CallbackConfig,
    ) -> Callback[Any]:
        """Send START and wait for the answer: the service assigns the callback's id."""
        runtime = scope.runtime
        await runtime.checkpointer.send(
            OperationUpdate(
                Id=identity.operation_id,
                ParentId=identity.parent_id,
                Name=identity.name,
                Type=OperationType.CALLBACK,
                SubType=identity.sub_type,
                Action=OperationAction.START,
                CallbackOptions=CallbackOptions(
                    TimeoutSeconds=request.timeout_seconds,
                    HeartbeatTimeoutSeconds=request.heartbeat_timeout_seconds,
                ),
            )
        )
        started = runtime.state.get(identity.operation_id)
        return _callback(scope, identity, started, request, started_here=True)


CALLBACK: Final = CallbackExecutor()


def run_create_callback(
    ctx: OperationScope, name: str | None, config: CallbackConfig | None
) -> Coroutine[Any, Any, Callback[Any]]:
    """Return the creation of a callback as the next operation of ``ctx``, to await.

    See the module docstring.

    Raises:
        NonDeterministicExecutionError: (awaited) a different operation was checkpointed here.
        CheckpointError: (awaited; retriable) the answer to this callback's START carried no id.
        ExecutionError: (awaited) the execution's state holds the callback without an id.
    """
    config = config or _DEFAULT_CONFIG
    return CALLBACK.run(ctx, config.sub_type or OperationSubType.CALLBACK, name, config)


def _callback(
    scope: OperationScope,
    identity: OperationIdentity,
    record: Operation | None,
    config: CallbackConfig,
    *,
    started_here: bool,
) -> Callback[Any]:
    """Return the ``Callback`` of ``record``; raise when the service gave it no id."""
    runtime = scope.runtime
    name = identity.name
    callback_id = record.CallbackDetails.CallbackId if record and record.CallbackDetails else None
    if not callback_id and started_here:
        # The service acknowledged the START, and it assigns the id as it creates the callback:
        # only its answer lacks the id (garbled or partial). Ending the execution would lose a
        # callback that exists; the retried invocation reads it, id included, from the state.
        raise CheckpointError(
            "the service's answer to this callback's START carried no CallbackId although the "
            "service creates one with the callback; Lambda will retry the invocation, which "
            "reads the id from the execution's state",
            retriable=True,
            execution_arn=runtime.execution_arn,
            operation_id=identity.operation_id,
            operation_name=name,
        )
    if not callback_id:
        raise ExecutionError(
            "the service holds no CallbackId for this callback, so nobody could answer it",
            execution_arn=runtime.execution_arn,
            operation_id=identity.operation_id,
            operation_name=name,
        )
    serdes = config.serdes or RAW_ANSWER
    return Callback(runtime, identity.operation_id, name, callback_id, serdes)


async def run_wait_for_callback(
    ctx: OperationScope,
    submitter: Callable[[str, WaitForCallbackContext], Any],
    name: str | None,
    config: WaitForCallbackConfig | None,
) -> Any:
    """Create a callback, hand its id to ``submitter`` in a step, and return the answer.

    All three run in a child context of ``ctx`` with subtype ``WaitForCallback``; the inner
    operations are named ``"{name} create callback id"`` and ``"{name} submitter"`` (or just
    ``"create callback id"`` and ``"submitter"`` without a name), as in the official SDK.

    A failure is checkpointed on the context with the error's class as ``ErrorType`` and is
    rebuilt from that checkpoint on the first run and on replay alike, so both raise the same
    error. The sender's (or the submitter's) own error type stays on the inner operation.

    Raises:
        CallbackSubmitterError: the submitter failed on every attempt its strategy allowed.
        CallbackTimeoutError: no answer, or no heartbeat, came within the time-out.
        CallbackExternalError: the sender reported a failure, or the callback was cancelled or
            stopped.
    """
    waiter = _waiter(submitter, name, config)
    try:
        return await run_child_context(
            ctx, waiter, name, None, sub_type=OperationSubType.WAIT_FOR_CALLBACK
        )
    except ChildContextError as error:
        rebuilt = rebuilt_failure(error, ctx.runtime)
        if rebuilt is None:
            raise
        raise rebuilt from error


def _waiter(
    submitter: Callable[[str, WaitForCallbackContext], Any],
    name: str | None,
    config: WaitForCallbackConfig | None,
) -> Callable[[OperationScope], Awaitable[Any]]:
    """Return the body of a WaitForCallback context: create, submit, await the answer."""
    prefix = f"{name} " if name else ""
    # As in the official SDK, the callback's serializer also stores the submitter's result (a
    # None under PassThroughSerDes with no payload, as the step writes it).
    step_config = (
        StepConfig(retry_strategy=config.retry_strategy, serdes=config.serdes) if config else None
    )

    async def wait_in_child(child: OperationScope) -> Any:
        callback = await run_create_callback(child, f"{prefix}create callback id", config)

        async def submit(step_context: StepContext) -> Any:
            details = WaitForCallbackContext(step_context.logger, step_context.attempt)
            return await call_user_function(submitter, callback.callback_id, details)

        # A failed submitter's StepError, or the callback's own error, fails the context as
        # it is, which records its class as the official SDK does (StepError,
        # CallbackExternalError...); run_wait_for_callback turns the record into the error.
        submitter_name = f"{prefix}submitter"
        operation_id, replayed = replay_step(child, submitter_name, step_config)
        if replayed is NOT_SUCCEEDED:
            identity = step_identity(child, operation_id, submitter_name)
            await STEP.resume(child, identity, (submit, step_config or DEFAULT_STEP_CONFIG))
        return await callback.result()

    return wait_in_child
