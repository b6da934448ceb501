"""The checkpointed record of a combinator: which awaitable decided, and how each one ended.

On replay every operation that completed earlier resolves at once, so "first" would become
"lowest index". The decision is therefore checkpointed as an operation of its own: a CONTEXT
with subtype ``All``, ``AllSettled``, ``Race`` or ``Any`` and the combinator's name. Its id is
taken *before* the awaitables' ids, when the combinator is called; its START is queued then, and
it is closed once the outcome is known: SUCCEED with the decision as its payload when the
combinator returns, FAIL when it raises (the decision then rides in ``Error.ErrorData``).

The decision is JSON such as ``{"outcome":"SUCCEEDED","winner":0,"settled":"SC","ids":[1,1]}``:
the index whose outcome decided (null when every awaitable counted), one letter per awaitable
(``S`` succeeded, ``F`` failed, ``P`` pending, ``C`` cancelled), and how many operation ids each
awaitable took. A combinator that suspends leaves the record STARTED; the next invocation runs
the awaitables again (completed ones replay at once, in list order) and decides then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from durable_lambda.core.errors import (
    NonDeterministicExecutionError,
    SerDesError,
    error_object_from_exception,
)
from durable_lambda.core.model import (
    ErrorObject,
    Operation,
    OperationAction,
    OperationStatus,
    OperationUpdate,
)
from durable_lambda.core.operations.updates import context_update, located
from durable_lambda.core.state import OperationIdentity

__all__ = ["Decision", "record_update", "replay_mismatch"]

_MAX_RECORD_MESSAGE = 1024


@dataclass(frozen=True, slots=True)
class Decision:
    """The checkpointed outcome of a combinator (see the module docstring).

    Attributes:
        failed: The combinator raised.
        winner: The index whose outcome decided; None when every awaitable counted.
        settled: One letter per awaitable: how it ended.
        ids: How many operation ids each awaitable took.
    """

    failed: bool
    winner: int | None
    settled: str
    ids: tuple[int, ...]

    def to_json(self) -> str:
        """Return the decision as the record stores it."""
        outcome = OperationStatus.FAILED if self.failed else OperationStatus.SUCCEEDED
        data = {"outcome": outcome.value, "winner": self.winner, "settled": self.settled}
        return json.dumps({**data, "ids": list(self.ids)}, separators=(",", ":"))

    def replayed(self, count: int) -> range | tuple[int]:
        """Return the indexes of the awaitables whose outcome counts, to await on replay."""
        return range(count) if self.winner is None else (self.winner,)

    @classmethod
    def read(cls, op: Operation, identity: OperationIdentity, arn: str) -> Decision:
        """Read the decision of the closed record ``op``.

        Raises:
            SerDesError: the record holds no readable decision.
        """
        failed = op.Status is OperationStatus.FAILED
        text = (op.error.ErrorData if op.error else None) if failed else op.result_payload
        try:
            data = json.loads(text or "")
            winner = data["winner"]
            ids = tuple(int(n) for n in data["ids"])
            if winner is not None and not 0 <= int(winner) < len(ids):
                raise ValueError(f"winner {winner} out of range")
            return cls(failed, None if winner is None else int(winner), str(data["settled"]), ids)
        except (TypeError, ValueError, KeyError) as error:
            raise SerDesError(
                f"the combinator's checkpointed decision cannot be read ({error}): {text!r}",
                **located(identity, arn),
            ) from error


def record_update(
    identity: OperationIdentity,
    action: OperationAction,
    decision: Decision | None = None,
    error: Exception | None = None,
) -> OperationUpdate:
    """START the record, or close it: SUCCEED with the decision, or FAIL carrying it."""
    recorded = None
    if error is not None and decision is not None:
        described = error_object_from_exception(error)
        recorded = ErrorObject(
            ErrorType=described.ErrorType,
            ErrorMessage=(described.ErrorMessage or "")[:_MAX_RECORD_MESSAGE],
            ErrorData=decision.to_json(),
        )
    payload = decision.to_json() if decision is not None and error is None else None
    return context_update(identity, action, payload, error=recorded)


def replay_mismatch(
    arn: str, identity: OperationIdentity, message: str
) -> NonDeterministicExecutionError:
    """Return the error for a replay that does not match the combinator's record."""
    return NonDeterministicExecutionError(
        f"non-deterministic replay of a combinator: {message}", **located(identity, arn)
    )
