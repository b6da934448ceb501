"""What STEP and CONTEXT operations send to the service, and what their checkpoints tell back.

Every update of an operation carries its identity (id, parent, name, type, subtype); these
builders fill it in once, so an operation module only says what changes: the action and its
payload, error or options. The readers answer the questions more than one operation asks of a
checkpoint: how many attempts a STEP made, whether a CONTEXT stored only a summary, and which
error a FAILED operation raises again on replay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from durable_lambda.core.errors import DurableOperationError
from durable_lambda.core.model import (
    ContextOptions,
    ErrorObject,
    Operation,
    OperationAction,
    OperationSubType,
    OperationType,
    OperationUpdate,
    StepOptions,
)
from durable_lambda.core.state import OperationIdentity

__all__ = [
    "attempts_made",
    "context_update",
    "located",
    "replays_children",
    "retry_update",
    "step_update",
    "stored_error",
]

E = TypeVar("E", bound=DurableOperationError)


def step_update(
    identity: OperationIdentity,
    action: OperationAction,
    *,
    payload: str | None = None,
    error: ErrorObject | None = None,
    step_options: StepOptions | None = None,
) -> OperationUpdate:
    """Return the update that moves the STEP operation ``identity`` by ``action``.

    Args:
        identity: The step (a plain step, or a STEP of another subtype such as a polled
            condition).
        action: START, SUCCEED, FAIL or RETRY.
        payload: The result (SUCCEED) or the state to carry to the next attempt (RETRY).
        error: The attempt's error (FAIL, or RETRY after a failure).
        step_options: When the next attempt is due (RETRY).

    Returns:
        The update.
    """
    return _update(identity, OperationType.STEP, action, payload, error, step=step_options)


def retry_update(
    identity: OperationIdentity,
    delay_seconds: int,
    *,
    payload: str | None = None,
    error: ErrorObject | None = None,
) -> OperationUpdate:
    """Return the RETRY of the STEP ``identity``: its next attempt is due in ``delay_seconds``.

    Args:
        identity: The step.
        delay_seconds: The delay the service waits, already clamped to what it accepts.
        payload: The state the next attempt starts from (a polled condition).
        error: The failed attempt's error (a step).

    Returns:
        The update.
    """
    options = StepOptions(NextAttemptDelaySeconds=delay_seconds)
    return step_update(
        identity, OperationAction.RETRY, payload=payload, error=error, step_options=options
    )


def context_update(
    identity: OperationIdentity,
    action: OperationAction,
    payload: str | None = None,
    *,
    error: ErrorObject | None = None,
    context_options: ContextOptions | None = None,
) -> OperationUpdate:
    """Return the update that moves the CONTEXT operation ``identity`` by ``action``.

    Args:
        identity: The context (a child context, a map or parallel or one of their branches,
            a combinator's record).
        action: START, SUCCEED or FAIL.
        payload: The result, or the summary stored instead of a result too large to store.
        error: The error the context failed with.
        context_options: ``ReplayChildren`` when ``payload`` is a summary.

    Returns:
        The update.
    """
    return _update(identity, OperationType.CONTEXT, action, payload, error, context=context_options)


def _update(
    identity: OperationIdentity,
    type_: OperationType,
    action: OperationAction,
    payload: str | None,
    error: ErrorObject | None,
    *,
    step: StepOptions | None = None,
    context: ContextOptions | None = None,
) -> OperationUpdate:
    operation_id = identity.operation_id
    parent_id = identity.parent_id
    name = identity.name
    sub_type = identity.sub_type
    if _kind(sub_type) is OperationSubType:
        sub_type = sub_type._value_  # what validation makes of a str enum for a str field
    fields: dict[str, Any] = {  # in the model's field order (see ``_constructed``)
        "Id": operation_id,
        "ParentId": parent_id,
        "Name": name,
        "Type": type_,
        "SubType": sub_type,
        "Action": action,
        "Payload": payload,
        "Error": error,
        "ContextOptions": context,
        "StepOptions": step,
    }
    if (  # every part already of its field's type and within its bounds: nothing to validate
        _kind(operation_id) is str
        and 0 < len(operation_id) <= _MAX_ID
        and (parent_id is None or (_kind(parent_id) is str and 0 < len(parent_id) <= _MAX_ID))
        and (name is None or _kind(name) is str)
        and (sub_type is None or _kind(sub_type) is str)
        and (payload is None or _kind(payload) is str)
        and (error is None or _kind(error) is ErrorObject)
        and (step is None or _kind(step) is StepOptions)
        and (context is None or _kind(context) is ContextOptions)
        and _kind(action) is OperationAction
    ):
        return _constructed(fields)
    # Anything else (a name that is not text, say) gets the model's validation and its error.
    return _validate_update(fields)


_validate_update: Callable[[dict[str, Any]], OperationUpdate] = (
    OperationUpdate.__pydantic_validator__.validate_python
)

_kind = type  # the builtin, under a name ``_update``'s parameters do not hide
_MAX_ID = 64  # OperationUpdate.Id's and ParentId's max_length
# The fields ``_update`` gives: what validating its dict leaves as the update's set fields (a
# set of its own per update: pydantic's serializer refuses a frozenset there).
_GIVEN = frozenset(
    {"Id", "ParentId", "Name", "Type", "SubType", "Action", "Payload", "Error"}
    | {"StepOptions", "ContextOptions"}
)
_set = object.__setattr__


def _constructed(fields: dict[str, Any]) -> OperationUpdate:
    # What validating ``_update``'s dict leaves on an update, for parts already valid (every
    # step and map item sends two updates; validating them was most of a microsecond each,
    # docs/performance.md): every field's value in ``__dict__`` in field order, the fields given,
    # and no extra or private values. A test compares both ways' updates field for field.
    fields["WaitOptions"] = fields["CallbackOptions"] = fields["ChainedInvokeOptions"] = None
    update = _new(OperationUpdate)
    _set(update, "__dict__", fields)
    _set(update, "__pydantic_fields_set__", set(_GIVEN))
    _set(update, "__pydantic_extra__", None)
    _set(update, "__pydantic_private__", None)
    return update


_new = object.__new__


def attempts_made(op: Operation | None) -> int:
    """Return how many attempts the checkpointed STEP ``op`` has made (0 without one)."""
    if op is None or op.StepDetails is None:
        return 0
    return op.StepDetails.Attempt or 0


def replays_children(op: Operation | None) -> bool:
    """Whether a CONTEXT checkpoint stored a summary, its children to be replayed for the result."""
    details = op.ContextDetails if op is not None else None
    return bool(details and details.ReplayChildren)


def located(identity: OperationIdentity, execution_arn: str) -> dict[str, Any]:
    """Return the keyword arguments that place an error at ``identity`` in the execution.

    For any ``DurableExecutionError``: ``StepError(message, **located(identity, arn))``.
    """
    return {
        "execution_arn": execution_arn,
        "operation_id": identity.operation_id,
        "operation_name": identity.name,
    }


def stored_error(
    kind: type[E], identity: OperationIdentity, execution_arn: str, error: ErrorObject | None
) -> E:
    """Return the ``kind`` error an operation raises for its checkpointed ``error``.

    Args:
        kind: The operation's error class (``StepError``, ``ChildContextError`` ...).
        identity: The operation.
        execution_arn: The execution it belongs to.
        error: What the service stored (None reads as an empty error).

    Returns:
        The error, carrying the stored type, message, data and stack trace.
    """
    return kind.from_error_object(error, **located(identity, execution_arn))
