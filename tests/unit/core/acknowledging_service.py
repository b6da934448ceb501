"""``AcknowledgingService``: a ``DurableService`` for tests of the SDK side, nothing more."""

from __future__ import annotations

from typing import Any

from durable_lambda.core.model import CheckpointResponse, ExecutionState


class AcknowledgingService:
    """A ``DurableService`` that acknowledges every checkpoint with a new token, nothing more.

    For tests of what an invocation does on the SDK's side, where the service's answer is not
    under test; the invocation input must be a single page.
    """

    def __init__(self) -> None:
        self.calls = 0

    async def checkpoint(
        self, arn: str, token: str, updates: Any, client_token: str | None = None
    ) -> CheckpointResponse:
        """Count the call and answer with the next token."""
        self.calls += 1
        return CheckpointResponse(CheckpointToken=f"t{self.calls}")

    async def get_state(
        self, arn: str, token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        """Refuse: the tests hand the whole state in the invocation input."""
        raise AssertionError("every input here is a single page")
