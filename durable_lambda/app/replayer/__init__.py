"""``Replayer``: check today's handler against executions it recorded, before you deploy it.

A durable function breaks in one way above all: new code no longer replays what running
executions recorded. ``Replayer(handler).replay(source)`` runs the handler over one recorded
execution, executing nothing (no step body, no checkpoint), and returns a ``ReplayReport``: the
recorded operations the code visited and matched, those it never reached, and the first
divergence. The source is a local execution, a saved history or state file, or an execution on
AWS (see ``durable_lambda.app.replayer.sources``). ``durable-lambda replay`` is the same check on
the command line.

Example:
    >>> from durable_lambda.testing import Replayer
    >>> async def test_in_flight_executions_still_replay() -> None:
    ...     report = await Replayer(handler).replay("tests/histories/order-o-1.json")
    ...     assert report.ok, report.render()
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from durable_lambda.app.lambda_handler import DurableFunction
from durable_lambda.app.replayer.aws import AwsExecutionReader, ListedExecution, lambda_client
from durable_lambda.app.replayer.errors import ReplaySourceError
from durable_lambda.app.replayer.recorded import RecordedExecution, from_document, from_history
from durable_lambda.app.replayer.report import (
    Divergence,
    DivergenceKind,
    OperationRef,
    ReplayReport,
    SourceLine,
)
from durable_lambda.app.replayer.run import replay_recorded
from durable_lambda.app.replayer.sources import (
    AwsExecution,
    LocalExecution,
    ReplaySource,
    read_source,
)
from durable_lambda.app.replayer.stored_batch import DeepReplayError
from durable_lambda.core.context import DurableContext
from durable_lambda.core.serdes import DEFAULT_SERDES

__all__ = [
    "AwsExecution",
    "AwsExecutionReader",
    "DeepReplayError",
    "Divergence",
    "DivergenceKind",
    "ListedExecution",
    "LocalExecution",
    "OperationRef",
    "RecordedExecution",
    "ReplayReport",
    "ReplaySource",
    "ReplaySourceError",
    "Replayer",
    "SourceLine",
    "from_document",
    "from_history",
    "lambda_client",
]


class Replayer:
    """Replays recorded executions with today's handler and reports where they differ.

    Nothing runs for real: no step body, no callback, no checkpoint; the handler's log lines are
    not written. By default the children of completed map, parallel and child contexts are
    replayed too (their records are there); ``shallow=True`` reads those contexts' stored
    results instead, as a resumed execution would.

    Args:
        handler: Today's handler: a ``@durable_execution`` function (its serializer is used) or
            a bare ``async def handler(event, ctx)``.
        shallow: Leave the children of completed contexts out.

    Example:
        >>> report = await Replayer(handler).replay(LocalExecution(".durable", "order-1"))
        >>> report.ok, report.matched
        (True, 7)
    """

    def __init__(
        self,
        handler: DurableFunction[Any] | Callable[[Any, DurableContext], Awaitable[Any]],
        *,
        shallow: bool = False,
    ) -> None:
        if isinstance(handler, DurableFunction):
            self._handler = handler.handler
            self._serdes = handler.settings.serdes
        elif callable(handler):
            self._handler = handler
            self._serdes = DEFAULT_SERDES
        else:
            raise TypeError(
                f"Replayer needs a durable handler, got {type(handler).__name__}: pass the "
                "@durable_execution function or an async def handler(event, ctx)"
            )
        self.shallow = shallow

    async def replay(self, source: ReplaySource) -> ReplayReport:
        """Replay the recorded execution ``source`` (see ``sources`` for what it may be).

        Args:
            source: Where the recorded execution is.

        Returns:
            The report; ``report.ok`` is False when today's code differs from the record.

        Raises:
            ReplaySourceError: the execution cannot be found or read.
            DeepReplayError: (a ``ReplaySourceError``) not ``shallow``, and the children of a
                completed context cannot be replayed from the record; the message says why.
            ValidationError: a file or document is not an execution record.
        """
        recorded = await read_source(source)
        return await replay_recorded(self._handler, self._serdes, recorded, shallow=self.shallow)

    def replay_sync(self, source: ReplaySource) -> ReplayReport:
        """Like ``replay``, for code without an event loop (a script, a plain test function)."""
        return asyncio.run(self.replay(source))
