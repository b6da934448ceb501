"""The ``durable-lambda`` command line.

Its commands (``run``, ``list``, ``status``, ``history``, ``callback``, ``replay``,
``resume``) arrive with the local orchestrator; for now it reports its version.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

__all__ = ["main"]


def _version() -> str:
    try:
        return version("durable-lambda")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return its exit code."""
    parser = argparse.ArgumentParser(
        prog="durable-lambda",
        description="Run, inspect and test AWS Lambda durable functions locally.",
    )
    parser.add_argument("--version", action="version", version=f"durable-lambda {_version()}")
    parser.parse_args(argv)
    parser.print_help(sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
