"""Durable calls the world outside the function answers: callbacks, chained invokes, polling.

``ExternalCalls`` is part of ``DurableContext`` (``durable_context.py``); its methods are the
context's, documented there. The operations behind them are imported by the method that runs
them, on first use: a handler that never calls one does not pay for its import at cold start.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar, overload

from durable_lambda.core.config import (
    CallbackConfig,
    InvokeConfig,
    WaitForCallbackConfig,
    WaitForConditionConfig,
)
from durable_lambda.core.context.arguments import check_callable
from durable_lambda.core.operations.names import recorded_name
from durable_lambda.core.operations.scope import OperationScope
from durable_lambda.core.operations.step_context import WaitForConditionCheckContext

if TYPE_CHECKING:
    from durable_lambda.core.operations.callback import Callback, WaitForCallbackContext

__all__ = ["ExternalCalls"]

T = TypeVar("T")


class ExternalCalls:
    """``DurableContext``'s callbacks, chained invoke and ``wait_for_condition``."""

    __slots__ = ()

    async def create_callback(
        self: OperationScope, name: str | None = None, config: CallbackConfig | None = None
    ) -> Callback[Any]:
        """Create a callback: an id the outside world answers to, and a way to await the answer.

        The CALLBACK operation is checkpointed before this returns, since the service assigns
        the id. Hand ``callback.callback_id`` to the system that will answer (it calls
        ``SendDurableExecutionCallbackSuccess``, ``...Failure`` or ``...Heartbeat``), then
        ``await callback.result()``: that suspends the invocation, at no compute cost, until
        the answer arrives. Creating a callback never raises for how it ended; ``result()`` does.

        Args:
            name: A name for the callback, shown in history and checked on replay.
            config: Time-out, heartbeat time-out (``Duration(0)``, the default, means none),
                and the serializer that reads the answer (the execution's default if None).

        Returns:
            The ``Callback``; replay returns one with the same ``callback_id``.

        Raises:
            NonDeterministicExecutionError: a different operation was checkpointed here.

        Example:
            >>> callback = await ctx.create_callback("approval", CallbackConfig(
            ...     timeout=Duration.from_days(1)))
            >>> await ctx.step(lambda s: send_for_approval(callback.callback_id))
            >>> decision = await callback.result()
        """
        from durable_lambda.core.operations.callback import run_create_callback

        return await run_create_callback(self, name, config)

    async def wait_for_callback(
        self: OperationScope,
        submitter: Callable[[str, WaitForCallbackContext], Any],
        name: str | None = None,
        config: WaitForCallbackConfig | None = None,
    ) -> Any:
        """Create a callback, hand its id to ``submitter`` in a step, and return the answer.

        Runs in a child context (subtype ``WaitForCallback``) holding the callback and a step
        that calls ``submitter(callback_id, WaitForCallbackContext)``; the step is retried by
        ``config.retry_strategy`` and is not run again once it succeeded. ``submitter`` may be
        ``async def`` or a plain function.

        Args:
            submitter: Sends the callback id to the system that will answer.
            name: A name for the operation, shown in history and checked on replay.
            config: The callback's time-outs and serializer, and the submitter's retry strategy.

        Returns:
            The answer as the sender sent it (its raw text, as in the official SDK), or as the
            serializer of ``config`` reads it when one is set.

        Raises:
            CallbackSubmitterError: the submitter failed on every attempt its strategy allowed.
            CallbackTimeoutError: no answer, or no heartbeat, came within the time-out.
            CallbackExternalError: the sender reported a failure.
            CallbackError: the base of the three errors above.
            ValidationError: ``submitter`` is not callable.
        """
        from durable_lambda.core.operations.callback import run_wait_for_callback

        check_callable("wait_for_callback", "submitter", submitter)
        return await run_wait_for_callback(self, submitter, recorded_name(submitter, name), config)

    async def invoke(
        self: OperationScope,
        function_name: str,
        payload: Any,
        name: str | None = None,
        config: InvokeConfig[Any, Any] | None = None,
    ) -> Any:
        """Invoke another Lambda function (durable or not) and wait for its result.

        The invocation suspends, at no compute cost, until the target finishes; the service then
        invokes this function again and the result is returned. On replay the target is not
        invoked again: its recorded outcome is returned or raised.

        Args:
            function_name: The target: a function name, ``name:qualifier``, or an ARN.
            payload: The target's event, written with ``config.serdes_payload`` (plain JSON by
                default).
            name: A name for the operation, shown in history and checked on replay.
            config: Payload and result serializers, and the tenant to invoke for.

        Returns:
            What the target returned, read with ``config.serdes_result`` (plain JSON by default).

        Raises:
            InvokeError: the target failed, timed out or was stopped; ``error_type`` and the
                message carry the target's error (a target the service cannot find fails with
                ``ResourceNotFoundException``).
            ValidationError: ``function_name`` is empty or longer than 256 characters.
            NonDeterministicExecutionError: a different operation was checkpointed here.

        Example:
            >>> receipt = await ctx.invoke("payments", {"amount": 42}, name="charge")
        """
        from durable_lambda.core.operations.invoke import run_invoke

        return await run_invoke(self, function_name, payload, name, config)

    @overload
    async def wait_for_condition(
        self: OperationScope,
        check: Callable[[T, WaitForConditionCheckContext], Coroutine[Any, Any, T]],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T: ...

    @overload
    async def wait_for_condition(
        self: OperationScope,
        check: Callable[[T, WaitForConditionCheckContext], T],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T: ...

    async def wait_for_condition(
        self: OperationScope,
        check: Callable[[Any, WaitForConditionCheckContext], Any],
        config: WaitForConditionConfig[Any],
        name: str | None = None,
    ) -> Any:
        """Poll ``check`` until the config's wait strategy says the condition is met.

        Each poll runs ``check(state, check_context)`` (``async def`` or plain) with the state the
        previous poll returned (``config.initial_state`` the first time) and checkpoints what it
        returns. Between polls the invocation suspends for the strategy's delay, so a poll that
        runs every few minutes for hours costs no compute in between. ``check_context.attempt``
        is the 1-based number of the poll.

        Args:
            check: Computes the new state from the current one.
            config: The wait strategy (see ``create_wait_strategy``), the initial state and the
                serializer of the state.
            name: A name for the operation, shown in history and checked on replay.

        Returns:
            The state of the poll after which the strategy stopped, as the serializer reads it
            back (identical on every replay).

        Raises:
            WaitForConditionError: ``check`` or the strategy raised (``error_type`` and the
                message carry the original error), or the strategy ran out of attempts.
            ValidationError: ``check`` is not callable or ``config`` is not a
                ``WaitForConditionConfig``.
            NonDeterministicExecutionError: a different operation was checkpointed here.

        Example:
            >>> strategy = create_wait_strategy(
            ...     WaitStrategyConfig(should_continue_polling=lambda job: job["status"] != "done")
            ... )
            >>> job = await ctx.wait_for_condition(
            ...     lambda job, check: fetch_job(job["id"]),
            ...     WaitForConditionConfig(wait_strategy=strategy, initial_state={"id": job_id}),
            ...     name="await-job",
            ... )
        """
        from durable_lambda.core.operations.condition import run_wait_for_condition

        return await run_wait_for_condition(self, check, config, name)
