"""The tests of the first durable function (docs/getting-started.md)."""

# ruff: noqa: D103

# --8<-- [start:tests]
from order import handler

from durable_lambda import OperationType
from durable_lambda.testing import DurableTestRunner


async def test_an_approved_order_is_charged() -> None:
    runner = DurableTestRunner(handler, always_replay=True)
    run = await runner.start({"orderId": "o-1"})
    await run.callback("approval").succeed({"approved": True})
    result = await run.result()  # the wait is skipped: no test sleeps

    assert result.status == "SUCCEEDED"
    assert result.result == {"order": "o-1", "status": "charged", "charged": 42}
    assert run.step("create-order").attempts == 1
    assert [op.name for op in run.operations(type=OperationType.STEP)] == [
        "create-order",
        "approval submitter",
        "charge",
    ]


async def test_a_rejected_order_is_not_charged() -> None:
    run = await DurableTestRunner(handler).start({"orderId": "o-2"})
    await run.callback("approval").succeed({"approved": False})
    result = await run.result()

    assert result.result == {"order": "o-2", "status": "rejected"}
    assert "charge" not in [op.name for op in run.operations()]


# --8<-- [end:tests]
