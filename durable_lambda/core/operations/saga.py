"""Sagas: durable compensation. Each step that succeeded registers its undo; a failure runs them.

``ctx.saga(name)`` returns a ``Saga``, used as an async context manager::

    async with ctx.saga("order") as saga:
        charge = await saga.step(charge_card, name="charge", compensate=refund)
        await saga.step(reserve_stock, name="reserve", compensate=release_stock)
        await saga.step(ship, name="ship")

``saga.step`` runs a durable step (``ctx.step``, same arguments) and, once it succeeded,
registers ``compensate``: a step body of its own that is given the forward step's result and a
``StepContext`` (``compensate(result, step)``). ``saga.add_compensation(undo)`` registers an undo
for work done some other way (a child context, a chained invoke, a callback). When an exception
leaves the block, the registered undos run in reverse order of registration, each as a step of
its own with its own retry strategy, inside one child context (subtype ``SagaCompensation``,
named ``<saga>-compensation``); an undo that fails for good is recorded and the others still
run. Then ``SagaError`` is raised from the original error: it carries the original error's type
and message, what was compensated, and what could not be.

Replay: the block runs again on every replay like any handler code; the forward steps replay
their results, the failure replays its stored error, and the compensation context replays: an
undo that finished is never run again, so a crash during compensation resumes with the undos that
remain. Once the compensation context completed, its stored summary is returned without running
anything. The registration order must therefore be deterministic: undos are registered in the
order ``saga.step`` is *called* (not the order the steps finish), so sagas whose steps run
concurrently still compensate the same way on every replay.

Not compensated: a suspension (the block waits for a later invocation), the task's cancellation,
and errors that end the invocation or the execution rather than the saga (``ExecutionError`` such
as non-determinism, ``InvocationError``, ``CheckpointError``, ``OrphanedOperationError``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

from durable_lambda.core.config import ChildConfig, StepConfig
from durable_lambda.core.errors import (
    CheckpointError,
    DurableOperationError,
    ExecutionError,
    InvocationError,
    OrphanedOperationError,
    StepError,
    ValidationError,
    exception_message,
)

if TYPE_CHECKING:
    from durable_lambda.core.operations.step_context import StepContext

__all__ = ["Saga", "SagaError", "SagaHost"]

T = TypeVar("T")
H = TypeVar("H", bound="SagaHost")

SAGA_COMPENSATION_SUB_TYPE = "SagaCompensation"
"""The subtype of the child context a saga's undos run in."""


class SagaHost(Protocol):
    """What a saga needs of the context it runs in (``DurableContext`` has it)."""

    async def step(
        self,
        func: Callable[[StepContext], Any],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> Any:
        """Run a durable step."""
        ...

    async def run_in_child_context(
        self,
        func: Callable[[Any], Awaitable[Any]],
        name: str | None = None,
        config: ChildConfig | None = None,
    ) -> Any:
        """Run a function in a durable child context."""
        ...


class SagaError(DurableOperationError):
    """A saga failed and its registered undos ran (in reverse order of registration).

    Raised from the original error (its ``__cause__``). Its message names the saga, the
    original error and what was compensated; ``ErrorData`` holds the same as JSON
    (``saga``, ``originalErrorType``, ``originalErrorMessage``, ``compensated``,
    ``compensationFailures``), so an execution that ends with it records all of it.

    Attributes:
        saga: The saga's name.
        original_error_type: The type of what failed: for an operation error, the type of the
            error its body raised (``StepError.error_type``); else the exception's class name.
        original_message: The original error's message.
        compensated: The undos that succeeded, in the order they ran.
        compensation_failures: ``(undo, error type, message)`` of each undo that failed for
            good (its retry strategy gave up); the others still ran.
    """

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: tuple[str, ...] | list[str] | None = None,
        **where: Any,
    ) -> None:
        super().__init__(message, error_type, data, stack_trace, **where)
        details = _read_data(data)
        self.saga: str = str(details.get("saga", ""))
        self.original_error_type: str = str(details.get("originalErrorType", ""))
        self.original_message: str = str(details.get("originalErrorMessage", ""))
        self.compensated: tuple[str, ...] = tuple(
            str(undo) for undo in details.get("compensated", ())
        )
        self.compensation_failures: tuple[tuple[str, str, str], ...] = tuple(
            (str(f.get("undo", "")), str(f.get("errorType", "")), str(f.get("errorMessage", "")))
            for f in details.get("compensationFailures", ())
            if isinstance(f, dict)
        )

    @property
    def fully_compensated(self) -> bool:
        """Whether every registered undo succeeded."""
        return not self.compensation_failures


def _read_data(data: str | None) -> dict[str, Any]:
    if not data:
        return {}
    try:
        details = json.loads(data)
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


@dataclass(slots=True)
class _Undo:
    """One registered compensation: armed once its forward work succeeded."""

    body: Callable[[StepContext], Any] | None
    name: str | None
    label: str
    config: StepConfig | None
    armed: bool = False


@dataclass(slots=True)
class _Outcome:
    """What the compensation context returns (and stores): what ran, what failed."""

    compensated: list[str] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"compensated": self.compensated, "compensationFailures": self.failures}


# Errors that end the invocation or the execution rather than the saga: never compensated.
_NOT_COMPENSATED = (ExecutionError, InvocationError, CheckpointError, OrphanedOperationError)


class Saga:
    """A group of steps undone together, in reverse order, if the group fails (module docstring).

    Made by ``ctx.saga(name)``; use it as an async context manager.

    Args:
        host: The context the saga's steps and undos are recorded in.
        name: The saga's name (1 to 200 printable ASCII characters), used for its compensation
            context (``<name>-compensation``), in its undos' default names and in ``SagaError``.

    Raises:
        ValidationError: ``name`` is not a string the service accepts in an operation name.
    """

    __slots__ = ("_host", "_outcome", "_undos", "name")

    def __init__(self, host: SagaHost, name: str = "saga") -> None:
        given: object = name  # the annotation is a promise a caller may break
        if not isinstance(given, str) or not (
            0 < len(given) <= 200 and given.isascii() and given.isprintable()
        ):
            raise ValidationError(
                f"a saga's name must be 1 to 200 printable ASCII characters, got {name!r:.80}",
                field="name",
            )
        self._host = host
        self.name = name
        self._undos: list[_Undo] = []
        self._outcome: _Outcome | None = None  # set once the saga compensated

    @property
    def registered(self) -> list[str]:
        """The labels of the undos registered and armed so far, in registration order."""
        return [undo.label for undo in self._undos if undo.armed]

    @overload
    async def step(
        self,
        func: Callable[[StepContext], Coroutine[Any, Any, T]],
        name: str | None = None,
        config: StepConfig | None = None,
        *,
        compensate: Callable[[T, StepContext], Any] | None = None,
        compensate_name: str | None = None,
        compensate_config: StepConfig | None = None,
    ) -> T: ...

    @overload
    async def step(
        self,
        func: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
        *,
        compensate: Callable[[T, StepContext], Any] | None = None,
        compensate_name: str | None = None,
        compensate_config: StepConfig | None = None,
    ) -> T: ...

    async def step(
        self,
        func: Callable[[StepContext], Any],
        name: str | None = None,
        config: StepConfig | None = None,
        *,
        compensate: Callable[[Any, StepContext], Any] | None = None,
        compensate_name: str | None = None,
        compensate_config: StepConfig | None = None,
    ) -> Any:
        """Run ``func`` as a durable step; once it succeeded, register ``compensate`` for it.

        Args:
            func: The step's body (as for ``ctx.step``).
            name: The step's name.
            config: The step's retry strategy, semantics, serializer and time-out.
            compensate: The undo: ``compensate(result, step)`` (``async def`` or plain), run
                as a step of its own if the saga fails; None registers nothing.
            compensate_name: The undo step's name; by default ``undo <name>`` when the step
                is named (unnamed otherwise, as unnamed steps are).
            compensate_config: The undo step's config (its own retry strategy); None for the
                default (6 attempts with backoff).

        Returns:
            What ``func`` returned (identical on every replay).

        Raises:
            StepError: the step failed for good (the saga then compensates, if this is inside
                its ``async with`` block).
            ValidationError: ``compensate`` is not callable.
        """
        undo: _Undo | None = None
        if compensate is not None:
            if not callable(compensate):
                raise ValidationError(
                    f"saga.step() needs a callable compensate, got {type(compensate).__name__}",
                    field="compensate",
                )
            undo_name = compensate_name or (f"undo {name}" if name else None)
            # Registered now, in call order, armed when the step succeeds: the order undos run
            # in cannot depend on which of several concurrent steps finished first.
            undo = _Undo(None, undo_name, _label(undo_name, compensate), compensate_config)
            self._undos.append(undo)
        result = await self._host.step(func, name, config)
        if undo is not None:
            assert compensate is not None
            undo.body = functools.partial(compensate, result)
            undo.armed = True
        return result

    def add_compensation(
        self,
        undo: Callable[[StepContext], Any],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> None:
        """Register an undo for work the saga did some other way (a child context, an invoke).

        Register it right after that work succeeded, in orchestration code (it is registered
        again, identically, on every replay).

        Args:
            undo: A step body (``async def`` or plain), given a ``StepContext``.
            name: The undo step's name; None records it unnamed.
            config: The undo step's config; None for the default.

        Raises:
            ValidationError: ``undo`` is not callable.
        """
        if not callable(undo):
            raise ValidationError(
                f"saga.add_compensation() needs a callable, got {type(undo).__name__}",
                field="undo",
            )
        self._undos.append(_Undo(undo, name, _label(name, undo), config, armed=True))

    async def __aenter__(self) -> Saga:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None or not isinstance(exc, Exception) or isinstance(exc, _NOT_COMPENSATED):
            return  # success, a suspension, a cancellation, or the end of the invocation
        await self.compensate(exc)

    async def compensate(self, error: Exception) -> None:
        """Run the registered undos for ``error`` and raise ``SagaError`` from it.

        Called when an exception leaves the ``async with`` block; call it yourself to
        compensate for a failure that did not raise (say, a ``BatchResult`` with failed items).
        A saga compensates once: a second call raises ``SagaError`` again without running
        anything more.

        Raises:
            SagaError: always, from ``error``.
        """
        outcome = self._outcome
        if outcome is None:
            outcome = _Outcome()
            undos = [undo for undo in reversed(self._undos) if undo.armed]
            if undos:
                stored = await self._host.run_in_child_context(
                    functools.partial(_run_undos, undos),
                    f"{self.name}-compensation",
                    ChildConfig(sub_type=SAGA_COMPENSATION_SUB_TYPE),
                )
                outcome = _Outcome(
                    list(stored.get("compensated", ())),
                    list(stored.get("compensationFailures", ())),
                )
            self._outcome = outcome
        raise _saga_error(self.name, error, outcome) from error


async def _run_undos(undos: list[_Undo], child: SagaHost) -> dict[str, Any]:
    """Run ``undos`` in order in the compensation context ``child``; report what each did."""
    outcome = _Outcome()
    for undo in undos:
        assert undo.body is not None  # armed
        try:
            await child.step(undo.body, undo.name, undo.config)
        except StepError as failure:
            outcome.failures.append(
                {
                    "undo": undo.label,
                    "errorType": failure.error_type,
                    "errorMessage": failure.message,
                }
            )
            continue
        outcome.compensated.append(undo.label)
    return outcome.to_dict()


def _label(name: str | None, fn: Callable[..., Any]) -> str:
    """How an undo is named in ``SagaError``: its step name, else its function's name."""
    if name:
        return name
    return str(getattr(fn, "__name__", None) or type(fn).__name__)


def _saga_error(saga: str, error: Exception, outcome: _Outcome) -> SagaError:
    if isinstance(error, DurableOperationError):
        error_type, message = error.error_type, error.message
    else:
        error_type, message = type(error).__name__, exception_message(error)
    data = {
        "saga": saga,
        "originalErrorType": error_type,
        "originalErrorMessage": message,
        **outcome.to_dict(),
    }
    done = ", ".join(outcome.compensated) or "nothing"
    text = f"saga {saga!r} failed with {error_type}: {message}; compensated: {done}"
    if outcome.failures:
        failed = ", ".join(failure["undo"] for failure in outcome.failures)
        text += f"; compensation failed for: {failed}"
    return SagaError(text, data=json.dumps(data))
