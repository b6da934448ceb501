"""The suspension ledger, exception groups, and what user code's BaseExceptions are taken for.

The ledger (``core/suspensions.py``) is what lets an invocation refuse to succeed once a
suspension was swallowed; ``settle_group`` and ``user_code_error`` are how an
``asyncio.TaskGroup`` and a ``BaseException`` raised by user code reach the SDK. The end-to-end
behaviour is in ``tests/reliability/test_asyncio_idioms.py``.
"""

from __future__ import annotations

import asyncio

import pytest

from durable_lambda.core.errors import (
    BaseExceptionRaisedError,
    CheckpointError,
    InvocationError,
    ReplayHorizonReached,
    SuspendExecution,
)
from durable_lambda.core.model import OperationType
from durable_lambda.core.runtime import call_user_function, user_code_error
from durable_lambda.core.state import OperationIdentity
from durable_lambda.core.suspensions import SuspensionLedger, describe, settle_group

WAIT = OperationIdentity("a" * 64, OperationType.WAIT, "Wait", "cool-off", None)


def group(*errors: BaseException) -> BaseExceptionGroup[BaseException]:
    return BaseExceptionGroup("from a task group", list(errors))


# -- settle_group ------------------------------------------------------------------------------


def test_a_group_of_nothing_but_suspensions_is_one_suspension_that_carries_them() -> None:
    inner = group(SuspendExecution(), group(SuspendExecution()))
    settled = settle_group(inner)
    assert isinstance(settled, SuspendExecution)
    assert settled.__cause__ is inner


def test_a_group_with_a_real_error_is_its_first_real_error() -> None:
    first, second = ValueError("first"), KeyError("second")
    assert settle_group(group(SuspendExecution(), first, second)) is first


@pytest.mark.parametrize(
    ("serious", "kind"),
    [
        (KeyboardInterrupt(), KeyboardInterrupt),
        (InvocationError("retry me"), InvocationError),
        (CheckpointError("refused", retriable=False), CheckpointError),
        (ReplayHorizonReached(), ReplayHorizonReached),
    ],
)
def test_an_error_that_ends_the_invocation_outranks_the_code_s_own(
    serious: BaseException, kind: type[BaseException]
) -> None:
    assert isinstance(settle_group(group(ValueError("mine"), group(serious))), kind)


# -- the ledger --------------------------------------------------------------------------------


async def test_a_recorded_suspension_is_unhandled_until_absorbed() -> None:
    ledger = SuspensionLedger()
    error = ledger.record(SuspendExecution(), WAIT)
    assert ledger
    assert [held.error for held in ledger.unhandled()] == [error]
    assert ledger.unhandled()[0].task is asyncio.current_task()
    ledger.absorb(error)
    assert not ledger


async def test_absorbing_a_task_absorbs_everything_it_suspended_with() -> None:
    ledger = SuspensionLedger()

    async def suspends_twice() -> None:
        ledger.record(SuspendExecution(), WAIT)
        raise ledger.record(SuspendExecution(), WAIT)

    task = asyncio.ensure_future(suspends_twice())
    await asyncio.wait([task])
    ledger.record(SuspendExecution(), WAIT)  # in this task: not the branch's
    ledger.absorb(task.exception(), task)
    assert [held.task for held in ledger.unhandled()] == [asyncio.current_task()]


def test_a_suspension_made_from_a_group_absorbs_the_group_s_suspensions() -> None:
    ledger = SuspensionLedger()
    leaves = [ledger.record(SuspendExecution(), WAIT) for _ in range(2)]
    ledger.absorb(settle_group(group(*leaves)))
    assert not ledger


async def test_caught_in_finds_a_suspension_the_current_task_raised_and_went_on() -> None:
    ledger = SuspensionLedger()
    held = ledger.record(SuspendExecution(), WAIT)
    found = ledger.caught_in(asyncio.current_task())
    assert found is not None
    assert found.error is held
    again = ledger.repeat(found)
    assert [entry.error for entry in ledger.unhandled()] == [held, again]
    assert ledger.unhandled()[1].operation is WAIT
    ledger.absorb(again)  # handling the new one does not handle the wait it follows
    assert [entry.error for entry in ledger.unhandled()] == [held]


async def test_unread_finds_a_task_whose_suspension_nobody_read_and_reads_it() -> None:
    ledger = SuspensionLedger()

    async def suspends() -> None:
        raise ledger.record(SuspendExecution(), WAIT)

    forgotten = asyncio.ensure_future(suspends())
    awaited = asyncio.ensure_future(suspends())
    await asyncio.wait([forgotten, awaited])
    with pytest.raises(SuspendExecution):
        awaited.result()  # read: the code saw it (and, say, swallowed it)
    unread = ledger.unread(asyncio.current_task())
    assert [held.task for held in unread] == [forgotten]
    assert ledger.unread(asyncio.current_task()) == []  # reading it marked it read


def test_describe_names_the_operation() -> None:
    assert describe(WAIT) == "WAIT 'cool-off' (id aaaaaaaaaaaa)"
    assert describe(None) == "a durable operation"


# -- user_code_error and call_user_function ----------------------------------------------------


@pytest.mark.parametrize(
    "raised",
    [
        ValueError("x"),
        SuspendExecution(),
        KeyboardInterrupt(),
        ReplayHorizonReached(),
        GeneratorExit(),
    ],
    ids=lambda error: type(error).__name__,
)
async def test_what_the_sdk_handles_passes_unchanged(raised: BaseException) -> None:
    assert user_code_error(raised) is raised


class Halt(BaseException):
    """A BaseException of the user's own."""


@pytest.mark.parametrize(
    "raised",
    [SystemExit(3), asyncio.CancelledError(), Halt()],
    ids=lambda error: type(error).__name__,
)
async def test_a_base_exception_the_code_raised_itself_becomes_a_failure(
    raised: BaseException,
) -> None:
    # The current task is not being cancelled: a CancelledError here is the code's own.
    settled = user_code_error(raised)
    assert isinstance(settled, BaseExceptionRaisedError)
    assert settled.original is raised
    assert settled.__cause__ is raised
    assert type(raised).__name__ in settled.message


async def test_the_task_s_own_cancellation_passes_through_call_user_function() -> None:
    started = asyncio.Event()

    async def body() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.ensure_future(call_user_function(body))
    await started.wait()
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled()  # not turned into a failure of the body


async def test_a_body_raising_cancelled_error_itself_fails_with_base_exception_raised() -> None:
    async def body() -> None:
        raise asyncio.CancelledError("mine")

    with pytest.raises(BaseExceptionRaisedError) as caught:
        await call_user_function(body)
    assert isinstance(caught.value.original, asyncio.CancelledError)


async def test_a_plain_function_calling_sys_exit_fails_with_base_exception_raised() -> None:
    def body() -> None:
        raise SystemExit(2)

    with pytest.raises(BaseExceptionRaisedError, match="SystemExit"):
        await call_user_function(body)


async def test_a_task_group_of_suspensions_in_a_body_is_one_suspension() -> None:
    async def suspends() -> None:
        raise SuspendExecution

    async def body() -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(suspends())
            tasks.create_task(suspends())

    with pytest.raises(SuspendExecution) as caught:
        await call_user_function(body)
    assert isinstance(caught.value.__cause__, BaseExceptionGroup)
