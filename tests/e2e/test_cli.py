"""The ``durable-lambda`` command as a user runs it: real subprocesses in a scratch folder.

Each test writes small handler files, runs the command (``python -m durable_lambda.app.cli``) with
the folder as working directory, so executions land in ``.durable/`` there, and checks exit codes,
stdout (results, JSON) and stderr (progress, hints, one-line errors).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

CLI = [sys.executable, "-m", "durable_lambda.app.cli"]

FLOW = """
    from durable_lambda import DurableContext, Duration, durable_execution

    @durable_execution
    async def handler(event, ctx: DurableContext):
        doubled = await ctx.step(lambda s: event["x"] * 2, name="double")
        await ctx.wait(Duration.from_seconds(1), name="pause")

        async def group(child: DurableContext) -> int:
            return await child.step(lambda s: doubled + 1, name="inc")

        incremented = await ctx.run_in_child_context(group, name="group")
        return {"doubled": doubled, "incremented": incremented}
"""

APPROVAL = """
    from durable_lambda import (
        DurableContext, PlainJsonSerDes, WaitForCallbackConfig, durable_execution,
    )

    @durable_execution
    async def handler(event, ctx: DurableContext):
        order = await ctx.step(lambda s: {"id": event["id"]}, name="create-order")
        decision = await ctx.wait_for_callback(
            lambda callback_id, c: None,
            name="approval",
            config=WaitForCallbackConfig(serdes=PlainJsonSerDes()),  # the answer is JSON
        )
        return {"order": order, "decision": decision}
"""

FAILING = """
    from durable_lambda import DurableContext, durable_execution

    @durable_execution
    async def handler(event, ctx: DurableContext):
        await ctx.step(lambda s: 1, name="fine")
        raise ValueError("order 7 is not valid")
"""


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def cli(folder: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    return subprocess.run(
        [*CLI, *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0, result.stdout
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def answer_command(stderr: str) -> list[str]:
    """The `durable-lambda callback succeed ...` line the run printed, as arguments."""
    line = next(line for line in stderr.splitlines() if "callback succeed" in line)
    words = shlex.split(line.strip())
    assert words[:3] == ["durable-lambda", "callback", "succeed"]
    return words[1:]


def only_execution(folder: Path) -> dict[str, Any]:
    executions = json.loads(ok(cli(folder, "list", "--json")).stdout)
    assert len(executions) == 1
    summary: dict[str, Any] = executions[0]
    return summary


def test_run_to_the_end_prints_the_result(tmp_path: Path) -> None:
    write(tmp_path, "flow.py", FLOW)

    result = ok(cli(tmp_path, "run", "flow.py:handler", "--input", '{"x": 21}'))

    assert json.loads(result.stdout) == {"doubled": 42, "incremented": 43}
    assert "SUCCEEDED" in result.stderr
    assert (tmp_path / ".durable" / "executions").is_dir()


def test_input_can_come_from_a_file_and_the_store_can_be_chosen(tmp_path: Path) -> None:
    write(tmp_path, "flow.py", FLOW)
    (tmp_path / "event.json").write_text('{"x": 5}')

    result = ok(
        cli(tmp_path, "run", "flow.py:handler", "--input", "@event.json", "--store", "elsewhere")
    )

    assert json.loads(result.stdout) == {"doubled": 10, "incremented": 11}
    assert (tmp_path / "elsewhere" / "executions").is_dir()
    assert not (tmp_path / ".durable").exists()


def test_suspend_on_a_callback_answer_it_then_resume(tmp_path: Path) -> None:
    write(tmp_path, "approval.py", APPROVAL)

    first = ok(
        cli(tmp_path, "run", "approval.py:handler", "--input", '{"id": 7}', "--until", "suspended")
    )
    assert first.stdout == ""
    assert "suspended" in first.stderr
    assert only_execution(tmp_path)["Status"] == "RUNNING"

    answer = answer_command(first.stderr)
    answer[answer.index("--payload") + 1] = '{"approved": true}'
    ok(cli(tmp_path, *answer))

    resumed = ok(cli(tmp_path, "resume"))
    assert json.loads(resumed.stdout) == {"order": {"id": 7}, "decision": {"approved": True}}
    assert only_execution(tmp_path)["Status"] == "SUCCEEDED"


def test_a_running_execution_picks_up_an_answer_sent_from_another_process(tmp_path: Path) -> None:
    write(tmp_path, "approval.py", APPROVAL)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    running = subprocess.Popen(
        [*CLI, "run", "approval.py:handler", "--input", '{"id": 1}'],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert running.stderr is not None
        seen = ""
        deadline = time.monotonic() + 30
        while "callback succeed" not in seen and time.monotonic() < deadline:
            seen += running.stderr.readline()
        answer = answer_command(seen)
        answer[answer.index("--payload") + 1] = '"yes"'
        ok(cli(tmp_path, *answer))
        stdout, _ = running.communicate(timeout=30)
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
    assert running.returncode == 0
    assert json.loads(stdout) == {"order": {"id": 1}, "decision": "yes"}


def test_answer_flag_answers_the_named_callback_automatically(tmp_path: Path) -> None:
    write(tmp_path, "approval.py", APPROVAL)

    result = ok(
        cli(
            tmp_path,
            "run",
            "approval.py:handler",
            "--input",
            '{"id": 3}',
            "--answer",
            'approval={"approved": false}',
        )
    )

    assert json.loads(result.stdout)["decision"] == {"approved": False}
    assert "callback succeed" not in result.stderr  # nothing for the user to type


def test_function_flag_registers_what_ctx_invoke_calls(tmp_path: Path) -> None:
    write(
        tmp_path,
        "caller.py",
        """
        from durable_lambda import DurableContext, durable_execution

        @durable_execution
        async def handler(event, ctx: DurableContext):
            return await ctx.invoke("pricing", {"sku": event["sku"]}, name="price")
        """,
    )
    write(
        tmp_path, "pricing.py", "def quote(payload):\n    return {'amount': len(payload['sku'])}\n"
    )

    found = ok(
        cli(tmp_path, "run", "caller.py:handler", "--input", '{"sku": "A12"}',
            "--function", "pricing=pricing.py:quote")
    )  # fmt: skip
    assert json.loads(found.stdout) == {"amount": 3}

    missing = cli(tmp_path, "run", "caller.py:handler", "--input", '{"sku": "A12"}')
    assert missing.returncode == 1
    # The InvokeError escaped the handler (as the official SDK records it), with the target's
    # message; the invoke operation itself recorded ResourceNotFoundException.
    assert "FAILED: InvokeError: Function not found: pricing" in missing.stderr


def test_a_failed_execution_exits_1_with_the_error_on_one_line(tmp_path: Path) -> None:
    write(tmp_path, "failing.py", FAILING)

    result = cli(tmp_path, "run", "failing.py:handler")

    assert result.returncode == 1
    assert result.stdout == ""
    error_lines = [line for line in result.stderr.splitlines() if "FAILED" in line]
    assert len(error_lines) == 1
    assert "ValueError: order 7 is not valid" in error_lines[0]
    assert only_execution(tmp_path)["Status"] == "FAILED"


def test_list_status_and_history(tmp_path: Path) -> None:
    write(tmp_path, "flow.py", FLOW)
    ok(cli(tmp_path, "run", "flow.py:handler", "--input", '{"x": 1}', "--name", "first-run"))

    listing = ok(cli(tmp_path, "list")).stdout
    assert "first-run" in listing
    assert "SUCCEEDED" in listing

    status = ok(cli(tmp_path, "status", "first")).stdout  # a unique prefix of the name
    assert "SUCCEEDED" in status
    assert '{"doubled": 2, "incremented": 3}' in status
    assert "invocations  2" in status

    tree = ok(cli(tmp_path, "history", "first-run")).stdout.splitlines()
    assert tree[0].startswith("first-run  SUCCEEDED")
    assert tree[1].startswith("├── double  STEP/Step  SUCCEEDED  attempts 1")
    assert tree[2].startswith("├── pause  WAIT/Wait  SUCCEEDED  1.0")
    assert tree[3].startswith("└── group  CONTEXT/RunInChildContext  SUCCEEDED")
    assert tree[4].startswith("    └── inc  STEP/Step  SUCCEEDED  attempts 1")


def test_history_json_is_for_machines(tmp_path: Path) -> None:
    write(tmp_path, "flow.py", FLOW)
    ok(cli(tmp_path, "run", "flow.py:handler", "--input", '{"x": 1}'))
    arn = only_execution(tmp_path)["DurableExecutionArn"]

    data = json.loads(ok(cli(tmp_path, "history", arn, "--json")).stdout)

    assert data["execution"]["Status"] == "SUCCEEDED"
    names = [op.get("Name") for op in data["operations"] if op["Type"] != "EXECUTION"]
    assert names == ["double", "pause", "group", "inc"]
    kinds = [event["EventType"] for event in data["events"]]
    assert kinds[0] == "ExecutionStarted"
    assert kinds[-1] == "ExecutionSucceeded"
    assert kinds.count("InvocationCompleted") == 2
    assert "WaitSucceeded" in kinds


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "missing.py:handler"], "no such file"),
        (["run", "flow.py:nothing"], "has no attribute 'nothing'"),
        (["run", "flow.py"], "must look like path/to/file.py:handler"),
        (["run", "no_such_module_xyz:handler"], "cannot import"),
        (["run", "flow.py:handler", "--input", "{not json"], "--input is not valid JSON"),
        (["run", "flow.py:handler", "--input", "@absent.json"], "cannot read absent.json"),
        (["run", "flow.py:handler", "--answer", "no-equals"], "NAME=VALUE"),
        (["status", "nonexistent"], "no execution matches 'nonexistent'"),
        (["history", "nonexistent"], "no execution matches 'nonexistent'"),
        (["callback", "succeed", "not-a-callback-id"], "no callback has this id"),
        (["callback", "succeed", "x", "--payload", "{oops"], "--payload is not valid JSON"),
        (["resume"], "no execution is in progress"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_every_error_is_one_line_and_a_non_zero_exit(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    write(tmp_path, "flow.py", FLOW)

    line = one_error_line(cli(tmp_path, *args))

    assert line.startswith("durable-lambda: error: ")
    assert expected in line


UNDECORATED = """
    from durable_lambda import DurableContext

    async def handler(event, ctx: DurableContext):
        return await ctx.step(lambda s: event, name="echo")
"""

SYNC = """
    def handler(event, ctx):
        return {"ok": True}
"""

SYNC_DECORATED = """
    from durable_lambda import durable_execution

    @durable_execution
    def handler(event, ctx):
        return {"ok": True}
"""


def test_run_refuses_an_undecorated_async_handler_saying_how_to_decorate_it(
    tmp_path: Path,
) -> None:
    write(tmp_path, "bare.py", UNDECORATED)

    result = cli(tmp_path, "run", "bare.py:handler", "--input", "{}")

    line = one_error_line(result)
    assert result.returncode == 1
    assert "undecorated async def" in line
    assert "fail on Lambda" in line
    assert "@durable_execution above async def handler(event, ctx)" in line
    assert not (tmp_path / ".durable").exists()  # refused before anything was stored


@pytest.mark.parametrize("source", [SYNC, SYNC_DECORATED], ids=["bare", "decorated"])
def test_run_refuses_a_sync_handler_saying_to_make_it_async(tmp_path: Path, source: str) -> None:
    write(tmp_path, "sync.py", source)

    result = cli(tmp_path, "run", "sync.py:handler", "--input", "{}")

    line = one_error_line(result)
    assert result.returncode == 1
    assert "plain def handler(...)" in line
    assert "async def handler(event, ctx)" in line
    assert "await" not in line  # not the failure of the first invocation
    assert not (tmp_path / ".durable").exists()


def test_a_checkpoint_mode_that_names_no_mode_is_refused_when_the_target_loads(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        "modes.py",
        FLOW.replace("@durable_execution", '@durable_execution(checkpoint_mode="eagre")'),
    )

    line = one_error_line(cli(tmp_path, "run", "modes.py:handler"))

    assert "checkpoint_mode 'eagre' is not one of EAGER, BATCHED, OPTIMISTIC" in line


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = cli(tmp_path, "--debug", "status", "nonexistent")

    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("durable-lambda: error: ")


def test_replay_passes_for_the_same_code_and_flags_a_changed_one(tmp_path: Path) -> None:
    write(tmp_path, "flow.py", FLOW)
    write(tmp_path, "flow_renamed.py", FLOW.replace('name="pause"', 'name="cool-off"'))
    ok(cli(tmp_path, "run", "flow.py:handler", "--input", '{"x": 1}', "--name", "recorded"))

    same = ok(cli(tmp_path, "replay", "flow.py:handler", "recorded"))
    assert "replay OK" in same.stdout

    changed = cli(tmp_path, "replay", "flow_renamed.py:handler", "recorded")
    line = one_error_line(changed)
    assert changed.returncode == 1
    assert "recorded 'pause'" in line
    assert "attempted 'cool-off'" in line


def test_resume_all_continues_every_suspended_execution(tmp_path: Path) -> None:
    write(tmp_path, "flow.py", FLOW)
    for x in ("1", "2"):
        ok(
            cli(
                tmp_path,
                "run",
                "flow.py:handler",
                "--input",
                f'{{"x": {x}}}',
                "--until",
                "suspended",
            )
        )
    statuses = [e["Status"] for e in json.loads(ok(cli(tmp_path, "list", "--json")).stdout)]
    assert statuses == ["RUNNING", "RUNNING"]

    ambiguous = one_error_line(cli(tmp_path, "resume"))
    assert "2 executions are in progress" in ambiguous

    results = ok(cli(tmp_path, "resume", "--all")).stdout
    assert results.count('"doubled"') == 2
    statuses = [e["Status"] for e in json.loads(ok(cli(tmp_path, "list", "--json")).stdout)]
    assert statuses == ["SUCCEEDED", "SUCCEEDED"]


def test_without_the_cli_extra_it_says_what_to_install(tmp_path: Path) -> None:
    hide_rich = (
        "import sys; sys.modules['rich'] = None\n"
        "from durable_lambda.app.cli import main\n"
        "raise SystemExit(main(['list']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide_rich],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "durable-lambda: the command line needs click and rich: pip install 'durable-lambda[cli]'"
    )


def test_the_console_script_is_installed_beside_python(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("durable-lambda")
    if not script.exists():
        pytest.skip(f"no console script at {script} (package not installed with pip -e)")

    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0
    assert result.stdout.startswith("durable-lambda ")
