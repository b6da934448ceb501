"""One invocation of a durable handler, from the parsed input to the output Lambda returns.

The invocation loads the execution's state, runs the handler with a root ``DurableContext`` and
ends in one of three ways:

* ``SUCCEEDED`` with the JSON result (or, when the result is too large for a Lambda response, with
  the result checkpointed on the EXECUTION operation and an empty ``Result``);
* ``FAILED`` with an ``ErrorObject`` when the handler raised, or the execution cannot go on
  (non-determinism, an unreadable payload, a non-retriable checkpoint failure), or the handler
  returned while a durable operation it started was abandoned (``AbandonedOperationError``: left
  running in a task never awaited, or suspended in one whose outcome nobody read);
* ``PENDING`` when every live branch waits on time or the outside world.

Once an operation of the invocation has suspended, it cannot end SUCCEEDED: a suspension that
user code caught and went on from (a bare ``except:``, ``asyncio.gather(...,
return_exceptions=True)``) makes it PENDING however the handler ended (see
``core/suspensions.py``). An exception group of nothing but suspensions (``asyncio.TaskGroup``)
is a suspension; one holding more counts as its most serious error. When the handler has ended,
nothing but the invocation itself checkpoints any more (``core/orphans.py``).

Every queued checkpoint is acknowledged before the output is returned, and flushed before
anything propagates (an ``InvocationError`` for Lambda to retry, the invocation's own
cancellation, ``KeyboardInterrupt``, ``SystemExit`` the handler raised), unless a checkpoint call
itself failed: a retriable checkpoint failure propagates as it is, for Lambda to retry. A
serializer's temporary failure (``SerDesUnavailableError``) is held (``core/serdes.py``,
``RetryHold``): once it is, nothing more is checkpointed and the invocation raises it for Lambda
to retry however the handler ended, even if user code caught it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pydantic

from durable_lambda.core.checkpointer import Checkpointer
from durable_lambda.core.context import DurableContext
from durable_lambda.core.deadline import InvocationDeadline
from durable_lambda.core.envelope import JsonWriter
from durable_lambda.core.errors import (
    AbandonedOperationError,
    CheckpointError,
    ExecutionError,
    InvocationError,
    ReplayHorizonReached,
    SerDesError,
    SuspendExecution,
    ValidationError,
    error_object_from_exception,
)
from durable_lambda.core.model import (
    InvocationInput,
    InvocationOutput,
    InvocationStatus,
    OperationAction,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.orphans import running_durable_calls
from durable_lambda.core.plugins import ObservedCheckpointer, PluginDispatcher
from durable_lambda.core.ports import Clock, DurableService, Logger, RandomSource, SerDes
from durable_lambda.core.runtime import ExecutionRuntime, RuntimeOptions
from durable_lambda.core.serdes import holding_retries, int_limit_exceeded
from durable_lambda.core.state import DurableState, load_state
from durable_lambda.core.suspensions import settle_group

__all__ = ["DurableHandler", "parse_invocation_input", "run_invocation"]

DurableHandler = Callable[[Any, DurableContext], Awaitable[Any]]
"""A durable handler: ``async def handler(event, ctx) -> result``."""


def parse_invocation_input(event: object) -> InvocationInput:
    """Validate a Lambda event as a durable execution invocation input.

    Args:
        event: The event as Lambda delivers it: a dict, or JSON text.

    Raises:
        ValidationError: the event is not a durable invocation input; the message names every
            missing or malformed field.
    """
    if isinstance(event, str | bytes | bytearray):
        try:
            event = json.loads(event)
        # RecursionError: text nested deeper than the JSON decoder can follow.
        except (ValueError, RecursionError) as error:
            raise ValidationError(
                f"the invocation input is not valid JSON: {error}", field="event"
            ) from error
    if not isinstance(event, Mapping):
        raise ValidationError(
            "the invocation input must be a JSON object with DurableExecutionArn, "
            f"CheckpointToken and InitialExecutionState; got {type(event).__name__}. "
            "Is this function configured as a durable function?",
            field="event",
        )
    try:
        return InvocationInput.model_validate(event)
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'event'}: {issue['msg']}"
            for issue in error.errors()
        )
        first_field = ".".join(str(part) for part in error.errors()[0]["loc"]) or "event"
        raise ValidationError(
            f"malformed durable invocation input: {problems}", field=first_field
        ) from None


async def run_invocation(
    handler: DurableHandler,
    invocation: InvocationInput,
    *,
    service: DurableService,
    serdes: SerDes[Any],
    clock: Clock,
    random: RandomSource,
    logger: Logger,
    options: RuntimeOptions,
    lambda_context: object = None,
) -> InvocationOutput:
    """Run one invocation of ``handler`` and return its output (see the module docstring).

    ``lambda_context`` is the Lambda context object (or a local stand-in): the handler sees it
    as ``ctx.lambda_context``, and its remaining time sets the invocation's deadline
    (``durable_lambda.core.deadline``, with ``options.deadline_margin``).

    Raises:
        InvocationError: Lambda should retry the invocation (the checkpoint token was rejected,
            or a checkpoint call failed in a way a retry can fix).
        ExecutionError: the input holds no EXECUTION operation, so nothing can run.
    """
    # Read first: the time the state pages take to load counts against the invocation too.
    deadline = InvocationDeadline.from_lambda_context(
        lambda_context, options.deadline_margin, asyncio.get_running_loop().time()
    )
    state = await load_state(invocation, service)
    plugins = PluginDispatcher(
        options.plugins, logger.bind(execution_arn=state.execution_arn), state.execution_arn
    )
    token, mode = invocation.CheckpointToken, options.checkpoint_mode
    checkpointer = (
        ObservedCheckpointer(plugins, service, state, token, mode)
        if plugins
        else Checkpointer(service, state, token, mode)
    )
    runtime = ExecutionRuntime(
        state=state,
        checkpointer=checkpointer,
        serdes=serdes,
        clock=clock,
        random=random,
        logger=logger,
        options=options,
        plugins=plugins,
        lambda_context=lambda_context,
        deadline=deadline,
    )
    plugins.invocation_started(state)
    try:
        output = await _run_handler(handler, runtime)
    except BaseException as error:  # Lambda retries it (or the process is going down)
        plugins.invocation_raised(error)
        raise
    finally:
        if deadline is not None:
            deadline.close()
    plugins.invocation_ended(output)
    return output


async def _run_handler(handler: DurableHandler, runtime: ExecutionRuntime) -> InvocationOutput:
    """Run the handler with a root context and turn how it ended into the invocation's output."""
    state = runtime.state
    owner = asyncio.current_task()
    try:
        with holding_retries(runtime.retry_hold):
            event = _user_event(state)
            result = await handler(event, DurableContext(runtime))
        if runtime.retry_hold.error is not None:
            raise runtime.retry_hold.error  # user code caught it: it ends the invocation anyway
        if state.fatal_error is not None:
            raise state.fatal_error
        if runtime.replay_requested:
            raise SuspendExecution  # always-replay: replay once more before the result counts
    except BaseException as raised:
        return await _ended_by(runtime, owner, raised)
    return await _returned(runtime, owner, result)


async def _returned(
    runtime: ExecutionRuntime, owner: asyncio.Task[Any] | None, result: Any
) -> InvocationOutput:
    """Succeed the handler's return, unless a durable operation of it has not finished.

    Left running in a task nobody awaited, or suspended in one whose outcome nobody read, the
    operation was abandoned: FAILED, naming it. Suspended and caught by code that went on: the
    invocation ends PENDING and the service invokes the function again when it can progress.
    """
    # One pass of the event loop first: a task the handler created and never awaited takes its
    # first step, so that a durable call in it is seen here rather than after the end.
    await asyncio.sleep(0)
    running = running_durable_calls(runtime, owner)
    runtime.close(owner)
    if running:
        _cancel(runtime, running)
        return await _finish(
            runtime,
            _failed(_abandoned(runtime, f"{running[0][1]} was still running", _LEFT_RUNNING)),
        )
    unread = runtime.suspensions.unread(owner)
    if unread:
        return await _finish(
            runtime, _failed(_abandoned(runtime, f"{unread[0].describe()} suspended", _UNREAD))
        )
    if runtime.suspensions:
        return await _pending_after_swallowed(runtime)
    return await _succeed(runtime, result)


async def _ended_by(
    runtime: ExecutionRuntime, owner: asyncio.Task[Any] | None, raised: BaseException
) -> InvocationOutput:
    """End the invocation the handler ended by raising ``raised``: PENDING, FAILED, or retried.

    Queued checkpoints are flushed whatever it was, before it propagates when it must.
    """
    state, held = runtime.state, runtime.retry_hold
    error = settle_group(raised) if isinstance(raised, BaseExceptionGroup) else raised
    if isinstance(error, SuspendExecution) and held.error is None:
        # Durable calls still running beside the one that suspended (asyncio.gather's other
        # awaitables) finish first, so that what they complete is kept.
        running = running_durable_calls(runtime, owner)
        if running:
            await asyncio.wait([task for task, _ in running])
        runtime.close(owner)
        if runtime.retry_hold.error is None:  # else one failed to (de)serialize, for now
            if state.fatal_error is not None:
                return await _finish(runtime, _failed(state.fatal_error))
            return await _finish(runtime, InvocationOutput(Status=InvocationStatus.PENDING))
    _cancel(runtime, running_durable_calls(runtime, owner))
    runtime.close(owner)
    if isinstance(error, CheckpointError):
        return _checkpoint_failure(error)
    if held.error is not None or _ends_the_process_or_invocation(error, owner):
        await _flush_quietly(runtime)  # a serializer's temporary failure: retried, however caught
        raise raised if isinstance(error, _PROPAGATED) else (held.error or raised)
    if state.fatal_error is not None or isinstance(error, ExecutionError):
        return await _finish(runtime, _failed(state.fatal_error or error))
    unread = runtime.suspensions.unread(owner)
    if unread:
        return await _finish(
            runtime, _failed(_abandoned(runtime, f"{unread[0].describe()} suspended", _UNREAD))
        )
    if runtime.suspensions:
        # The error came after code caught a suspension (say, it read asyncio.gather's
        # SuspendExecution as a failure): the next invocation, when the operation can go on,
        # decides how the execution ends.
        return await _pending_after_swallowed(runtime)
    return await _finish(runtime, _failed(error))  # the handler failed: the execution ends FAILED


_PROPAGATED = (InvocationError, ReplayHorizonReached, KeyboardInterrupt, SystemExit, GeneratorExit)
_LEFT_RUNNING = (
    "in a task the handler did not await (asyncio.create_task or ensure_future, or "
    "asyncio.wait(..., return_when=FIRST_COMPLETED) returning before it finished)"
)
_UNREAD = (
    "in a task whose outcome nobody read (created and never awaited, or left among "
    "asyncio.wait's results)"
)


def _abandoned(runtime: ExecutionRuntime, what: str, idiom: str) -> AbandonedOperationError:
    return AbandonedOperationError(
        f"the handler returned while {what} {idiom}: the code abandoned a durable operation it "
        "started. Await every durable call; to await several at once use asyncio.gather "
        "(without return_exceptions), ctx.all, ctx.any or ctx.race",
        execution_arn=runtime.execution_arn,
    )


async def _pending_after_swallowed(runtime: ExecutionRuntime) -> InvocationOutput:
    """End PENDING: code caught a suspension and went on as if the operation had finished."""
    held = runtime.suspensions.unhandled()[0]
    runtime.logger.warning(
        "a durable call suspended and the code went on without it (a bare except:, "
        "contextlib.suppress(BaseException) or asyncio.gather(..., return_exceptions=True)); "
        "the invocation ends PENDING and runs again when the call can progress",
        suspended=held.describe(),
    )
    return await _finish(runtime, InvocationOutput(Status=InvocationStatus.PENDING))


def _ends_the_process_or_invocation(error: BaseException, owner: asyncio.Task[Any] | None) -> bool:
    """Whether ``error`` must propagate out of the invocation rather than end the execution.

    Lambda retries an invocation that raised (``InvocationError``); a replay-only run stops at
    its horizon; ``KeyboardInterrupt`` and ``SystemExit`` raised by the handler's own code tell
    the process to stop; a ``CancelledError`` while the invocation's task is being cancelled
    comes from outside. A ``CancelledError`` the handler raised itself, or any other
    ``BaseException``, is a failure of the handler like an ``Exception``.
    """
    if isinstance(error, _PROPAGATED):
        return True
    cancelled = isinstance(error, asyncio.CancelledError)
    return cancelled and owner is not None and owner.cancelling() > 0


def _cancel(runtime: ExecutionRuntime, running: list[tuple[asyncio.Task[Any], str]]) -> None:
    """Cancel tasks still in a durable call: nothing of theirs is checkpointed from now on."""
    tasks = [task for task, _ in running]
    runtime.abandon(tasks)
    for task in tasks:
        task.cancel()


async def _flush_quietly(runtime: ExecutionRuntime) -> None:
    """Flush before an error propagates; a failing flush must not hide that error."""
    try:
        await runtime.checkpointer.flush()
    except Exception as error:
        runtime.logger.warning("queued checkpoints could not be flushed", error=repr(error))


async def _succeed(runtime: ExecutionRuntime, result: Any) -> InvocationOutput:
    try:
        payload = _RESULT_JSON.encode(result)
    except (TypeError, ValueError) as error:
        limit = int_limit_exceeded(error)
        reason = error if limit is None else f"it holds an integer of more than {limit} digits"
        failure = SerDesError(
            f"the handler's result cannot be returned as JSON: {reason}",
            execution_arn=runtime.execution_arn,
        )
        failed = InvocationOutput(
            Status=InvocationStatus.FAILED, Error=error_object_from_exception(failure)
        )
        return await _finish(runtime, failed)
    if _response_size(payload) <= runtime.options.max_response_bytes:
        return await _finish(
            runtime, InvocationOutput(Status=InvocationStatus.SUCCEEDED, Result=payload)
        )
    # Too large for a Lambda response: store it on the EXECUTION operation instead.
    runtime.checkpointer.enqueue(
        OperationUpdate(
            Id=runtime.state.execution.Id,
            Type=OperationType.EXECUTION,
            Action=OperationAction.SUCCEED,
            Payload=payload,
        )
    )
    return await _finish(runtime, InvocationOutput(Status=InvocationStatus.SUCCEEDED, Result=""))


async def _finish(runtime: ExecutionRuntime, output: InvocationOutput) -> InvocationOutput:
    """Make every queued update durable, then return ``output``.

    A FAILED output whose error is too large for a Lambda response is returned without it, the
    error being checkpointed on the EXECUTION operation instead (an EXECUTION FAIL update), as
    a result too large is (``_succeed``).
    """
    error = output.Error
    if output.Status is InvocationStatus.FAILED and error is not None:
        size = _response_size(error.model_dump_json(exclude_none=True))
        if size > runtime.options.max_response_bytes:
            runtime.checkpointer.enqueue(
                OperationUpdate(
                    Id=runtime.state.execution.Id,
                    Type=OperationType.EXECUTION,
                    Action=OperationAction.FAIL,
                    Error=error,
                )
            )
            output = InvocationOutput(Status=InvocationStatus.FAILED)
    try:
        await runtime.checkpointer.flush()
    except CheckpointError as error:
        return _checkpoint_failure(error)
    return output


def _failed(error: BaseException) -> InvocationOutput:
    return InvocationOutput(
        Status=InvocationStatus.FAILED, Error=error_object_from_exception(error)
    )


def _checkpoint_failure(error: CheckpointError) -> InvocationOutput:
    if error.retriable:
        raise error
    return InvocationOutput(
        Status=InvocationStatus.FAILED, Error=error_object_from_exception(error)
    )


def _user_event(state: DurableState) -> Any:
    """Decode the EXECUTION operation's input payload as the user's event ({} when empty)."""
    details = state.execution.ExecutionDetails
    payload = details.InputPayload if details else None
    if not payload or not payload.strip():
        return {}
    try:
        return json.loads(payload)
    except ValueError as error:
        limit = int_limit_exceeded(error)
        if limit is not None:
            raise SerDesError(
                f"the execution's input payload holds an integer of more than {limit} digits, "
                "Python's limit for reading an int from text (sys.set_int_max_str_digits)",
                execution_arn=state.execution_arn,
            ) from error
        raise ExecutionError(
            f"the execution's input payload is not valid JSON ({error}): {payload[:80]!r}",
            execution_arn=state.execution_arn,
        ) from error
    except RecursionError as error:
        raise ExecutionError(
            f"the execution's input payload is not valid JSON ({error}): {payload[:80]!r}",
            execution_arn=state.execution_arn,
        ) from error


def _json_default(value: object) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# json.dumps's settings, but non-ASCII text as UTF-8: a result checkpointed on the EXECUTION
# operation is measured by the service in UTF-8 bytes.
_RESULT_JSON = JsonWriter(allow_nan=False, default=_json_default)


def _response_size(payload: str) -> int:
    """Return the bytes ``payload`` can take in a Lambda response: non-ASCII text escaped.

    Lambda's Python runtimes before 3.12 write the response with ``json.dumps``'s defaults,
    which escape every non-ASCII character (six bytes, twelve for one outside the BMP), so the
    result is measured as if escaped, as the official SDK's ASCII text is.
    """
    if payload.isascii():
        return len(payload)
    ascii_count = len(payload.encode("ascii", "ignore"))
    utf16_units = len(payload.encode("utf-16-le", "surrogatepass")) // 2
    return ascii_count + 6 * (utf16_units - ascii_count)
