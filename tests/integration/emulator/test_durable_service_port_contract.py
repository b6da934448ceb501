"""The boto3 adapter over the official emulator passes the ``DurableService`` port contract.

The contract calls the port as an invocation does, so it needs an invocation in progress: the
emulator invokes ``port_contract_holder.hold`` (through our Lambda endpoint), which hands the
invocation's ARN and checkpoint token to the test through a file and waits until the test has
done with them. The suite then calls ``LambdaDurableService`` (boto3) against the emulator, as
``tests/unit/adapters/test_durable_service_port_contract.py`` calls the local service.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from durable_lambda.adapters.aws.lambda_service import LambdaDurableService
from durable_lambda.contract import DurableServicePortContract, LentInvocation
from emulator.service import EmulatorSession

pytestmark = pytest.mark.emulator

_HOLDER = "PortContractHolder"
_HANDOFF_POLLS = 600  # of 0.05 s: the emulator invokes the holder within a second or two


@pytest.fixture(scope="module")
def holder_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorSession]:
    """An emulator of its own whose one durable function lends its invocations to the test."""
    session = EmulatorSession(
        {_HOLDER: "emulator.port_contract_holder:hold"}, {}, tmp_path_factory.mktemp("port")
    )
    try:
        session.start()
        yield session
    finally:
        session.close()


class TestLambdaServicePortOnTheEmulator(DurableServicePortContract):
    session: EmulatorSession
    folder: Path

    @pytest.fixture(autouse=True)
    def _emulator(self, holder_emulator: EmulatorSession, tmp_path: Path) -> None:
        self.session = holder_emulator
        self.folder = tmp_path

    async def lend_invocation(self) -> LentInvocation:
        handoff = self.folder / f"{uuid.uuid4().hex}.json"
        await asyncio.to_thread(self.session.start_execution, _HOLDER, {"handoff": str(handoff)})
        for _ in range(_HANDOFF_POLLS):
            if handoff.exists():
                lent = json.loads(handoff.read_text(encoding="utf-8"))
                service = LambdaDurableService(client=self.session.client)
                return LentInvocation(service, lent["arn"], lent["token"])
            await asyncio.sleep(0.05)
        raise AssertionError(f"the emulator did not invoke {_HOLDER}: see {self.folder}")

    async def end_invocation(self, lent: LentInvocation) -> None:
        for handoff in self.folder.glob("*.json"):
            handoff.with_suffix(".release").write_text("", encoding="utf-8")
