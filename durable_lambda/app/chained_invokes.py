"""Chained invokes run locally: which functions exist, and how a target is run.

The Lambda service runs the target of a ``ctx.invoke`` on its own; the test runner and the local
orchestrator play that part with functions registered by name:

* a durable target (a ``@durable_execution`` object, or a bare ``async def handler(event, ctx)``)
  runs as its own durable execution on the same local service, driven by the same machinery as
  the caller, and its end completes the caller's CHAINED_INVOKE (SUCCEEDED with its result,
  FAILED or STOPPED with its error, TIMED_OUT with the service's ``ChainedInvoke.Timeout``);
* a plain target (a function, sync or async, of the payload alone) is called once: what it
  returns (as JSON) or raises completes the CHAINED_INVOKE;
* a name nobody registered fails the operation in the answer to the checkpoint that started it,
  with ``ResourceNotFoundException``, as the service does for a function that does not exist.

A name resolves as the official test runner resolves it: the name exactly as written first, then
``name:qualifier``, then the bare function name of an ARN or a qualified name.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from durable_lambda.app.lambda_handler import DurableFunction
from durable_lambda.app.ports import LocalService
from durable_lambda.core.errors import ValidationError, error_object_from_exception
from durable_lambda.core.model import ErrorObject, OperationStatus
from durable_lambda.core.runtime import call_user_function
from durable_lambda.service.operations.rules import MAX_CHAINED_INVOKE_PAYLOAD_BYTES
from durable_lambda.service.record import ChainedInvokeRequest, ExecutionStatus

__all__ = [
    "FUNCTION_NOT_FOUND_ERROR_TYPE",
    "TIMEOUT_ERROR_TYPE",
    "ChainedInvokeRunner",
    "DurableTarget",
    "FunctionRegistry",
    "InvokeCaller",
    "PlainTarget",
    "function_not_found",
]

FUNCTION_NOT_FOUND_ERROR_TYPE = "ResourceNotFoundException"
"""The error type of a chained invoke whose function does not exist (Lambda's API error code)."""

TIMEOUT_ERROR_TYPE = "ChainedInvoke.Timeout"
"""The error type the service reports for a chained invoke whose durable target timed out."""


@dataclass(frozen=True)
class DurableTarget:
    """A registered durable function: runs as an execution of its own, with its own settings."""

    function: DurableFunction[Any]


@dataclass(frozen=True)
class PlainTarget:
    """A registered plain function: called once with the payload."""

    fn: Callable[[Any], Any]


@dataclass(frozen=True)
class _Outcome:
    status: OperationStatus
    result: str | None = None
    error: ErrorObject | None = None


class InvokeCaller(Protocol):
    """The driver of an execution that made chained invokes (see ``app.driver``)."""

    @property
    def arn(self) -> str:
        """The execution."""
        ...

    @property
    def service(self) -> LocalService:
        """The local service the execution lives on."""
        ...

    async def drive(self, until: Callable[[], bool] | None, skip_deadlines: bool) -> None:
        """Run the execution until it ends, blocks, or ``until()`` holds."""
        ...

    def spawn(self, arn: str, function: DurableFunction[Any]) -> InvokeCaller:
        """Return a driver of the same kind for another execution (a durable target's)."""
        ...


class FunctionRegistry:
    """The functions an execution may invoke, by name.

    Args:
        functions: Name to handler: durable handlers (``@durable_execution`` objects, which run
            with their own settings, or bare ``async def handler(event, ctx)``) or plain
            functions of the payload.

    Raises:
        ValidationError: a handler is neither a durable handler nor a function of one argument.
    """

    def __init__(self, functions: Mapping[str, Any]) -> None:
        self._targets = {name: _target(name, fn) for name, fn in functions.items()}

    def resolve(self, function_name: str) -> DurableTarget | PlainTarget | None:
        """Return the target ``function_name`` names, or None when nothing is registered."""
        for key in _lookup_keys(function_name):
            target = self._targets.get(key)
            if target is not None:
                return target
        return None

    def refusal(self, function_name: str) -> ErrorObject | None:
        """Return the error an invoke of ``function_name`` fails with at once, if not registered.

        The container gives it to the local service, which fails such an invoke in the answer
        to the checkpoint that started it, as the Lambda service does.
        """
        return (
            None if self.resolve(function_name) is not None else function_not_found(function_name)
        )


class ChainedInvokeRunner:
    """Runs the targets of an execution's pending chained invokes and completes them.

    Args:
        registry: The functions that can be invoked.
    """

    def __init__(self, registry: FunctionRegistry) -> None:
        self.registry = registry
        self._children: dict[str, InvokeCaller] = {}

    def child(self, execution_arn: str) -> InvokeCaller | None:
        """Return the execution started for a durable target, by its ARN."""
        return self._children.get(execution_arn)

    async def run_pending(
        self,
        execution: InvokeCaller,
        requests: Sequence[ChainedInvokeRequest],
        *,
        skip_deadlines: bool,
    ) -> bool:
        """Run what ``execution``'s pending chained invokes wait on; True if any completed.

        A durable target is driven until it ends or blocks on something only the test can
        provide; a blocked one is driven again on the next call (time may have moved on).

        Args:
            execution: The calling execution's driver.
            requests: Its pending chained invokes (from the driver's last read).
            skip_deadlines: Whether durable targets skip time past callback deadlines.
        """
        completed = False
        for request in requests:
            outcome = await self._run(execution, request, skip_deadlines)
            if outcome is not None:
                await execution.service.complete_chained_invoke(
                    execution.arn,
                    request.OperationId,
                    outcome.status,
                    result=outcome.result,
                    error=outcome.error,
                )
                completed = True
        return completed

    async def _run(
        self, execution: InvokeCaller, request: ChainedInvokeRequest, skip_deadlines: bool
    ) -> _Outcome | None:
        child = self._children.get(request.DurableExecutionArn or "")
        if child is None:
            target = self.registry.resolve(request.FunctionName)
            if target is None:
                error = function_not_found(request.FunctionName)
                return _Outcome(OperationStatus.FAILED, error=error)
            if isinstance(target, PlainTarget):
                return await _call_plain(target, request.Payload)
            child = await self._start_child(execution, request, target)
        await child.drive(until=_never, skip_deadlines=skip_deadlines)
        return await _child_outcome(child)

    async def _start_child(
        self, execution: InvokeCaller, request: ChainedInvokeRequest, target: DurableTarget
    ) -> InvokeCaller:
        child_arn = await execution.service.start_execution(
            _bare_name(request.FunctionName), request.Payload
        )
        await execution.service.attach_chained_invoke_execution(
            execution.arn, request.OperationId, child_arn
        )
        # The child is driven by the same kind of driver as its caller (test or orchestrator).
        child = execution.spawn(child_arn, target.function)
        self._children[child_arn] = child
        return child


def function_not_found(function_name: str) -> ErrorObject:
    """Return the error the service fails a chained invoke of an unknown function with."""
    return ErrorObject(
        ErrorType=FUNCTION_NOT_FOUND_ERROR_TYPE,
        ErrorMessage=f"Function not found: {function_name}. Register it: "
        "DurableTestRunner(functions=...) or durable-lambda run --function NAME=TARGET.",
    )


def _never() -> bool:
    return False


async def _call_plain(target: PlainTarget, payload: str | None) -> _Outcome:
    """Call a plain target once, as Lambda would: JSON in, JSON out, an error for a raise."""
    try:
        event = json.loads(payload) if payload else None
        result = await call_user_function(target.fn, event)
        text = json.dumps(result)
    except Exception as error:  # the target's failure is the invoke's outcome
        return _Outcome(OperationStatus.FAILED, error=error_object_from_exception(error))
    if len(text.encode()) > MAX_CHAINED_INVOKE_PAYLOAD_BYTES:
        message = (
            "CHAINED_INVOKE output payload size must be less than or equal to "
            f"{MAX_CHAINED_INVOKE_PAYLOAD_BYTES} bytes."
        )
        return _Outcome(OperationStatus.FAILED, error=ErrorObject(ErrorMessage=message))
    return _Outcome(OperationStatus.SUCCEEDED, result=text)


async def _child_outcome(child: InvokeCaller) -> _Outcome | None:
    """Map a durable target's end onto its caller's CHAINED_INVOKE; None while it runs."""
    record = await child.service.get_record(child.arn)
    status = record.status
    if status is ExecutionStatus.SUCCEEDED:
        return _Outcome(OperationStatus.SUCCEEDED, result=record.result)
    if status is ExecutionStatus.FAILED:
        error = record.error or ErrorObject(ErrorMessage="Chained invoke failed.")
        return _Outcome(OperationStatus.FAILED, error=error)
    if status is ExecutionStatus.TIMED_OUT:
        seconds = record.execution_timeout_seconds
        message = f"CHAINED_INVOKE timed out after {seconds} seconds."
        return _Outcome(
            OperationStatus.TIMED_OUT,
            error=ErrorObject(ErrorType=TIMEOUT_ERROR_TYPE, ErrorMessage=message),
        )
    if status is ExecutionStatus.STOPPED:
        return _Outcome(OperationStatus.STOPPED, error=record.error)
    return None


def _target(name: str, handler: Any) -> DurableTarget | PlainTarget:
    if isinstance(handler, DurableFunction):
        return DurableTarget(handler)
    if not callable(handler):
        raise ValidationError(
            f"functions[{name!r}] must be a handler, got {type(handler).__name__}",
            field="functions",
        )
    parameters = _required_positional(handler)
    if inspect.iscoroutinefunction(handler) and parameters >= 2:
        return DurableTarget(DurableFunction(handler))
    if parameters > 1:
        raise ValidationError(
            f"functions[{name!r}] must be a durable handler (async def handler(event, ctx)) "
            "or a function of the payload alone",
            field="functions",
        )
    return PlainTarget(handler)


def _required_positional(fn: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: call it with the payload
        return 1
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in positional and p.default is p.empty)


def _lookup_keys(function_name: str) -> tuple[str, ...]:
    """Where a registration for ``function_name`` may sit, most specific first."""
    body = function_name.split(":function:", 1)[-1]
    bare, _, qualifier = body.partition(":")
    keys = [function_name, f"{bare}:{qualifier}" if qualifier else bare, bare]
    return tuple(dict.fromkeys(keys))


def _bare_name(function_name: str) -> str:
    return function_name.split(":function:", 1)[-1].partition(":")[0]
