"""``aws_durable_execution_sdk_python.execution``: ``@durable_execution`` for synchronous handlers.

The decorated handler is durable-lambda's ``DurableFunction``: Lambda calls it the same way,
``DurableTestRunner`` runs it, and the local runtime and the ``durable-lambda`` command load it.
The handler itself runs in a thread of its own while the invocation's event loop runs its
durable calls (see ``durable_lambda.compat.aws._threads``).

Payloads are written with ``EnvelopeSerDes`` unless ``serdes=`` says otherwise: the bytes the
official SDK writes, so an execution can move back to it at any time.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, TypeVar, overload

from durable_lambda.app.lambda_handler import DurableFunction
from durable_lambda.app.lambda_handler import durable_execution as _durable_execution
from durable_lambda.compat.aws._threads import Lane, run_in_thread
from durable_lambda.compat.aws.context import DurableContext
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.context import DurableContext as AsyncDurableContext
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.plugins import InstrumentationPlugin
from durable_lambda.core.serdes import EnvelopeSerDes, SerDes

__all__ = ["durable_execution"]

R = TypeVar("R")
Handler: TypeAlias = Callable[[Any, DurableContext], R]


class SyncDurableFunction(DurableFunction[R]):
    """A ``DurableFunction`` whose handler is a synchronous official-SDK handler.

    Attributes:
        function: The user's ``def handler(event, context)``.
    """

    function: Callable[[Any, DurableContext], R]


def _plugins(plugins: Sequence[Any] | None) -> tuple[InstrumentationPlugin, ...]:
    chosen: tuple[InstrumentationPlugin, ...] = tuple(plugins or ())
    for plugin in chosen:
        if hasattr(plugin, "create_plugin"):  # the official SDK's plugin factory
            raise ValidationError(
                f"plugins: {type(plugin).__name__} is an official-SDK plugin factory, which "
                "durable-lambda does not run; pass durable-lambda InstrumentationPlugin objects "
                "(see docs/migration.md)",
                field="plugins",
            )
    return chosen


@overload
def durable_execution(func: Callable[[Any, DurableContext], R]) -> SyncDurableFunction[R]: ...


@overload
def durable_execution(
    func: None = None,
    *,
    boto3_client: Any = None,
    plugins: Sequence[Any] | None = None,
    serdes: SerDes[Any] | None = None,
    checkpoint_mode: CheckpointMode | str | None = None,
) -> Callable[[Callable[[Any, DurableContext], R]], SyncDurableFunction[R]]: ...


def durable_execution(
    func: Callable[[Any, DurableContext], R] | None = None,
    *,
    boto3_client: Any = None,
    plugins: Sequence[Any] | None = None,
    serdes: SerDes[Any] | None = None,
    checkpoint_mode: CheckpointMode | str | None = None,
) -> (
    SyncDurableFunction[R] | Callable[[Callable[[Any, DurableContext], R]], SyncDurableFunction[R]]
):
    """Make ``def handler(event, context)`` (written for the official SDK) a durable function.

    Args:
        func: The handler; it gets the official SDK's synchronous ``DurableContext``.
        boto3_client: A boto3 ``lambda`` client to checkpoint through.
        plugins: durable-lambda ``InstrumentationPlugin`` objects (not the official SDK's
            plugin factories).
        serdes: The execution-wide serializer; ``EnvelopeSerDes()`` (the official SDK's bytes)
            by default.
        checkpoint_mode: durable-lambda's checkpoint mode (``BATCHED`` by default).

    Raises:
        ValidationError: a plugin is not a durable-lambda ``InstrumentationPlugin``.
    """
    chosen_plugins = _plugins(plugins)

    def decorate(fn: Callable[[Any, DurableContext], R]) -> SyncDurableFunction[R]:
        async def handler(event: Any, context: AsyncDurableContext) -> R:
            lane = Lane(asyncio.get_running_loop())
            facade = DurableContext(context, lane, context.lambda_context)
            return await run_in_thread(fn, event, facade)

        functools.update_wrapper(handler, fn)
        built = _durable_execution(
            client=boto3_client,
            checkpoint_mode=checkpoint_mode,
            plugins=chosen_plugins,
            serdes=serdes if serdes is not None else EnvelopeSerDes(),
        )(handler)
        function = SyncDurableFunction(built.handler, built.settings, client=boto3_client)
        function.function = fn
        return function

    if func is not None:
        return decorate(func)
    return decorate
