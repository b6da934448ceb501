"""DUR001-DUR006: reading the clock, randomness, the environment or the network outside a step."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from durable_lambda.app.lint.facts import Scope, is_network
from durable_lambda.app.lint.finding import Hit
from durable_lambda.app.lint.names import dotted
from durable_lambda.app.lint.rules import rule_named

__all__ = ["check_call", "check_reference"]

_CLOCK = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        *(
            f"time.{name}{suffix}"
            for name in ("time", "monotonic", "perf_counter", "process_time", "thread_time")
            for suffix in ("", "_ns")
        ),
    }
)
# These read the clock only when no time is given.
_CLOCK_WITHOUT_ARGUMENTS = frozenset(
    {"time.localtime", "time.gmtime", "time.ctime", "time.asctime"}
)
_UUID = frozenset({"uuid.uuid1", "uuid.uuid4"})
_OS_RANDOM = frozenset({"os.urandom", "os.getrandom"})
_ENVIRONMENT = frozenset({"os.environ", "os.environb", "os.getenv", "os.getenvb"})
_WALL_CLOCK = rule_named("wall-clock")
_RANDOM = rule_named("random")
_UUID_RULE = rule_named("uuid")
_SECRETS = rule_named("secrets")
_NETWORK = rule_named("network")
_ENVIRONMENT_RULE = rule_named("environment")


def check_call(node: ast.AST, scope: Scope) -> Iterator[Hit]:
    """Report a call that reads the clock, draws randomness or uses the network."""
    if not isinstance(node, ast.Call):
        return
    qualified = scope.qualify(node.func)
    shown = f"{ast.unparse(node.func)}()"
    if _reads_clock(node, qualified):
        yield Hit(node, _WALL_CLOCK, f"{shown} reads the clock: another time on every replay")
    elif _draws_random(node, qualified):
        yield Hit(node, _RANDOM, f"{shown} draws a random value: another one on every replay")
    elif qualified in _UUID:
        yield Hit(node, _UUID_RULE, f"{shown} makes a new UUID on every replay")
    elif qualified is not None and qualified.startswith("secrets."):
        yield Hit(node, _SECRETS, f"{shown} draws new random bytes on every replay")
    elif is_network(qualified) or _calls_client(node, scope):
        yield Hit(node, _NETWORK, f"{shown} uses the network outside a step: again on every replay")


def check_reference(node: ast.AST, scope: Scope) -> Iterator[Hit]:
    """Report a read of the environment (``os.environ``, ``os.getenv``), called or not."""
    if (
        isinstance(node, ast.Name | ast.Attribute)
        and isinstance(node.ctx, ast.Load)
        and scope.qualify(node) in _ENVIRONMENT
    ):
        message = (
            f"{ast.unparse(node)} reads the environment, which can change while the "
            "execution is in flight"
        )
        yield Hit(node, _ENVIRONMENT_RULE, message)


def _reads_clock(call: ast.Call, qualified: str | None) -> bool:
    if qualified in _CLOCK:
        return True
    if qualified in _CLOCK_WITHOUT_ARGUMENTS:
        return not call.args
    return qualified == "time.strftime" and len(call.args) == 1


def _draws_random(call: ast.Call, qualified: str | None) -> bool:
    if qualified in _OS_RANDOM:
        return True
    if qualified is None or not qualified.startswith("random."):
        return False
    # ``random.Random(seed)`` is as deterministic as its seed; without one it is not.
    return not (qualified == "random.Random" and (call.args or call.keywords))


def _calls_client(call: ast.Call, scope: Scope) -> bool:
    chain = dotted(call.func)
    return chain is not None and "." in chain and chain.split(".")[0] in scope.clients
