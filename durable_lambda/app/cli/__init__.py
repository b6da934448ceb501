"""The ``durable-lambda`` command line: run, inspect, answer and replay durable executions locally.

The commands need the ``cli`` extra (click and rich); without it, ``main`` prints one line saying
how to install it and exits 2. See ``durable-lambda --help`` for the commands.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["INSTALL_HINT", "main"]

INSTALL_HINT = (
    "durable-lambda: the command line needs click and rich: pip install 'durable-lambda[cli]'"
)
"""What ``main`` prints when the ``cli`` extra is not installed."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return its exit code.

    Args:
        argv: The arguments after the program name.

    Returns:
        0 on success, 1 when the command failed (a failed execution, a replay mismatch, an
        error), 2 for a usage error or a missing ``cli`` extra, 130 when interrupted.
    """
    try:
        from durable_lambda.app.cli.app import run_cli  # imports click and rich
    except ImportError as error:
        if error.name not in ("click", "rich") and not str(error.name).startswith(
            ("click.", "rich.")
        ):
            raise
        print(INSTALL_HINT, file=sys.stderr)
        return 2

    return run_cli(list(sys.argv[1:] if argv is None else argv))
