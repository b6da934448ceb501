"""The error a replay raises when it cannot run (as opposed to finding a divergence)."""

from __future__ import annotations

from durable_lambda.core.errors import DurableExecutionError

__all__ = ["ReplaySourceError"]


class ReplaySourceError(DurableExecutionError):
    """The recorded execution could not be read: not found, ambiguous, unreadable, or AWS failed.

    A replay that runs and finds a difference does not raise: it returns a ``ReplayReport``
    whose ``divergence`` says what differs.
    """
