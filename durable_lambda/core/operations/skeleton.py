"""The skeleton every operation follows: identify, check the record, execute.

Anchored on the official SDK's ``OperationExecutor`` (``check_result_status`` then ``execute``,
driven by ``process``). A durable call goes through three phases, in this order, always:

1. **identify**: take the next operation id of the context and describe what the code asks for
   there (``OperationIdentity``: id, type, subtype, name, parent);
2. **check the record** (``check_result``): look the id up in the execution's state, which
   raises ``NonDeterministicExecutionError`` when another operation was recorded there; a record
   that settles the call is replayed (its result returned, its error raised), a record that waits
   on the outside world or on time suspends the invocation; anything else proceeds;
3. **execute**: the call runs for the first time, or resumes: the runtime is told new work
   begins (``note_new_work``), START and the outcome are queued on the checkpointer, and a
   first-time completion lets the runtime settle (``after_first_completion``).

``OperationExecutor`` is the skeleton as a class: an operation implements the two phases it owns
(``check_result`` and ``execute``) and ``run`` drives them; it cannot be instantiated without both.
Executors are stateless singletons, one per operation type, so running one allocates nothing but
what the operation itself needs. ``begin`` is phase 1 and the lookup of phase 2, for the
operations whose execute phase owns child contexts of its own (child contexts, map and parallel,
the combinators) and run the phases written out.

The hot path is the exception the skeleton allows for: a replayed step takes its id and reads its
stored result straight from the state (``STEP.replay``), before any ``OperationIdentity`` exists,
so replaying a step costs no coroutine and no object beyond its result; a step that has not
succeeded goes on with ``STEP.resume``, phases 2 and 3 at the id it took.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import TYPE_CHECKING, ClassVar, Final, Generic, TypeVar, final

from durable_lambda.core.model import Operation, OperationType
from durable_lambda.core.state import OperationIdentity

if TYPE_CHECKING:
    from durable_lambda.core.operations.scope import OperationScope

__all__ = ["PROCEED", "OperationExecutor", "Proceed", "begin"]

RequestT = TypeVar("RequestT")
ResultT = TypeVar("ResultT")


class Proceed(Enum):
    """``check_result``'s answer when the record does not settle the call: execute it."""

    TOKEN = "proceed"


PROCEED: Final = Proceed.TOKEN
"""The record does not settle the call: go on to ``execute``."""


def begin(
    scope: OperationScope, type: OperationType, sub_type: str | None, name: str | None
) -> tuple[OperationIdentity, Operation | None]:
    """Phase 1 and the lookup of phase 2: take the next id of ``scope`` and check its record.

    Returns:
        The identity, and the operation recorded at it (None when nothing was).

    Raises:
        ValidationError: ``name`` is not a name the service accepts.
        NonDeterministicExecutionError: another operation was recorded at this id.
    """
    identity = scope.next_identity(type, sub_type, name)
    return identity, scope.runtime.state.checked(identity)


class OperationExecutor(ABC, Generic[RequestT, ResultT]):
    """One operation type's state machine on the skeleton (see the module docstring).

    Subclasses set ``operation_type`` and implement ``check_result`` and ``execute``; a module
    holds one instance, and the context's method calls its ``run``. ``RequestT`` is what the
    call was given (its arguments and configuration), passed through both phases unchanged.
    """

    __slots__ = ()

    operation_type: ClassVar[OperationType]

    @abstractmethod
    def check_result(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: RequestT,
    ) -> ResultT | Proceed:
        """Phase 2: replay a record that settles the call, suspend on one that waits, or proceed.

        Returns:
            The replayed result, or ``PROCEED`` when the call is to execute.

        Raises:
            DurableOperationError: the recorded error of a call that failed (its own subclass).
            SuspendExecution: the record waits on time or the outside world.
        """

    @abstractmethod
    async def execute(
        self,
        scope: OperationScope,
        identity: OperationIdentity,
        record: Operation | None,
        request: RequestT,
    ) -> ResultT:
        """Phase 3: run the call for the first time, or resume it, queuing its updates.

        ``run`` has told the runtime that new work begins before this is called.
        """

    @final
    async def run(
        self,
        scope: OperationScope,
        sub_type: str | None,
        name: str | None,
        request: RequestT,
    ) -> ResultT:
        """Run the call as the next operation of ``scope``: identify, check the record, execute."""
        identity = scope.next_identity(self.operation_type, sub_type, name)
        record = scope.runtime.state.checked(identity)
        settled = self.check_result(scope, identity, record, request)
        if settled is not PROCEED:
            return settled
        scope.runtime.note_new_work()
        return await self.execute(scope, identity, record, request)

    @final
    async def resume(
        self, scope: OperationScope, identity: OperationIdentity, request: RequestT
    ) -> ResultT:
        """Phases 2 and 3 at an id already taken (the step's fast lane took it)."""
        record = scope.runtime.state.checked(identity)
        settled = self.check_result(scope, identity, record, request)
        if settled is not PROCEED:
            return settled
        scope.runtime.note_new_work()
        return await self.execute(scope, identity, record, request)
