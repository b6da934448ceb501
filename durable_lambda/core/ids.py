"""Deterministic operation ids, derived exactly as the official AWS Python SDK derives them.

Each context counts the operations it starts from 1. At the root the id of the n-th operation is
``blake2b(str(n))``; inside a context whose own id is ``parent`` it is
``blake2b(f"{parent}-{n}")``; both as the first 64 characters of the hex digest. The same
position always yields the same id, so replay finds its checkpoint, and an execution started by
the official SDK can be resumed by this one.
"""

from __future__ import annotations

import hashlib

__all__ = ["OperationIdSequence", "operation_id"]


def operation_id(parent_id: str | None, position: int) -> str:
    """Return the id of the operation at 1-based ``position`` within the context ``parent_id``.

    Example:
        >>> operation_id(None, 1)[:16]
        '1ced8f5be2db23a6'
    """
    key = f"{parent_id}-{position}" if parent_id else str(position)
    return hashlib.blake2b(key.encode()).hexdigest()[:64]


class OperationIdSequence:
    """The ids of one context's operations, in the order the context starts them.

    Safe under concurrent asyncio tasks: taking the next position is a single, non-awaiting step,
    so two tasks can never receive the same id.
    """

    __slots__ = ("_taken", "parent_id")

    def __init__(self, parent_id: str | None) -> None:
        self.parent_id = parent_id
        self._taken = 0

    @property
    def taken(self) -> int:
        """How many ids were handed out (the position of the last one); reading takes none."""
        return self._taken

    def next_id(self) -> str:
        """Return the id of the next operation this context starts."""
        self._taken += 1
        return operation_id(self.parent_id, self._taken)
