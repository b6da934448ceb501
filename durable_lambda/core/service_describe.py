"""What ``GetDurableExecution`` says about an execution, read off its record."""

from __future__ import annotations

from durable_lambda.core.model import ErrorObject, Timestamp, WireModel
from durable_lambda.core.service_apply import executed_version
from durable_lambda.service.record import ExecutionRecord, ExecutionStatus

__all__ = ["ExecutionDescription", "describe_execution"]


class ExecutionDescription(WireModel):
    """An execution as ``GetDurableExecution`` describes it."""

    DurableExecutionArn: str
    DurableExecutionName: str
    FunctionArn: str
    InputPayload: str | None = None
    Result: str | None = None
    Error: ErrorObject | None = None
    StartTimestamp: Timestamp
    Status: ExecutionStatus
    EndTimestamp: Timestamp | None = None
    Version: str | None = None


def describe_execution(record: ExecutionRecord) -> ExecutionDescription:
    """Describe the execution as ``GetDurableExecution`` (with execution data) would."""
    function_arn = record.arn.split("/durable-execution/", 1)[0]
    return ExecutionDescription(
        DurableExecutionArn=record.arn,
        DurableExecutionName=record.name,
        FunctionArn=function_arn,
        InputPayload=record.input_payload,
        Result=record.result,
        Error=record.error,
        StartTimestamp=record.start_timestamp,
        Status=record.status,
        EndTimestamp=record.end_timestamp,
        Version=executed_version(function_arn),
    )
