"""A durable function's definition (handler and settings) and the environment a host runs it in.

A function's *definition* is its handler and its settings (``FunctionSettings``: serializer,
plugins, checkpoint mode, logger choice, replay logging); it carries no wiring. Each host (the
Lambda entry point, the local orchestrator and command line, ``DurableTestRunner``) builds an
``Environment`` from the composition root (``durable_lambda.app.container``): the service that
keeps the execution, the clock, the logger and the randomness. The definition runs the same in
each of them; only the environment differs.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from durable_lambda.app.local_lambda_context import timeout_seconds
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.context import DurableContext
from durable_lambda.core.deadline import DEFAULT_DEADLINE_MARGIN_SECONDS
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.plugins import InstrumentationPlugin
from durable_lambda.core.ports import Clock, DurableService, Logger, RandomSource
from durable_lambda.core.runtime import (
    MAX_OPERATION_PAYLOAD_BYTES,
    MAX_RESPONSE_BYTES,
    RuntimeOptions,
)
from durable_lambda.core.serdes import DEFAULT_SERDES, SerDes

__all__ = [
    "Environment",
    "FunctionSettings",
    "ServiceLimits",
    "check_handler",
    "checkpoint_mode",
    "settings_with",
]

_MODES = ", ".join(mode.value for mode in CheckpointMode)


def checkpoint_mode(value: CheckpointMode | str | None) -> CheckpointMode:
    """Return the checkpoint mode ``value`` names (any case); None and ``""`` are ``BATCHED``.

    Raises:
        ValidationError: ``value`` names no mode (the message lists the modes).
    """
    if value is None or value == "":
        return CheckpointMode.BATCHED
    if isinstance(value, CheckpointMode):
        return value
    try:
        return CheckpointMode(str(value).upper())
    except ValueError:
        raise ValidationError(
            f"checkpoint_mode {value!r} is not one of {_MODES}", field="checkpoint_mode"
        ) from None


parse_mode = checkpoint_mode  # for functions whose parameter of that name hides it


@dataclass(frozen=True)
class FunctionSettings:
    """How a durable function runs wherever it runs: part of its definition.

    Attributes:
        checkpoint_mode: When checkpoints are sent (``EAGER``, ``BATCHED``, ``OPTIMISTIC``; a
            name in any case is accepted and checked at once).
        log_during_replay: Emit ``ctx.logger`` events while replaying too.
        plugins: Instrumentation plugins, called in order.
        serdes: The execution-wide serializer of results and payloads.
        logger: The logger the function chose; None for the host's (on Lambda, the function's
            Lambda log format; structlog elsewhere).
        deadline_margin: How long before the invocation's time-out (the Lambda context's
            remaining time) step attempts stop and the invocation ends PENDING, in seconds (a
            ``Duration`` or ``timedelta`` is accepted); None turns the deadline off. See
            ``durable_lambda.core.deadline``.

    Raises:
        ValidationError: ``checkpoint_mode`` names no mode, or ``deadline_margin`` is not a
            positive span of time.
    """

    checkpoint_mode: CheckpointMode = CheckpointMode.BATCHED
    log_during_replay: bool = False
    plugins: tuple[InstrumentationPlugin, ...] = ()
    serdes: SerDes[Any] = field(default=DEFAULT_SERDES)
    logger: Logger | None = None
    deadline_margin: float | None = DEFAULT_DEADLINE_MARGIN_SECONDS

    def __post_init__(self) -> None:
        # Accept the names users write (``"eager"``), and refuse a wrong one now, not at the
        # first invocation.
        object.__setattr__(self, "checkpoint_mode", checkpoint_mode(self.checkpoint_mode))
        object.__setattr__(self, "plugins", tuple(self.plugins))
        object.__setattr__(self, "log_during_replay", bool(self.log_during_replay))
        if self.deadline_margin is not None:
            margin = timeout_seconds(self.deadline_margin, "deadline_margin")
            object.__setattr__(self, "deadline_margin", margin)

    @functools.cached_property
    def runtime_options(self) -> RuntimeOptions:
        """The runtime options of an invocation under the service's own limits (made once)."""
        return RuntimeOptions(
            checkpoint_mode=self.checkpoint_mode,
            log_during_replay=self.log_during_replay,
            plugins=self.plugins,
            deadline_margin=self.deadline_margin,
        )


@dataclass(frozen=True)
class ServiceLimits:
    """The limits of the durable execution service an environment plays (Lambda's by default).

    Attributes:
        max_response_bytes: The largest result returned inline; a bigger one is checkpointed.
        max_operation_payload_bytes: The largest payload stored per operation; above it a child
            context's result is not stored and its children are replayed to rebuild it.
    """

    max_response_bytes: int = MAX_RESPONSE_BYTES
    max_operation_payload_bytes: int = MAX_OPERATION_PAYLOAD_BYTES


_LAMBDA_LIMITS = ServiceLimits()


@dataclass(frozen=True)
class Environment:
    """What a host gives a function to run in: built from the container, never by the function.

    Attributes:
        service: The durable execution service that keeps the execution.
        clock: The clock timers and timestamps go by.
        logger: The host's logger (a function that chose its own logger uses that one).
        random: Randomness for retry jitter.
        request_id: The Lambda request id of this invocation, bound to every log event.
        always_replay: End each invocation after every newly completed operation, so the next
            replays from the top (a testing aid that makes non-determinism show at once).
        limits: The service's limits.
        lambda_context: The Lambda context object of this invocation (Lambda's own, or a
            host's ``LocalLambdaContext``): the handler's ``ctx.lambda_context``, and where the
            invocation's deadline is read from. None for none.
    """

    service: DurableService
    clock: Clock
    logger: Logger
    random: RandomSource
    request_id: str | None = None
    always_replay: bool = False
    limits: ServiceLimits = _LAMBDA_LIMITS
    lambda_context: object = None

    def logger_for(self, settings: FunctionSettings) -> Logger:
        """Return the logger a function with ``settings`` logs through in this environment."""
        logger = settings.logger or self.logger
        return logger.bind(request_id=self.request_id) if self.request_id else logger

    def options_for(self, settings: FunctionSettings) -> RuntimeOptions:
        """Return the runtime options of one invocation of a function with ``settings``."""
        if not self.always_replay and self.limits is _LAMBDA_LIMITS:
            return settings.runtime_options  # Lambda's case, made once per function
        return RuntimeOptions(
            checkpoint_mode=settings.checkpoint_mode,
            log_during_replay=settings.log_during_replay,
            always_replay=self.always_replay,
            max_operation_payload_bytes=self.limits.max_operation_payload_bytes,
            max_response_bytes=self.limits.max_response_bytes,
            plugins=settings.plugins,
            deadline_margin=settings.deadline_margin,
        )


def check_handler(handler: object, what: str) -> Callable[[Any, DurableContext], Awaitable[Any]]:
    """Return ``handler`` if it can be a durable handler, else say clearly why not.

    A durable handler is ``async def handler(event, ctx)``. A plain ``def`` would fail at its
    first invocation ("object ... can't be used in 'await' expression"); it is refused here,
    when the function is defined. Other callables (a lambda or an object returning a coroutine)
    are accepted: only calling them can tell.

    Args:
        handler: What was given.
        what: How to name it in the message (``handler``, ``target 'flow.py:handler'``).

    Raises:
        ValidationError: ``handler`` is not callable, or is a plain or generator function.
    """
    if not callable(handler):
        raise ValidationError(
            f"{what} is a {type(handler).__name__}, not a durable handler: "
            "write async def handler(event, ctx)",
            field="handler",
        )
    if inspect.isasyncgenfunction(handler) or inspect.isgeneratorfunction(handler):
        raise ValidationError(
            f"{what} is a generator function; a durable handler is async def handler(event, ctx) "
            "and returns its result (no yield)",
            field="handler",
        )
    if _plain_def(handler):
        name = getattr(handler, "__name__", "handler")
        raise ValidationError(
            f"{what} is a plain def {name}(...); a durable handler is async def "
            f"{name}(event, ctx): make it async (handlers written for the official SDK's "
            "synchronous API use durable_lambda.compat.aws.durable_execution)",
            field="handler",
        )
    return handler  # callable; only a call tells the rest


def _plain_def(handler: object) -> bool:
    """Whether ``handler`` is a ``def`` (not a lambda) that is not ``async def``."""
    function = inspect.unwrap(handler) if inspect.isfunction(handler) else handler
    return (
        inspect.isfunction(function)
        and function.__name__ != "<lambda>"
        and not inspect.iscoroutinefunction(function)
        and not inspect.iscoroutinefunction(handler)
    )


def settings_with(
    settings: FunctionSettings,
    *,
    checkpoint_mode: CheckpointMode | str | None = None,
    log_during_replay: bool | None = None,
    plugins: Sequence[InstrumentationPlugin] = (),
) -> FunctionSettings:
    """Return ``settings`` with the given values changed and ``plugins`` added after its own.

    None leaves a value as it is (a host that does not set the checkpoint mode runs the
    function in its own).
    """
    return FunctionSettings(
        checkpoint_mode=(
            settings.checkpoint_mode if checkpoint_mode is None else parse_mode(checkpoint_mode)
        ),
        log_during_replay=(
            settings.log_during_replay if log_during_replay is None else log_during_replay
        ),
        plugins=(*settings.plugins, *plugins),
        serdes=settings.serdes,
        logger=settings.logger,
        deadline_margin=settings.deadline_margin,
    )
