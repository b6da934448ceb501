"""An error too large for the Lambda response is checkpointed as an EXECUTION FAIL update."""

from __future__ import annotations

import random
from typing import Any

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.core.context import DurableContext
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.model import InvocationOutput, InvocationStatus, OperationStatus
from durable_lambda.core.replay_logging import NullLogger
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import JsonSerDes
from durable_lambda.service.record import ExecutionStatus

MESSAGE = "the order could not be placed: " + "x" * 400


async def _fail(event: Any, ctx: DurableContext) -> None:
    await ctx.step(lambda s: "charged", name="charge")
    raise RuntimeError(MESSAGE)


async def _invoke(limit: int) -> tuple[InvocationOutput, LocalDurableService, str]:
    clock = FakeClock()
    service = LocalDurableService(InMemoryExecutionStore(), clock)
    arn = await service.start_execution("orders", "{}")
    event = (await service.invocation_input(arn)).to_wire()
    output = await run_invocation(
        _fail,
        parse_invocation_input(event),
        service=service,
        serdes=JsonSerDes(),
        clock=clock,
        random=random.Random(0),
        logger=NullLogger(),
        options=RuntimeOptions(max_response_bytes=limit),
    )
    await service.record_invocation(arn, clock.now(), clock.now(), output)
    return output, service, arn


async def test_an_error_over_the_response_limit_ends_the_execution_by_checkpoint() -> None:
    output, service, arn = await _invoke(limit=200)

    assert output == InvocationOutput(Status=InvocationStatus.FAILED)  # no Error in the response
    assert output.to_wire() == {"Status": "FAILED"}
    record = await service.get_record(arn)
    assert record.status is ExecutionStatus.FAILED
    assert record.error is not None
    assert record.error.ErrorType == "RuntimeError"
    assert record.error.ErrorMessage == MESSAGE
    execution = next(op for op in record.operations.values() if op.Type.value == "EXECUTION")
    assert execution.Status is OperationStatus.FAILED


async def test_an_error_within_the_limit_is_returned_in_the_response() -> None:
    output, service, arn = await _invoke(limit=6 * 1024 * 1024)

    assert output.Status is InvocationStatus.FAILED
    assert output.Error is not None
    assert output.Error.ErrorMessage == MESSAGE
    record = await service.get_record(arn)
    assert record.status is ExecutionStatus.FAILED
    assert record.error is not None
    assert record.error.ErrorMessage == MESSAGE
