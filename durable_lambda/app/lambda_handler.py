"""``@durable_execution``: turns ``async def handler(event, ctx)`` into a Lambda durable function.

Lambda calls the decorated object synchronously with the invocation input; it runs the handler on
one event loop per container, reused across warm invocations (so libraries that cache loop-bound
clients keep working), and returns the invocation output as a dict.

Logging on Lambda: unless the application chose a logger (``logger=``, or the container's) or
configured structlog itself, events are written in the function's Lambda log format (JSON or
text, ``AWS_LAMBDA_LOG_FORMAT``) at its level (``AWS_LAMBDA_LOG_LEVEL`` / ``LOG_LEVEL``), by
``LambdaLogger``; each invocation's events carry its Lambda ``requestId``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from dependency_injector import providers

from durable_lambda.adapters.logging.structlog_logger import StructlogLogger
from durable_lambda.app.container import Container, default_container
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.context import DurableContext
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.model import InvocationOutput
from durable_lambda.core.plugins import InstrumentationPlugin
from durable_lambda.core.ports import Clock, DurableService, Logger
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import SerDes

if TYPE_CHECKING:
    from botocore.config import Config as BotocoreConfig

__all__ = ["DurableFunction", "durable_execution"]

R = TypeVar("R")

_loop: asyncio.AbstractEventLoop | None = None


def _container_loop() -> asyncio.AbstractEventLoop:
    """Return this process's event loop, created on first use and kept for warm invocations."""
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
    return _loop


class DurableFunction(Generic[R]):
    """A durable handler ready for Lambda: call it with ``(event, lambda_context)``.

    Attributes:
        handler: The user's ``async def handler(event, ctx)``.
        container: The dependency container it draws its adapters from.
        plugins: Instrumentation plugins added to every invocation's options.
    """

    def __init__(
        self,
        handler: Callable[[Any, DurableContext], Awaitable[R]],
        container: Container,
        plugins: Sequence[InstrumentationPlugin] = (),
    ) -> None:
        self.handler = handler
        self.container = container
        self.plugins = tuple(plugins)
        functools.update_wrapper(self, handler)

    def __call__(self, event: object, lambda_context: object = None) -> dict[str, Any]:
        """Run one invocation synchronously, as the Lambda runtime calls a handler.

        Raises:
            ValidationError: the event is not a durable invocation input.
            InvocationError: Lambda should retry the invocation.
        """
        loop = _container_loop()
        logger = self.lambda_logger(lambda_context)
        return loop.run_until_complete(self.invoke(event, logger=logger))

    def lambda_logger(self, lambda_context: object = None) -> Logger:
        """Return the logger one Lambda invocation logs through, bound to its request id.

        The container's logger when the application chose one (or configured structlog);
        otherwise a ``LambdaLogger`` in the function's Lambda log format and level.

        Args:
            lambda_context: The Lambda context object (its ``aws_request_id`` is bound).

        Raises:
            ValidationError: ``AWS_LAMBDA_LOG_LEVEL`` or ``LOG_LEVEL`` names no level.
        """
        provider = self.container.logger
        # The container's default (structlog, unconfigured) gives way to the Lambda format.
        default: object = provider.provides
        overridden: tuple[object, ...] = tuple(provider.overridden)  # the stubs say: never empty
        logger: Logger
        if overridden or default is not StructlogLogger or _structlog_set_up():
            logger = provider()
        else:
            from durable_lambda.adapters.logging.lambda_logger import LambdaLogger

            logger = LambdaLogger()
        request_id = getattr(lambda_context, "aws_request_id", None)
        return logger.bind(request_id=request_id) if request_id else logger

    async def invoke(
        self,
        event: object,
        *,
        service: DurableService | None = None,
        clock: Clock | None = None,
        options: RuntimeOptions | None = None,
        logger: Logger | None = None,
    ) -> dict[str, Any]:
        """Run one invocation on the running event loop and return the output as a dict.

        The keyword arguments override the container's adapters for this call (the testing runner
        and the local orchestrator use them).
        """
        output = await self.invoke_model(
            event, service=service, clock=clock, options=options, logger=logger
        )
        return output.to_wire()

    async def invoke_model(
        self,
        event: object,
        *,
        service: DurableService | None = None,
        clock: Clock | None = None,
        options: RuntimeOptions | None = None,
        logger: Logger | None = None,
    ) -> InvocationOutput:
        """Like ``invoke``, returning the output model; ``self.plugins`` join ``options``'s."""
        invocation = parse_invocation_input(event)
        container = self.container
        options = options or container.runtime_options()
        if self.plugins:
            options = dataclasses.replace(options, plugins=(*options.plugins, *self.plugins))
        return await run_invocation(
            self.handler,
            invocation,
            service=service or container.service(),
            serdes=container.serdes(),
            clock=clock or container.clock(),
            random=container.random(),
            logger=logger or container.logger(),
            options=options,
        )


@overload
def durable_execution(
    handler: Callable[[Any, DurableContext], Awaitable[R]],
) -> DurableFunction[R]: ...


@overload
def durable_execution(
    handler: None = None,
    *,
    checkpoint_mode: CheckpointMode | str | None = None,
    log_during_replay: bool = False,
    client: Any = None,
    boto_config: BotocoreConfig | None = None,
    container: Container | None = None,
    plugins: Sequence[InstrumentationPlugin] = (),
    serdes: SerDes[Any] | None = None,
    logger: Logger | None = None,
) -> Callable[[Callable[[Any, DurableContext], Awaitable[R]]], DurableFunction[R]]: ...


def durable_execution(
    handler: Callable[[Any, DurableContext], Awaitable[R]] | None = None,
    *,
    checkpoint_mode: CheckpointMode | str | None = None,
    log_during_replay: bool = False,
    client: Any = None,
    boto_config: BotocoreConfig | None = None,
    container: Container | None = None,
    plugins: Sequence[InstrumentationPlugin] = (),
    serdes: SerDes[Any] | None = None,
    logger: Logger | None = None,
) -> (
    DurableFunction[R]
    | Callable[[Callable[[Any, DurableContext], Awaitable[R]]], DurableFunction[R]]
):
    """Make ``async def handler(event, ctx)`` a Lambda durable function.

    Use bare (``@durable_execution``) or with options (``@durable_execution(checkpoint_mode=
    "OPTIMISTIC")``).

    Args:
        handler: The durable handler.
        checkpoint_mode: ``EAGER``, ``BATCHED`` (default) or ``OPTIMISTIC``.
        log_during_replay: Emit ``ctx.logger`` events during replay too.
        client: A boto3 ``lambda`` client to use instead of the default one.
        boto_config: A botocore ``Config`` for the default client (retries, timeouts).
        container: A fully configured container, for custom wiring.
        plugins: Instrumentation plugins (see ``durable_lambda.core.plugins``), called in order;
            an exception a plugin raises is logged and never affects the execution.
        serdes: The execution-wide serializer of operation results and payloads (``JsonSerDes``
            by default; ``EnvelopeSerDes`` for executions the official SDK must also read).
        logger: What ``ctx.logger`` and the SDK log through (any ``Logger``: ``StructlogLogger``,
            ``StdlibLogger``, ``PowertoolsLogger``...). By default, on Lambda, the function's
            Lambda log format (see the module docstring); structlog elsewhere.

    Example:
        >>> @durable_execution
        ... async def handler(event: dict, ctx: DurableContext) -> dict:
        ...     return await ctx.step(lambda s: {"ok": True}, name="work")
    """

    def decorate(fn: Callable[[Any, DurableContext], Awaitable[R]]) -> DurableFunction[R]:
        chosen = container or default_container()
        if container is None:
            chosen.config.checkpoint_mode.from_value(checkpoint_mode)
            chosen.config.log_during_replay.from_value(log_during_replay)
            chosen.aws_client.set_provides(client)
            chosen.aws_boto_config.set_provides(boto_config)
        if serdes is not None:
            chosen.serdes.override(providers.Object(serdes))
        if logger is not None:
            chosen.logger.override(providers.Object(logger))
        return DurableFunction(fn, chosen, plugins)

    if handler is not None:
        return decorate(handler)
    return decorate


def _structlog_set_up() -> bool:
    """Whether the application configured structlog (it then renders the events itself)."""
    structlog = sys.modules.get("structlog")  # never imported just to ask
    return structlog is not None and bool(structlog.is_configured())
