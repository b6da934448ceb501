"""``LocalDurableService``: the Lambda durable execution service, played on this machine.

It implements the ``DurableService`` port (what an invocation calls) and the calls the service
itself would make or accept (start an execution, build an invocation's input, fire timers,
take callback answers). The behaviour is ``durable_lambda.service``; this class only loads
a record from its store, applies one core function under the execution's lock, and saves it.
Which store (memory, files) decides where executions live.

A store that keeps its records in this process (``LendingExecutionStore``, the in-memory one)
lends the stored record instead: it is changed in place, all-or-nothing, without the two copies
of the whole record a load and a save would make. A store that saves each change in proportion
to the change (``IncrementalExecutionStore``, the file store's journal) is handed each change as
a function. Reads that return only a derived value (``needs_invocation``, ``next_due``...) look
at the record without copying it either; ``get_record`` still hands out copies.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from durable_lambda import service
from durable_lambda.core.model import (
    CheckpointResponse,
    ErrorObject,
    ExecutionState,
    InvocationInput,
    InvocationOutput,
    Operation,
    OperationStatus,
    OperationUpdate,
)
from durable_lambda.core.ports import Clock
from durable_lambda.service.callbacks import UnknownCallbackError
from durable_lambda.service.history import HistoryEvent, without_execution_data
from durable_lambda.service.ports import (
    ExecutionNotFoundError,
    ExecutionStore,
    IncrementalExecutionStore,
    LendingExecutionStore,
    LockingExecutionStore,
)
from durable_lambda.service.record import (
    ChainedInvokeRequest,
    ExecutionRecord,
    ExecutionSummary,
    Timer,
)
from durable_lambda.service.snapshot import ExecutionSnapshot
from durable_lambda.service.snapshot import snapshot as read_snapshot

__all__ = ["LocalDurableService"]

T = TypeVar("T")


def _new_id() -> str:
    return uuid.uuid4().hex


def _new_callback_key() -> str:
    # 128 bits from the OS's CSPRNG: the secret behind an execution's callback ids.
    return secrets.token_hex(16)


class LocalDurableService:
    """A local durable execution service over an ``ExecutionStore`` and a ``Clock``.

    Calls on one execution are serialised by a lock per execution, so concurrent checkpoints
    (map branches, say) apply one after the other, each against the token the last one issued.

    Args:
        store: Where executions are kept.
        clock: The time the service goes by (a ``FakeClock`` skips waits instantly).
        page_size: Operations in an invocation's initial state; the handler pages for the
            rest. None for the service default (100).
        new_id: Makes execution ids and request ids (``uuid4().hex`` by default).
        new_callback_key: Makes each execution's callback secret, which makes its callback
            ids unguessable (``secrets.token_hex(16)`` by default; see
            ``service.callbacks.callback_id_for``).

    Example:
        >>> svc = LocalDurableService(InMemoryExecutionStore(), FakeClock())  # doctest: +SKIP
        >>> arn = await svc.start_execution("orders", '{"id": 1}')  # doctest: +SKIP
        >>> event = await svc.invocation_input(arn)  # doctest: +SKIP
    """

    def __init__(
        self,
        store: ExecutionStore,
        clock: Clock,
        *,
        page_size: int | None = None,
        new_id: Callable[[], str] = _new_id,
        new_callback_key: Callable[[], str] = _new_callback_key,
    ) -> None:
        self.store = store
        self.clock = clock
        self.page_size = page_size
        self._new_id = new_id
        self._new_callback_key = new_callback_key
        self._locks: dict[str, asyncio.Lock] = {}
        self._lending = store if isinstance(store, LendingExecutionStore) else None
        self._incremental = (
            store
            if self._lending is None and isinstance(store, IncrementalExecutionStore)
            else None
        )
        self._locking = store if isinstance(store, LockingExecutionStore) else None

    def _lock(self, arn: str) -> asyncio.Lock:
        lock = self._locks.get(arn)
        if lock is None:
            lock = self._locks[arn] = asyncio.Lock()
        return lock

    async def _change(
        self, arn: str, change: Callable[[ExecutionRecord], T], *, atomic: bool = False
    ) -> T:
        """Apply ``change`` to the stored record atomically: saved only if it returns.

        A store shared by several processes (a ``LockingExecutionStore``, the file store) has
        ``record_lock(arn)``; it is held across the load, the change and the save so that no
        other process's change is lost.

        Args:
            arn: The execution.
            change: Changes the record in place and returns the outcome.
            atomic: True when ``change`` itself leaves the record untouched whenever it
                raises; a borrowed record is then changed directly, else a copy is changed
                and taken over only once ``change`` returns.
        """
        if self._lending is not None:
            # Nothing below awaits, so no other call on this loop can come in between: the
            # change is as isolated as under the lock.
            record = self._lending.lend(arn)
            return (change if atomic else _on_a_copy(change))(record)
        locking = self._locking
        guard = locking.record_lock(arn) if locking is not None else contextlib.nullcontext()
        async with self._lock(arn), guard:
            if self._incremental is not None:
                # The store applies the change to its own record and stores what it changed.
                return await self._incremental.update(arn, change if atomic else _on_a_copy(change))
            record = await self.store.load(arn)
            outcome = change(record)
            await self.store.save(record)
            return outcome

    async def _read(self, arn: str) -> ExecutionRecord:
        """Return a copy of the record, for callers that keep it."""
        async with self._lock(arn):
            return await self.store.load(arn)

    async def _view(self, arn: str, read: Callable[[ExecutionRecord], T]) -> T:
        """Return ``read(record)``, for a read that keeps nothing of the record but its answer.

        A borrowed or viewed record is not copied: ``read`` must not keep it or change it.
        """
        if self._lending is not None:
            return read(self._lending.lend(arn))
        if self._incremental is not None:
            async with self._lock(arn):
                return await self._incremental.view(arn, read)
        return read(await self._read(arn))

    # The DurableService port.

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        """Apply ``updates`` in order; return the next token and the operations that changed.

        Raises:
            InvalidCheckpointTokenError: The token is not the execution's current one.
            CheckpointError: The checkpoint was refused (not retriable).
            ExecutionNotFoundError: No such execution.
        """
        now = self.clock.now()

        def apply(record: ExecutionRecord) -> CheckpointResponse:
            if record.callback_key is None:
                # A record made before executions had a callback secret gets one now, so its
                # new callbacks are unguessable too (those it handed out keep their ids). Kept
                # even if the checkpoint is refused: no id was derived from it yet.
                record.callback_key = self._new_callback_key()
            return service.apply_checkpoint(record, checkpoint_token, updates, now, client_token)

        # atomic: apply_checkpoint undoes a refused checkpoint itself.
        return await self._change(execution_arn, apply, atomic=True)

    async def get_state(
        self,
        execution_arn: str,
        checkpoint_token: str,
        marker: str,
        max_items: int | None = None,
    ) -> ExecutionState:
        """Return the page of operations that starts at ``marker``.

        Raises:
            InvalidCheckpointTokenError: The token was not issued for this execution.
            ValidationError: The marker is not one this execution issued.
            ExecutionNotFoundError: No such execution.
        """
        return await self._view(
            execution_arn,
            lambda record: service.state_page(record, marker, max_items, checkpoint_token),
        )

    # What the service does for an orchestrator.

    async def start_execution(
        self,
        function_name: str,
        input_payload: str | None = None,
        arn: str | None = None,
        *,
        name: str | None = None,
        execution_timeout_seconds: int | None = None,
    ) -> str:
        """Start a durable execution and return its ARN.

        Args:
            function_name: The function that runs it.
            input_payload: The user's input, as JSON text.
            arn: The ARN to use; by default one is made from the function name and a new id.
            name: The execution's name; by default the new id.
            execution_timeout_seconds: End the execution TIMED_OUT after this long.

        Raises:
            ExecutionAlreadyExistsError: ``arn`` is taken.
        """
        execution_id = self._new_id()
        name = name or execution_id
        arn = arn or service.execution_arn(function_name, name, execution_id)
        record = service.start_execution(
            arn,
            function_name,
            input_payload,
            self.clock.now(),
            name=name,
            execution_timeout_seconds=execution_timeout_seconds,
            callback_key=self._new_callback_key(),
        )
        async with self._lock(arn):
            await self.store.create(record)
        return arn

    async def invocation_input(self, arn: str, page_size: int | None = None) -> InvocationInput:
        """Build the next invocation's event; this issues a new checkpoint token."""
        size = page_size if page_size is not None else self.page_size
        return await self._change(
            arn, lambda record: service.invocation_input(record, size), atomic=True
        )

    async def record_invocation(
        self,
        arn: str,
        started: datetime,
        ended: datetime,
        output: InvocationOutput | None,
        *,
        request_id: str | None = None,
        error: ErrorObject | None = None,
    ) -> None:
        """Record a completed invocation and act on its output (see ``durable_lambda.service``)."""
        request = request_id or self._new_id()
        await self._change(
            arn,
            lambda record: service.record_invocation(
                record, started, ended, output, request_id=request, error=error
            ),
            atomic=True,
        )

    async def advance(self, arn: str) -> bool:
        """Fire every timer due by the clock's now; return whether anything changed."""
        now = self.clock.now()
        return await self._change(arn, lambda record: service.advance(record, now), atomic=True)

    async def next_due(self, arn: str, *, include_deadlines: bool = True) -> datetime | None:
        """Return when the execution's next timer fires (see ``service.timers.next_due``)."""
        return await self._view(
            arn, lambda record: service.next_due(record, include_deadlines=include_deadlines)
        )

    async def pending_timers(self, arn: str) -> list[Timer]:
        """Return the execution's armed timers, earliest first."""
        return await self._view(arn, service.pending_timers)

    async def needs_invocation(self, arn: str) -> bool:
        """Whether the handler should be invoked now (something changed it has not seen)."""
        return await self._view(arn, service.needs_invocation)

    async def has_pending_work(self, arn: str) -> bool:
        """Whether the running execution still waits on a timer, a callback or an invoke."""
        return await self._view(arn, service.has_pending_work)

    async def stop_execution(self, arn: str, error: ErrorObject | None = None) -> bool:
        """Stop a running execution; False if it had already ended."""
        now = self.clock.now()
        return await self._change(arn, lambda record: service.stop_execution(record, now, error))

    # Callbacks: the callback id names its execution, and only that execution's record says
    # whether it handed the id out (see service.callbacks.callback_id_for).

    async def _change_callback(
        self, callback_id: str, change: Callable[[ExecutionRecord], Operation]
    ) -> Operation:
        arn = service.execution_arn_from_callback_id(callback_id)
        try:
            return await self._change(arn, change)
        except ExecutionNotFoundError as error:
            raise UnknownCallbackError(
                "no callback has this id", callback_id=callback_id, execution_arn=arn
            ) from error

    async def send_callback_success(
        self, callback_id: str, payload: str | bytes | None = None
    ) -> Operation:
        """Complete a callback successfully.

        Args:
            callback_id: The id the handler's callback was given.
            payload: The result (text, or UTF-8 bytes) the handler will deserialize.

        Raises:
            UnknownCallbackError: No callback has this id.
            CallbackClosedError: It completed already, timed out, or its execution ended.
        """
        text = payload.decode() if isinstance(payload, bytes) else payload
        now = self.clock.now()
        return await self._change_callback(
            callback_id,
            lambda record: service.send_callback_success(record, callback_id, text, now),
        )

    async def send_callback_failure(
        self, callback_id: str, error: ErrorObject | None = None
    ) -> Operation:
        """Fail a callback (raises as ``send_callback_success``)."""
        now = self.clock.now()
        return await self._change_callback(
            callback_id,
            lambda record: service.send_callback_failure(record, callback_id, error, now),
        )

    async def send_callback_heartbeat(self, callback_id: str) -> Operation:
        """Restart a callback's heartbeat time-out (raises as ``send_callback_success``)."""
        now = self.clock.now()
        return await self._change_callback(
            callback_id,
            lambda record: service.send_callback_heartbeat(record, callback_id, now),
        )

    # Chained invokes: an orchestrator runs the targets.

    async def pending_chained_invokes(self, arn: str) -> list[ChainedInvokeRequest]:
        """Return the chained invokes whose target has not finished, in start order."""
        return await self._view(arn, service.pending_chained_invokes)

    async def attach_chained_invoke_execution(
        self, arn: str, operation_id: str, child_execution_arn: str
    ) -> None:
        """Record the durable execution started for a chained invoke's target."""
        await self._change(
            arn,
            lambda record: service.attach_chained_invoke_execution(
                record, operation_id, child_execution_arn
            ),
        )

    async def complete_chained_invoke(
        self,
        arn: str,
        operation_id: str,
        status: OperationStatus,
        *,
        result: str | None = None,
        error: ErrorObject | None = None,
    ) -> Operation:
        """Complete a chained invoke with its target's outcome (see ``durable_lambda.service``)."""
        now = self.clock.now()
        return await self._change(
            arn,
            lambda record: service.complete_chained_invoke(
                record, operation_id, status, now, result=result, error=error
            ),
        )

    # Reading.

    async def history(self, arn: str, *, include_execution_data: bool = True) -> list[HistoryEvent]:
        """Return the execution's history events, in order.

        Args:
            arn: The execution.
            include_execution_data: False to leave payloads out, as the service does by default.
        """
        if include_execution_data:
            return await self._view(arn, lambda record: list(record.history))
        return await self._view(
            arn, lambda record: [without_execution_data(event) for event in record.history]
        )

    async def get_execution(self, arn: str) -> service.ExecutionDescription:
        """Describe the execution as ``GetDurableExecution`` does."""
        return await self._view(arn, service.describe_execution)

    async def get_record(self, arn: str) -> ExecutionRecord:
        """Return a copy of everything kept for the execution (for tests and tools)."""
        return await self._read(arn)

    async def snapshot(self, arn: str) -> ExecutionSnapshot:
        """Return, from one read of the record, all a run loop asks (see ``service.snapshot``)."""
        return await self._view(arn, read_snapshot)

    async def list_executions(self) -> list[ExecutionSummary]:
        """Return a summary of every execution, oldest first."""
        return await self.store.list_executions()


def _on_a_copy(change: Callable[[ExecutionRecord], T]) -> Callable[[ExecutionRecord], T]:
    """Return ``change`` made all-or-nothing: applied to a copy, taken over if it returns."""

    def apply(record: ExecutionRecord) -> T:
        work = record.snapshot()
        outcome = change(work)
        record.replace_with(work)
        return outcome

    return apply
