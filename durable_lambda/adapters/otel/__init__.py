"""OpenTelemetry tracing for durable executions (the optional ``otel`` extra).

Install with ``pip install 'durable-lambda[otel]'`` and register the plugin::

    from durable_lambda.adapters.otel import OpenTelemetryPlugin

    @durable_execution(plugins=[OpenTelemetryPlugin()])
    async def handler(event, ctx): ...
"""

from durable_lambda.adapters.otel.tracing_plugin import OpenTelemetryPlugin

__all__ = ["OpenTelemetryPlugin"]
