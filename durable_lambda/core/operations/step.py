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
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeAlias

from durable_lambda.core.config import StepConfig, StepSemantics
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
from durable_lambda.core.operations.skeleton import PROCEED, OperationExecutor
from durable_lambda.core.operations.updates import (
    located,
    retry_update,
    step_update,
    stored_error,
)
from durable_lambda.core.retry import RetryPresets, apply_jitter, delay_seconds_for_service
from durable_lambda.core.serdes import read_value, write_optional
from durable_lambda.core.state import NOT_SUCCEEDED, OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope
    from durable_lambda.core.operations.step_context import StepContext

__all__ = [
    "DEFAULT_STEP_CONFIG",
    "STEP",
    "StepExecutor",
    "StepRequest",
    "replay_step",
    "step_identity",
]

DEFAULT_STEP_CONFIG: Final = StepConfig()
"""The configuration of a step given none."""
# Read once, not from their class on every replayed step: measurable on the replay path
# (docs/performance.md, round 6); elsewhere such aliases were dropped as inside the noise.
_STEP = OperationType.STEP
_STEP_SUB_TYPE = OperationSubType.STEP


def replay_step(
    ctx: OperationScope, name: str | None, config: StepConfig | None
) -> tuple[str, Any]:
    """Take the id of the next step of ``ctx``; read its result if it already succeeded.

    The hot path of every replay: the operation skeleton's fast lane (``core/operations/
    skeleton.py``), kept out of the executor so that a replayed step costs its caller no
    coroutine (nor an ``OperationIdentity``).

    Returns:
        The step's operation id, and its stored result (read as ``config``'s serializer reads
        it), or ``NOT_SUCCEEDED`` when the step has not succeeded and ``STEP.resume`` must run it.

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


StepRequest: TypeAlias = "tuple[Callable[[StepContext], Any], StepConfig]"
"""What a step is given: its body and its configuration (``DEFAULT_STEP_CONFIG`` for none)."""


class StepExecutor(OperationExecutor[StepRequest, Any]):
    """The step on the operation skeleton (see the module docstring for its state machine)."""

    __slots__ = ()

    operation_type = OperationType.STEP

    def check_result(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: StepRequest,
    ) -> Any:
        """Replay a SUCCEEDED or FAILED step, suspend on a PENDING one; else proceed."""
        if record is None:
            return PROCEED
        runtime = scope.runtime
        status = record.Status
        if status is OperationStatus.SUCCEEDED:  # reached by run(); the fast lane reads it first
            serdes = request[1].serdes or runtime.serdes
            return runtime.read(serdes, record.result_payload, identity.operation_id)
        if status is OperationStatus.FAILED:
            error = record.error
            if error is not None and (error.ErrorType or "").endswith("SerDesError"):
                raise SerDesError(
                    error.ErrorMessage or "", **located(identity, runtime.execution_arn)
                )
            raise stored_error(StepError, identity, runtime.execution_arn, error)
        if status is OperationStatus.PENDING:
            raise runtime.suspension(identity)
        return PROCEED

    async def execute(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: StepRequest,
    ) -> Any:
        """Run one attempt of the body (START first), and checkpoint how it ended."""
        fn, config = request
        runtime = scope.runtime
        attempt = attempt_number(record)
        if (
            record is not None
            and record.Status is OperationStatus.STARTED
            and config.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY
        ):
            interrupted = StepInterruptedError(
                "an at-most-once step was started but never finished; its body may have run",
                **located(identity, runtime.execution_arn),
            )
            await _retry_or_fail(scope, identity, config, interrupted, attempt)
        if runtime.deadline is not None and deadline_passed(runtime):
            await defer_step(runtime, identity, record)  # too close to Lambda's time-out to start
        checkpointer = runtime.checkpointer
        if record is None or record.Status is OperationStatus.READY:
            checkpointer.enqueue(step_update(identity, OperationAction.START))
        # The body is a side effect: what came before it must be durable first (the mode decides
        # how much; an at-most-once body also needs its own START acknowledged, in every mode).
        at_most_once = config.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY
        if at_most_once or checkpointer.must_wait_before_side_effect():
            await checkpointer.flush()

        step_context = scope.step_context(identity, attempt)
        try:
            with runtime.plugins.attempt(identity, attempt):
                raw = await run_attempt(runtime, fn, step_context, identity, config.timeout_seconds)
        except (ExecutionError, InvocationError, CheckpointError, SuspendExecution):
            raise
        except Exception as error:
            await _retry_or_fail(scope, identity, config, error, attempt)

        serdes = config.serdes or runtime.serdes
        where = identity.operation_id, runtime.execution_arn
        try:  # no payload for None under PassThroughSerDes, as the official SDK
            payload, same = write_optional(serdes, raw, *where)
        except SerDesError as error:
            await _unwritable(scope, identity, error)
        # Hand back what replay would hand back, so the first run and every replay see equal
        # values.
        result = raw if same or payload is None else read_value(serdes, payload, *where)
        checkpointer.enqueue(step_update(identity, OperationAction.SUCCEED, payload=payload))
        if runtime.note_first_completion():
            await checkpointer.settle()
        return result


STEP: Final = StepExecutor()
"""The step's executor: ``replay_step`` first (the fast lane), then ``STEP.resume``."""


def step_identity(scope: OperationScope, operation_id: str, name: str | None) -> OperationIdentity:
    """Describe the step ``replay_step`` took the id ``operation_id`` of, for ``STEP.resume``."""
    return OperationIdentity(
        operation_id, OperationType.STEP, OperationSubType.STEP, name, scope.parent_id
    )


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
