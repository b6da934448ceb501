"""What a replay found: ``ReplayReport``, its ``Divergence``, and how both read as text and data.

A report says how many recorded operations today's code visited and matched, which recorded
operations it never reached, and the first place where it differs from the record: a different
operation at a position, an operation where the record shows its context (or the execution)
already finished, an error the record does not show, or an ending the record does not show.
``render()`` is the diff a person reads; ``to_dict()`` is the same as JSON-ready data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Divergence", "DivergenceKind", "OperationRef", "ReplayReport", "SourceLine"]


@dataclass(frozen=True)
class OperationRef:
    """One operation as a report names it: what it is, and where it sits in the execution.

    Attributes:
        type: ``STEP``, ``WAIT``, ``CALLBACK``, ``CONTEXT``, ``CHAINED_INVOKE``.
        sub_type: ``Step``, ``Map``, ``MapIteration``... (None when the operation has none).
        name: The operation's name, None when unnamed.
        operation_id: Its deterministic id.
        path: The names of the contexts it sits in, outermost first, then its own label.
        position: Its 1-based position within its context (a map item's or a parallel
            branch's index + 1); None when it cannot be placed.
    """

    type: str
    sub_type: str | None
    name: str | None
    operation_id: str
    path: tuple[str, ...] = ()
    position: int | None = None

    def label(self) -> str:
        """Return ``TYPE/SubType "name"`` (or ``(unnamed)``), as the diff shows it."""
        kind = f"{self.type}/{self.sub_type}" if self.sub_type else self.type
        return f'{kind} "{self.name}"' if self.name is not None else f"{kind} (unnamed)"

    def where(self) -> str:
        """Return the path joined with `` > `` and the position, for one line of the diff."""
        place = " > ".join(self.path) or "(the handler)"
        return f"{place} (position {self.position})" if self.position is not None else place

    def to_dict(self) -> dict[str, Any]:
        """Return the operation as JSON-ready data."""
        return {
            "type": self.type,
            "subType": self.sub_type,
            "name": self.name,
            "operationId": self.operation_id,
            "path": list(self.path),
            "position": self.position,
        }


@dataclass(frozen=True)
class SourceLine:
    """The line of the handler's code a divergence points at.

    Attributes:
        file: The source file.
        line: The 1-based line number.
        code: The line's text, stripped.
        function: The function it is in.
    """

    file: str
    line: int
    code: str
    function: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} in {self.function}: {self.code}"

    def to_dict(self) -> dict[str, Any]:
        """Return the location as JSON-ready data."""
        return {"file": self.file, "line": self.line, "code": self.code, "function": self.function}


class DivergenceKind(StrEnum):
    """How today's code differs from the record."""

    MISMATCH = "mismatch"
    """At a recorded position the code started a different operation (type, subtype, name or
    parent), or a stored result no longer fits the code (the number of branches, say)."""

    NEW_OPERATION = "new-operation"
    """The code started an operation where the record shows its context, or the execution,
    already finished: it does more than the recorded run did."""

    ERROR = "error"
    """The code raised an error where the record shows none (or another one)."""

    OUTCOME = "outcome"
    """The record ended FAILED, and today's code does not fail."""

    UNVISITED = "unvisited"
    """The code ended (returned, raised or stopped) before reaching recorded operations."""


@dataclass(frozen=True)
class Divergence:
    """The first place where today's code differs from the record.

    Attributes:
        kind: What differs (see ``DivergenceKind``).
        summary: One line saying it.
        recorded: The recorded operation at that place, if there is one.
        attempted: The operation the code started there, if it started one.
        source: The handler's line that made the attempt (or raised the error).
        error_type: The type of the error today's code raised, for ``ERROR``.
        error_message: Its message.
    """

    kind: DivergenceKind
    summary: str
    recorded: OperationRef | None = None
    attempted: OperationRef | None = None
    source: SourceLine | None = None
    error_type: str | None = None
    error_message: str | None = None

    @property
    def where(self) -> OperationRef | None:
        """The operation that places the divergence: the recorded one, else the attempted one."""
        return self.recorded or self.attempted

    def to_dict(self) -> dict[str, Any]:
        """Return the divergence as JSON-ready data."""
        where = self.where
        return {
            "kind": self.kind.value,
            "summary": self.summary,
            "path": list(where.path) if where else [],
            "position": where.position if where else None,
            "recorded": self.recorded.to_dict() if self.recorded else None,
            "attempted": self.attempted.to_dict() if self.attempted else None,
            "source": self.source.to_dict() if self.source else None,
            "error": (
                {"type": self.error_type, "message": self.error_message}
                if self.error_type is not None
                else None
            ),
        }


@dataclass(frozen=True)
class ReplayReport:
    """The outcome of replaying today's code against one recorded execution.

    Attributes:
        execution_arn: The execution replayed.
        execution_name: Its name.
        execution_status: How the record stands: ``RUNNING``, ``SUCCEEDED``, ``FAILED``...
        recorded: How many operations the record holds (the EXECUTION operation aside).
        expected: How many of them the replay had to reach: all but those inside a context
            that failed or was abandoned, and, with ``shallow``, inside a completed context.
        matched: How many recorded operations the code visited and found the same.
        unvisited: The recorded operations the code should have reached and did not, in the
            order they were recorded.
        divergence: The first difference; None when the code takes the recorded path.
        ended: How today's code ended: ``returned``, ``raised`` or ``suspended`` (it reached
            work the record has not done yet, or waits as the execution does).
        shallow: Whether the children of completed contexts were left out.
        source: Where the record was read from (a store, a file, AWS).

    Example:
        >>> report = await Replayer(handler).replay("history.json")  # doctest: +SKIP
        >>> assert report.ok, report.render()  # doctest: +SKIP
    """

    execution_arn: str
    execution_name: str
    execution_status: str
    recorded: int
    expected: int
    matched: int
    unvisited: tuple[OperationRef, ...] = ()
    divergence: Divergence | None = None
    ended: str = "suspended"
    shallow: bool = False
    source: str = field(default="", compare=False)

    @property
    def ok(self) -> bool:
        """Whether today's code takes the recorded path (no divergence)."""
        return self.divergence is None

    def headline(self) -> str:
        """Return the one-line verdict: ``replay OK: ...`` or ``replay of NAME differs: ...``."""
        if self.divergence is None:
            return f"replay OK: {self.execution_name}: {self._count()}: all match"
        return f"replay of {self.execution_name} differs: {self.divergence.summary}"

    def _count(self) -> str:
        if self.matched == self.recorded:
            return f"replayed {self.matched} operations"
        left = self.recorded - self.expected
        why = " inside completed contexts (--shallow)" if self.shallow else " not reachable"
        return f"replayed {self.matched} of {self.recorded} recorded operations" + (
            f" ({left}{why})" if left else ""
        )

    def render(self) -> str:
        """Return the report as the diff a person reads: the verdict, then the details."""
        lines = [self.headline()]
        lines.append(f"  execution: {self.execution_arn} ({self.execution_status})")
        if self.source:
            lines.append(f"  read from: {self.source}")
        lines.append(
            f"  visited and matched {self.matched} of {self.expected} recorded operations "
            f"to reach ({self.recorded} recorded); today's code {self.ended}"
        )
        divergence = self.divergence
        if divergence is not None:
            where = divergence.where
            lines.append(f"  first divergence ({divergence.kind.value}):")
            if where is not None:
                lines.append(f"    at:        {where.where()}")
            if divergence.recorded is not None:
                lines.append(f"    recorded:  {divergence.recorded.label()}")
            elif divergence.kind is DivergenceKind.NEW_OPERATION:
                lines.append("    recorded:  nothing (the record shows this context finished)")
            if divergence.attempted is not None:
                lines.append(f"    attempted: {divergence.attempted.label()}")
            elif divergence.kind is DivergenceKind.UNVISITED:
                lines.append(f"    attempted: nothing (today's code {self.ended} first)")
            if divergence.error_type is not None:
                lines.append(f"    error:     {divergence.error_type}: {divergence.error_message}")
            if divergence.source is not None:
                lines.append(f"    source:    {divergence.source}")
        if self.unvisited:
            lines.append(f"  never reached ({len(self.unvisited)}):")
            shown = self.unvisited[:_MAX_UNVISITED_SHOWN]
            lines.extend(f"    {op.where()}  {op.label()}" for op in shown)
            if len(self.unvisited) > len(shown):
                lines.append(f"    ... and {len(self.unvisited) - len(shown)} more")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (what ``durable-lambda replay --json`` prints)."""
        return {
            "ok": self.ok,
            "executionArn": self.execution_arn,
            "executionName": self.execution_name,
            "executionStatus": self.execution_status,
            "source": self.source,
            "shallow": self.shallow,
            "recorded": self.recorded,
            "expected": self.expected,
            "matched": self.matched,
            "ended": self.ended,
            "unvisited": [op.to_dict() for op in self.unvisited],
            "divergence": self.divergence.to_dict() if self.divergence else None,
        }


_MAX_UNVISITED_SHOWN = 20
