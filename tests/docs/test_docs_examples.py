"""Every code example of the documentation runs, and does what its page says.

Python: the pages hold none of their own. Each ```python block includes sections of a file
under ``docs/examples/`` with pymdownx.snippets (``--8<-- "file.py:section"``). Those files are
ordinary modules whose ``test_...`` functions run their handlers through ``DurableTestRunner``
and assert what the page claims (some are shown on the pages as the way to test the example);
this module runs every one of them. The other tests keep that promise: no page has Python that
is not such an include, every include names a file and section that exist, and every example
file is shown on a page and tested.

Shell: a ```bash block whose every line is a ``durable-lambda`` command (optionally after a
``PYTHONHASHSEED=N`` assignment) is a session. Its commands run in order, in a scratch folder
holding the example files, and each must exit 0, or with the code a trailing ``# exit N``
comment states. Other shell blocks (pip, sam, aws) need the network or an AWS account and are
not run.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
# Pages other people write; their code blocks are theirs to test.
NOT_OURS = {"conformance.md", "storage-adapters.md", "performance.md", "reliability.md"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)[ \t]*(?P<info>[^\n`]*)$")
_INCLUDE = re.compile(r'^--8<-- "(?P<file>[^":]+)(?::(?P<section>[a-z][-_0-9a-z]*))?"$')
_SECTION = re.compile(r"--8<-- \[(?P<kind>start|end):(?P<name>[a-z][-_0-9a-z]*)\]")
_COMMAND = re.compile(r"^(?:PYTHONHASHSEED=(?P<seed>\d+) )?durable-lambda (?P<args>.+?)\s*$")
_EXIT = re.compile(r"#\s*exit (?P<code>\d+)\s*$")
_COMMAND_TIMEOUT_SECONDS = 120
FMT_OFF = "<!-- fmt: off -->"


# -- reading the pages --------------------------------------------------------------------


def our_pages() -> list[Path]:
    """Return the documentation pages written with these examples."""
    return sorted(
        page for page in DOCS.rglob("*.md") if page.relative_to(DOCS).as_posix() not in NOT_OURS
    )


def code_blocks(page: Path) -> Iterator[tuple[str, list[str], int]]:
    """Yield (language, lines, line number of the opening fence) for each block of ``page``."""
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        index += 1
        if opening is None:
            continue
        indent, fence, start = opening["indent"], opening["fence"], index
        language = opening["info"].split()[0] if opening["info"].strip() else ""
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index].removeprefix(indent))
            index += 1
        index += 1
        yield language, body, start


def python_lines() -> Iterator[tuple[str, str]]:
    """Yield (where, line) for every non-blank line of every Python block of our pages."""
    for page in our_pages():
        for language, body, start in code_blocks(page):
            if language not in ("python", "py", "pycon"):
                continue
            for offset, line in enumerate(body, start=1):
                if line.strip():
                    yield f"{page.relative_to(ROOT)}:{start + offset}", line.strip()


def includes() -> Iterator[tuple[str, re.Match[str]]]:
    """Yield (where, match) for every snippet include in a Python block."""
    for where, line in python_lines():
        match = _INCLUDE.match(line)
        if match is not None:
            yield where, match


def sections(path: Path) -> set[str]:
    """Return the names of the sections that open and close in ``path``."""
    marks = [m.groups() for m in _SECTION.finditer(path.read_text(encoding="utf-8"))]
    starts = {name for kind, name in marks if kind == "start"}
    ends = {name for kind, name in marks if kind == "end"}
    assert starts == ends, f"{path.name}: unbalanced sections {sorted(starts ^ ends)}"
    return starts


# -- the example modules ------------------------------------------------------------------


def example_tests() -> list[Any]:
    """Return one pytest param per top-level ``test_...`` function of an example file."""
    params = []
    for path in sorted(EXAMPLES.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test_"
            ):
                params.append(pytest.param(path.stem, node.name, id=f"{path.stem}::{node.name}"))
    return params


def imported_examples(path: Path) -> set[str]:
    """Return the example modules ``path`` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name for name in names if (EXAMPLES / f"{name}.py").is_file()}


@pytest.fixture(scope="module")
def examples_on_path() -> Iterator[None]:
    """Let the examples import each other by name, as they do on the pages."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.mark.parametrize(("module_name", "test_name"), example_tests())
async def test_the_example_does_what_the_page_says(
    module_name: str, test_name: str, examples_on_path: None
) -> None:
    module = importlib.import_module(module_name)
    assert Path(module.__file__ or "").parent == EXAMPLES, f"{module_name} is shadowed"
    outcome = getattr(module, test_name)()
    if inspect.isawaitable(outcome):
        await outcome


def test_every_python_block_only_includes_example_sections() -> None:
    stray = [f"{where}: {line}" for where, line in python_lines() if not _INCLUDE.match(line)]
    assert not stray, "Python on a page that no test runs:\n" + "\n".join(stray)


def test_pages_with_includes_keep_ruff_format_away_from_them() -> None:
    # ruff formats the ```python blocks of Markdown files, and would turn an include line
    # into the expression `--8 < --"file.py"`; a page-wide `<!-- fmt: off -->` prevents it.
    pages = {where.split(":")[0] for where, _ in includes()}
    unguarded = [
        page for page in sorted(pages) if not (ROOT / page).read_text().startswith(FMT_OFF)
    ]
    assert not unguarded, f"pages that must start with {FMT_OFF}: {unguarded}"


def test_every_include_names_an_existing_example_file_and_section() -> None:
    missing = []
    for where, match in includes():
        path = EXAMPLES / match["file"]
        if not path.is_file():
            missing.append(f"{where}: no docs/examples/{match['file']}")
        elif match["section"] and match["section"] not in sections(path):
            missing.append(f"{where}: {match['file']} has no section {match['section']!r}")
    assert not missing, "\n".join(missing)


def test_every_example_is_shown_on_a_page_and_tested() -> None:
    shown = {match["file"] for _, match in includes()}
    with_tests = {param.values[0] for param in example_tests()}
    imported_by_tests = set().union(
        *(imported_examples(EXAMPLES / f"{name}.py") for name in with_tests)
    )
    for path in sorted(EXAMPLES.glob("*.py")):
        assert path.name in shown, f"docs/examples/{path.name} is shown on no page"
        assert path.stem in with_tests | imported_by_tests, (
            f"docs/examples/{path.name} has no test_ function and no tested example imports it"
        )


# -- the durable-lambda sessions ----------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    """One command of a session and what it did."""

    code: int
    stdout: str
    stderr: str


def sessions(page: Path) -> list[list[str]]:
    """Return the command lines of every session on ``page``."""
    found = []
    for language, body, _ in code_blocks(page):
        lines = [line.strip() for line in body if line.strip()]
        if language in ("bash", "sh") and lines and all(_COMMAND.match(x) for x in lines):
            found.append(lines)
    return found


def run_sessions(page: Path, folder: Path) -> dict[str, Ran]:
    """Run every session of ``page`` in ``folder``; return what each line did, by its text."""
    for example in EXAMPLES.glob("*.py"):
        shutil.copy(example, folder / example.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    ran: dict[str, Ran] = {}
    for line in (line for session in sessions(page) for line in session):
        match = _COMMAND.match(line)
        assert match is not None
        seed = match["seed"] or env.get("PYTHONHASHSEED", "0")
        completed = subprocess.run(
            [sys.executable, "-m", "durable_lambda.app.cli", *shlex.split(match["args"], True)],
            cwd=folder,
            env=dict(env, PYTHONHASHSEED=seed),
            capture_output=True,
            text=True,
            timeout=_COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        expected = _EXIT.search(line)
        want = int(expected["code"]) if expected else 0
        assert completed.returncode == want, (
            f"{page.name}: `{line}` exited {completed.returncode}, not {want}\n"
            f"stdout: {completed.stdout}\nstderr: {completed.stderr}"
        )
        ran[line] = Ran(completed.returncode, completed.stdout, completed.stderr)
    return ran


def find(ran: dict[str, Ran], fragment: str) -> Ran:
    """Return what the one command whose line contains ``fragment`` did."""
    matches = [result for line, result in ran.items() if fragment in line]
    assert len(matches) == 1, f"{len(matches)} commands contain {fragment!r}"
    return matches[0]


def test_the_pages_have_the_sessions_these_tests_expect() -> None:
    assert len(sessions(DOCS / "getting-started.md")) == 2
    assert len(sessions(DOCS / "determinism.md")) == 1


@pytest.mark.slow
def test_the_getting_started_session(tmp_path: Path) -> None:
    ran = run_sessions(DOCS / "getting-started.md", tmp_path)

    first = find(ran, """--input '{"orderId": "o-1"}'""")
    assert json.loads(first.stdout) == {"order": "o-1", "status": "charged", "charged": 42}
    assert "o-1 SUCCEEDED" in first.stderr
    tree = find(ran, "history o-1").stdout
    assert "create-order  STEP/Step  SUCCEEDED" in tree
    assert "approval submitter  STEP/Step  SUCCEEDED" in tree
    assert find(ran, "replay order.py:handler o-1").stdout.startswith("replay OK: o-1")
    assert "is suspended" in find(ran, "--until suspended").stderr
    assert "RUNNING" in find(ran, "status o-2").stdout
    rejected = find(ran, "resume o-2")
    assert json.loads(rejected.stdout) == {"order": "o-2", "status": "rejected"}
    listing = find(ran, "durable-lambda list").stdout
    assert "o-1" in listing
    assert "o-2" in listing


@pytest.mark.slow
def test_the_replay_session_of_the_determinism_page(tmp_path: Path) -> None:
    ran = run_sessions(DOCS / "determinism.md", tmp_path)

    wrong = find(ran, "replay determinism.py:deploy_wrong")
    assert "replay of regions differs" in wrong.stderr
    assert "code attempted 'deploy-" in wrong.stderr
    right = find(ran, "replay determinism.py:deploy_right")
    assert right.stdout.startswith("replay OK: sorted-regions: replayed 4 operations")
