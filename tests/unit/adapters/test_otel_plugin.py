"""``OpenTelemetryPlugin``: spans per invocation, operation and attempt (in-memory exporter)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from durable_lambda import (
    DurableContext,
    Duration,
    RetryDecision,
    RetryPresets,
    StepConfig,
    StepContext,
)
from durable_lambda.adapters.otel import OpenTelemetryPlugin
from durable_lambda.testing import DurableTestRunner


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def plugin(exporter: InMemorySpanExporter) -> OpenTelemetryPlugin:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OpenTelemetryPlugin(provider)


def _by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, list[ReadableSpan]]:
    found: dict[str, list[ReadableSpan]] = {}
    for span in spans:
        found.setdefault(span.name, []).append(span)
    return found


def _parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


def _id(span: ReadableSpan) -> int:
    assert span.context is not None
    span_id: int = span.context.span_id
    return span_id


async def test_one_invocation_nests_operations_and_attempts(
    plugin: OpenTelemetryPlugin, exporter: InMemorySpanExporter
) -> None:
    async def handler(event: Any, ctx: DurableContext) -> str:
        async def inner(child: DurableContext) -> str:
            return await child.step(lambda _: "x", name="work")

        return await ctx.run_in_child_context(inner, name="outer")

    runner = DurableTestRunner(handler, plugins=[plugin])
    execution = await runner.start()
    assert (await execution.result()).result == "x"

    spans = _by_name(exporter.get_finished_spans())
    (invocation,) = spans["durable.invocation"]
    (outer,) = spans["RunInChildContext outer"]
    (work,) = spans["Step work"]
    (attempt,) = spans["attempt 1"]
    assert _parent_of(outer) == _id(invocation)
    assert _parent_of(work) == _id(outer)
    assert _parent_of(attempt) == _id(work)
    assert (
        len({span.context.trace_id for span in exporter.get_finished_spans() if span.context}) == 1
    )
    assert invocation.attributes is not None
    assert invocation.attributes["durable.execution_arn"] == execution.arn
    assert invocation.attributes["durable.invocation.first"] is True
    assert invocation.attributes["durable.invocation.status"] == "SUCCEEDED"
    assert work.attributes is not None
    assert work.attributes["durable.operation.status"] == "SUCCEEDED"
    assert outer.attributes is not None
    assert (
        work.attributes["durable.operation.parent_id"] == outer.attributes["durable.operation.id"]
    )
    assert attempt.attributes == {
        "durable.execution_arn": execution.arn,
        "durable.operation.id": work.attributes["durable.operation.id"],
        "durable.attempt.number": 1,
        "durable.attempt.outcome": "SUCCEEDED",
    }
    assert all(
        span.status.status_code is StatusCode.UNSET for span in exporter.get_finished_spans()
    )


async def test_a_retry_ends_the_first_invocation_with_the_step_suspended(
    plugin: OpenTelemetryPlugin, exporter: InMemorySpanExporter
) -> None:
    def flaky(step: StepContext) -> str:
        if step.attempt == 1:
            raise ValueError("not yet")
        return "done"

    def retry_once(error: Exception, attempt: int) -> RetryDecision:
        return RetryDecision(should_retry=attempt < 2, delay=Duration(1))

    async def handler(event: Any, ctx: DurableContext) -> str:
        return await ctx.step(flaky, name="flaky", config=StepConfig(retry_strategy=retry_once))

    assert (await DurableTestRunner(handler, plugins=[plugin]).run()).result == "done"

    spans = _by_name(exporter.get_finished_spans())
    first, second = spans["durable.invocation"]
    assert first.attributes is not None
    assert second.attributes is not None
    assert (
        first.attributes["durable.invocation.first"],
        second.attributes["durable.invocation.first"],
    ) == (True, False)
    assert first.attributes["durable.invocation.status"] == "PENDING"
    step_first, step_second = spans["Step flaky"]
    assert _parent_of(step_first) == _id(first)
    assert step_first.attributes is not None
    assert step_first.attributes["durable.operation.suspended"] is True
    assert "durable.operation.status" not in step_first.attributes
    assert _parent_of(step_second) == _id(second)
    assert step_second.attributes is not None
    assert step_second.attributes["durable.operation.status"] == "SUCCEEDED"
    (failed_attempt,) = spans["attempt 1"]
    assert failed_attempt.status.status_code is StatusCode.ERROR
    assert failed_attempt.status.description == "not yet"
    assert failed_attempt.attributes is not None
    assert failed_attempt.attributes["error.type"] == "ValueError"
    (good_attempt,) = spans["attempt 2"]
    assert _parent_of(good_attempt) == _id(step_second)


async def test_a_failed_execution_marks_the_spans_as_errors(
    plugin: OpenTelemetryPlugin, exporter: InMemorySpanExporter
) -> None:
    def boom(step: StepContext) -> str:
        raise RuntimeError("broken")

    async def handler(event: Any, ctx: DurableContext) -> str:
        config = StepConfig(retry_strategy=RetryPresets.none())
        return await ctx.step(boom, name="boom", config=config)

    assert (await DurableTestRunner(handler, plugins=[plugin]).run()).status == "FAILED"

    spans = _by_name(exporter.get_finished_spans())
    (invocation,) = spans["durable.invocation"]
    (step,) = spans["Step boom"]
    assert invocation.status.status_code is StatusCode.ERROR
    assert step.status.status_code is StatusCode.ERROR
    assert step.status.description == "broken"
    assert step.attributes is not None
    assert step.attributes["durable.operation.status"] == "FAILED"


async def test_a_wait_is_ended_with_its_invocation_and_not_reported_again(
    plugin: OpenTelemetryPlugin, exporter: InMemorySpanExporter
) -> None:
    async def handler(event: Any, ctx: DurableContext) -> None:
        await ctx.wait(Duration(10), name="pause")

    await DurableTestRunner(handler, plugins=[plugin]).run()

    spans = _by_name(exporter.get_finished_spans())
    assert len(spans["durable.invocation"]) == 2
    (wait,) = spans["Wait pause"]
    assert wait.attributes is not None
    assert wait.attributes["durable.operation.suspended"] is True
