"""The feature comparison page cannot claim for durable-lambda what durable-lambda does not have.

``docs/features.md`` compares durable-lambda with the official Python and JavaScript SDKs, row by
row. The official columns are checked by hand against the versions the page names; the
durable-lambda column is checked here. Every durable-lambda cell that is not a "no" must link to
a page that exists and have an entry in ``CLAIMS``, and every check of that entry must hold: a
public name that imports, a parameter it takes, a coroutine function, a ``durable-lambda``
command or option (read from ``--help``), an installed entry point, or a file of the repository.
A new row needs its entry; a renamed or removed API fails the row that names it; an entry whose
row is gone fails too, so the two cannot drift apart.
"""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGE = DOCS / "features.md"
GROUPS = (
    "Operations",
    "Configuration",
    "Runtime",
    "Testing",
    "Local runtime",
    "Observability",
    "Compatibility",
)
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
_COMMANDS = re.compile(r"^Commands:\n(?P<body>(?:  .*\n?)+)", re.MULTILINE)


@dataclass(frozen=True)
class Name:
    """``module`` imports and has ``attribute`` (a dotted path, e.g. ``DurableContext.step``)."""

    module: str
    attribute: str


@dataclass(frozen=True)
class Parameter:
    """The callable ``module.attribute`` takes a parameter called ``parameter``."""

    module: str
    attribute: str
    parameter: str


@dataclass(frozen=True)
class Coroutine:
    """``module.attribute`` is an ``async def`` function, awaited by its caller."""

    module: str
    attribute: str


@dataclass(frozen=True)
class Command:
    """``durable-lambda --help`` lists ``verb``; with ``option``, ``durable-lambda verb --help``
    (or the top-level help when ``verb`` is empty) shows that option."""

    verb: str
    option: str | None = None


@dataclass(frozen=True)
class EntryPoint:
    """An installed distribution declares the entry point ``name`` in ``group``."""

    group: str
    name: str


@dataclass(frozen=True)
class RepoFile:
    """The repository has the file ``path``."""

    path: str


Check = Name | Parameter | Coroutine | Command | EntryPoint | RepoFile

_ROOT_PKG = "durable_lambda"
_TESTING = "durable_lambda.testing"
_CTX = "DurableContext"


def _names(module: str, *attributes: str) -> tuple[Name, ...]:
    return tuple(Name(module, attribute) for attribute in attributes)


def _context(*methods: str) -> tuple[Name, ...]:
    return _names(_ROOT_PKG, *(f"{_CTX}.{method}" for method in methods))


# Row label on the page -> what must exist for its durable-lambda cell to be true.
CLAIMS: dict[str, tuple[Check, ...]] = {
    # Operations
    "Steps": _context("step"),
    "Waits": _context("wait"),
    "Callbacks": _context("create_callback"),
    "wait_for_callback": _context("wait_for_callback"),
    "Chained invoke": _context("invoke"),
    "Map": _context("map"),
    "Parallel": _context("parallel"),
    "Child contexts": _context("run_in_child_context"),
    "wait_for_condition": _context("wait_for_condition"),
    "Promise combinators (all, any, race, allSettled)": _context(
        "all", "any", "race", "all_settled"
    ),
    "Cancellable waits": (*_context("create_wait"), Name(_ROOT_PKG, "WaitHandle.cancel")),
    "Retry a block of durable code": _names(
        "durable_lambda.compat.aws", "with_retry", "WithRetryConfig"
    ),
    "Replay-safe time, UUIDs and random numbers": _context("now", "uuid4", "random"),
    # Configuration
    "Retry strategies": _names(_ROOT_PKG, "create_retry_strategy", "create_linear_retry_strategy"),
    "Retry presets": _names(
        _ROOT_PKG,
        *(
            f"RetryPresets.{preset}"
            for preset in (
                "none",
                "default",
                "transient",
                "resource_availability",
                "critical",
                "linear",
                "fixed",
            )
        ),
    ),
    "Wait strategies for wait_for_condition": _names(
        _ROOT_PKG, "create_wait_strategy", "WaitPresets.fixed"
    ),
    "Step semantics (at most / at least once per retry)": _names(
        _ROOT_PKG, "StepSemantics.AT_MOST_ONCE_PER_RETRY", "StepSemantics.AT_LEAST_ONCE_PER_RETRY"
    ),
    "Completion thresholds for map and parallel": tuple(
        Parameter(_ROOT_PKG, "CompletionConfig", field)
        for field in ("min_successful", "tolerated_failure_count", "tolerated_failure_percentage")
    ),
    "Custom completion predicate": (
        Parameter(_ROOT_PKG, "CompletionConfig", "should_complete"),
        *_names(_ROOT_PKG, "complete_batch", "continue_batch"),
    ),
    "Item batching in map": (
        Parameter(_ROOT_PKG, "MapConfig", "item_batcher"),
        Name(_ROOT_PKG, "ItemBatcher"),
    ),
    "Nesting type (flat map and parallel)": (
        *_names(_ROOT_PKG, "NestingType.NESTED", "NestingType.FLAT"),
        Parameter(_ROOT_PKG, "MapConfig", "nesting_type"),
        Parameter(_ROOT_PKG, "ParallelConfig", "nesting_type"),
    ),
    "Serializers": _names(_ROOT_PKG, "JsonSerDes", "EnvelopeSerDes", "PassThroughSerDes", "SerDes"),
    "Step time-out": (
        Parameter(_ROOT_PKG, "StepConfig", "timeout"),
        Name(_ROOT_PKG, "StepTimeoutError"),
    ),
    # Runtime
    "Async API": (Coroutine(_ROOT_PKG, f"{_CTX}.step"), Coroutine(_ROOT_PKG, f"{_CTX}.wait")),
    "Checkpoint modes": (
        *_names(
            _ROOT_PKG, "CheckpointMode.EAGER", "CheckpointMode.BATCHED", "CheckpointMode.OPTIMISTIC"
        ),
        Parameter(_ROOT_PKG, "durable_execution", "checkpoint_mode"),
    ),
    "Deadline-aware execution": (
        Parameter(_ROOT_PKG, "durable_execution", "deadline_margin"),
        Name(_ROOT_PKG, "StepDeadlineError"),
    ),
    "Lambda context access": _context("lambda_context"),
    "Large payload offload": _names(_ROOT_PKG, "OffloadSerDes", "S3BlobStore", "FileBlobStore"),
    "Children replayed on request (replay_children)": (
        Parameter(_ROOT_PKG, "ChildConfig", "replay_children"),
    ),
    "Sagas and compensation": (*_context("saga"), *_names(_ROOT_PKG, "Saga", "SagaError")),
    "Replay checked against the record at run time": (
        Name(_ROOT_PKG, "NonDeterministicExecutionError"),
    ),
    # Testing
    "Local test runner": (Name(_TESTING, "DurableTestRunner"),),
    "Skip time": (Name(_TESTING, "FakeClock"), Parameter(_TESTING, "DurableTestRunner", "clock")),
    "Runner for deployed functions": (Name(_TESTING, "CloudRunner"),),
    "pytest plugin": (
        EntryPoint("pytest11", "durable_lambda"),
        Name("durable_lambda.pytest_plugin", "durable_runner"),
    ),
    "Replay check before deploying": (Name(_TESTING, "Replayer"), Command("replay")),
    "Determinism linter": (
        Command("lint"),
        EntryPoint("flake8.extension", "DUR"),
        RepoFile(".pre-commit-hooks.yaml"),
    ),
    "Conformance suite": (RepoFile("scripts/conformance.sh"), RepoFile("tests/conformance/run.py")),
    # Local runtime
    "Command line": tuple(
        Command(verb)
        for verb in (
            "run",
            "resume",
            "status",
            "list",
            "history",
            "callback",
            "replay",
            "lint",
            "repair",
        )
    ),
    "Executions kept on disk": (
        Name("durable_lambda.adapters.file", "FileExecutionStore"),
        Command("run", "--store"),
    ),
    "Execution history as HTML": (Command("history", "--html"),),
    "Stores of your own": (
        Name("durable_lambda.service.ports", "ExecutionStore"),
        Command("", "--store-factory"),
        Name("durable_lambda.contract", "ExecutionStoreContract"),
    ),
    # Observability
    "Logs not repeated on replay": (*_context("logger"), Name(_ROOT_PKG, "StepContext.logger")),
    "Log formats": _names(
        "durable_lambda.adapters.logging", "LambdaLogger", "StructlogLogger", "StdlibLogger"
    ),
    "Powertools Logger": (Name("durable_lambda.adapters.logging", "PowertoolsLogger"),),
    "Instrumentation plugins": (
        *_names(_ROOT_PKG, "InstrumentationPlugin", "BasePlugin"),
        Parameter(_ROOT_PKG, "durable_execution", "plugins"),
    ),
    "OpenTelemetry": (Name("durable_lambda.adapters.otel", "OpenTelemetryPlugin"),),
    # Compatibility
    "Lambda durable execution API": _names(
        "durable_lambda.adapters.aws.lambda_service",
        "LambdaDurableService.checkpoint",
        "LambdaDurableService.get_state",
    ),
    "The official Python SDK's payload format": (Name(_ROOT_PKG, "EnvelopeSerDes"),),
    "Handlers written for the official Python SDK": _names(
        "durable_lambda.compat.aws", "durable_execution", "DurableContext"
    ),
    "Switching SDKs while an execution is in flight": (
        Command("replay", "--from-aws"),
        Name(_ROOT_PKG, "EnvelopeSerDes"),
    ),
}


@dataclass(frozen=True)
class Row:
    """One row of a comparison table: the feature and the three SDKs' cells."""

    group: str
    label: str
    durable_lambda: str
    official_python: str
    official_js: str


def page_rows() -> list[Row]:
    """Return the rows of every table on the page, with the group heading above each."""
    rows: list[Row] = []
    group = ""
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            group = line.removeprefix("## ").strip()
            continue
        if not line.startswith("|") or set(line) <= {"|", "-", " "}:
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"a row of docs/features.md has {len(cells)} cells, not 4: {line}"
        if cells[0] == "feature":
            continue
        rows.append(Row(group, *cells))
    return rows


def claimed(row: Row) -> bool:
    """Whether the durable-lambda cell says durable-lambda has the feature, in some form."""
    return not re.match(r"no\b", row.durable_lambda)


@cache
def cli_help(*arguments: str) -> str:
    """Return what ``durable-lambda [ARGUMENTS] --help`` prints, the command a user runs."""
    script = Path(sys.executable).with_name("durable-lambda")
    assert script.exists(), f"the durable-lambda command is not installed beside {sys.executable}"
    done = subprocess.run(
        [str(script), *arguments, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (
        f"durable-lambda {' '.join(arguments)} --help failed: {done.stderr}"
    )
    return done.stdout


def resolve(module: str, attribute: str) -> object:
    """Import ``module`` and follow the dotted ``attribute`` path on it."""
    found: object = importlib.import_module(module)
    for part in attribute.split("."):
        found = getattr(found, part)
    return found


def holds(check: Check) -> bool:
    """Whether what ``check`` names exists in this checkout and its installed environment."""
    match check:
        case Name(module, attribute):
            try:
                resolve(module, attribute)
            except (ImportError, AttributeError):
                return False
            return True
        case Parameter(module, attribute, parameter):
            target = resolve(module, attribute)
            assert callable(target)
            # A configuration model takes its fields by keyword (and in order) whatever its
            # __init__ spells; its signature is only built once the model is first used.
            fields = getattr(target, "model_fields", {})
            return parameter in fields or parameter in inspect.signature(target).parameters
        case Coroutine(module, attribute):
            return inspect.iscoroutinefunction(resolve(module, attribute))
        case Command(verb, option):
            if verb:
                listing = _COMMANDS.search(cli_help())
                assert listing, "durable-lambda --help lists no commands"
                if verb not in {
                    line.split()[0] for line in listing["body"].splitlines() if line.strip()
                }:
                    return False
            if option is None:
                return True
            return (
                re.search(
                    rf"(?<![\w-]){re.escape(option)}(?![\w-])", cli_help(*filter(None, [verb]))
                )
                is not None
            )
        case EntryPoint(group, name):
            return any(point.name == name for point in entry_points(group=group))
        case RepoFile(path):
            return (ROOT / path).is_file()


def test_the_page_is_grouped_as_the_issue_asks_and_is_in_the_nav() -> None:
    rows = page_rows()

    assert tuple(dict.fromkeys(row.group for row in rows)) == GROUPS
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s*- [^:\n]+: features\.md$", nav, re.MULTILINE), (
        "features.md is not in the nav"
    )


def test_every_row_is_named_once_and_every_cell_says_something() -> None:
    rows = page_rows()

    labels = [row.label for row in rows]
    assert len(labels) == len(set(labels)), (
        f"rows named twice: {sorted({x for x in labels if labels.count(x) > 1})}"
    )
    empty = [
        row.label
        for row in rows
        if not all((row.durable_lambda, row.official_python, row.official_js))
    ]
    assert not empty, f"rows with an empty cell: {empty}"


def test_every_claimed_row_has_checks_and_every_check_has_its_row() -> None:
    rows = page_rows()

    unchecked = [row.label for row in rows if claimed(row) and row.label not in CLAIMS]
    stale = sorted(set(CLAIMS) - {row.label for row in rows if claimed(row)})
    assert not unchecked, (
        f"durable-lambda rows of docs/features.md with no entry in CLAIMS: {unchecked}"
    )
    assert not stale, f"CLAIMS entries with no durable-lambda row claiming them: {stale}"


def test_every_claimed_row_links_to_a_page_that_exists() -> None:
    broken = []
    for row in filter(claimed, page_rows()):
        targets = [match["target"] for match in _LINK.finditer(row.durable_lambda)]
        if not targets:
            broken.append(f"{row.label}: no link to its page")
        broken += [
            f"{row.label}: {target}"
            for target in targets
            if not (DOCS / target.partition("#")[0]).is_file()
        ]
    assert not broken, f"durable-lambda cells whose page is missing: {broken}"


@pytest.mark.parametrize("label", sorted(CLAIMS))
def test_what_the_row_claims_exists(label: str) -> None:
    missing = [check for check in CLAIMS[label] if not holds(check)]

    assert not missing, (
        f"docs/features.md claims {label!r} for durable-lambda, but these do not exist: {missing}"
    )
