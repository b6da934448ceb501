"""The pre-deploy check of docs/determinism.md: today's code replayed over recorded executions."""

# ruff: noqa: D103, E402
# --8<-- [start:pytest]
from pathlib import Path

from determinism import deploy_right

from durable_lambda.testing import Replayer

RECORDED = Path(__file__).parent / "recorded"  # histories saved with `history NAME --json`


async def test_recorded_executions_still_replay() -> None:
    for history in sorted(RECORDED.glob("*.json")):  # one saved execution per file
        report = await Replayer(deploy_right).replay(history)
        assert report.ok, report.render()


# --8<-- [end:pytest]

from functools import partial
from typing import Any

from determinism import deploy

from durable_lambda import DurableContext
from durable_lambda.testing import DivergenceKind


async def deploy_renamed(event: dict[str, Any], ctx: DurableContext) -> list[str]:
    done: list[str] = []
    for region in sorted(set(event["regions"])):
        done.append(await ctx.step(partial(deploy, region), name=f"rollout-{region}"))
    return done


async def test_a_renamed_step_is_reported_where_it_differs() -> None:
    report = await Replayer(deploy_renamed).replay(RECORDED / "sorted-regions.json")

    assert not report.ok
    divergence = report.divergence
    assert divergence is not None
    assert divergence.kind is DivergenceKind.MISMATCH
    assert divergence.recorded is not None
    assert divergence.attempted is not None
    assert (divergence.recorded.name, divergence.attempted.name) == (
        "deploy-ap-south-1",
        "rollout-ap-south-1",
    )
    assert divergence.recorded.position == 1
    assert divergence.source is not None
    assert "rollout-" in divergence.source.code
    assert report.matched == 0
    assert len(report.unvisited) == 3  # the other three regions
