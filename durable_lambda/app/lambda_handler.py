"""``@durable_execution``: turns ``async def handler(event, ctx)`` into a Lambda durable function.

The decorated object is a definition (the handler and its settings) that Lambda can call:
called synchronously with the invocation input, it takes its environment from a container on
the ``aws`` backend (``durable_lambda.app.container.lambda_container``), runs the handler on one
event loop per container, reused across warm invocations (so libraries that cache loop-bound
clients keep working), and returns the invocation output as a dict. Other hosts (the local
orchestrator, ``DurableTestRunner``) run the same definition in environments of their own.

Logging on Lambda: unless the function chose a logger (``logger=``), the Lambda container's
logger overrides it, or the application configured structlog itself, events are written in the
function's Lambda log format (JSON or text, ``AWS_LAMBDA_LOG_FORMAT``) at its level
(``AWS_LAMBDA_LOG_LEVEL`` / ``LOG_LEVEL``), by ``LambdaLogger``; each invocation's events carry
its Lambda ``requestId``.

Cold start on Lambda (where ``AWS_LAMBDA_FUNCTION_NAME`` is set):

* a function decorated there builds its environment's adapters (the container, the service,
  the Lambda logger) when it is decorated, in Lambda's initialisation phase, not in its first
  invocation before the first checkpoint;
* the collector is off while the SDK is imported through ``durable_lambda`` (see
  ``durable_lambda.__init__``);
* importing this module and the function's own (boto3 among them) creates some hundred thousand
  long-lived objects, which each full pass of the garbage collector walks again, during the
  imports that follow and in every warm invocation. This module therefore hands the objects
  alive when it is imported, and again those alive at the first invocation, to ``gc.freeze()``:
  the collector leaves them alone from then on (they are module-level state, never garbage). A
  cycle of garbage already unreachable at those two moments is then never freed;
  ``DURABLE_LAMBDA_GC_FREEZE=0`` turns this off.

``docs/performance.md`` (round 6) has the figures.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import gc
import os
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from durable_lambda.app.container import Container, lambda_container
from durable_lambda.app.definition import Environment, FunctionSettings, check_handler
from durable_lambda.app.definition import checkpoint_mode as parse_checkpoint_mode
from durable_lambda.app.local_lambda_context import timeout_seconds
from durable_lambda.core.config import CheckpointMode, Duration
from durable_lambda.core.context import DurableContext
from durable_lambda.core.deadline import DEFAULT_DEADLINE_MARGIN_SECONDS
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.execution import parse_invocation_input, run_invocation
from durable_lambda.core.model import InvocationOutput
from durable_lambda.core.plugins import InstrumentationPlugin
from durable_lambda.core.ports import Logger
from durable_lambda.core.serdes import DEFAULT_SERDES, SerDes

if TYPE_CHECKING:
    from botocore.config import Config as BotocoreConfig

__all__ = ["DurableFunction", "durable_execution"]

R = TypeVar("R")

_loop: asyncio.AbstractEventLoop | None = None
_frozen_at_first_call = False


def _on_lambda() -> bool:
    """Whether this process is a Lambda function's (the runtime sets the function's name)."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def _freeze_what_is_alive() -> None:
    """On Lambda, move every object alive now out of the garbage collector's walks (see above)."""
    if _on_lambda() and os.environ.get("DURABLE_LAMBDA_GC_FREEZE", "1") != "0":
        gc.freeze()


def _container_loop() -> asyncio.AbstractEventLoop:
    """Return this process's event loop, created on first use and kept for warm invocations."""
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
    return _loop


class DurableFunction(Generic[R]):
    """A durable function's definition, ready for Lambda: call it with ``(event, lambda_context)``.

    It holds no wiring: every host runs it in an ``Environment`` of its own (``invoke``), and
    Lambda's (``__call__``) comes from ``lambda_container``.

    Args:
        handler: The user's ``async def handler(event, ctx)``.
        settings: How it runs wherever it runs (serializer, plugins, checkpoint mode, logger).
        client: On Lambda, a boto3 ``lambda`` client to use instead of the default one.
        boto_config: On Lambda, a botocore ``Config`` for the default client.
        container: On Lambda, a container to take the environment from instead.

    Raises:
        ValidationError: ``handler`` is not an ``async def`` function (a plain ``def`` would
            fail at its first invocation), or a container is given with a client or config.

    Attributes:
        handler: The user's handler.
        settings: Its settings.
    """

    def __init__(
        self,
        handler: Callable[[Any, DurableContext], Awaitable[R]],
        settings: FunctionSettings | None = None,
        *,
        client: Any = None,
        boto_config: BotocoreConfig | None = None,
        container: Container | None = None,
    ) -> None:
        if container is not None and (client is not None or boto_config is not None):
            raise ValidationError(
                "give container= or client=/boto_config=, not both: a container brings its "
                "own client (container.aws_client.set_provides(client))",
                field="container",
            )
        check_handler(handler, "the handler")
        self.handler = handler
        self.settings = settings or FunctionSettings()
        self._aws_client = client
        self._aws_boto_config = boto_config
        self._lambda_container = container
        functools.update_wrapper(self, handler)
        if _on_lambda():
            # Decorated while Lambda initialises the function: build the environment's
            # adapters now (the container, the service, the Lambda logger and what they import)
            # rather than in the first invocation, before its first checkpoint.
            self.lambda_environment(None)

    @property
    def lambda_container(self) -> Container:
        """The container ``__call__`` (the Lambda entry point) takes its environment from.

        Built on first use on the ``aws`` backend, with the client or config given to the
        decorator; other hosts never use it.
        """
        if self._lambda_container is None:
            self._lambda_container = lambda_container(
                client=self._aws_client, boto_config=self._aws_boto_config
            )
        return self._lambda_container

    def with_settings(self, settings: FunctionSettings) -> Self:
        """Return the same function with other settings (a host's variant: say, another mode)."""
        variant = copy.copy(self)
        variant.settings = settings
        return variant

    def __call__(self, event: object, lambda_context: object = None) -> dict[str, Any]:
        """Run one invocation synchronously, as the Lambda runtime calls a handler.

        Raises:
            ValidationError: the event is not a durable invocation input.
            InvocationError: Lambda should retry the invocation.
        """
        global _frozen_at_first_call
        if not _frozen_at_first_call:
            _frozen_at_first_call = True
            _freeze_what_is_alive()  # the function's own imports (boto3...) are done by now
        loop = _container_loop()
        return loop.run_until_complete(self.invoke(event, self.lambda_environment(lambda_context)))

    def lambda_environment(self, lambda_context: object = None) -> Environment:
        """Return the environment of one Lambda invocation, bound to its request id.

        Args:
            lambda_context: The Lambda context object: its ``aws_request_id`` is bound to logs,
                the handler sees it as ``ctx.lambda_context``, and its remaining time sets the
                invocation's deadline.

        Raises:
            ValidationError: ``AWS_LAMBDA_LOG_LEVEL`` or ``LOG_LEVEL`` names no level.
        """
        # Built from the providers themselves rather than the container's ``environment``
        # factory and a copy: this runs on every invocation, and that machinery cost more
        # than the rest of it.
        container = self.lambda_container
        return Environment(
            service=container.service(),
            clock=container.clock(),
            logger=container.logger(),
            random=container.random(),
            request_id=getattr(lambda_context, "aws_request_id", None) or None,
            lambda_context=lambda_context,
        )

    def lambda_logger(self, lambda_context: object = None) -> Logger:
        """Return the logger one Lambda invocation logs through, bound to its request id.

        The function's own logger if it chose one; else the Lambda container's (see the module
        docstring).

        Raises:
            ValidationError: ``AWS_LAMBDA_LOG_LEVEL`` or ``LOG_LEVEL`` names no level.
        """
        return self.lambda_environment(lambda_context).logger_for(self.settings)

    async def invoke(self, event: object, environment: Environment) -> dict[str, Any]:
        """Run one invocation in ``environment`` on the running loop; return the output dict.

        Raises:
            ValidationError: the event is not a durable invocation input.
            InvocationError: the invocation should be retried.
        """
        output = await self.invoke_model(event, environment)
        return output.to_wire()

    async def invoke_model(self, event: object, environment: Environment) -> InvocationOutput:
        """Like ``invoke``, returning the output model."""
        invocation = parse_invocation_input(event)
        settings = self.settings
        return await run_invocation(
            self.handler,
            invocation,
            service=environment.service,
            serdes=settings.serdes,
            clock=environment.clock,
            random=environment.random,
            logger=environment.logger_for(settings),
            options=environment.options_for(settings),
            lambda_context=environment.lambda_context,
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
    deadline_margin: Duration | timedelta | float | None = DEFAULT_DEADLINE_MARGIN_SECONDS,
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
    deadline_margin: Duration | timedelta | float | None = DEFAULT_DEADLINE_MARGIN_SECONDS,
) -> (
    DurableFunction[R]
    | Callable[[Callable[[Any, DurableContext], Awaitable[R]]], DurableFunction[R]]
):
    """Make ``async def handler(event, ctx)`` a Lambda durable function.

    Use bare (``@durable_execution``) or with options (``@durable_execution(checkpoint_mode=
    "OPTIMISTIC")``). The options are checked here, when the function is defined.

    Args:
        handler: The durable handler (an ``async def``).
        checkpoint_mode: ``EAGER``, ``BATCHED`` (default) or ``OPTIMISTIC``.
        log_during_replay: Emit ``ctx.logger`` events during replay too.
        client: On Lambda, a boto3 ``lambda`` client to use instead of the default one.
        boto_config: On Lambda, a botocore ``Config`` for the default client (retries,
            timeouts).
        container: On Lambda, a container to take the environment (service, clock, logger,
            randomness) from, for custom wiring (see ``durable_lambda.app.container``).
        plugins: Instrumentation plugins (see ``durable_lambda.core.plugins``), called in order;
            an exception a plugin raises is logged and never affects the execution.
        serdes: The execution-wide serializer of operation results and payloads (``JsonSerDes``
            by default; ``EnvelopeSerDes`` for executions the official SDK must also read).
        logger: What ``ctx.logger`` and the SDK log through, wherever the function runs (any
            ``Logger``: ``StructlogLogger``, ``StdlibLogger``, ``PowertoolsLogger``...). By
            default, on Lambda, the function's Lambda log format (see the module docstring);
            structlog elsewhere.
        deadline_margin: How long before the invocation's time-out (the Lambda context's
            remaining time) running step attempts are cut short (``StepDeadlineError``,
            through their retry strategy), no step starts, and the invocation ends PENDING:
            a ``Duration``, a ``timedelta`` or seconds; 2 seconds by default, at most half of
            the invocation's time; None turns it off (``docs/deadlines.md``).

    Raises:
        ValidationError: ``checkpoint_mode`` names no mode, ``deadline_margin`` is not a
            positive span of time, the handler is not an ``async def``, or a container is
            given with a client or config.

    Example:
        >>> @durable_execution
        ... async def handler(event: dict, ctx: DurableContext) -> dict:
        ...     return await ctx.step(lambda s: {"ok": True}, name="work")
    """
    settings = FunctionSettings(
        checkpoint_mode=parse_checkpoint_mode(checkpoint_mode),
        log_during_replay=log_during_replay,
        plugins=tuple(plugins),
        serdes=serdes if serdes is not None else DEFAULT_SERDES,
        logger=logger,
        deadline_margin=(
            None if deadline_margin is None else timeout_seconds(deadline_margin, "deadline_margin")
        ),
    )

    def decorate(fn: Callable[[Any, DurableContext], Awaitable[R]]) -> DurableFunction[R]:
        return DurableFunction(
            fn, settings, client=client, boto_config=boto_config, container=container
        )

    if handler is not None:
        return decorate(handler)
    return decorate


_freeze_what_is_alive()  # the SDK's imports, before the function's module imports the rest
