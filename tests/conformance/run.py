"""Run the durable-execution conformance suites against durable-lambda.

Usage (from the repository root)::

    .venv/bin/python tests/conformance/run.py                       # every suite
    .venv/bin/python tests/conformance/run.py --suite step wait     # some suites
    .venv/bin/python tests/conformance/run.py --ids 1-11 --verbose  # some requirements

The requirement files come from the pinned PyPI package, cached under ``.cache/conformance/``;
``docs/conformance.md`` describes the run and its results.
"""

import sys
from pathlib import Path

# The harness is the package ``conformance.harness`` under tests/; make it importable when
# this file is run as a script.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.harness.cli import main

if __name__ == "__main__":
    sys.exit(main())
