"""The determinism rules: a code, a short name, what goes wrong on replay, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RULES", "Rule", "UnknownRuleError", "rule_named"]


@dataclass(frozen=True)
class Rule:
    """One thing that breaks replay when orchestration code (outside a step) does it.

    Args:
        code: The code reported and accepted by ``# durable: ignore[...]`` (``DUR001``).
        name: A readable alias of the code, accepted wherever the code is (``wall-clock``).
        summary: One line that says what the rule catches, for listings and the docs.
        hint: How to fix it, printed under every finding.
    """

    code: str
    name: str
    summary: str
    hint: str


RULES: tuple[Rule, ...] = (
    Rule(
        "DUR001",
        "wall-clock",
        "datetime.now/utcnow/today, date.today, time.time/monotonic/perf_counter",
        "use ctx.now() (recorded on the first run, the same on every replay), "
        "or read the clock inside a step",
    ),
    Rule(
        "DUR002",
        "random",
        "random.* (and os.urandom): a new value on every replay",
        "use ctx.random() (seeded by execution and position), or draw inside a step",
    ),
    Rule(
        "DUR003",
        "uuid",
        "uuid.uuid1/uuid4: a new UUID on every replay",
        "use ctx.uuid4() (the same on every replay), or make the UUID inside a step",
    ),
    Rule(
        "DUR004",
        "environment",
        "os.environ/os.getenv: configuration can change while an execution is in flight",
        "read it inside a step (flag = await ctx.step(lambda s: os.environ.get(...))) so the "
        "execution keeps the value it started with",
    ),
    Rule(
        "DUR005",
        "secrets",
        "secrets.*: new random bytes on every replay",
        "generate it inside the step that uses it (a step's result is stored in the checkpoint)",
    ),
    Rule(
        "DUR006",
        "network",
        "requests, httpx, urllib, aiohttp, boto3 clients: I/O that runs again on every replay",
        "make the call inside a step (await ctx.step(lambda s: client.call(...))), which "
        "records its result",
    ),
    Rule(
        "DUR007",
        "set-iteration",
        "iterating a set or frozenset: hash order changes from one process to the next",
        "iterate over sorted(...) or a list (dicts keep insertion order)",
    ),
    Rule(
        "DUR008",
        "gather-return-exceptions",
        "asyncio.gather(..., return_exceptions=True): swallows the suspension signal",
        "use ctx.all_settled([...]): it records how each call ended and lets suspension through",
    ),
    Rule(
        "DUR009",
        "completion-order",
        "asyncio.wait(FIRST_COMPLETED or timeout), as_completed, wait_for, timeout: timing decides",
        "use ctx.race([...]) or ctx.any([...]) (race a call against ctx.wait(...) for a deadline), "
        "which record the winner for every replay",
    ),
    Rule(
        "DUR010",
        "task-group",
        "asyncio.TaskGroup around durable calls: one suspension cancels every sibling",
        "use ctx.all([...]), ctx.all_settled([...]) or ctx.parallel(...), which suspend only "
        "when no branch can progress",
    ),
    Rule(
        "DUR011",
        "broad-except",
        "bare except: or except BaseException around durable calls: catches the suspension",
        "catch Exception or the errors you expect (e.g. StepError), or end the handler with a "
        "bare raise",
    ),
)
"""Every rule, in code order."""

_BY_KEY = {key: rule for rule in RULES for key in (rule.code.lower(), rule.name)}


class UnknownRuleError(ValueError):
    """A rule was named by a code or name that no rule has."""


def rule_named(key: str) -> Rule:
    """Return the rule whose code (``DUR001``, any case) or name (``wall-clock``) is ``key``.

    Raises:
        UnknownRuleError: no rule has that code or name; the message lists the codes.
    """
    rule = _BY_KEY.get(key.strip().lower())
    if rule is None:
        known = ", ".join(f"{r.code} ({r.name})" for r in RULES)
        raise UnknownRuleError(f"no determinism rule {key.strip()!r}; the rules are: {known}")
    return rule
