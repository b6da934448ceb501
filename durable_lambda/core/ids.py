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

_blake2b = hashlib.blake2b


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

    Inside a child context every id hashes the same ``"{parent}-"`` prefix first, so the hasher
    that has absorbed it is kept and copied for each id instead of hashing the prefix again.
    """

    __slots__ = ("_parent_id", "_prefix", "_taken")

    def __init__(self, parent_id: str | None) -> None:
        self._parent_id = parent_id
        self._taken = 0
        self._prefix: hashlib.blake2b | None = None  # the prefix's hasher, built on the first id

    @property
    def parent_id(self) -> str | None:
        """The id of the context whose operations these are; None at the root.

        Read-only, since the hasher of its prefix is kept.
        """
        return self._parent_id

    @property
    def taken(self) -> int:
        """How many ids were handed out (the position of the last one); reading takes none."""
        return self._taken

    def next_id(self) -> str:
        """Return the id of the next operation this context starts (``operation_id``'s value)."""
        self._taken = position = self._taken + 1
        if not self._parent_id:  # an empty parent id counts as the root, as in operation_id
            return _blake2b(str(position).encode()).hexdigest()[:64]
        prefix = self._prefix
        if prefix is None:
            prefix = self._prefix = _blake2b(f"{self._parent_id}-".encode())
        hasher = prefix.copy()
        hasher.update(str(position).encode())
        return hasher.hexdigest()[:64]
