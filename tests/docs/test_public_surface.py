"""The docs teach the public surface: every name they import or document comes from a public module.

``docs/stability.md`` draws the line: ``durable_lambda``, ``durable_lambda.testing`` and
``durable_lambda.contract`` are the stable API, and the other modules are the implementation,
some of which it names as documented extension points. Here the line is held: the API reference
documents only names of the stable modules, and every import in the examples and on the pages
is from a stable module or from a module the stability page names. A doc that needs another
internal module must say so on that page first.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
STABLE = ("durable_lambda", "durable_lambda.testing", "durable_lambda.contract")
_DIRECTIVE = re.compile(r"^::: *(?P<target>[\w.]+)\s*$", re.MULTILINE)
_FENCED_PYTHON = re.compile(r"^( *)```python\n(?P<code>.*?)^\1```", re.MULTILINE | re.DOTALL)


def documented_extension_modules() -> set[str]:
    """Return the modules outside the stable API that ``docs/stability.md`` names."""
    page = (DOCS / "stability.md").read_text(encoding="utf-8")
    section = " ".join(page[page.index("## Everything else") :].split())
    # The sentence that names them: "Some of their names appear in these docs, for ... (...)".
    named = section[section.index("Some of their names appear in these docs") :]
    named = named[: named.index("they are documented and meant to be used")]
    return set(re.findall(r"`(durable_lambda(?:\.\w+)+)`", named))


def allowed(module: str, extensions: set[str]) -> bool:
    """Whether importing from ``module`` keeps to what the stability page allows."""
    if module in STABLE:
        return True
    return any(module == named or module.startswith(f"{named}.") for named in extensions)


def imports_of(source: str) -> list[tuple[str, int]]:
    """Return the ``durable_lambda`` modules ``source`` imports from, with their line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
    return [(module, line) for module, line in found if module.split(".")[0] == "durable_lambda"]


def doc_sources() -> list[tuple[str, str]]:
    """Return every Python source the site shows: the example files and the pages' blocks."""
    sources = [
        (str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
        for path in sorted((DOCS / "examples").glob("*.py"))
    ]
    for page in sorted(DOCS.rglob("*.md")):
        for block in _FENCED_PYTHON.finditer(page.read_text(encoding="utf-8")):
            code = "\n".join(line[len(block.group(1)) :] for line in block["code"].splitlines())
            sources.append((str(page.relative_to(ROOT)), code))
    return sources


def test_the_stability_page_names_real_modules() -> None:
    extensions = documented_extension_modules()
    assert "durable_lambda.service" in extensions
    for module in sorted(extensions):
        importlib.import_module(module)  # a renamed module must be renamed on the page too


def test_the_api_reference_documents_only_the_stable_modules() -> None:
    strays = []
    for page in sorted(DOCS.rglob("*.md")):
        for match in _DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            target = match["target"]
            module, _, name = target.rpartition(".")
            if target in STABLE:
                continue
            if module not in STABLE:
                strays.append(f"{page.relative_to(ROOT)}: ::: {target}")
            elif module in STABLE and name not in importlib.import_module(module).__all__:
                strays.append(f"{page.relative_to(ROOT)}: ::: {target} is not in {module}.__all__")
    assert not strays, "reference directives outside the stable API:\n" + "\n".join(strays)


def test_the_docs_import_only_from_public_or_named_modules() -> None:
    extensions = documented_extension_modules()
    strays = [
        f"{where}:{line}: from {module} import ..."
        for where, source in doc_sources()
        for module, line in imports_of(source)
        if not allowed(module, extensions)
    ]
    assert not strays, (
        "the docs import from modules docs/stability.md neither makes public nor names:\n"
        + "\n".join(strays)
    )


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("durable_lambda", True),
        ("durable_lambda.testing", True),
        ("durable_lambda.service.ports", True),
        ("durable_lambda.core.serdes", False),
        ("durable_lambda.servicex", False),
    ],
)
def test_the_rule_itself(module: str, expected: bool) -> None:
    assert allowed(module, {"durable_lambda.service"}) is expected
