"""The floor of a replay: the work no SDK can skip, written as one plain function.

Replaying a completed step means: take the next operation id (the protocol's hash of the
step's position), find the stored operation, check it is the step the code asks for (type,
subtype, name, parent), and read its stored result. ``replay_floor`` does exactly that for the
same invocation input and handler loop as the replay workload, with no layer between the
handler and the dicts: no context objects, no serializer choice, no error building beyond a
bare exception. Measured twice: on the wire's dicts as they come (``validated=False``), and
after validating them as durable-lambda does (``validated=True``, the dict form of
``operation_fields``), since every invocation's input is validated before it is trusted.

The official SDK's figure divided by a floor is the best ratio any SDK doing that work could
reach on this machine: where it is below a target, the target needs less work, not faster code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from benchmarks.harness import per, time_async
from benchmarks.ours import replay_event
from durable_lambda.core.operation_fields import operation_fields_validator

__all__ = ["replay_floor"]

# The C scanner behind json.loads (the fastest standard read of a short JSON text).
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_blake2b = hashlib.blake2b


class _FloorContext:
    """The least a context must do to replay a completed root-level step."""

    def __init__(self, operations: Mapping[str, Mapping[str, Any]]) -> None:
        self.operations = operations
        self.position = 0

    async def step(self, fn: Callable[[None], Any], name: str | None = None) -> Any:
        # The service's name rule, as every SDK must check it before using the name.
        if name is not None and not (len(name) <= 256 and name.isascii() and name.isprintable()):
            raise ValueError(f"bad name {name!r}")
        self.position += 1
        operation_id = _blake2b(str(self.position).encode()).hexdigest()[:64]
        op = self.operations.get(operation_id)
        if (
            op is None
            or op["Type"] != "STEP"
            or op.get("SubType") != "Step"
            or op.get("Name") != name
            or op.get("ParentId") is not None
            or op["Status"] != "SUCCEEDED"
        ):
            raise RuntimeError(f"step {operation_id} is not the completed step {name!r}")
        return _SCAN(op["StepDetails"]["Result"], 0)[0]


def _noop(step: None) -> int:
    return 1


async def replay_floor(n: int, repeats: int, *, validated: bool) -> dict[str, Any]:
    """Time the floor of replaying ``n`` completed steps (see the module docstring).

    Args:
        n: How many completed steps the invocation input holds.
        repeats: Timed runs (the median is kept).
        validated: Whether the operations are validated first, as durable-lambda validates them.

    Returns:
        ``seconds`` (median) and ``us_per_unit`` (per replayed step).
    """
    operations = replay_event(n)["InitialExecutionState"]["Operations"]
    validator = operation_fields_validator() if validated else None

    async def run() -> None:
        ops = operations if validator is None else validator.validate_python(operations)
        ctx = _FloorContext({op["Id"]: op for op in ops})
        for i in range(n):  # the replay workload's handler loop
            await ctx.step(_noop, name=f"s{i}")

    timing = await time_async(run, repeats)
    return {"seconds": timing.seconds, "us_per_unit": per(timing.seconds, n)}
