"""A completed map or parallel's stored result, as the summary a deep replay rebuilds it from.

A deep replay presents every completed context as one that stored a summary, so that the engine
rebuilds its result from its children. A batch that stored its full result has no summary; the
summary made here from that result carries its completion record (which branches started, which
were still running, why the batch stopped), so the rebuilt result is the recorded one. Without
the record the engine could only derive each branch from a checkpoint of its own, which a FLAT
branch never writes: the official SDK (and ours) then reports it STARTED without running it.
"""

from __future__ import annotations

from typing import Any

from durable_lambda.app.replayer.errors import ReplaySourceError
from durable_lambda.core.model import Operation, OperationSubType
from durable_lambda.core.operations.batch_result import BatchResult
from durable_lambda.core.operations.batch_summary import summary_envelope
from durable_lambda.core.serdes import SerDes, read_value
from durable_lambda.core.serializers import EnvelopeSerDes

__all__ = ["DeepReplayError", "summary_of", "unreadable_flat_batch"]

_RESULT_TYPES: dict[str, str] = {
    OperationSubType.MAP: "MapResult",
    OperationSubType.PARALLEL: "ParallelResult",
}


class DeepReplayError(ReplaySourceError):
    """The record cannot be replayed deeply (``Replayer(shallow=False)``); a shallow replay can.

    Raised before the handler runs, naming the operation and why, when the children of a
    completed context cannot be replayed from what was recorded.
    """


def summary_of(op: Operation, serdes: SerDes[Any]) -> str | None:
    """Return the summary, with its completion record, of the batch ``op``'s stored full result.

    The result is read with ``serdes`` (the handler's), else as the official SDK writes it.

    Returns:
        The summary; None when neither serializer reads the result as a batch result (a map
        or parallel with a serializer of its own).
    """
    payload = op.ContextDetails.Result if op.ContextDetails else None
    if not payload:
        return None
    for reader in (serdes, EnvelopeSerDes()):
        result = _batch_result(reader, payload, op)
        if result is not None:
            return summary_envelope(result, _RESULT_TYPES.get(op.SubType or "", "MapResult"), None)
    return None


def _batch_result(serdes: SerDes[Any], payload: str, op: Operation) -> BatchResult[Any] | None:
    try:
        value = read_value(serdes, payload, op.Id, "replay")
        if isinstance(value, BatchResult):
            return value
        if isinstance(value, dict):
            return BatchResult.from_dict(value)
    except Exception:  # not this serializer's, or not a batch result: the caller tries another
        return None
    return None


def unreadable_flat_batch(op: Operation, where: str) -> DeepReplayError:
    """Return the error for a FLAT batch whose stored result ``summary_of`` could not read.

    Args:
        op: The batch's CONTEXT operation.
        where: How the report names it (its path).
    """
    kind = "map" if op.SubType == OperationSubType.MAP else "parallel"
    return DeepReplayError(
        f"cannot replay the completed {kind} {where} deeply: its branches are FLAT (they "
        "recorded no checkpoints of their own, only their operations), so which of them "
        "finished is only in the batch's stored result, and its serializer is not the "
        "handler's nor the official SDK's; replay it shallow (Replayer(handler, shallow=True), "
        "durable-lambda replay --shallow)",
        operation_id=op.Id,
        operation_name=op.Name,
    )
