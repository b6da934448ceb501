"""Each trick of ``core/_internals.py`` against the public behaviour it stands for.

A new version of pydantic, asyncio or ``json`` that changes what a trick relies on fails here,
by name, rather than somewhere on a hot path.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from durable_lambda.core._internals import (
    built_model,
    changed_model,
    live_task_count,
    scan_json,
)
from durable_lambda.core.model import (
    CallbackOptions,
    ChainedInvokeOptions,
    CheckpointResponse,
    ContextOptions,
    ErrorObject,
    ExecutionState,
    Operation,
    OperationAction,
    OperationList,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StepDetails,
    StepOptions,
    WaitOptions,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def test_live_task_count_is_never_below_the_unfinished_tasks() -> None:
    release = asyncio.Event()
    tasks = [asyncio.create_task(release.wait()) for _ in range(5)]
    assert live_task_count() >= len(asyncio.all_tasks()) == 6
    release.set()
    await asyncio.gather(*tasks)
    del tasks
    assert live_task_count() >= len(asyncio.all_tasks()) == 1


@pytest.mark.parametrize(
    "text", ['{"a":[1,2.5,"x",null,true]}', '"caf\u00e9"', "12", "[]", '{"t":"i","v":3}']
)
def test_scan_json_reads_what_json_loads_reads(text: str) -> None:
    value, end = scan_json(text, 0)
    assert value == json.loads(text)
    assert end == len(text)


def test_built_model_is_model_construct() -> None:
    state = ExecutionState(Operations=OperationList(), NextMarker="m")
    built = built_model(CheckpointResponse, {"CheckpointToken": "t", "NewExecutionState": state})
    expected = CheckpointResponse.model_construct(CheckpointToken="t", NewExecutionState=state)
    assert built == expected
    assert built.model_fields_set == expected.model_fields_set
    assert list(built.__dict__) == list(expected.__dict__)
    assert built.__pydantic_extra__ == expected.__pydantic_extra__
    assert built.__pydantic_private__ == expected.__pydantic_private__


def test_changed_model_is_model_copy() -> None:
    operation = Operation(
        Id="op", Type=OperationType.STEP, Status=OperationStatus.STARTED, StartTimestamp=T0
    )
    details = StepDetails(Attempt=1, Result="1")
    copy = changed_model(operation, Status=OperationStatus.SUCCEEDED, StepDetails=details)
    expected = operation.model_copy(
        update={"Status": OperationStatus.SUCCEEDED, "StepDetails": details}
    )
    assert copy == expected
    assert copy.model_fields_set == expected.model_fields_set
    assert list(copy.__dict__) == list(expected.__dict__)
    assert operation.Status is OperationStatus.STARTED  # the original is left as it was


_text = st.text(max_size=20)
_maybe = st.none() | _text
_errors = st.none() | st.builds(
    ErrorObject,
    ErrorType=_maybe,
    ErrorMessage=_maybe,
    ErrorData=_maybe,
    StackTrace=st.none() | st.tuples(_text, _text),
)


@given(
    action=st.sampled_from(list(OperationAction)),
    kind=st.sampled_from(list(OperationType)),
    name=_maybe,
    payload=_maybe,
    error=_errors,
    options=st.sampled_from(
        [
            {},
            {"StepOptions": StepOptions(NextAttemptDelaySeconds=5)},
            {"WaitOptions": WaitOptions(WaitSeconds=3)},
            {"CallbackOptions": CallbackOptions(TimeoutSeconds=0, HeartbeatTimeoutSeconds=9)},
            {"ContextOptions": ContextOptions(ReplayChildren=True)},
            {"ChainedInvokeOptions": ChainedInvokeOptions(FunctionName="f", TenantId="t")},
        ]
    ),
)
def test_an_updates_wire_dict_is_pydantics_json_dump(
    action: OperationAction,
    kind: OperationType,
    name: str | None,
    payload: str | None,
    error: ErrorObject | None,
    options: dict[str, object],
) -> None:
    update = OperationUpdate(
        Id="op-1",
        ParentId="parent",
        Name=name,
        Type=kind,
        SubType="Step",
        Action=action,
        Payload=payload,
        Error=error,
        **options,  # type: ignore[arg-type]
    )
    wire = update.to_wire()
    assert wire == update.model_dump(mode="json", exclude_none=True)
    assert json.dumps(wire) == json.dumps(update.model_dump(mode="json", exclude_none=True))


def test_an_operations_wire_dict_writes_timestamps_as_epoch_milliseconds() -> None:
    operation = Operation(
        Id="op",
        Type=OperationType.STEP,
        Status=OperationStatus.SUCCEEDED,
        StartTimestamp=T0,
        EndTimestamp=T0,
        StepDetails=StepDetails(Attempt=2, Result="1", NextAttemptTimestamp=T0),
    )
    assert operation.to_wire() == operation.model_dump(mode="json", exclude_none=True)
    assert operation.to_wire()["StartTimestamp"] == 1_767_225_600_000
