"""``durable-lambda replay`` as a user runs it before a deploy, on the pipeline example.

The pipeline runs to completion once (21 operations: a step, a wait_for_callback, a parallel of
three streams, a map of four items, a step), then today's code is replayed over it in fresh
processes: unchanged (exit 0, the true count), and with each edit that must not pass (exit 1, a
diff naming the path, recorded against attempted, and the source line). Exit 2 when the check
cannot run. Also: ``--json``, ``--shallow``, ``--from-file`` (what ``history --json`` writes),
and a running execution.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "durable_lambda.app.cli"]
HANDLER = "examples/pipeline/handler.py"
RECORDED_OPERATIONS = 21


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    return subprocess.run(
        [*CLI, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the example and one completed pipeline execution, named ``p1``."""
    folder = tmp_path_factory.mktemp("replay")
    shutil.copytree(ROOT / "examples", folder / "examples")
    done = cli(
        folder,
        "run",
        f"{HANDLER}:handler",
        "--input",
        "@examples/pipeline/input.json",
        "--answer",
        'approval={"approved": true, "reviewer": "ci"}',
        "--name",
        "p1",
    )
    assert done.returncode == 0, done.stderr
    return folder


def edited(folder: Path, name: str, old: str, new: str) -> str:
    """Write a copy of the pipeline handler with ``old`` replaced; return its target."""
    source = (folder / HANDLER).read_text()
    assert old in source, old
    (folder / "examples" / "pipeline" / f"{name}.py").write_text(source.replace(old, new, 1))
    return f"examples/pipeline/{name}.py:handler"


EDITS = {
    "raise-first": (
        '    workflow_id = str(event["workflowId"])',
        '    raise RuntimeError("not yet")\n    workflow_id = str(event["workflowId"])',
    ),
    "drop-last-step": (
        '    return await ctx.step(build_report, name="aggregate", config=STEP)',
        "    return {}",
    ),
    "rename-item-step": ("name=f\"process-{item['id']}\"", "name=f\"handle-{item['id']}\""),
    "rename-branch-step": ("name=name, config=STEP)", 'name=f"run-{name}", config=STEP)'),
    "change-item-namer": (
        "item_namer=lambda item, index: f\"item-{item['id']}\"",
        'item_namer=lambda item, index: f"work-{index}"',
    ),
}


def test_the_unchanged_handler_replays_with_the_true_count(recorded: Path) -> None:
    result = cli(recorded, "replay", f"{HANDLER}:handler", "p1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"replay OK: p1: replayed {RECORDED_OPERATIONS} operations: all match"
    )
    assert "today's code returned" in result.stdout


def test_json_gives_the_same_report_as_data(recorded: Path) -> None:
    result = cli(recorded, "replay", f"{HANDLER}:handler", "p1", "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["executionName"] == "p1"
    assert report["executionStatus"] == "SUCCEEDED"
    assert report["recorded"] == report["expected"] == report["matched"] == RECORDED_OPERATIONS
    assert report["unvisited"] == []
    assert report["divergence"] is None


@pytest.mark.parametrize("edit", list(EDITS))
def test_each_incompatible_edit_exits_1_with_a_diff(recorded: Path, edit: str) -> None:
    target = edited(recorded, edit.replace("-", "_"), *EDITS[edit])

    result = cli(recorded, "replay", target, "p1")

    assert result.returncode == 1, result.stdout + result.stderr
    [line] = stderr_lines(result)
    assert line.startswith("durable-lambda: replay of p1 differs: ")
    assert result.stdout.startswith("replay of p1 differs: ")
    assert "first divergence" in result.stdout
    assert "all match" not in result.stdout


def _divergence(folder: Path, target: str) -> dict[str, Any]:
    result = cli(folder, "replay", target, "p1", "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    divergence: dict[str, Any] = report["divergence"]
    return {**divergence, "report": report}


def test_a_renamed_step_inside_each_map_item_is_named_with_its_path(recorded: Path) -> None:
    target = edited(recorded, "rename_item_step", *EDITS["rename-item-step"])

    divergence = _divergence(recorded, target)

    assert divergence["kind"] == "mismatch"
    assert divergence["path"] == ["process-items", "item-wf-demo-0000", "process-wf-demo-0000"]
    assert divergence["position"] == 1
    assert divergence["recorded"]["name"] == "process-wf-demo-0000"
    assert divergence["attempted"]["name"] == "handle-wf-demo-0000"
    assert (divergence["recorded"]["type"], divergence["recorded"]["subType"]) == ("STEP", "Step")
    assert divergence["source"]["file"].endswith("rename_item_step.py")
    assert "item_ctx.step(" in divergence["source"]["code"]


def test_a_renamed_branch_step_and_a_changed_namer_are_caught_inside_completed_contexts(
    recorded: Path,
) -> None:
    branch = _divergence(
        recorded, edited(recorded, "rename_branch_step", *EDITS["rename-branch-step"])
    )
    namer = _divergence(
        recorded, edited(recorded, "change_item_namer", *EDITS["change-item-namer"])
    )

    assert branch["path"] == ["work-streams", "stream-validate", "validate"]
    assert branch["attempted"]["name"] == "run-validate"
    assert "run-{name}" in branch["source"]["code"]
    assert namer["path"] == ["process-items", "item-wf-demo-0000"]
    assert namer["recorded"]["subType"] == "MapIteration"
    assert namer["attempted"]["name"] == "work-0"


def test_raising_where_the_record_shows_no_error_is_a_divergence(recorded: Path) -> None:
    divergence = _divergence(recorded, edited(recorded, "raise_first", *EDITS["raise-first"]))

    assert divergence["kind"] == "error"
    assert divergence["error"] == {"type": "RuntimeError", "message": "not yet"}
    assert 'raise RuntimeError("not yet")' in divergence["source"]["code"]
    assert divergence["report"]["matched"] == 0
    assert len(divergence["report"]["unvisited"]) == RECORDED_OPERATIONS


def test_ending_before_the_last_recorded_step_lists_it_as_never_reached(recorded: Path) -> None:
    divergence = _divergence(recorded, edited(recorded, "drop_last_step", *EDITS["drop-last-step"]))

    assert divergence["kind"] == "unvisited"
    assert divergence["path"] == ["aggregate"]
    assert [op["name"] for op in divergence["report"]["unvisited"]] == ["aggregate"]
    assert divergence["report"]["matched"] == RECORDED_OPERATIONS - 1


def test_shallow_reads_completed_contexts_and_skips_their_children(recorded: Path) -> None:
    target = edited(recorded, "rename_item_step", *EDITS["rename-item-step"])

    result = cli(recorded, "replay", target, "p1", "--shallow", "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # process-input, approval, work-streams, process-items, aggregate: the children are not
    # replayed, so the renamed step inside the items goes unseen.
    assert report["matched"] == report["expected"] == 5
    assert report["shallow"] is True


def test_a_saved_history_file_replays_like_the_store(recorded: Path) -> None:
    saved = cli(recorded, "history", "p1", "--json")
    assert saved.returncode == 0, saved.stderr
    (recorded / "p1.json").write_text(saved.stdout)
    target = edited(recorded, "rename_item_step", *EDITS["rename-item-step"])

    same = cli(recorded, "replay", f"{HANDLER}:handler", "--from-file", "p1.json")
    changed = cli(recorded, "replay", target, "--from-file", "p1.json")

    assert same.returncode == 0, same.stderr
    assert f"replayed {RECORDED_OPERATIONS} operations: all match" in same.stdout
    assert changed.returncode == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["examples/pipeline/missing.py:handler", "p1"], "no such file"),
        ([f"{HANDLER}:no_such_handler", "p1"], "replay could not run"),
        ([f"{HANDLER}:handler", "no-such-execution"], "no execution matches"),
        ([f"{HANDLER}:handler", "--from-file", "absent.json"], "cannot read absent.json"),
        ([f"{HANDLER}:handler", "p1", "--from-file", "p1.json"], "give one execution"),
        ([f"{HANDLER}:handler"], "give one execution"),
        ([f"{HANDLER}:handler", "p1", "--region", "us-east-1"], "go with --from-aws"),
    ],
)
def test_a_check_that_cannot_run_exits_2_with_one_line(
    recorded: Path, args: list[str], expected: str
) -> None:
    result = cli(recorded, "replay", *args)

    assert result.returncode == 2, result.stdout + result.stderr
    [line] = stderr_lines(result)
    assert line.startswith("durable-lambda: error: ")
    assert expected in line


def test_a_file_that_is_not_a_record_cannot_run(recorded: Path) -> None:
    (recorded / "other.json").write_text('{"hello": "world"}')

    result = cli(recorded, "replay", f"{HANDLER}:handler", "--from-file", "other.json")

    assert result.returncode == 2
    assert "not an execution record" in result.stderr


WAITING = """
    from durable_lambda import DurableContext, durable_execution

    @durable_execution
    async def handler(event, ctx: DurableContext):
        order = await ctx.step(lambda s: {"id": event["id"]}, name="create-order")
        decision = await ctx.wait_for_callback(lambda callback_id, c: None, name="approval")
        return await ctx.step(lambda s: {"order": order, "decision": decision}, name="finish")
"""


def test_a_running_execution_replays_up_to_where_it_waits(tmp_path: Path) -> None:
    (tmp_path / "flow.py").write_text(textwrap.dedent(WAITING))
    compatible = WAITING.replace('name="finish"', 'name="finish-v2"')  # not reached yet
    (tmp_path / "flow_v2.py").write_text(textwrap.dedent(compatible))
    broken = WAITING.replace('name="create-order"', 'name="new-order"')
    (tmp_path / "flow_broken.py").write_text(textwrap.dedent(broken))
    started = cli(
        tmp_path, "run", "flow.py:handler", "--input", '{"id": 7}', "--name", "w1",
        "--until", "suspended",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr

    same = cli(tmp_path, "replay", "flow.py:handler", "w1", "--json")
    v2 = cli(tmp_path, "replay", "flow_v2.py:handler", "w1")
    bad = cli(tmp_path, "replay", "flow_broken.py:handler", "w1")

    assert same.returncode == 0, same.stderr
    report = json.loads(same.stdout)
    assert report["executionStatus"] == "RUNNING"
    assert report["ended"] == "suspended"
    assert report["matched"] == report["recorded"]
    assert v2.returncode == 0, v2.stdout + v2.stderr
    assert bad.returncode == 1
    assert "recorded 'create-order', code attempted 'new-order'" in bad.stderr


def test_the_api_response_forms_of_a_saved_execution_replay_too(recorded: Path) -> None:
    saved = json.loads(cli(recorded, "history", "p1", "--json").stdout)
    # A GetDurableExecutionHistory response (events only), and a GetDurableExecutionState
    # response (operations only: a state page names no status, so it reads as RUNNING).
    (recorded / "events.json").write_text(json.dumps({"Events": saved["events"]}))
    (recorded / "state.json").write_text(json.dumps({"Operations": saved["operations"]}))
    target = edited(recorded, "rename_item_step", *EDITS["rename-item-step"])

    for name in ("events.json", "state.json"):
        same = cli(recorded, "replay", f"{HANDLER}:handler", "--from-file", name, "--json")
        changed = cli(recorded, "replay", target, "--from-file", name)

        assert same.returncode == 0, same.stdout + same.stderr
        report = json.loads(same.stdout)
        assert report["matched"] == report["recorded"] == RECORDED_OPERATIONS
        assert changed.returncode == 1, changed.stdout
        assert "process-items > item-wf-demo-0000 > process-wf-demo-0000" in changed.stdout


# -- what the replays of a run write: each log line once ----------------------------------


def _readme_example() -> str:
    """The README's first example, its three-day wait made one second for a real-time run."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## A first durable function")
    code = readme[readme.index("```python\n", start) + len("```python\n") :]
    code = code[: code.index("```")]
    assert 'ctx.logger.info("charging"' in code
    assert "Duration.from_days(3)" in code
    return code.replace("Duration.from_days(3)", "Duration.from_seconds(1)")


def test_the_readme_example_logs_charging_once_in_the_cli(tmp_path: Path) -> None:
    (tmp_path / "first.py").write_text(_readme_example())

    done = cli(tmp_path, "run", "first.py:handler", "--input", '{"orderId": "o-1"}')

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"charged": 42}
    charging = [line for line in done.stderr.splitlines() if "charging" in line]
    assert len(charging) == 1, done.stderr
    assert "order_id=o-1" in charging[0]


def test_the_pipeline_warns_once_when_the_approval_times_out(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env_run = subprocess.run(
        [*CLI, "run", f"{HANDLER}:handler", "--input", "@examples/pipeline/input.json"],
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")},
            "APPROVAL_TIMEOUT_SECONDS": "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert env_run.returncode == 0, env_run.stderr
    warnings = [
        line
        for line in env_run.stderr.splitlines()
        if "approval timed out; continuing with defaults" in line
    ]
    assert len(warnings) == 1, env_run.stderr
