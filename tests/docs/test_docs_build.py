"""The documentation site builds with ``mkdocs build --strict``, offline.

The build runs in a subprocess into a scratch folder, as a contributor runs it, with every HTTP
proxy pointed at a closed port on loopback: a plugin or theme feature that fetched anything at
build time would fail the build (and strict mode turns every warning into a failure).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there
_NAV_PAGE = re.compile(r"^\s*-\s*(?:[^:]+:\s*)?(?P<page>[\w/.-]+\.md)\s*$")


def nav_pages() -> list[str]:
    """Return every page named in mkdocs.yml's nav, in order."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:") :]
    return [m["page"] for line in nav.splitlines() if (m := _NAV_PAGE.match(line))]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the site once for this module's tests and return its folder."""
    folder = tmp_path_factory.mktemp("docs") / "site"
    env = dict(
        os.environ,
        HTTP_PROXY=_UNREACHABLE,
        HTTPS_PROXY=_UNREACHABLE,
        http_proxy=_UNREACHABLE,
        https_proxy=_UNREACHABLE,
        NO_PROXY="",
        no_proxy="",
        NO_MKDOCS_2_WARNING="1",
    )
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(folder),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    missing = [page for page in nav_pages() if not (ROOT / "docs" / page).is_file()]
    assert build.returncode == 0, (
        f"mkdocs build --strict failed (pages in the nav but not in docs/: {missing}):\n"
        f"{build.stderr[-4000:]}"
    )
    return folder


def test_every_page_of_the_nav_is_built(site: Path) -> None:
    pages = nav_pages()
    assert "getting-started.md" in pages
    assert "reference/context.md" in pages
    for page in pages:
        stem = page.removesuffix(".md")
        html = site / ("index.html" if stem == "index" else f"{stem}/index.html")
        if stem.endswith("/index"):
            html = site / stem.removesuffix("index") / "index.html"
        assert html.is_file(), f"{page} was not built"


def test_the_api_reference_is_generated_from_the_docstrings(site: Path) -> None:
    html = (site / "reference" / "context" / "index.html").read_text(encoding="utf-8")
    assert 'id="durable_lambda.DurableContext.step"' in html
    assert "Run <code>func</code> once and checkpoint its result" in html
    # Docstring examples render as code (the griffe_doctest extension), not as quotes.
    assert '<span class="gp">&gt;&gt;&gt; </span>' in html
    assert "<blockquote>" not in html


def test_the_examples_are_included_into_the_pages(site: Path) -> None:
    html = (site / "operations" / "step" / "index.html").read_text(encoding="utf-8")
    assert "call_flaky_api" in html
    assert "--8&lt;--" not in html
    assert "--8<--" not in html
    template = (site / "getting-started" / "index.html").read_text(encoding="utf-8")
    assert "DurableConfig" in template
    assert "ExecutionTimeout" in template
