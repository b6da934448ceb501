"""The update builders validate as the model's constructor does (they call its validator)."""

from __future__ import annotations

import pydantic
import pytest

from durable_lambda.core.model import (
    ContextOptions,
    ErrorObject,
    OperationAction,
    OperationType,
    OperationUpdate,
    StepOptions,
)
from durable_lambda.core.operations.updates import context_update, retry_update, step_update
from durable_lambda.core.state import OperationIdentity

STEP = OperationIdentity("a" * 64, OperationType.STEP, "Step", "charge", "p" * 64)
ITEM = OperationIdentity("b" * 64, OperationType.CONTEXT, "MapIteration", None, None)
ERROR = ErrorObject(ErrorType="ValueError", ErrorMessage="bad")


def _constructed(
    identity: OperationIdentity, type_: OperationType, **fields: object
) -> OperationUpdate:
    base: dict[str, object] = {
        "Id": identity.operation_id,
        "ParentId": identity.parent_id,
        "Name": identity.name,
        "Type": type_,
        "SubType": identity.sub_type,
        "Payload": None,
        "Error": None,
        "StepOptions": None,
        "ContextOptions": None,
    }
    return OperationUpdate(**{**base, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (
            step_update(STEP, OperationAction.SUCCEED, payload="1"),
            _constructed(STEP, OperationType.STEP, Action=OperationAction.SUCCEED, Payload="1"),
        ),
        (
            retry_update(STEP, 5, error=ERROR),
            _constructed(
                STEP,
                OperationType.STEP,
                Action=OperationAction.RETRY,
                Error=ERROR,
                StepOptions=StepOptions(NextAttemptDelaySeconds=5),
            ),
        ),
        (
            context_update(ITEM, OperationAction.START),
            _constructed(ITEM, OperationType.CONTEXT, Action=OperationAction.START),
        ),
        (
            context_update(
                ITEM,
                OperationAction.SUCCEED,
                "",
                context_options=ContextOptions(ReplayChildren=True),
            ),
            _constructed(
                ITEM,
                OperationType.CONTEXT,
                Action=OperationAction.SUCCEED,
                Payload="",
                ContextOptions=ContextOptions(ReplayChildren=True),
            ),
        ),
    ],
)
def test_a_built_update_is_the_one_the_constructor_builds(
    built: OperationUpdate, expected: OperationUpdate
) -> None:
    assert built == expected
    assert built.model_fields_set == expected.model_fields_set
    assert built.to_wire() == expected.to_wire()


def test_a_built_update_is_still_validated() -> None:
    too_long = OperationIdentity("x" * 65, OperationType.STEP, "Step", None, None)
    with pytest.raises(pydantic.ValidationError, match="Id"):
        step_update(too_long, OperationAction.START)
