"""The local service passes the ``DurableService`` port contract, over the in-memory store.

The same suite runs against the service on AWS, through the boto3 adapter and the official
emulator, in ``tests/integration/emulator/test_durable_service_port_contract.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.contract import START, DurableServicePortContract, LentInvocation
from durable_lambda.core.model import CheckpointResponse, ExecutionState, OperationUpdate


class TestLocalServicePort(DurableServicePortContract):
    async def lend_invocation(self) -> LentInvocation:
        service = LocalDurableService(InMemoryExecutionStore(), FakeClock(START))
        arn = await service.start_execution("port-contract", "{}")
        invocation = await service.invocation_input(arn)
        return LentInvocation(service, arn, invocation.CheckpointToken)


# The suite must catch a service that breaks the contract: three faulty services, each wrong
# in one way, fail the test that holds that part of the contract.


class _SameToken:
    """Answers every checkpoint with the token it was given, and accepts it again."""

    def __init__(self, inner: LocalDurableService) -> None:
        self.inner = inner
        self.tokens: dict[str, str] = {}

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        current = self.tokens.get(checkpoint_token, checkpoint_token)
        answer = await self.inner.checkpoint(execution_arn, current, updates, client_token)
        self.tokens[checkpoint_token] = answer.CheckpointToken or ""
        return answer.model_copy(update={"CheckpointToken": checkpoint_token})

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        token = self.tokens.get(checkpoint_token, checkpoint_token)
        return await self.inner.get_state(execution_arn, token, marker, max_items)


class _Orphaning(_SameToken):
    """Rotates tokens properly, but loses every operation's parent in its state pages."""

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        return await self.inner.checkpoint(execution_arn, checkpoint_token, updates, client_token)

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        page = await self.inner.get_state(execution_arn, checkpoint_token, marker, max_items)
        orphans = [op.model_copy(update={"ParentId": None}) for op in page.Operations]
        return page.model_copy(update={"Operations": orphans})


class _Stuttering(_Orphaning):
    """Starts every page after the first with the last operation of the page before."""

    async def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int | None = None
    ) -> ExecutionState:
        page = await self.inner.get_state(execution_arn, checkpoint_token, marker, max_items)
        if not marker:
            return page
        everything = await self.inner.get_state(execution_arn, checkpoint_token, "", 10_000)
        ids = [op.Id for op in everything.Operations]
        first = ids.index(page.Operations[0].Id)
        repeated = [everything.Operations[first - 1], *page.Operations]
        return page.model_copy(update={"Operations": repeated})


@pytest.mark.parametrize(
    ("faulty", "caught_by"),
    [
        (_SameToken, "test_each_checkpoint_issues_a_new_token_and_refuses_the_old"),
        (_Orphaning, "test_operations_keep_their_parent"),
        (_Stuttering, "test_state_pages_hold_every_operation_once_in_order"),
    ],
)
async def test_the_suite_fails_a_service_that_breaks_the_contract(
    faulty: type[_SameToken], caught_by: str
) -> None:
    class Faulty(DurableServicePortContract):
        async def lend_invocation(self) -> LentInvocation:
            lent = await TestLocalServicePort().lend_invocation()
            assert isinstance(lent.service, LocalDurableService)
            return LentInvocation(faulty(lent.service), lent.execution_arn, lent.checkpoint_token)

    suite = Faulty()
    with pytest.raises(AssertionError):
        await getattr(suite, caught_by)()
    # ...and only that part: the faulty service passes the rest of the contract.
    await suite.test_a_step_started_and_succeeded_in_one_call_is_recorded()
