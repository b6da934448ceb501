"""The chained invoke operation: run another Lambda function and wait for its result.

State machine of one invoke, keyed by the checkpoint found at its id:

* none: serialize the payload and send START (a CHAINED_INVOKE with ``ChainedInvokeOptions``),
  waiting for the service's answer, since the invocation must not suspend before the service
  has recorded what to invoke. The answer is looked at at once: a target the service cannot
  resolve comes back FAILED in the answer itself, and raises without suspending.
* STARTED (or any other status that is not final): the target is still running; suspend. The
  service invokes the function again when the target finishes. START is never sent twice.
* SUCCEEDED: return the target's result, read with ``InvokeConfig.serdes_result``.
* FAILED / TIMED_OUT / STOPPED: raise ``InvokeError`` carrying the target's error.

The payload is the target's event and the result is what the target returned, both plain JSON
on the wire, so their default serializer is ``DEFAULT_SERDES`` (plain JSON wherever JSON can
carry the value), not the execution's configured one, as the official SDK does.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from durable_lambda.core.config import InvokeConfig
from durable_lambda.core.errors import (
    ExecutionError,
    InvokeError,
    ValidationError,
)
from durable_lambda.core.model import (
    ChainedInvokeOptions,
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.operations.skeleton import PROCEED, OperationExecutor
from durable_lambda.core.serdes import DEFAULT_SERDES, write_optional
from durable_lambda.core.state import OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope

__all__ = ["INVOKE", "MAX_FUNCTION_NAME_LENGTH", "InvokeExecutor", "InvokeRequest", "run_invoke"]

MAX_FUNCTION_NAME_LENGTH = 256
"""The longest function name (or ARN) ``ChainedInvokeOptions.FunctionName`` accepts."""

_DEFAULT_CONFIG: InvokeConfig[Any, Any] = InvokeConfig()

# How each unsuccessful end reads in an InvokeError's message. A FAILED target's own message is
# kept as it is (the official SDK surfaces it unchanged); the other two say what happened first,
# because the error they carry comes from the service, not from the target.
_ENDINGS = {
    OperationStatus.FAILED: "failed",
    OperationStatus.TIMED_OUT: "timed out",
    OperationStatus.STOPPED: "was stopped",
}


InvokeRequest: TypeAlias = tuple[str, Any, InvokeConfig[Any, Any]]
"""What a chained invoke is given: the target function, the payload and the configuration."""


class InvokeExecutor(OperationExecutor[InvokeRequest, Any]):
    """The chained invoke on the operation skeleton."""

    __slots__ = ()

    operation_type = OperationType.CHAINED_INVOKE

    def check_result(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: InvokeRequest,
    ) -> Any:
        """Replay a finished invoke (result or error), suspend on a running one."""
        if record is None:
            return PROCEED
        function_name, _, config = request
        return _outcome(scope, identity, record, function_name, config)

    async def execute(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: InvokeRequest,
    ) -> Any:
        """Send START (the service starts the target) and act on what it answered."""
        function_name, payload, config = request
        runtime = scope.runtime
        await runtime.checkpointer.send(_start(scope, identity, function_name, payload, config))
        started = runtime.state.get(identity.operation_id)
        if started is None:
            raise ExecutionError(
                "the service acknowledged the chained invoke's START but returned no operation",
                execution_arn=runtime.execution_arn,
                operation_id=identity.operation_id,
                operation_name=identity.name,
            )
        return _outcome(scope, identity, started, function_name, config)


INVOKE: Final = InvokeExecutor()


def run_invoke(
    ctx: OperationScope,
    function_name: str,
    payload: Any,
    name: str | None,
    config: InvokeConfig[Any, Any] | None,
) -> Coroutine[Any, Any, Any]:
    """Return the invoke of ``function_name`` as the next operation of ``ctx``, to await.

    See the module docstring.

    Raises:
        ValidationError: ``function_name`` is empty or longer than 256 characters.
        InvokeError: (awaited) the target failed, timed out or was stopped.
        SuspendExecution: (awaited) the target has not finished yet.
    """
    if not function_name or len(function_name) > MAX_FUNCTION_NAME_LENGTH:
        raise ValidationError(
            f"function_name must be 1 to {MAX_FUNCTION_NAME_LENGTH} characters, "
            f"got {function_name!r}",
            field="function_name",
            operation_name=name,
        )
    request = (function_name, payload, config or _DEFAULT_CONFIG)
    return INVOKE.run(ctx, OperationSubType.CHAINED_INVOKE, name, request)


def _start(
    ctx: OperationScope,
    identity: OperationIdentity,
    function_name: str,
    payload: Any,
    config: InvokeConfig[Any, Any],
) -> OperationUpdate:
    runtime = ctx.runtime
    serdes = config.serdes_payload or DEFAULT_SERDES
    # None under PassThroughSerDes: a START without a payload, as the official SDK sends it.
    text = write_optional(serdes, payload, identity.operation_id, runtime.execution_arn)[0]
    return OperationUpdate(
        Id=identity.operation_id,
        ParentId=identity.parent_id,
        Name=identity.name,
        Type=OperationType.CHAINED_INVOKE,
        SubType=identity.sub_type,
        Action=OperationAction.START,
        Payload=text,
        ChainedInvokeOptions=ChainedInvokeOptions(
            FunctionName=function_name, TenantId=config.tenant_id
        ),
    )


def _outcome(
    ctx: OperationScope,
    identity: OperationIdentity,
    op: Operation,
    function_name: str,
    config: InvokeConfig[Any, Any],
) -> Any:
    """Return the result of a finished invoke, raise its error, or suspend until it finishes."""
    status = op.Status
    if status is OperationStatus.SUCCEEDED:
        serdes = config.serdes_result or DEFAULT_SERDES
        return ctx.runtime.read(serdes, op.result_payload, identity.operation_id)
    if status in _ENDINGS:
        raise _invoke_error(ctx, identity, op, function_name)
    raise ctx.runtime.suspension(identity)


def _invoke_error(
    ctx: OperationScope, identity: OperationIdentity, op: Operation, function_name: str
) -> InvokeError:
    """Rebuild the error a chained invoke ended with; the same on the first run and on replay."""
    error = op.error
    target_message = error.ErrorMessage if error is not None else None
    ending = f"the chained invoke of {function_name!r} {_ENDINGS[op.Status]}"
    if op.Status is OperationStatus.FAILED:
        message = target_message or ending
    else:
        message = f"{ending}: {target_message}" if target_message else ending
    return InvokeError(
        message,
        error_type=error.ErrorType if error is not None else None,
        error_data=error.ErrorData if error is not None else None,
        stack_trace=error.StackTrace if error is not None else None,
        execution_arn=ctx.runtime.execution_arn,
        operation_id=identity.operation_id,
        operation_name=identity.name,
    )
