"""The completion policy of map and parallel, and the BatchResult value it produces."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from aws_durable_execution_sdk_python.concurrency.models import (
    BatchResult as OfficialBatchResult,
)
from aws_durable_execution_sdk_python.concurrency.models import (
    CompletionPolicy as OfficialPolicy,
)
from aws_durable_execution_sdk_python.config import CompletionConfig as OfficialConfig
from aws_durable_execution_sdk_python.serdes import ExtendedTypeSerDes

from durable_lambda.core.completion import CompletionPolicy, CompletionReason
from durable_lambda.core.config import CompletionConfig
from durable_lambda.core.errors import ChildContextError, SerDesError
from durable_lambda.core.model import ErrorObject
from durable_lambda.core.operations.batch_result import (
    BatchItem,
    BatchItemStatus,
    BatchResult,
)
from durable_lambda.core.operations.batch_summary import CompletionRecord, summary_envelope
from durable_lambda.core.ports import SerDesContext
from durable_lambda.core.serdes import JsonSerDes

SUCCEEDED, FAILED, STARTED = (
    BatchItemStatus.SUCCEEDED,
    BatchItemStatus.FAILED,
    BatchItemStatus.STARTED,
)


def _policy(total: int, **criteria: Any) -> CompletionPolicy:
    return CompletionPolicy.from_config(total, CompletionConfig(**criteria))


# -- the policy ------------------------------------------------------------------------------


def test_no_criteria_fails_fast_on_the_first_failure() -> None:
    policy = CompletionPolicy.from_config(3, None)
    assert not policy.tolerance_exceeded(0)
    assert policy.tolerance_exceeded(1)
    assert policy.should_stop(succeeded=1, failed=1)
    assert policy.reason(succeeded=1, failed=1) is CompletionReason.FAILURE_TOLERANCE_EXCEEDED
    assert CompletionPolicy.from_config(3, CompletionConfig()) == policy


def test_min_successful_completes_early_and_tolerates_any_failure() -> None:
    policy = _policy(4, min_successful=2)
    assert not policy.is_complete(succeeded=1, failed=2)
    assert not policy.tolerance_exceeded(3)
    assert policy.is_complete(succeeded=2, failed=0)
    assert policy.reason(succeeded=2, failed=0) is CompletionReason.MIN_SUCCESSFUL_REACHED
    # Everything finished without reaching the target: ALL_COMPLETED, as the official SDK says.
    assert policy.reason(succeeded=1, failed=3) is CompletionReason.ALL_COMPLETED


def test_failure_count_tolerance_is_exceeded_only_above_the_count() -> None:
    policy = _policy(5, tolerated_failure_count=1)
    assert not policy.should_stop(succeeded=0, failed=1)
    assert policy.should_stop(succeeded=0, failed=2)
    assert policy.reason(succeeded=3, failed=2) is CompletionReason.FAILURE_TOLERANCE_EXCEEDED
    assert policy.reason(succeeded=4, failed=1) is CompletionReason.ALL_COMPLETED


def test_failure_percentage_is_a_share_of_the_total_and_equal_is_tolerated() -> None:
    policy = _policy(4, tolerated_failure_percentage=25)
    assert not policy.tolerance_exceeded(1)  # 25% is not above 25%
    assert policy.tolerance_exceeded(2)
    assert _policy(0, tolerated_failure_percentage=0).reason(0, 0) is CompletionReason.ALL_COMPLETED


def test_the_parallel_default_requires_every_branch() -> None:
    policy = CompletionPolicy.from_config(3, CompletionConfig.all_successful())
    assert policy.tolerance_exceeded(1)
    all_completed = CompletionPolicy.from_config(3, CompletionConfig.all_completed())
    assert not all_completed.tolerance_exceeded(3)
    assert all_completed.reason(0, 3) is CompletionReason.ALL_COMPLETED


@pytest.mark.parametrize(
    "criteria",
    [
        {},
        {"min_successful": 2},
        {"tolerated_failure_count": 1},
        {"tolerated_failure_percentage": 40.0},
        {"min_successful": 3, "tolerated_failure_count": 0},
        {"min_successful": 1, "tolerated_failure_percentage": 0.0},
    ],
)
def test_the_policy_decides_as_the_official_sdk_does(criteria: dict[str, Any]) -> None:
    total = 5
    ours = _policy(total, **criteria)
    theirs = OfficialPolicy.from_config(total, OfficialConfig(**criteria))
    for succeeded in range(total + 1):
        for failed in range(total + 1 - succeeded):
            assert ours.is_complete(succeeded, failed) == theirs.is_complete(succeeded, failed)
            assert ours.tolerance_exceeded(failed) == theirs.is_tolerance_exceeded(failed)
            assert ours.reason(succeeded, failed).value == theirs.reason(succeeded, failed).value


# -- BatchResult -----------------------------------------------------------------------------

ERROR = ErrorObject(ErrorType="ValueError", ErrorMessage="bad item", StackTrace=("line 1",))


def _result() -> BatchResult[Any]:
    return BatchResult[Any](
        all=[
            BatchItem[Any](index=0, status=SUCCEEDED, result={"n": 1}),
            BatchItem[Any](index=1, status=FAILED, error=ERROR),
            BatchItem[Any](index=2, status=SUCCEEDED, result=None),
            BatchItem[Any](index=3, status=STARTED),
        ],
        completion_reason=CompletionReason.FAILURE_TOLERANCE_EXCEEDED,
    )


def test_batch_result_accessors() -> None:
    result = _result()
    assert result.get_results() == [{"n": 1}, None]
    assert result.get_errors() == [ERROR]
    assert [item.index for item in result.succeeded()] == [0, 2]
    assert [item.index for item in result.failed()] == [1]
    assert [item.index for item in result.started()] == [3]
    counts = (result.success_count, result.failure_count, result.started_count)
    assert counts == (2, 1, 1)
    assert result.total_count == 4
    assert result.has_failure
    assert result.status is FAILED


def test_throw_if_error_raises_the_first_failed_items_error() -> None:
    with pytest.raises(ChildContextError) as raised:
        _result().throw_if_error()
    assert raised.value.error_type == "ValueError"
    assert raised.value.message == "bad item"
    clean = BatchResult[Any](
        all=[BatchItem[Any](index=0, status=SUCCEEDED, result=1)],
        completion_reason=CompletionReason.ALL_COMPLETED,
    )
    clean.throw_if_error()
    assert clean.status is SUCCEEDED


def test_batch_result_round_trips_through_its_dict_and_the_default_serializer() -> None:
    result = BatchResult[Any](
        all=[
            BatchItem[Any](index=0, status=SUCCEEDED, result=datetime(2026, 1, 1, tzinfo=UTC)),
            BatchItem[Any](index=1, status=FAILED, error=ERROR),
        ],
        completion_reason=CompletionReason.ALL_COMPLETED,
    )
    serdes = JsonSerDes[Any]()
    context = SerDesContext("op", "arn")
    payload = serdes.serialize(result.to_dict(), context)
    assert BatchResult.from_dict(serdes.deserialize(payload, context)) == result


def test_batch_result_reads_what_the_official_sdk_writes() -> None:
    official: Any = OfficialBatchResult.from_dict(
        {
            "all": [
                {"index": 0, "status": "SUCCEEDED", "result": {"k": (1, 2)}, "error": None},
                {"index": 1, "status": "FAILED", "error": ERROR.model_dump(exclude_none=True)},
            ],
            "completionReason": "ALL_COMPLETED",
        }
    )
    payload = cast(Any, ExtendedTypeSerDes)().serialize(official, None)
    assert json.loads(payload)["t"] == "br"
    ours = BatchResult.from_dict(JsonSerDes[Any]().deserialize(payload, SerDesContext("o", "a")))
    assert ours.completion_reason is CompletionReason.ALL_COMPLETED
    assert ours.get_results() == [{"k": (1, 2)}]
    assert ours.get_errors()[0] == ErrorObject(
        ErrorType="ValueError", ErrorMessage="bad item", StackTrace=("line 1",)
    )
    # And the other way: the official SDK reads our dict form.
    theirs: Any = OfficialBatchResult.from_dict(_result().to_dict())
    assert theirs.completion_reason.value == "FAILURE_TOLERANCE_EXCEEDED"
    assert theirs.get_results() == [{"n": 1}, None]


def test_a_missing_reason_is_inferred_and_garbage_is_a_serdes_error() -> None:
    data = _result().to_dict()
    del data["completionReason"]
    inferred = BatchResult.from_dict(data, CompletionConfig(tolerated_failure_count=5))
    assert inferred.completion_reason is CompletionReason.ALL_COMPLETED
    with pytest.raises(SerDesError):
        BatchResult.from_dict({"items": []})


def test_summary_envelope_records_the_completion_decision() -> None:
    result = _result()
    summary = summary_envelope(result, "MapResult", lambda r: f"{r.success_count} ok")
    fields = json.loads(summary)
    assert fields == {
        "type": "MapResult",
        "totalCount": 4,
        "completionReason": "FAILURE_TOLERANCE_EXCEEDED",
        "startedIndexes": [3],
        "startedCount": 1,
        "successCount": 2,
        "failureCount": 1,
        "status": "FAILED",
        "summary": "2 ok",
    }
    record = CompletionRecord.from_summary(summary)
    assert record == CompletionRecord(
        completion_reason=CompletionReason.FAILURE_TOLERANCE_EXCEEDED,
        started_total=4,
        started_indexes=frozenset({3}),
    )


def test_completion_record_reads_completed_indexes_and_rejects_malformed_summaries() -> None:
    summary = json.dumps(
        {"totalCount": 3, "completionReason": "MIN_SUCCESSFUL_REACHED", "completedIndexes": [0]}
    )
    record = CompletionRecord.from_summary(summary)
    assert record is not None
    assert record.started_indexes == frozenset({1, 2})
    for bad in (
        None,
        "",
        "not json",
        "[]",
        json.dumps({"totalCount": 2, "completionReason": "NOPE", "startedIndexes": []}),
        json.dumps({"totalCount": 2, "completionReason": "ALL_COMPLETED"}),
        json.dumps({"totalCount": 2, "completionReason": "ALL_COMPLETED", "startedIndexes": [5]}),
        json.dumps({"totalCount": True, "completionReason": "ALL_COMPLETED", "startedIndexes": []}),
    ):
        assert CompletionRecord.from_summary(bad) is None
