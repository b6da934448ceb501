"""What ``durable-lambda run`` prints when a step fails: the error, its message, the user's line.

The real command runs in a subprocess on a handler in a scratch folder. A retried attempt's log
line names the error type and its message; the failed run's last lines name the error and the
line of the user's own code that raised it (path relative to the folder), not the SDK's frames.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

HANDLER = """
    from durable_lambda import (
        DurableContext, Duration, JitterStrategy, RetryStrategyConfig, StepConfig,
        create_retry_strategy, durable_execution,
    )

    twice = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(
        max_attempts=2, initial_delay=Duration.from_seconds(1),
        jitter_strategy=JitterStrategy.NONE)))

    def charge(step):
        raise RuntimeError("card 4242 declined by the issuer")

    @durable_execution
    async def handler(event, ctx: DurableContext):
        return await ctx.step(charge, name="charge", config=twice)

    @durable_execution
    async def direct(event, ctx: DurableContext):
        await ctx.step(lambda step: 1, name="one")
        raise KeyError("no-such-order")
"""


def line_of(text: str, source: str) -> int:
    """Return the 1-based number of the line of ``source`` that contains ``text``."""
    return next(n for n, line in enumerate(source.splitlines(), start=1) if text in line)


def run(folder: Path, target: str, name: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    return subprocess.run(
        [sys.executable, "-m", "durable_lambda.app.cli", "run", target, "--name", name],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_retried_then_failed_step_shows_the_message_and_the_users_line(tmp_path: Path) -> None:
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "billing.py").write_text(textwrap.dedent(HANDLER))
    raised = line_of("raise RuntimeError", textwrap.dedent(HANDLER))

    failed = run(tmp_path, "orders/billing.py:handler", "o-1")

    assert failed.returncode == 1
    retry = next(line for line in failed.stderr.splitlines() if "retrying" in line)
    assert "error_type=RuntimeError" in retry
    assert "card 4242 declined by the issuer" in retry
    assert failed.stderr.splitlines()[-2:] == [
        "durable-lambda: o-1 FAILED: StepError: card 4242 declined by the issuer",
        f"  at orders/billing.py:{raised} in charge: "
        'raise RuntimeError("card 4242 declined by the issuer")',
    ]


def test_an_error_raised_by_the_handler_itself_shows_the_handlers_line(tmp_path: Path) -> None:
    (tmp_path / "billing.py").write_text(textwrap.dedent(HANDLER))
    raised = line_of("raise KeyError", textwrap.dedent(HANDLER))

    failed = run(tmp_path, "billing.py:direct", "o-2")

    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-2:] == [
        "durable-lambda: o-2 FAILED: KeyError: 'no-such-order'",
        f'  at billing.py:{raised} in direct: raise KeyError("no-such-order")',
    ]
