"""The stability page names the stable modules, which exist as it says; the changelog's shape."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STABLE = ("durable_lambda", "durable_lambda.testing", "durable_lambda.contract")
KEEP_A_CHANGELOG = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_the_page_names_the_stable_modules_and_no_other() -> None:
    page = (ROOT / "docs" / "stability.md").read_text(encoding="utf-8")
    table = page[page.index("## The stable public API") : page.index("In each, the stable API")]

    assert tuple(re.findall(r"^\| `([\w.]+)` \|", table, re.MULTILINE)) == STABLE


@pytest.mark.parametrize("module_name", STABLE)
def test_every_name_a_stable_module_exports_is_there(module_name: str) -> None:
    module = importlib.import_module(module_name)
    names = module.__all__

    assert names, f"{module_name} exports nothing"
    assert len(set(names)) == len(names)
    missing = [name for name in names if getattr(module, name, None) is None]
    assert not missing, f"{module_name}.__all__ names what it does not have: {missing}"


def test_the_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    kinds = set(re.findall(r"^### (.+)$", text, re.MULTILINE))

    assert text.startswith("# Changelog\n")
    assert releases[0] == "Unreleased"
    assert kinds <= KEEP_A_CHANGELOG, kinds - KEEP_A_CHANGELOG
    assert re.search(r"^- ", text, re.MULTILINE)


def test_the_site_shows_the_changelog_and_the_stability_page() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")

    assert "stability.md" in nav
    assert "changelog.md" in nav
    assert '--8<-- "CHANGELOG.md"' in (ROOT / "docs" / "changelog.md").read_text()
