"""The step operation: run a function once, checkpoint its result, retry it by strategy.

State machine of one step, keyed by the checkpoint found at its id:

* none, or READY (a retry is due): START, run the body, then SUCCEED, or RETRY / FAIL.
* STARTED under at-least-once: the previous attempt was interrupted; run the body again.
* STARTED under at-most-once: the body may have run; the attempt counts as failed with
  ``StepInterruptedError`` and the retry strategy decides.
* Reached after the invocation's deadline margin: the body does not start (``defer_step``).
* PENDING: a retry is scheduled for later; suspend.
* SUCCEEDED / FAILED: return the stored result or raise the stored error; the body does not run.

Before the body runs, what the checkpoint mode promises is acknowledged by the service
(``Checkpointer.before_side_effect``): in the default mode every outcome queued before it, so a
completed step is durable before the next body starts; in EAGER also this step's START. An
at-most-once step's START is acknowledged before its body runs in every mode. Each attempt runs
under the step's time-out and the invocation's deadline (``attempt.run_attempt``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from durable_lambda.core.config import StepConfig, StepSemantics
from durable_lambda.core.envelope import read_payload
from durable_lambda.core.errors import (
    CheckpointError,
    ExecutionError,
    InvocationError,
    SerDesError,
    StepError,
    StepInterruptedError,
    SuspendExecution,
    error_object_from_exception,
)
from durable_lambda.core.model import (
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from durable_lambda.core.operations.attempt import (
    attempt_number,
    deadline_passed,
    defer_step,
    run_attempt,
)
from durable_lambda.core.operations.updates import (
    located,
    retry_update,
    step_update,
    stored_error,
)
from durable_lambda.core.ports import SerDes, SerDesContext
from durable_lambda.core.retry import RetryPresets, apply_jitter, delay_seconds_for_service
from durable_lambda.core.serdes import deserialize, reads_plainly, serialize
from durable_lambda.core.state import NOT_SUCCEEDED, OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope
    from durable_lambda.core.operations.step_context import StepContext

__all__ = ["replay_step", "run_step"]

_DEFAULT_CONFIG = StepConfig()
# Module constants: a global lookup is cheaper than an enum class attribute on every step.
_STEP = OperationType.STEP
_STEP_SUB_TYPE = OperationSubType.STEP


def replay_step(
    ctx: OperationScope, name: str | None, config: StepConfig | None
) -> tuple[str, Any]:
    """Take the id of the next step of ``ctx``; read its result if it already succeeded.

    The hot path of every replay, kept out of ``run_step`` so that a replayed step costs its
    caller no second coroutine (nor an ``OperationIdentity``).

    Returns:
        The step's operation id, and its stored result (read as ``config``'s serializer reads
        it), or ``NOT_SUCCEEDED`` when the step has not succeeded and ``run_step`` must run it.

    Raises:
        ValidationError: ``name`` is not a name the service accepts.
        NonDeterministicExecutionError: a different operation was checkpointed at this id.
        SerDesError: the stored result cannot be read (the execution fails).
    """
    runtime = ctx.runtime
    operation_id = ctx.next_operation_id(name)
    payload = runtime.state.succeeded_payload(
        operation_id, _STEP, _STEP_SUB_TYPE, name, ctx.parent_id
    )
    if payload is NOT_SUCCEEDED:
        return operation_id, payload
    serdes = config.serdes if config is not None and config.serdes else runtime.serdes
    return operation_id, runtime.read(serdes, payload, operation_id)


async def run_step(
    ctx: OperationScope,
    fn: Callable[[StepContext], Any],
    operation_id: str,
    name: str | None,
    config: StepConfig | None,
) -> Any:
    """Run ``fn`` as the step ``operation_id`` of ``ctx``, which ``replay_step`` found unfinished.

    See the module docstring for the state machine.
    """
    config = config or _DEFAULT_CONFIG
    runtime = ctx.runtime
    serdes = config.serdes or runtime.serdes
    identity = OperationIdentity(operation_id, _STEP, _STEP_SUB_TYPE, name, ctx.parent_id)
    op = runtime.state.checked(identity)
    attempt = attempt_number(op)
    if op is not None:
        await _resume(ctx, identity, config, op, attempt)

    runtime.note_new_work()
    if runtime.deadline is not None and deadline_passed(runtime):
        await defer_step(runtime, identity, op)  # too close to Lambda's time-out to start
    checkpointer = runtime.checkpointer
    if op is None or op.Status is OperationStatus.READY:
        checkpointer.enqueue(step_update(identity, OperationAction.START))
    # The body is a side effect: what came before it must be durable first (the mode decides
    # how much; an at-most-once body also needs its own START acknowledged, in every mode).
    at_most_once = config.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY
    if at_most_once or checkpointer.must_wait_before_side_effect():
        await checkpointer.flush()

    step_context = ctx.step_context(identity, attempt)
    try:
        with runtime.plugins.attempt(identity, attempt):
            raw = await run_attempt(runtime, fn, step_context, identity, config.timeout_seconds)
    except (ExecutionError, InvocationError, CheckpointError, SuspendExecution):
        raise
    except Exception as error:
        await _retry_or_fail(ctx, identity, config, error, attempt)

    serdes_context = runtime.serdes_context(identity.operation_id)  # not needed by replays
    try:
        payload = serialize(serdes, raw, serdes_context)
    except SerDesError as error:
        await _unwritable(ctx, identity, error)
    # Hand back what replay would hand back, so the first run and every replay see equal values.
    result = _read_back(serdes, payload, serdes_context)
    runtime.checkpointer.enqueue(step_update(identity, OperationAction.SUCCEED, payload=payload))
    if runtime.note_first_completion():
        await runtime.checkpointer.settle()
    return result


def _read_back(serdes: SerDes[Any], payload: str, context: SerDesContext) -> Any:
    """Read a payload just written back as replay will.

    A serializer that reads plainly skips the error-wrapping layer; a payload it cannot read goes
    the long way round, for the full error.
    """
    if reads_plainly(serdes):
        try:
            return read_payload(payload)
        except (ValueError, TypeError, RecursionError):
            pass
    return deserialize(serdes, payload, context)


async def _resume(
    ctx: OperationScope,
    identity: OperationIdentity,
    config: StepConfig,
    op: Operation,
    attempt: int,
) -> None:
    """Act on a checkpoint that is not a success; return only when the body is to run again."""
    runtime = ctx.runtime
    if op.Status is OperationStatus.FAILED:
        if op.error is not None and (op.error.ErrorType or "").endswith("SerDesError"):
            raise SerDesError(
                op.error.ErrorMessage or "", **located(identity, runtime.execution_arn)
            )
        raise stored_error(StepError, identity, runtime.execution_arn, op.error)
    if op.Status is OperationStatus.PENDING:
        raise runtime.suspension(identity)
    if (
        op.Status is OperationStatus.STARTED
        and config.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY
    ):
        interrupted = StepInterruptedError(
            "an at-most-once step was started but never finished; its body may have run",
            **located(identity, runtime.execution_arn),
        )
        runtime.note_new_work()
        await _retry_or_fail(ctx, identity, config, interrupted, attempt)


async def _unwritable(
    ctx: OperationScope, identity: OperationIdentity, error: SerDesError
) -> NoReturn:
    """Fail the step whose result its serializer cannot write, and raise ``error``.

    No retry would write it either; as in the official SDK the step is recorded FAILED with
    ``SerDesError`` and the error is raised, on every replay too.
    """
    runtime = ctx.runtime
    update = step_update(identity, OperationAction.FAIL, error=error_object_from_exception(error))
    runtime.checkpointer.enqueue(update)
    await runtime.after_first_completion()
    raise error


async def _retry_or_fail(
    ctx: OperationScope,
    identity: OperationIdentity,
    config: StepConfig,
    error: Exception,
    attempt: int,
) -> NoReturn:
    """Checkpoint a failed attempt: RETRY and suspend, or FAIL and raise ``StepError``."""
    runtime = ctx.runtime
    strategy = config.retry_strategy or RetryPresets.default()
    decision = strategy(error, attempt)
    error_object = error_object_from_exception(error)
    if decision.should_retry:
        delay = apply_jitter(decision.delay, decision.jitter, runtime.random)
        ctx.logger.info(
            "step attempt failed; retrying",
            operation_id=identity.operation_id,
            attempt=attempt,
            delay_seconds=delay.to_seconds(),
            error_type=error_object.ErrorType,
            error_message=(error_object.ErrorMessage or "")[:200],  # the type alone says too little
        )
        seconds = delay_seconds_for_service(delay)
        runtime.checkpointer.enqueue(retry_update(identity, seconds, error=error_object))
        raise runtime.suspension(identity)
    runtime.checkpointer.enqueue(step_update(identity, OperationAction.FAIL, error=error_object))
    await runtime.after_first_completion()
    raise stored_error(StepError, identity, runtime.execution_arn, error_object) from error
