"""The examples of docs/logging.md: ctx.logger, replay, Powertools, plugins and OpenTelemetry."""

# ruff: noqa: D102, D103, E402
# --8<-- [start:handler]
from typing import Any

from durable_lambda import DurableContext, Duration, StepContext, durable_execution
from durable_lambda.testing import DurableTestRunner


@durable_execution
async def handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    log = ctx.logger.bind(order_id=event["orderId"])  # every line of `log` carries order_id
    log.info("order received")  # written once: by the first invocation

    def charge(step: StepContext) -> dict[str, Any]:
        step.logger.info("charging card", amount=42)  # once per attempt of the step
        return {"charged": 42}

    receipt = await ctx.step(charge, name="charge")
    await ctx.wait(Duration.from_days(1), name="cool-off")
    log.info("sending receipt")  # written once: by the invocation after the wait
    return receipt


# --8<-- [end:handler]

import asyncio
import io
import json
import logging

from structlog.testing import capture_logs


async def test_each_line_is_written_once_over_the_whole_execution() -> None:
    with capture_logs() as lines:
        result = await DurableTestRunner(handler, always_replay=True).run({"orderId": "o-1"})

    assert result.status == "SUCCEEDED"
    assert result.invocations > 2  # replayed from the top again and again
    assert [line["event"] for line in lines] == [
        "order received",
        "charging card",
        "sending receipt",
    ]
    received, charging, _ = lines
    assert received["order_id"] == "o-1"
    assert charging["operation_name"] == "charge"
    assert charging["attempt"] == 1


# --8<-- [start:replay-logging]
async def traced(event: dict[str, Any], ctx: DurableContext) -> int:
    replay_log = ctx.logger.bind(log_during_replay=True)  # this logger writes on replay too
    value: int = await ctx.step(lambda step: 7, name="seven")
    replay_log.debug("after seven", value=value)  # once per invocation that passes here
    await ctx.wait(Duration.from_seconds(30), name="pause")
    return value


# --8<-- [end:replay-logging]


async def test_a_logger_bound_for_replay_writes_on_every_invocation() -> None:
    with capture_logs() as lines:
        result = await DurableTestRunner(traced).run({})

    assert result.invocations == 2
    assert [line["event"] for line in lines] == ["after seven", "after seven"]


# --8<-- [start:powertools]
from aws_lambda_powertools import Logger

from durable_lambda.adapters.logging import PowertoolsLogger

powertools_logger = Logger(service="orders")


@durable_execution(logger=PowertoolsLogger(powertools_logger))
async def with_powertools(event: dict[str, Any], ctx: DurableContext) -> str:
    ctx.logger.info("through Powertools")  # service, location, executionArn, requestId...
    return await ctx.step(lambda step: "done", name="work")


# --8<-- [end:powertools]


async def test_powertools_receives_the_lines_with_the_sdk_keys() -> None:
    out = io.StringIO()
    # Powertools writes to stdout through its handler: point it at a buffer for the test.
    stream = powertools_logger.registered_handler
    assert isinstance(stream, logging.StreamHandler)
    previous = stream.setStream(out)
    try:
        # As the Lambda runtime calls it: synchronously, from a thread without an event loop.
        output = await asyncio.to_thread(invoke_on_lambda, with_powertools)
    finally:
        stream.setStream(previous)

    assert output["Status"] == "SUCCEEDED"
    line = json.loads(out.getvalue().splitlines()[0])
    assert line["service"] == "orders"
    assert line["message"] == "through Powertools"
    assert line["requestId"] == "request-1"
    assert line["executionArn"].endswith("/run-1/abc")


# --8<-- [start:plugin]
from durable_lambda import AttemptInfo, BasePlugin


class AttemptLog(BasePlugin):
    """Collects every step attempt: what a metrics plugin would send somewhere."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str | None, int, str]] = []

    def on_attempt_end(self, info: AttemptInfo) -> None:
        self.attempts.append((info.name, info.attempt, str(info.outcome)))


attempt_log = AttemptLog()


@durable_execution(plugins=[attempt_log])
async def observed(event: dict[str, Any], ctx: DurableContext) -> str:
    return await ctx.step(lambda step: "done", name="work")


# --8<-- [end:plugin]


async def test_the_plugin_sees_each_attempt() -> None:
    result = await DurableTestRunner(observed).run({})

    assert result.status == "SUCCEEDED"
    assert attempt_log.attempts == [("work", 1, "SUCCEEDED")]


# --8<-- [start:otel]
from durable_lambda.adapters.otel import OpenTelemetryPlugin


@durable_execution(plugins=[OpenTelemetryPlugin()])  # spans go to the global TracerProvider
async def traced_order(event: dict[str, Any], ctx: DurableContext) -> str:
    await ctx.wait(Duration.from_minutes(5), name="settle")
    return await ctx.step(lambda step: "shipped", name="ship")


# --8<-- [end:otel]


async def test_the_opentelemetry_plugin_records_a_span_per_invocation_and_operation() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    plugin = OpenTelemetryPlugin(tracer_provider=provider)  # a provider of the test's own

    result = await DurableTestRunner(traced_order.handler, plugins=[plugin]).run({})

    assert result.status == "SUCCEEDED"
    names = [span.name for span in exporter.get_finished_spans()]
    assert names.count("durable.invocation") == result.invocations == 2
    assert len(names) > 2  # the operations' and the attempt's spans too


# -- helpers of the tests above -----------------------------------------------------------


def invoke_on_lambda(function: Any) -> dict[str, Any]:
    """Call ``function`` as the Lambda runtime does, checkpoints going to a stand-in client."""

    class StandInClient:
        def checkpoint_durable_execution(self, **request: Any) -> dict[str, Any]:
            return {"CheckpointToken": "t1", "NewExecutionState": {}}

    class LambdaContext:
        aws_request_id = "request-1"

    function.lambda_container.aws_client.set_provides(StandInClient())
    execution = {"Id": "1", "Type": "EXECUTION", "Status": "STARTED", "StartTimestamp": 0}
    event = {
        "DurableExecutionArn": "arn:aws:lambda:us-east-1:1:function:f/durable-execution/run-1/abc",
        "CheckpointToken": "t0",
        "InitialExecutionState": {"Operations": [execution]},
    }
    output: dict[str, Any] = function(event, LambdaContext())
    return output
