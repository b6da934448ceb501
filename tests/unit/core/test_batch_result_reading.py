"""Reading a stored batch result: every item at once, exactly as item by item."""

from __future__ import annotations

from typing import Any

import pytest

from durable_lambda.core.config import CompletionConfig
from durable_lambda.core.errors import SerDesError
from durable_lambda.core.model import ErrorObject
from durable_lambda.core.operations.batch_result import (
    AnyBatchItem,
    BatchItem,
    BatchItemStatus,
    BatchResult,
    CompletionReason,
)

STORED: list[dict[str, Any]] = [
    {"all": [{"index": 0, "status": "SUCCEEDED", "result": {"a": [1, 2]}}]},
    {"all": [{"index": 0, "status": "FAILED", "error": {}}]},
    {"all": [{"index": 0, "status": "FAILED", "error": ""}]},
    {"all": [{"index": 0, "status": "FAILED", "error": {"ErrorType": "E", "ErrorMessage": "m"}}]},
    {"all": [{"index": "1", "status": "STARTED", "unknown": True}]},
    {"all": [{"index": 0, "status": "SUCCEEDED"}, {"index": 1, "status": "FAILED"}]},
    {"all": []},
]


@pytest.mark.parametrize("data", STORED)
@pytest.mark.parametrize("reason", [None, "MIN_SUCCESSFUL_REACHED"])
def test_items_read_as_batch_item_from_dict_reads_each(
    data: dict[str, Any], reason: str | None
) -> None:
    stored = dict(data, completionReason=reason) if reason else data
    config = CompletionConfig(tolerated_failure_count=0)

    result = BatchResult.from_dict(stored, config)

    assert result.all == [BatchItem.from_dict(item) for item in data["all"]]
    assert all(type(item) is AnyBatchItem for item in result.all)
    expected = BatchResult.from_items(result.all, config).completion_reason
    assert result.completion_reason == (CompletionReason(reason) if reason else expected)


def test_a_falsy_error_reads_as_none_and_a_real_one_as_an_error_object() -> None:
    result = BatchResult.from_dict(
        {
            "all": [
                {"index": 0, "status": "FAILED", "error": {}},
                {"index": 1, "status": "FAILED", "error": {"ErrorMessage": "boom"}},
            ],
            "completionReason": "FAILURE_TOLERANCE_EXCEEDED",
        }
    )

    assert [item.error for item in result.all] == [None, ErrorObject(ErrorMessage="boom")]
    assert [item.status for item in result.all] == [BatchItemStatus.FAILED] * 2


@pytest.mark.parametrize(
    "data",
    [
        {"items": []},
        {"all": None},
        {"all": [{"status": "SUCCEEDED"}]},
        {"all": [{"index": 0, "status": "succeeded"}]},
        {"all": [{"index": 0, "status": "FAILED", "error": "boom"}]},
        {"all": [], "completionReason": ""},
        {"all": [], "completionReason": "NOPE"},
    ],
)
def test_what_is_not_a_batch_result_is_refused(data: dict[str, Any]) -> None:
    with pytest.raises(SerDesError, match="not a batch result"):
        BatchResult.from_dict(data)


def test_a_result_written_by_to_dict_reads_back_equal() -> None:
    result = BatchResult[Any](
        all=[
            BatchItem[Any](index=0, status=BatchItemStatus.SUCCEEDED, result={"k": [1, "x"]}),
            BatchItem[Any](
                index=1, status=BatchItemStatus.FAILED, error=ErrorObject(ErrorType="E")
            ),
            BatchItem[Any](index=2, status=BatchItemStatus.STARTED),
        ],
        completion_reason=CompletionReason.FAILURE_TOLERANCE_EXCEEDED,
    )

    assert BatchResult.from_dict(result.to_dict()) == result
