"""``OpenTelemetryPlugin``: an instrumentation plugin that records OpenTelemetry spans.

One span per invocation (``durable.invocation``); inside it one span per operation this
invocation started, parented on the span of its enclosing context operation when that is open,
and one span per step attempt inside its operation's span. A durable execution outlives any one
process, so spans never cross invocations: an operation still running when the invocation ends
(a wait, a callback, a step whose retry is scheduled) has its span ended there, marked
``durable.operation.suspended``. Spans are started with explicit parents and never made current,
so concurrent map and parallel branches cannot confuse each other's context.

Attributes use the ``durable.`` prefix: ``durable.execution_arn``, ``durable.invocation.first``,
``durable.invocation.status``, ``durable.operation.id``, ``.type``, ``.sub_type``, ``.name``,
``.parent_id``, ``.status``, ``.suspended``, ``durable.attempt.number``, ``.outcome``; a failure
also sets the span status to ERROR and ``error.type``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer, TracerProvider
from opentelemetry.util.types import AttributeValue

from durable_lambda.core.model import ErrorObject, OperationStatus
from durable_lambda.core.plugins import (
    AttemptInfo,
    AttemptOutcome,
    BasePlugin,
    InvocationEndInfo,
    InvocationEndStatus,
    InvocationStartInfo,
    OperationInfo,
)

__all__ = ["OpenTelemetryPlugin"]

_FAILED_INVOCATION = (InvocationEndStatus.FAILED, InvocationEndStatus.RETRY)
_FAILED_OPERATION = (OperationStatus.FAILED, OperationStatus.TIMED_OUT)


@dataclass
class _InvocationSpans:
    """The spans one invocation has open."""

    span: Span
    operations: dict[str, Span] = field(default_factory=dict)
    attempts: dict[str, Span] = field(default_factory=dict)


class OpenTelemetryPlugin(BasePlugin):
    """Records invocations, operations and step attempts as OpenTelemetry spans.

    Args:
        tracer_provider: Where spans go; the global provider when None.
        tracer_name: The instrumentation scope name of the spans.

    Example:
        >>> @durable_execution(plugins=[OpenTelemetryPlugin()])
        ... async def handler(event: dict, ctx: DurableContext) -> str:
        ...     return await ctx.step(lambda s: "done", name="work")
    """

    def __init__(
        self,
        tracer_provider: TracerProvider | None = None,
        *,
        tracer_name: str = "durable_lambda",
    ) -> None:
        self._tracer: Tracer = trace.get_tracer(tracer_name, tracer_provider=tracer_provider)
        # Keyed by execution ARN: one plugin may watch several executions at once (a test
        # runner running a chained invoke's target in the same process, say).
        self._invocations: dict[str, _InvocationSpans] = {}

    def on_invocation_start(self, info: InvocationStartInfo) -> None:
        """Open the invocation's span."""
        stale = self._invocations.pop(info.execution_arn, None)
        if stale is not None:  # a previous invocation never reported its end
            _end_open(stale)
            stale.span.end()
        span = self._tracer.start_span(
            "durable.invocation",
            attributes={
                "durable.execution_arn": info.execution_arn,
                "durable.invocation.first": info.is_first_invocation,
            },
        )
        self._invocations[info.execution_arn] = _InvocationSpans(span)

    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        """End every span still open, then the invocation's, with the invocation's status."""
        spans = self._invocations.pop(info.execution_arn, None)
        if spans is None:
            return
        _end_open(spans)
        spans.span.set_attribute("durable.invocation.status", info.status.value)
        if info.status in _FAILED_INVOCATION:
            _set_error(spans.span, info.error)
        spans.span.end()

    def on_operation_start(self, info: OperationInfo) -> None:
        """Open the operation's span under its parent's span (or the invocation's)."""
        spans = self._invocations.get(info.execution_arn)
        parent = _parent_span(spans, info.parent_id)
        attributes: dict[str, AttributeValue] = {
            "durable.execution_arn": info.execution_arn,
            "durable.operation.id": info.operation_id,
            "durable.operation.type": info.operation_type.value,
        }
        optional = {
            "durable.operation.sub_type": info.sub_type,
            "durable.operation.name": info.name,
            "durable.operation.parent_id": info.parent_id,
        }
        attributes.update({key: value for key, value in optional.items() if value is not None})
        label = info.sub_type or info.operation_type.value
        span = self._tracer.start_span(
            f"{label} {info.name}" if info.name else label,
            context=trace.set_span_in_context(parent) if parent else None,
            attributes=attributes,
        )
        if spans is not None:
            spans.operations[info.operation_id] = span
        else:  # no invocation span to hang it on: nothing would ever end it
            span.end()

    def on_operation_end(self, info: OperationInfo) -> None:
        """End the operation's span with its terminal status."""
        spans = self._invocations.get(info.execution_arn)
        span = spans.operations.pop(info.operation_id, None) if spans else None
        if span is None:
            return
        span.set_attribute("durable.operation.status", info.status.value)
        if info.status in _FAILED_OPERATION:
            _set_error(span, info.error)
        span.end()

    def on_attempt_start(self, info: AttemptInfo) -> None:
        """Open the attempt's span under its operation's span."""
        spans = self._invocations.get(info.execution_arn)
        if spans is None:
            return
        parent = spans.operations.get(info.operation_id, spans.span)
        spans.attempts[info.operation_id] = self._tracer.start_span(
            f"attempt {info.attempt}",
            context=trace.set_span_in_context(parent),
            attributes={
                "durable.execution_arn": info.execution_arn,
                "durable.operation.id": info.operation_id,
                "durable.attempt.number": info.attempt,
            },
        )

    def on_attempt_end(self, info: AttemptInfo) -> None:
        """End the attempt's span with its outcome."""
        spans = self._invocations.get(info.execution_arn)
        span = spans.attempts.pop(info.operation_id, None) if spans else None
        if span is None:
            return
        if info.outcome is not None:
            span.set_attribute("durable.attempt.outcome", info.outcome.value)
        if info.outcome is AttemptOutcome.FAILED:
            _set_error(span, info.error)
        span.end()


def _parent_span(spans: _InvocationSpans | None, parent_id: str | None) -> Span | None:
    if spans is None:
        return None
    if parent_id is not None and parent_id in spans.operations:
        return spans.operations[parent_id]
    return spans.span


def _end_open(spans: _InvocationSpans) -> None:
    """End the attempts and operations the invocation leaves unfinished, innermost first."""
    for span in [*spans.attempts.values(), *reversed(spans.operations.values())]:
        span.set_attribute("durable.operation.suspended", True)
        span.end()
    spans.attempts.clear()
    spans.operations.clear()


def _set_error(span: Span, error: ErrorObject | None) -> None:
    description = None
    if error is not None:
        description = error.ErrorMessage
        if error.ErrorType:
            span.set_attribute("error.type", error.ErrorType)
    span.set_status(Status(StatusCode.ERROR, description))
