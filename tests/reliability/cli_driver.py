"""Runs ``durable-lambda`` command lines in one process, one per line of stdin, for fuzzing.

Each input line is a JSON list of arguments; each output line is a JSON object with the exit
code and what the command wrote to stdout and stderr. Running many command lines in one process
keeps a fuzz test fast, and keeps the command's global set-up (its logging) out of pytest's.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

from durable_lambda.app.cli.app import run_cli
from durable_lambda.app.cli.common import route_logs_to_stderr


def main() -> None:
    """Serve command lines until stdin closes."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    route_logs_to_stderr()  # once, on the real stderr, before any redirection
    for line in sys.stdin:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code: int | str = run_cli(json.loads(line))
            except BaseException as error:  # anything escaping is the finding
                code = f"escaped {type(error).__name__}: {error}"
        answers.write(json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue()}))
        answers.write("\n")


if __name__ == "__main__":
    main()
