"""The README's test snippet, copied into a new project, passes there: no plugin, no configuration.

The README's first function is saved as ``order.py`` and its "Testing it" snippet as
``test_order.py`` in an empty folder outside the repository (no ``pytest.ini``, ``pyproject.toml``
or ``conftest.py`` anywhere above it), and pytest runs there in a subprocess, as a newcomer runs
it: once with pytest-asyncio installed (in its default strict mode, as outside this repository)
and once as if it were not (``-p no:asyncio``). The pytest plugin the package installs (the
``durable_runner`` fixture) is what makes the async test run in both; the rest of this file holds
what the plugin does and leaves alone.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_CONFIG_FILES = ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg", "conftest.py")


def readme_block(section: str) -> str:
    """Return the first Python block under the README's ``## section`` heading."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    body = readme[readme.index(f"## {section}\n") :]
    body = body[: body.index("\n## ", 1)] if "\n## " in body[1:] else body
    found = re.search(r"```python\n(.*?)```", body, re.DOTALL)
    assert found, f"no python block under ## {section}"
    return found.group(1)


def new_project(folder: Path, files: dict[str, str]) -> Path:
    """Write ``files`` into ``folder``, a project with no pytest configuration above it."""
    for parent in [folder, *folder.parents]:
        present = [name for name in _CONFIG_FILES if (parent / name).exists()]
        assert not present, f"{parent} holds {present}: the project would not be a new one"
    for name, source in files.items():
        (folder / name).write_text(textwrap.dedent(source), encoding="utf-8")
    return folder


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run pytest in ``folder`` in a new process, with nothing inherited that configures it."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "DURABLE_LAMBDA_")) and k != "PYTHONPATH"
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def passed(result: subprocess.CompletedProcess[str], count: int) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(rf"\b{count} passed\b", output), output
    assert "not natively supported" not in output


@pytest.fixture
def readme_project(tmp_path: Path) -> Path:
    return new_project(
        tmp_path,
        {
            "order.py": readme_block("A first durable function"),
            "test_order.py": readme_block("Testing it"),
        },
    )


def test_the_readme_snippet_passes_in_a_new_project_with_pytest_asyncio_in_strict_mode(
    readme_project: Path,
) -> None:
    assert importlib.util.find_spec("pytest_asyncio"), "pytest-asyncio is not installed here"

    passed(pytest_in(readme_project), 2)


def test_the_readme_snippet_passes_in_a_new_project_without_pytest_asyncio(
    readme_project: Path,
) -> None:
    passed(pytest_in(readme_project, "-p", "no:asyncio"), 2)


def test_the_readme_snippet_offers_both_styles() -> None:
    snippet = readme_block("Testing it")

    assert "from order import handler" in snippet
    assert "\ndef test_" in snippet  # a plain test: `with`, blocking calls
    assert "with DurableTestRunner(handler" in snippet
    assert "\nasync def test_" in snippet  # and an async one: `async with`, awaited calls
    assert "async with durable_runner(handler" in snippet
    assert "await runner.run(" in snippet


HANDLER = """
    from durable_lambda import DurableContext, Duration, durable_execution

    @durable_execution
    async def handler(event, ctx: DurableContext):
        await ctx.wait(Duration.from_days(30), name="month")
        return await ctx.step(lambda s: event["n"] + 1, name="add")
"""


def test_an_async_test_marked_for_pytest_asyncio_is_left_to_it_in_strict_mode(
    tmp_path: Path,
) -> None:
    new_project(
        tmp_path,
        {
            "flow.py": HANDLER,
            "test_marked.py": """
                import pytest
                from flow import handler

                @pytest.mark.asyncio
                async def test_marked(durable_runner, request):
                    # pytest-asyncio runs it: its runner fixture is among the test's fixtures.
                    assert "_function_scoped_runner" in request.fixturenames
                    async with durable_runner(handler) as runner:
                        assert (await runner.run({"n": 1})).result == 2
            """,
        },
    )

    passed(pytest_in(tmp_path), 1)


def test_every_async_test_runs_in_pytest_asyncios_auto_mode(tmp_path: Path) -> None:
    new_project(
        tmp_path,
        {
            "flow.py": HANDLER,
            "test_auto.py": """
                from durable_lambda.testing import DurableTestRunner
                from flow import handler

                async def test_with_the_fixture(durable_runner):
                    assert (await durable_runner(handler).run({"n": 1})).result == 2

                async def test_without_it():
                    assert (await DurableTestRunner(handler).run({"n": 2})).result == 3
            """,
        },
    )

    passed(pytest_in(tmp_path, "-o", "asyncio_mode=auto"), 2)


def test_an_async_test_without_the_fixture_is_left_alone(tmp_path: Path) -> None:
    new_project(
        tmp_path,
        {
            "test_other.py": """
                async def test_someone_elses():
                    pass
            """,
        },
    )

    result = pytest_in(tmp_path, "-p", "no:asyncio")

    assert result.returncode != 0
    assert "not natively supported" in result.stdout + result.stderr


def test_a_runner_a_test_leaves_inside_with_is_closed_when_the_test_ends(tmp_path: Path) -> None:
    new_project(
        tmp_path,
        {
            "flow.py": HANDLER,
            "test_left_open.py": """
                import threading
                from flow import handler

                def runner_threads():
                    return [t for t in threading.enumerate() if t.name.startswith("durable-test")]

                def test_leaves_it_open(durable_runner):
                    runner = durable_runner(handler).__enter__()
                    assert runner.run({"n": 1}).result == 2
                    assert runner_threads()

                def test_after(durable_runner):
                    assert not runner_threads()
            """,
        },
    )

    passed(pytest_in(tmp_path, "-p", "no:asyncio"), 2)


def test_the_plugin_is_the_packages_pytest11_entry_point(tmp_path: Path) -> None:
    new_project(tmp_path, {"test_names.py": "def test_nothing(durable_runner):\n    pass\n"})

    disabled = pytest_in(tmp_path, "-p", "no:durable_lambda")

    assert disabled.returncode != 0
    assert "fixture 'durable_runner' not found" in disabled.stdout
