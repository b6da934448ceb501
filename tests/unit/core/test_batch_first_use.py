"""The first map of a process: what it loads and builds, and the values it makes unvalidated.

A fresh Lambda sandbox pays, on its first map, for every module and validator the map machinery
loads. A map with the default completion rules and no item batcher loads neither the custom rule's
vocabulary nor the item groups, and builds no validator for its items, its result, or the
configurations of operations it does not run. Its items and result are made without validating
them; they must equal, field for field, what validating the same values makes. The first check
runs in a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from durable_lambda.core.completion import BatchItemStatus, CompletionReason
from durable_lambda.core.model import ErrorObject
from durable_lambda.core.operations.batch_result import (
    BatchItem,
    BatchItemError,
    BatchResult,
    new_item,
    new_result,
)

ROOT = Path(__file__).resolve().parents[3]

_FIRST_MAP = """
import json, sys
from durable_lambda import durable_execution

class StandInClient:
    def checkpoint_durable_execution(self, **request):
        return {"CheckpointToken": "t1", "NewExecutionState": {}}

    def get_durable_execution_state(self, **request):
        raise AssertionError("single page")

async def double(ctx, item, index, items):
    return item * 2

@durable_execution(client=StandInClient())
async def handler(event, ctx):
    result = await ctx.map([1, 2, 3], double, name="doubled")
    return result.get_results()

output = handler({
    "DurableExecutionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/e",
    "CheckpointToken": "t0",
    "InitialExecutionState": {"Operations": [{
        "Id": "1", "Type": "EXECUTION", "Status": "STARTED", "StartTimestamp": 1767225600000,
        "ExecutionDetails": {"InputPayload": "{}"},
    }]},
}, None)
from durable_lambda.core.config import ChildConfig, ParallelConfig
from durable_lambda.core.operations.batch_result import BatchItem, BatchItemError, BatchResult
print(json.dumps({
    "status": output["Status"],
    "result": output.get("Result"),
    "loaded": {
        name: name in sys.modules
        for name in (
            "durable_lambda.core.operations.batch",
            "durable_lambda.core.completion_rule",
            "durable_lambda.core.operations.item_groups",
        )
    },
    "built": {
        "BatchItem": BatchItem.__pydantic_complete__,
        "BatchResult": BatchResult.__pydantic_complete__,
        "BatchItemError": BatchItemError.__pydantic_complete__,
        "ParallelConfig": ParallelConfig.__pydantic_complete__,
        "ChildConfig": ChildConfig.__pydantic_complete__,
    },
}))
"""


@pytest.fixture(scope="module")
def first_map() -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", _FIRST_MAP],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def test_the_first_map_runs(first_map: dict[str, Any]) -> None:
    assert first_map["status"] == "SUCCEEDED"
    assert json.loads(first_map["result"]) == [2, 4, 6]


def test_a_map_without_a_rule_or_a_batcher_loads_neither(first_map: dict[str, Any]) -> None:
    assert first_map["loaded"] == {
        "durable_lambda.core.operations.batch": True,
        "durable_lambda.core.completion_rule": False,
        "durable_lambda.core.operations.item_groups": False,
    }


def test_the_first_map_builds_no_validator_it_does_not_use(first_map: dict[str, Any]) -> None:
    assert first_map["built"] == {
        "BatchItem": False,
        "BatchResult": False,
        "BatchItemError": False,
        "ParallelConfig": False,
        "ChildConfig": False,
    }


def _state(model: Any) -> tuple[Any, ...]:
    return (
        type(model),
        model.__dict__,
        model.model_fields_set,
        model.__pydantic_extra__,
        model.__pydantic_private__,
    )


@pytest.mark.parametrize(
    ("made", "validated"),
    [
        (
            lambda: new_item(3, BatchItemStatus.SUCCEEDED, ("total", 7)),
            lambda: BatchItem(index=3, status=BatchItemStatus.SUCCEEDED, result=("total", 7)),
        ),
        (
            lambda: new_item(0, BatchItemStatus.SUCCEEDED, None),
            lambda: BatchItem(index=0, status=BatchItemStatus.SUCCEEDED, result=None),
        ),
        (
            lambda: new_item(1, BatchItemStatus.STARTED),
            lambda: BatchItem(index=1, status=BatchItemStatus.STARTED),
        ),
        (
            lambda: new_item(
                2, BatchItemStatus.FAILED, error=ErrorObject(ErrorType="E", ErrorMessage="m")
            ),
            lambda: BatchItem(
                index=2,
                status=BatchItemStatus.FAILED,
                error=ErrorObject(ErrorType="E", ErrorMessage="m"),
            ),
        ),
        (
            lambda: new_item(4, BatchItemStatus.FAILED, error=None),
            lambda: BatchItem(index=4, status=BatchItemStatus.FAILED, error=None),
        ),
    ],
)
def test_an_item_made_without_validating_is_the_validated_item(made: Any, validated: Any) -> None:
    item, expected = made(), validated()
    assert _state(item) == _state(expected)
    assert item == expected
    assert repr(item) == repr(expected)
    assert item.model_dump() == expected.model_dump()
    assert item.model_dump(exclude_unset=True) == expected.model_dump(exclude_unset=True)
    assert item.to_dict() == expected.to_dict()
    assert hash(item) == hash(expected)


def test_a_failed_item_made_without_validating_carries_the_official_names() -> None:
    item = new_item(2, BatchItemStatus.FAILED, error=ErrorObject(ErrorType="E", ErrorMessage="m"))
    assert isinstance(item.error, BatchItemError)
    assert (item.error.type, item.error.message) == ("E", "m")


def test_a_result_made_without_validating_is_the_validated_result() -> None:
    items = [new_item(0, BatchItemStatus.SUCCEEDED, 1), new_item(1, BatchItemStatus.STARTED)]
    result = new_result(items, CompletionReason.MIN_SUCCESSFUL_REACHED)
    expected = BatchResult(all=items, completion_reason=CompletionReason.MIN_SUCCESSFUL_REACHED)
    assert _state(result) == _state(expected)
    assert result == expected
    assert repr(result) == repr(expected)
    assert result.model_dump_json() == expected.model_dump_json()
    assert BatchResult.from_dict(result.to_dict()) == result


def test_a_made_value_is_as_frozen_as_a_validated_one() -> None:
    item = new_item(0, BatchItemStatus.SUCCEEDED, 1)
    with pytest.raises(ValueError, match="frozen"):
        item.index = 5  # type: ignore[misc]
