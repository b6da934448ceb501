"""Child contexts: a function with its own operation-id namespace, its result checkpointed once.

The child's operations are parented on the CONTEXT operation, so their ids do not depend on what
the parent does around them. On replay a SUCCEEDED context returns its stored result without running
the function; a FAILED one raises its stored error. When the result is too large to store, the
context is checkpointed with ``ContextOptions.ReplayChildren`` and a summary, and replay runs the
function again to rebuild the result from its children's checkpoints (no child body runs twice);
``ChildConfig(replay_children=True)`` asks for that whatever the result's size.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from durable_lambda.core.config import ChildConfig
from durable_lambda.core.config_base import default_config
from durable_lambda.core.errors import (
    CheckpointError,
    ChildContextError,
    ExecutionError,
    InvocationError,
    NestingTooDeepError,
    NonDeterministicExecutionError,
    SuspendExecution,
    error_object_from_exception,
)
from durable_lambda.core.model import (
    ContextOptions,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from durable_lambda.core.operations.updates import (
    context_update,
    located,
    stored_error,
)
from durable_lambda.core.ports import SerDes
from durable_lambda.core.serdes import payload_size, read_value, write_optional
from durable_lambda.core.state import NOT_SUCCEEDED, OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope

__all__ = ["MAX_CONTEXT_DEPTH", "run_child_context"]

C = TypeVar("C", bound="OperationScope")
"""The caller's context type: the child context handed to ``fn`` is of the same type."""


MAX_CONTEXT_DEPTH = 100
"""How many child contexts may enclose one another (``NestingTooDeepError`` past it).

Each level holds three Python frames while its function runs (four for a virtual context): at
100 levels, an async step at the deepest level still has 550 to 650 of the 1,000 frames Python
allows by default for its own code. About 300 levels exhaust them."""

# How many child contexts enclose the running code. A context variable, so that each asyncio
# task (a map item, a branch of asyncio.gather) counts from where it was started.
_DEPTH: ContextVar[int] = ContextVar("durable_lambda_context_depth", default=0)


async def run_child_context(
    ctx: C,
    fn: Callable[[C], Awaitable[Any]],
    name: str | None,
    config: ChildConfig | None,
    sub_type: str = OperationSubType.RUN_IN_CHILD_CONTEXT,
) -> Any:
    """Run ``fn`` in a child context of ``ctx`` (see the module docstring).

    Raises:
        NestingTooDeepError: the child would be nested deeper than ``MAX_CONTEXT_DEPTH``.
    """
    depth = _DEPTH.get() + 1
    if depth > MAX_CONTEXT_DEPTH:
        raise NestingTooDeepError(
            f"child contexts are nested {depth} deep; at most {MAX_CONTEXT_DEPTH} are "
            "supported (each level holds Python frames, and deeper nesting would exhaust "
            "Python's recursion limit): loop in one context instead of nesting",
            depth=depth,
            max_depth=MAX_CONTEXT_DEPTH,
            execution_arn=ctx.runtime.execution_arn,
            operation_name=name,
        )
    config = config or default_config(ChildConfig)
    runtime = ctx.runtime
    state = runtime.state
    identity = ctx.next_identity(OperationType.CONTEXT, config.sub_type or sub_type, name)
    serdes = config.serdes or runtime.serdes
    if config.is_virtual:
        if state.checked(identity) is not None:
            raise virtual_context_mismatch(ctx, identity)
        return await _run_virtual(ctx, fn, identity, serdes, depth)
    payload = state.succeeded_payload(
        identity.operation_id,
        identity.type,
        identity.sub_type,
        identity.name,
        identity.parent_id,
    )
    if payload is not NOT_SUCCEEDED:  # replay of a completed context: its stored result
        return runtime.read(serdes, payload, identity.operation_id)
    op = state.checked(identity)
    rebuilding = False
    if op is not None:
        if op.Status is OperationStatus.FAILED:
            raise stored_error(ChildContextError, identity, runtime.execution_arn, op.error)
        rebuilding = op.Status is OperationStatus.SUCCEEDED
    else:
        runtime.note_new_work()
        runtime.checkpointer.enqueue(context_update(identity, OperationAction.START))

    child = ctx.child_context(identity.operation_id)
    _DEPTH.set(depth)
    try:
        result = await fn(child)
    except (ExecutionError, InvocationError, CheckpointError, SuspendExecution):
        raise
    except Exception as error:
        await _fail(ctx, identity, error)
    finally:
        _DEPTH.set(depth - 1)
    if rebuilding:
        return result
    return await _succeed(ctx, identity, config, serdes, result)


async def _succeed(
    ctx: OperationScope,
    identity: OperationIdentity,
    config: ChildConfig,
    serdes: SerDes[Any],
    result: Any,
) -> Any:
    """Checkpoint SUCCEED with the result, or with a summary when it is too large to store.

    With ``ChildConfig(replay_children=True)`` always with a summary, the result unwritten.
    """
    runtime = ctx.runtime
    if config.replay_children:
        # Asked for: the result is never written (it need not be serializable); every replay
        # runs the function again and rebuilds it from the children's checkpoints.
        return await _succeed_with_summary(ctx, identity, config, result)
    where = identity.operation_id, runtime.execution_arn
    payload, same = write_optional(serdes, result, *where)  # None: no payload, read as None
    if payload is not None and payload_size(payload) > runtime.options.max_operation_payload_bytes:
        return await _succeed_with_summary(ctx, identity, config, result)
    runtime.checkpointer.enqueue(context_update(identity, OperationAction.SUCCEED, payload))
    await runtime.after_first_completion()
    return result if same or payload is None else read_value(serdes, payload, *where)


async def _succeed_with_summary(
    ctx: OperationScope, identity: OperationIdentity, config: ChildConfig, result: Any
) -> Any:
    """Checkpoint SUCCEED with ``ReplayChildren`` and a summary in place of the result."""
    runtime = ctx.runtime
    summary = config.summary_generator(result) if config.summary_generator else ""
    options = ContextOptions(ReplayChildren=True)
    update = context_update(identity, OperationAction.SUCCEED, summary, context_options=options)
    runtime.checkpointer.enqueue(update)
    await runtime.after_first_completion()
    return result


async def _fail(ctx: OperationScope, identity: OperationIdentity, error: Exception) -> NoReturn:
    """Checkpoint FAIL and raise ``ChildContextError`` carrying the original error."""
    runtime = ctx.runtime
    error_object = error_object_from_exception(error)
    runtime.checkpointer.enqueue(context_update(identity, OperationAction.FAIL, error=error_object))
    await runtime.after_first_completion()
    raise stored_error(ChildContextError, identity, runtime.execution_arn, error_object) from error


async def _run_virtual(
    ctx: C,
    fn: Callable[[C], Awaitable[Any]],
    identity: OperationIdentity,
    serdes: SerDes[Any],
    depth: int,
) -> Any:
    """Run a virtual child: nothing checkpointed for it, its operations under ``ctx``'s parent."""
    child = ctx.child_context(identity.operation_id, virtual=True)
    _DEPTH.set(depth)
    try:
        result = await fn(child)
    except (ExecutionError, InvocationError, CheckpointError, SuspendExecution):
        raise
    except Exception as error:
        error_object = error_object_from_exception(error)
        raise stored_error(
            ChildContextError, identity, ctx.runtime.execution_arn, error_object
        ) from error
    finally:
        _DEPTH.set(depth - 1)
    # Round-trip as a checkpointed result would be, so the first run and replays agree.
    where = identity.operation_id, ctx.runtime.execution_arn
    payload, same = write_optional(serdes, result, *where)
    return result if same or payload is None else read_value(serdes, payload, *where)


def virtual_context_mismatch(
    ctx: OperationScope, identity: OperationIdentity
) -> NonDeterministicExecutionError:
    """Return the error for a checkpoint found at a virtual context's id.

    A virtual context never checkpoints itself, so a checkpoint there was written by a
    non-virtual context in an earlier invocation: the code changed its nesting.
    """
    error = NonDeterministicExecutionError(
        "non-deterministic replay: a virtual (FLAT) context runs where a checkpointed, nested "
        "context was recorded; the nesting of this operation changed",
        recorded={"virtual": "False"},
        attempted={"virtual": "True"},
        **located(identity, ctx.runtime.execution_arn),
    )
    ctx.runtime.state.fatal_error = ctx.runtime.state.fatal_error or error
    return error
