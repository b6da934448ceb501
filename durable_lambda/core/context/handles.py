"""``DurableContext``'s handles: the Lambda context, waits that can be cancelled, sagas.

``Handles`` is part of ``DurableContext`` (``durable_context.py``). The operations behind it live
in ``core/operations/wait.py`` (``WaitHandle``) and ``core/operations/saga.py`` (``Saga``); the
Lambda context is the object the entry point was given (``core/lambda_context.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from durable_lambda.core.config import Duration
from durable_lambda.core.operations.scope import OperationScope

if TYPE_CHECKING:
    from durable_lambda.core.lambda_context import LambdaContext
    from durable_lambda.core.operations.saga import Saga
    from durable_lambda.core.operations.wait import WaitHandle

__all__ = ["Handles"]


class Handles:
    """``DurableContext``'s Lambda context, cancellable waits and sagas."""

    __slots__ = ()

    @property
    def lambda_context(self: OperationScope) -> LambdaContext | None:
        """The Lambda context object of this invocation (None when the host gave none).

        On AWS, the object the Lambda runtime passed to the handler: ``aws_request_id``,
        ``invoked_function_arn``, ``function_name``, ``get_remaining_time_in_millis()``...
        Locally (``DurableTestRunner``, the orchestrator and the command line) a stand-in with
        the same attributes and methods, whose time-out is configurable. It changes with every
        invocation: code that reads it outside a step is not replay-safe (a step may read it).
        """
        return cast("LambdaContext | None", self.runtime.lambda_context)

    async def create_wait(
        self: OperationScope, duration: Duration, name: str | None = None
    ) -> WaitHandle:
        """Start a wait that runs while the code goes on; return a ``WaitHandle``.

        The WAIT operation starts now (it takes the next operation id, as ``wait`` does).
        ``await handle.wait()`` suspends until it is due (at once if it already is);
        ``await handle.cancel()`` cancels it while it runs (the service's CANCEL), after which
        ``wait()`` returns at once and history shows the wait ``CANCELLED``.

        Args:
            duration: How long the wait runs (1 second to 366 days).
            name: A name for the wait, shown in history and checked on replay.

        Returns:
            The ``WaitHandle``; replay returns one for the same operation.

        Raises:
            ValidationError: the duration is out of range.
            NonDeterministicExecutionError: a different operation was checkpointed here.

        Example:
            >>> grace = await ctx.create_wait(Duration.from_days(7), name="grace-period")
            >>> if await ctx.step(payment_received, name="check-payment"):
            ...     await grace.cancel()
            ... else:
            ...     await grace.wait()
        """
        from durable_lambda.core.operations.wait import run_create_wait

        return await run_create_wait(self, duration, name)

    def saga(self, name: str = "saga") -> Saga:
        """Return a saga: steps that register an undo each, run in reverse if the group fails.

        Use it as ``async with ctx.saga("order") as saga:``; inside, ``await saga.step(fn,
        name=..., compensate=undo)`` runs a step and registers ``undo(result, step)`` once it
        succeeded, and ``saga.add_compensation(undo)`` registers an undo for other work. When
        an exception leaves the block, the undos run in reverse order, each as a step of its
        own with its own retries, in a child context named ``<name>-compensation``, and
        ``SagaError`` (the original error, what was compensated and what could not be) is
        raised from the original error. Replay never runs a finished undo again.

        Args:
            name: The saga's name (1 to 200 printable ASCII characters).

        Raises:
            ValidationError: ``name`` is not such a string.
        """
        from durable_lambda.core.operations.saga import Saga, SagaHost

        return Saga(cast(SagaHost, self), name)
