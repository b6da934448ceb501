"""Which code the linter treats as orchestration, and why it says so."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from durable_lambda.app.lint import lint_source
from durable_lambda.app.lint.index import ModuleIndex, Role
from durable_lambda.app.lint.names import ImportTable
from durable_lambda.app.lint.scopes import classify

CORPUS = Path(__file__).parent / "corpus"


def roles(source: str) -> dict[str, Role | None]:
    tree = ast.parse(textwrap.dedent(source))
    index = ModuleIndex(tree)
    classify(index, ImportTable(tree))
    return {function.name: function.role for function in index.functions.values()}


def test_the_nesting_corpus_sorts_every_function() -> None:
    found = roles((CORPUS / "nesting.py").read_text())
    orchestration = {
        "process_item",
        "branch_a",
        "branch_b",
        "branch_c",
        "summarise",
        "method",
        "handler",
        "child",
        "grandchild",
        "official_child",
    }
    steps = {"step_body"}
    unrelated = {"not_durable", "helper", "inside_step"}
    assert {name for name, role in found.items() if role is Role.ORCHESTRATION} >= orchestration
    assert {name for name, role in found.items() if role is Role.STEP} >= steps
    assert all(found[name] is None for name in unrelated)


def test_a_step_body_stays_one_even_when_it_takes_a_durable_context_too() -> None:
    found = roles(
        """
        from durable_lambda import DurableContext, StepContext

        def odd(ctx: DurableContext, step: StepContext): ...
        """
    )
    assert found["odd"] is Role.STEP


def test_a_function_is_not_orchestration_without_evidence() -> None:
    found = roles(
        """
        def handler(event, ctx):
            return ctx.step(lambda s: 1)
        """
    )
    assert found == {"handler": None, "<lambda at line 3>": None}


def test_a_function_given_the_context_only_through_a_closure_is_orchestration_when_run() -> None:
    found = roles(
        """
        from durable_lambda import DurableContext

        async def handler(event, ctx: DurableContext):
            async def branch(child):
                return await child.step(lambda s: 1)
            def make():
                return ctx.step(lambda s: 2)
            return await ctx.run_in_child_context(branch)
        """
    )
    assert found["branch"] is Role.ORCHESTRATION
    assert found["make"] is None  # never given to the context nor called with it


def test_a_finding_names_its_function_and_why_that_is_orchestration() -> None:
    source = textwrap.dedent(
        """
        import time
        from durable_lambda import DurableContext, durable_execution

        async def item(c, value, index, values):
            return time.time()

        @durable_execution
        async def handler(event, ctx):
            start = time.time()
            return await ctx.map(event["values"], item)
        """
    )
    first, second = lint_source(source, "h.py")
    assert (first.line, first.function) == (6, "item")
    assert first.reason == "it is given to ctx.map at line 11"
    assert (second.line, second.function) == (10, "handler")
    assert second.reason == "decorated with @durable_execution"


def test_columns_are_one_based() -> None:
    source = "from durable_lambda import DurableContext\nimport uuid\n"
    source += "def handler(event, ctx: DurableContext):\n    return uuid.uuid4()\n"
    (finding,) = lint_source(source)
    assert (finding.line, finding.column) == (4, 12)


def test_a_sagas_steps_and_undos_are_step_bodies() -> None:
    found = roles(
        """
        from durable_lambda import DurableContext

        def charge(step): ...
        def refund(result, step): ...
        def cancel_booking(step): ...
        def release(result, step): ...

        async def handler(event, ctx: DurableContext):
            async with ctx.saga("order") as saga:
                await saga.step(charge, name="charge", compensate=refund)
                saga.add_compensation(cancel_booking, name="cancel")
            other = ctx.saga("other")
            await other.step(func=lambda s: 1, compensate=release)
        """
    )
    assert found["charge"] is Role.STEP
    assert found["refund"] is Role.STEP
    assert found["cancel_booking"] is Role.STEP
    assert found["release"] is Role.STEP
    assert found["<lambda at line 14>"] is Role.STEP


def test_a_saga_undo_may_read_the_clock_but_the_orchestration_around_it_may_not() -> None:
    findings = lint_source(
        textwrap.dedent(
            """
            import time
            from durable_lambda import DurableContext

            def refund(result, step):
                return time.time()

            async def handler(event, ctx: DurableContext):
                async with ctx.saga("order") as saga:
                    await saga.step(lambda s: time.time(), compensate=refund)
                return time.time()
            """
        ),
        "handler.py",
    )
    assert [finding.line for finding in findings] == [11]
