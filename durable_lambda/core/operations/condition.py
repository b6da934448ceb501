"""The wait_for_condition operation: poll a check, sleeping between polls, until a strategy stops.

It is a STEP with SubType ``WaitForCondition``. Each poll runs ``check(state, step_context)`` and
hands the new state to the config's wait strategy, which decides:

* stop: SUCCEED with the state as Payload, and return it;
* continue: RETRY with the state as Payload, no Error, and ``StepOptions.NextAttemptDelaySeconds``
  (the strategy's delay with its jitter applied); then suspend. The service moves the step to
  PENDING and, once the delay has passed, to READY, and invokes the function again.

State machine of one wait_for_condition, keyed by the checkpoint found at its id:

* none or READY: send START (queued, not awaited: it only records that a poll began), then poll.
* STARTED: a poll was interrupted; poll again without sending START.
* PENDING: the next poll is not due yet; suspend.
* SUCCEEDED: return the stored state; FAILED: raise the stored error. Nothing runs.

The state given to a poll is the one the previous poll checkpointed, read back from the step's
Result, or else ``initial_state`` after a round trip through the serializer, so that every poll
sees values of the same shape. A check (or a strategy) that raises fails the operation with
``WaitForConditionError``; so does running out of attempts, which ``create_wait_strategy``
reports by raising.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeAlias

from durable_lambda.core.config import WaitForConditionConfig
from durable_lambda.core.errors import (
    CheckpointError,
    ExecutionError,
    InvocationError,
    SuspendExecution,
    ValidationError,
    WaitForConditionError,
    error_object_from_exception,
)
from durable_lambda.core.model import (
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from durable_lambda.core.operations.skeleton import PROCEED, OperationExecutor
from durable_lambda.core.operations.updates import (
    attempts_made,
    retry_update,
    step_update,
    stored_error,
)
from durable_lambda.core.ports import SerDes
from durable_lambda.core.retry import (
    WaitForConditionDecision,
    apply_jitter,
    delay_seconds_for_service,
)
from durable_lambda.core.runtime import call_user_function
from durable_lambda.core.serdes import read_value, write_optional
from durable_lambda.core.state import OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope
    from durable_lambda.core.operations.step_context import WaitForConditionCheckContext

__all__ = ["CONDITION", "ConditionExecutor", "ConditionRequest", "run_wait_for_condition"]


ConditionRequest: TypeAlias = (
    "tuple[Callable[[Any, WaitForConditionCheckContext], Any], WaitForConditionConfig[Any]]"
)
"""What ``wait_for_condition`` is given: the check and its configuration."""


class ConditionExecutor(OperationExecutor[ConditionRequest, Any]):
    """``wait_for_condition`` on the operation skeleton (a STEP, subtype ``WaitForCondition``)."""

    __slots__ = ()

    operation_type = OperationType.STEP

    def check_result(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: ConditionRequest,
    ) -> Any:
        """Replay a met or failed condition; suspend until the next poll is due; else poll."""
        if record is None:
            return PROCEED
        runtime = scope.runtime
        if record.Status is OperationStatus.SUCCEEDED:
            serdes = request[1].serdes or runtime.serdes
            return runtime.read(serdes, record.result_payload, identity.operation_id)
        if record.Status is OperationStatus.FAILED:
            raise stored_error(WaitForConditionError, identity, runtime.execution_arn, record.error)
        if record.Status is OperationStatus.PENDING:
            raise runtime.suspension(identity)
        return PROCEED

    async def execute(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: ConditionRequest,
    ) -> Any:
        """Run one poll; checkpoint the new state, then poll again later or succeed."""
        check, config = request
        runtime = scope.runtime
        serdes: SerDes[Any] = config.serdes or runtime.serdes
        if record is None or record.Status is not OperationStatus.STARTED:
            runtime.checkpointer.enqueue(step_update(identity, OperationAction.START))
        await runtime.checkpointer.before_side_effect()  # the check is user code, like a step body
        attempt = attempts_made(record) + 1
        try:
            payload, decision = await _poll(scope, identity, check, config, serdes, record, attempt)
        except (ExecutionError, InvocationError, CheckpointError, SuspendExecution):
            raise
        except Exception as error:
            await _fail(scope, identity, error)

        if decision.should_continue:
            _poll_again(scope, identity, payload, decision, attempt)
        runtime.checkpointer.enqueue(
            step_update(identity, OperationAction.SUCCEED, payload=payload)
        )
        await runtime.after_first_completion()
        # A fresh read of what was checkpointed: equal to what every replay returns, and out of
        # reach of a strategy that mutated the state it was shown.
        return runtime.read(serdes, payload, identity.operation_id)


CONDITION: Final = ConditionExecutor()


def run_wait_for_condition(
    ctx: OperationScope,
    check: Callable[[Any, WaitForConditionCheckContext], Any],
    config: WaitForConditionConfig[Any],
    name: str | None,
) -> Coroutine[Any, Any, Any]:
    """Return the polling of ``check`` as the next operation of ``ctx``, to await.

    See the module docstring.

    Raises:
        ValidationError: ``check`` is not callable or ``config`` is missing.
        WaitForConditionError: (awaited) a check or the strategy raised, or the attempts ran
            out.
        SuspendExecution: (awaited) the condition is not met yet; the next poll is scheduled.
    """
    _validate(check, config, name)
    return CONDITION.run(ctx, OperationSubType.WAIT_FOR_CONDITION, name, (check, config))


def _poll_again(
    ctx: OperationScope,
    identity: OperationIdentity,
    payload: str | None,
    decision: WaitForConditionDecision,
    attempt: int,
) -> NoReturn:
    """Checkpoint RETRY with the new state and the jittered delay, then suspend."""
    runtime = ctx.runtime
    delay = delay_seconds_for_service(apply_jitter(decision.delay, decision.jitter, runtime.random))
    ctx.logger.info(
        "condition not met; polling again",
        operation_id=identity.operation_id,
        attempt=attempt,
        delay_seconds=delay,
    )
    runtime.checkpointer.enqueue(retry_update(identity, delay, payload=payload))
    raise runtime.suspension(identity)


async def _poll(
    ctx: OperationScope,
    identity: OperationIdentity,
    check: Callable[[Any, WaitForConditionCheckContext], Any],
    config: WaitForConditionConfig[Any],
    serdes: SerDes[Any],
    op: Operation | None,
    attempt: int,
) -> tuple[str | None, WaitForConditionDecision]:
    """Run one check and ask the strategy about it; return the new state's payload and decision."""
    where = identity.operation_id, ctx.runtime.execution_arn
    stored = op.result_payload if op is not None else None
    if not stored:
        stored = write_optional(serdes, config.initial_state, *where)[0]
    # No payload (a None under PassThroughSerDes, as the official SDK writes it) is a None state.
    state = None if stored is None else read_value(serdes, stored, *where)
    new_state = await call_user_function(check, state, ctx.check_context(identity, attempt))
    payload, same = write_optional(serdes, new_state, *where)
    # The strategy judges the state as the next poll and every replay will see it.
    seen = new_state if same or payload is None else read_value(serdes, payload, *where)
    decision = config.wait_strategy(seen, attempt)
    if not isinstance(decision, WaitForConditionDecision):
        raise ValidationError(
            "a wait strategy must return a WaitForConditionDecision, "
            f"got {type(decision).__name__}",
            field="wait_strategy",
            operation_name=identity.name,
        )
    return payload, decision


async def _fail(ctx: OperationScope, identity: OperationIdentity, error: Exception) -> NoReturn:
    """Checkpoint FAIL and raise ``WaitForConditionError`` carrying the original error."""
    runtime = ctx.runtime
    error_object = error_object_from_exception(error)
    runtime.checkpointer.enqueue(step_update(identity, OperationAction.FAIL, error=error_object))
    await runtime.after_first_completion()
    raise stored_error(
        WaitForConditionError, identity, runtime.execution_arn, error_object
    ) from error


def _validate(check: object, config: object, name: str | None) -> None:
    if not callable(check):
        raise ValidationError(
            "wait_for_condition needs a callable check(state, step_context)",
            field="check",
            operation_name=name,
        )
    if not isinstance(config, WaitForConditionConfig):
        raise ValidationError(
            "wait_for_condition needs a WaitForConditionConfig "
            f"(wait_strategy and initial_state), got {type(config).__name__}",
            field="config",
            operation_name=name,
        )
