"""``durable-lambda lint`` as a user runs it: the command, the pre-commit hook, flake8, the docs.

Every test runs the real command in a subprocess (``python -m durable_lambda.app.cli``, or the
installed ``durable-lambda`` and ``flake8`` scripts) in a scratch folder, and checks exit codes
and what is printed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "durable_lambda.app.cli"]
BIN = Path(sys.executable).parent
_TIMEOUT = 120

BAD = """
    import os
    import time
    from durable_lambda import DurableContext, durable_execution

    @durable_execution
    async def handler(event, ctx: DurableContext):
        started = time.time()
        stage = os.environ["STAGE"]  # durable: ignore[environment]
        return await ctx.step(lambda step: (started, stage, time.time()), name="work")
"""
GOOD = """
    from durable_lambda import DurableContext, durable_execution

    @durable_execution
    async def handler(event, ctx: DurableContext):
        return await ctx.step(lambda step: ctx_free(), name="work")

    def ctx_free():
        import time
        return time.time()
"""


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return path


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=_TIMEOUT, check=False
    )


def test_findings_exit_1_with_place_code_and_fix(tmp_path: Path) -> None:
    write(tmp_path, "handler.py", BAD)
    write(tmp_path, "good.py", GOOD)

    done = run([*CLI, "lint", "."], tmp_path)

    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "handler.py:7:15: DUR001 time.time() reads the clock: another time on every replay "
        "[handler]",
        "    fix: use ctx.now() (recorded on the first run, the same on every replay), or read "
        "the clock inside a step",
        "1 finding in 1 file (2 files checked)",
    ]


def test_a_clean_file_exits_0(tmp_path: Path) -> None:
    write(tmp_path, "good.py", GOOD)
    done = run([*CLI, "lint", "good.py"], tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, "no determinism problems (1 file checked)")


def test_json_output(tmp_path: Path) -> None:
    write(tmp_path, "handler.py", BAD)
    done = run([*CLI, "lint", "--format", "json", "handler.py"], tmp_path)
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert [(f["line"], f["code"], f["function"]) for f in document["findings"]] == [
        (7, "DUR001", "handler")
    ]
    assert document["exit_code"] == 1


def test_select_and_ignore_take_codes_and_names(tmp_path: Path) -> None:
    write(tmp_path, "handler.py", BAD)
    assert run([*CLI, "lint", "--ignore", "wall-clock", "handler.py"], tmp_path).returncode == 0
    assert run([*CLI, "lint", "--select", "DUR002", "handler.py"], tmp_path).returncode == 0
    assert run([*CLI, "lint", "--select", "dur001", "handler.py"], tmp_path).returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lint"], "Missing argument 'PATHS...'"),
        (["lint", "nowhere.py"], "Path 'nowhere.py' does not exist"),
        (["lint", "--select", "DUR999", "."], "no determinism rule 'DUR999'"),
        (["lint", "--format", "xml", "."], "'xml' is not one of 'text', 'json'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    done = run([*CLI, *args], tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("durable-lambda: error: ")
    assert message in done.stderr


def test_a_file_that_is_not_python_exits_2(tmp_path: Path) -> None:
    write(tmp_path, "broken.py", "def (:\n")
    done = run([*CLI, "lint", "broken.py"], tmp_path)
    assert done.returncode == 2
    assert "broken.py:1:5: error: not valid Python: invalid syntax" in done.stdout


def test_the_pre_commit_hook_runs_as_pre_commit_runs_it(tmp_path: Path) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "durable-lambda-lint"
    assert (hook["language"], hook["types"]) == ("python", ["python"])
    write(tmp_path, "handler.py", BAD)
    write(tmp_path, "good.py", GOOD)
    # pre-commit runs the entry with the hook's args and the staged files' names appended, in
    # an environment where the package (and the additional dependencies) is installed.
    command = [*shlex.split(hook["entry"]), *hook.get("args", [])]

    failing = run([*command, "good.py", "handler.py"], tmp_path)
    passing = run([*command, "good.py"], tmp_path)

    assert failing.returncode == 1, failing.stderr
    assert "handler.py:7:15: DUR001" in failing.stdout
    assert passing.returncode == 0, passing.stderr
    installed = {requirement.split(">=")[0] for requirement in hook["additional_dependencies"]}
    assert installed == {"click", "rich"}  # what the cli extra adds; the command needs them


def test_flake8_reports_the_findings_through_the_plugin(tmp_path: Path) -> None:
    pytest.importorskip("flake8", reason="flake8 is in the dev extra")
    plugins = {entry.name: entry.value for entry in entry_points(group="flake8.extension")}
    assert plugins.get("DUR") == "durable_lambda.app.lint.flake8_plugin:DeterminismChecker", (
        "the DUR entry point is not installed: reinstall the package (pip install -e .)"
    )
    write(tmp_path, "handler.py", BAD)
    source = (tmp_path / "handler.py").read_text()
    write(tmp_path, "noqa.py", source.replace("time.time()\n", "time.time()  # noqa: DUR001\n", 1))

    done = run(
        [sys.executable, "-m", "flake8", "--select", "DUR", "handler.py", "noqa.py"], tmp_path
    )

    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "handler.py:7:15: DUR001 time.time() reads the clock: another time on every replay "
        "(fix: use ctx.now() (recorded on the first run, the same on every replay), or read "
        "the clock inside a step)"
    ]


# -- the session of docs/lint.md --------------------------------------------------------

_FENCE = re.compile(r"^```(?P<language>\w*)$")
_EXIT = re.compile(r"#\s*exit (?P<code>\d+)\s*$")


def blocks(page: Path) -> list[tuple[str, list[str]]]:
    """Return (language, lines) for each fenced block of ``page``."""
    found: list[tuple[str, list[str]]] = []
    current: tuple[str, list[str]] | None = None
    for line in page.read_text(encoding="utf-8").splitlines():
        fence = _FENCE.match(line.strip())
        if fence and current is None:
            current = (fence["language"], [])
        elif line.strip() == "```" and current is not None:
            found.append(current)
            current = None
        elif current is not None:
            current[1].append(line)
    return found


def test_the_lint_page_session_prints_what_the_page_shows(tmp_path: Path) -> None:
    page = blocks(ROOT / "docs" / "lint.md")
    index = next(
        i for i, (language, lines) in enumerate(page) if language == "bash" and "lint" in lines[0]
    )
    commands, (language, shown) = page[index][1], page[index + 1]
    assert language == "text"
    for example in (ROOT / "docs" / "examples").glob("*.py"):
        shutil.copy(example, tmp_path / example.name)

    printed: list[str] = []
    for line in commands:
        expected = _EXIT.search(line)
        args = shlex.split(line, comments=True)
        assert args[0] == "durable-lambda"
        done = run([*CLI, *args[1:]], tmp_path)
        assert done.returncode == (int(expected["code"]) if expected else 0), done.stderr
        printed += done.stdout.splitlines()

    assert printed == shown
