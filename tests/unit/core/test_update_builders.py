"""The update builders give what the model's constructor gives, and refuse what it refuses.

Parts the SDK built itself (text ids and names, enum members, option models) are put together
without validating them again; anything else takes the model's validation and its error.
"""

from __future__ import annotations

import pydantic
import pytest

from durable_lambda.core.model import (
    ContextOptions,
    ErrorObject,
    OperationAction,
    OperationSubType,
    OperationType,
    OperationUpdate,
    StepOptions,
)
from durable_lambda.core.operations.updates import context_update, retry_update, step_update
from durable_lambda.core.state import OperationIdentity

STEP = OperationIdentity("a" * 64, OperationType.STEP, "Step", "charge", "p" * 64)
ITEM = OperationIdentity("b" * 64, OperationType.CONTEXT, "MapIteration", None, None)
ERROR = ErrorObject(ErrorType="ValueError", ErrorMessage="bad")
# A subtype given as the enum member, as map and parallel branches give theirs.
BRANCH = OperationIdentity("c" * 64, OperationType.CONTEXT, OperationSubType.STEP, "b-1", "p")


class Text(str):
    """A str subclass: validation turns it into a plain str."""


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
            context_update(BRANCH, OperationAction.SUCCEED, "2"),
            _constructed(
                BRANCH, OperationType.CONTEXT, Action=OperationAction.SUCCEED, Payload="2"
            ),
        ),
        (
            step_update(
                OperationIdentity(Text("d"), OperationType.STEP, Text("Step"), Text("n"), None),
                OperationAction.FAIL,
                payload=Text("p"),
                error=ERROR,
            ),
            _constructed(
                OperationIdentity("d", OperationType.STEP, "Step", "n", None),
                OperationType.STEP,
                Action=OperationAction.FAIL,
                Payload="p",
                Error=ERROR,
            ),
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
    # Field for field: the same values of the same types, in the same order, and the same
    # set fields and (absent) extra and private values.
    assert [(k, v, type(v)) for k, v in built.__dict__.items()] == [
        (k, v, type(v)) for k, v in expected.__dict__.items()
    ]
    assert built.model_fields_set == expected.model_fields_set
    assert built.__pydantic_extra__ == expected.__pydantic_extra__
    assert built.__pydantic_private__ == expected.__pydantic_private__
    assert built.to_wire() == expected.to_wire()
    assert built.model_dump(exclude_unset=True) == expected.model_dump(exclude_unset=True)


@pytest.mark.parametrize(
    ("identity", "field"),
    [
        (OperationIdentity("x" * 65, OperationType.STEP, "Step", None, None), "Id"),
        (OperationIdentity("", OperationType.STEP, "Step", None, None), "Id"),
        (OperationIdentity("x", OperationType.STEP, "Step", None, "p" * 65), "ParentId"),
        (OperationIdentity("x", OperationType.STEP, "Step", None, ""), "ParentId"),
        (OperationIdentity("x", OperationType.STEP, "Step", 7, None), "Name"),  # type: ignore[arg-type]
        (OperationIdentity("x", OperationType.STEP, 7, None, None), "SubType"),  # type: ignore[arg-type]
    ],
)
def test_a_built_update_is_still_validated(identity: OperationIdentity, field: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=field):
        step_update(identity, OperationAction.START)


def test_a_payload_or_error_of_the_wrong_type_is_refused_by_the_model() -> None:
    with pytest.raises(pydantic.ValidationError, match="Payload"):
        step_update(STEP, OperationAction.SUCCEED, payload=1)  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="Error"):
        step_update(STEP, OperationAction.FAIL, error="bad")  # type: ignore[arg-type]
