"""Every page's Python runs when copied in page order, with nothing from elsewhere.

``test_docs_examples.py`` runs each example file whole, so a snippet that leans on a name defined
in a part of its file no page shows (a helper, an import) passes there and fails for a reader who
copies the page. Here each page is read as its reader reads it: the snippets of its ```python
blocks, expanded as pymdownx.snippets expands them, in the order the page shows them. The
snippets taken from one example file are the file the reader saves (``order.py``,
``test_order.py``: several files only where the page names them), written into an empty folder;
a fresh interpreter, with only that folder added to its path, imports each file in the order the
page first shows it and runs every ``test_`` function the page shows, awaiting the async ones.

Pages other people write with inline code (see ``NOT_OURS`` in test_docs_examples.py) are left
out, as there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
NOT_OURS = {"conformance.md", "storage-adapters.md", "performance.md", "reliability.md"}
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)[ \t]*(?P<info>[^\n`]*)$")
_INCLUDE = re.compile(r'^\s*--8<-- "(?P<file>[^":]+\.py)(?::(?P<section>[a-z][-_0-9a-z]*))?"\s*$')
_MARKER = re.compile(r"^\s*#\s*--8<-- \[(?P<kind>start|end):(?P<name>[a-z][-_0-9a-z]*)\]\s*$")
_PAGE_TIMEOUT_SECONDS = 600

# Imports every module the page shows, in order, then runs the test_ functions it shows.
_DRIVER = """
import asyncio, importlib, inspect, json, sys
plan = json.loads(sys.argv[1])
for module_name, tests in plan:
    module = importlib.import_module(module_name)
    for test in tests:
        outcome = getattr(module, test)()
        if inspect.isawaitable(outcome):
            asyncio.run(outcome)
        print(f"ran {module_name}.{test}", flush=True)
"""


def python_includes(page: Path) -> list[tuple[str, str | None]]:
    """Return (file, section) for every include in the page's Python blocks, in page order."""
    found: list[tuple[str, str | None]] = []
    language = None
    for line in page.read_text(encoding="utf-8").splitlines():
        fence = _FENCE.match(line)
        if fence is not None:
            info = fence["info"].strip()
            language = None if language is not None and not info else (info.split() or [""])[0]
            continue
        if language in ("python", "py"):
            match = _INCLUDE.match(line)
            if match is not None:
                found.append((match["file"], match["section"]))
    return found


def section_text(file: str, section: str | None) -> str:
    """Return what pymdownx.snippets puts on the page for ``file:section``.

    The lines between the section's markers (the whole file without a section), without any
    marker line, dedented (``dedent_subsections``).
    """
    lines = (EXAMPLES / file).read_text(encoding="utf-8").splitlines()
    if section is not None:
        marks = [(m["kind"], m["name"]) for m in map(_MARKER.match, lines) if m] if lines else []
        assert ("start", section) in marks, f"{file} has no section {section}"
        start = next(i for i, x in enumerate(lines) if _is_marker(x, "start", section))
        end = next(i for i, x in enumerate(lines) if _is_marker(x, "end", section))
        lines = lines[start + 1 : end]
    kept = [line for line in lines if not _MARKER.match(line)]
    return textwrap.dedent("\n".join(kept)) + "\n"


def _is_marker(line: str, kind: str, name: str) -> bool:
    match = _MARKER.match(line)
    return match is not None and (match["kind"], match["name"]) == (kind, name)


def shown_tests(source: str) -> list[str]:
    """Return the names of the top-level ``test_`` functions in ``source``, in order."""
    pattern = re.compile(r"^(?:async )?def (?P<name>test_\w*)\(\s*\)", re.MULTILINE)
    return [match["name"] for match in pattern.finditer(source)]


def pages_with_python() -> list[Path]:
    """Return our pages that show Python, sorted."""
    return sorted(
        page
        for page in DOCS.rglob("*.md")
        if page.relative_to(DOCS).as_posix() not in NOT_OURS and python_includes(page)
    )


def copy_page(page: Path, folder: Path) -> list[tuple[str, list[str]]]:
    """Write the files a reader of ``page`` saves into ``folder``; return the run plan."""
    files: dict[str, list[str]] = {}
    for file, section in python_includes(page):
        files.setdefault(file, []).append(section_text(file, section))
    plan = []
    for file, parts in files.items():
        source = "".join(parts)
        (folder / file).write_text(source, encoding="utf-8")
        plan.append((Path(file).stem, shown_tests(source)))
    return plan


def test_pages_are_found_and_read_as_the_site_shows_them() -> None:
    pages = [page.relative_to(DOCS).as_posix() for page in pages_with_python()]
    assert "operations/callbacks.md" in pages
    assert "getting-started.md" in pages
    # The getting-started page shows order.py and then the test file that imports it.
    assert [file for file, _ in python_includes(DOCS / "getting-started.md")] == [
        "order.py",
        "test_order.py",
    ]
    assert section_text("order.py", "handler").startswith(("from", "import", '"""', "#"))


@pytest.mark.parametrize(
    "page", pages_with_python(), ids=lambda page: page.relative_to(DOCS).as_posix()
)
def test_the_pages_python_runs_as_copied(page: Path, tmp_path: Path) -> None:
    plan = copy_page(page, tmp_path)

    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DURABLE_LAMBDA_", "PYTHONPATH"))
    }
    env["PYTHONPATH"] = str(tmp_path)  # the reader's folder, and nothing of docs/examples
    completed = subprocess.run(
        [sys.executable, "-c", _DRIVER, json.dumps(plan)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=_PAGE_TIMEOUT_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, (
        f"{page.relative_to(ROOT)}: its Python, copied in page order into "
        f"{sorted(path.name for path in tmp_path.glob('*.py'))}, fails:\n{completed.stderr[-3000:]}"
    )
    ran = [line for line in completed.stdout.splitlines() if line.startswith("ran ")]
    assert ran == [f"ran {module}.{test}" for module, tests in plan for test in tests]
