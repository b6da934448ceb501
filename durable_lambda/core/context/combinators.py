"""The combinators of ``DurableContext``: ``all``, ``all_settled``, ``race`` and ``any``.

``Combinators`` is part of ``DurableContext`` (``durable_context.py``); the state machine behind
its methods is ``core/operations/combinators.py``, imported on first use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, TypeVar

from durable_lambda.core.operations.scope import OperationScope

if TYPE_CHECKING:
    from durable_lambda.core.operations.combinators import SettledResult

__all__ = ["Combinators"]

T = TypeVar("T")


class Combinators:
    """``DurableContext``'s combinators: durable calls awaited together."""

    __slots__ = ()

    async def all(
        self: OperationScope, awaitables: Iterable[Awaitable[T]], name: str | None = None
    ) -> list[T]:
        """Await durable calls together; return their values in order, or raise the first failure.

        Pass the calls unawaited, e.g. ``await ctx.all([ctx.step(a), ctx.step(b)])``: each is
        run up to its first ``await`` at once, in list order, then finished as an asyncio task,
        so they take their operation ids in list order. Each must take its ids before its first
        ``await`` (every durable call does, combinators included); wrap a branch of several
        operations in ``ctx.run_in_child_context``. The outcome is checkpointed as a CONTEXT
        with subtype ``All`` whose id is taken before the awaitables' ids; replay returns the
        same outcome without running any body again. If none failed but some cannot progress in
        this invocation, the invocation suspends once the others finished. On the first failure
        the unfinished calls are cancelled (see ``race``).

        Args:
            awaitables: Durable calls made on this context, not yet awaited.
            name: A name for the combinator's record, shown in history and checked on replay.

        Returns:
            Every awaitable's value, in list order.

        Raises:
            Exception: the first awaitable to fail raised it (e.g. ``StepError``).
            NonDeterministicExecutionError: another operation was checkpointed here.
        """
        from durable_lambda.core.operations.combinators import CombinatorKind, run_combinator

        result: list[T] = await run_combinator(self, CombinatorKind.ALL, list(awaitables), name)
        return result

    async def all_settled(
        self: OperationScope, awaitables: Iterable[Awaitable[T]], name: str | None = None
    ) -> list[SettledResult[T]]:
        """Await durable calls together and report how each ended, value or error, in order.

        The calls run as in ``all`` (started in list order); nothing is cancelled. The
        invocation suspends while any of them cannot progress. The outcome is checkpointed as a
        CONTEXT with subtype ``AllSettled``.

        Args:
            awaitables: Durable calls made on this context, not yet awaited.
            name: A name for the combinator's record, shown in history and checked on replay.

        Returns:
            One ``SettledResult`` per awaitable, in list order.

        Raises:
            NonDeterministicExecutionError: another operation was checkpointed here.
        """
        from durable_lambda.core.operations.combinators import CombinatorKind, run_combinator

        result: list[SettledResult[T]] = await run_combinator(
            self, CombinatorKind.ALL_SETTLED, list(awaitables), name
        )
        return result

    async def race(
        self: OperationScope, awaitables: Iterable[Awaitable[T]], name: str | None = None
    ) -> T:
        """Return (or raise) the outcome of the first durable call to settle.

        The calls run as in ``all``. A call that cannot progress in this invocation (a wait not
        yet due, an unanswered callback) has not settled; when none can progress the invocation
        suspends and the race goes on in the next one. The winner is checkpointed as a CONTEXT
        with subtype ``Race``, so every replay picks the same winner even though completed
        operations then resolve at once; replay awaits only the winner and skips the losers'
        ids without running them. Losers are cancelled: unfinished tasks get
        ``CancelledError`` (a plain-function step body keeps running in its thread, its result
        abandoned; the step stays STARTED), and every wait a loser started on this context
        that is still running gets a CANCEL update.

        Args:
            awaitables: Durable calls made on this context, not yet awaited (at least one).
            name: A name for the combinator's record, shown in history and checked on replay.

        Returns:
            The winner's value.

        Raises:
            Exception: the winner's error, when the first call to settle failed.
            ValidationError: no awaitables were given, or one was already started.
            NonDeterministicExecutionError: another operation was checkpointed here.

        Example:
            >>> answer = await ctx.race(
            ...     [callback.result(), ctx.wait(Duration.from_hours(1), name="deadline")],
            ...     name="answer-or-deadline",
            ... )
        """
        from durable_lambda.core.operations.combinators import CombinatorKind, run_combinator

        result: T = await run_combinator(self, CombinatorKind.RACE, list(awaitables), name)
        return result

    async def any(
        self: OperationScope, awaitables: Iterable[Awaitable[T]], name: str | None = None
    ) -> T:
        """Return the value of the first durable call to succeed; failures are waited out.

        The calls run as in ``all``; the winner is checkpointed as a CONTEXT with subtype
        ``Any`` and the losers are cancelled as in ``race``. The invocation suspends while none
        has succeeded and some cannot progress.

        Args:
            awaitables: Durable calls made on this context, not yet awaited.
            name: A name for the combinator's record, shown in history and checked on replay.

        Returns:
            The first successful call's value.

        Raises:
            AllFailedError: every call failed; ``errors`` holds their errors in list order.
            NonDeterministicExecutionError: another operation was checkpointed here.
        """
        from durable_lambda.core.operations.combinators import CombinatorKind, run_combinator

        result: T = await run_combinator(self, CombinatorKind.ANY, list(awaitables), name)
        return result
