"""The official SDK's migration example, run by durable-lambda with one changed import line.

The section ``compat`` is ``migration_official.py``'s handler with its imports of
``aws_durable_execution_sdk_python`` pointing at ``durable_lambda.compat.aws``; a test checks
that nothing else differs.
"""

# ruff: noqa: D103, E402
# --8<-- [start:compat]
from decimal import Decimal
from typing import Any

from durable_lambda.compat.aws import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
)
from durable_lambda.compat.aws.config import Duration, StepConfig
from durable_lambda.compat.aws.retries import RetryPresets


@durable_step
def create_order(step_context: StepContext, order_id: str) -> dict[str, Any]:
    return {"id": order_id, "total": Decimal("42.50")}


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    order = context.step(create_order(event["orderId"]))
    stock = context.step(lambda _: {"sku": "pen", "reserved": 2}, name="reserve")
    context.wait(Duration.from_days(1), name="cool-off")
    return context.step(
        lambda _: {"order": order["id"], "charged": str(order["total"]), **stock},
        name="charge",
        config=StepConfig(retry_strategy=RetryPresets.transient()),
    )


# --8<-- [end:compat]

import re
from pathlib import Path

from durable_lambda.testing import DurableTestRunner

HERE = Path(__file__).resolve().parent


def _section(path: Path, name: str) -> list[str]:
    text = path.read_text()
    start = text.index(f"# --8<-- [start:{name}]")
    end = text.index(f"# --8<-- [end:{name}]")
    return text[start:end].splitlines()[1:]


def test_only_the_import_lines_differ_from_the_official_handler() -> None:
    official = _section(HERE / "migration_official.py", "official")
    ours = _section(HERE / "migration_compat.py", "compat")
    switched = [
        re.sub(
            r"^(from|import) aws_durable_execution_sdk_python",
            r"\1 durable_lambda.compat.aws",
            line,
        )
        for line in official
    ]
    assert ours == switched


async def test_it_runs_on_durable_lambda_as_it_runs_on_the_official_sdk() -> None:
    run = await DurableTestRunner(handler, always_replay=True).start({"orderId": "o-1"})
    result = await run.result()

    assert result.status == "SUCCEEDED"
    assert result.result == {"order": "o-1", "charged": "42.50", "sku": "pen", "reserved": 2}
    # The name @durable_step recorded, and the official SDK's payload bytes (a Decimal inside).
    create = run.step("create_order")
    assert create.operation.result_payload == (
        '{"t":"m","v":{"id":{"t":"s","v":"o-1"},"total":{"t":"d","v":"42.50"}}}'
    )
