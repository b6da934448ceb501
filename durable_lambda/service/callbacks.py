"""Callbacks: the ids the service hands out, and the answers from outside that complete them.

A CALLBACK START gets an id (``callback_id_for``) that routes an answer to its execution; the
answer comes through ``SendDurableExecutionCallback*`` and completes the callback, unless it
timed out, or its execution ended, first.
"""

from __future__ import annotations

from typing import Any

from durable_lambda.core.errors import DurableExecutionError

__all__ = ["CallbackClosedError", "UnknownCallbackError"]


class UnknownCallbackError(DurableExecutionError, LookupError):
    """No callback has this id (the service's ResourceNotFoundException).

    Args:
        message: What was looked up.
        callback_id: The id that was not found.
    """

    def __init__(self, message: str, *, callback_id: str, **where: Any) -> None:
        super().__init__(message, **where)
        self.callback_id = callback_id


class CallbackClosedError(UnknownCallbackError):
    """The callback exists but can no longer be answered.

    It completed, timed out, or its execution ended (the service's CallbackTimeoutException).
    """
