#!/usr/bin/env bash
# Run the durable-execution conformance suites against durable-lambda, on 127.0.0.1 only.
#
#   scripts/conformance.sh                         # every suite
#   scripts/conformance.sh --suite step wait       # some suites
#   scripts/conformance.sh --ids 1-11 --verbose    # some requirements, every difference
#   scripts/conformance.sh --mode EAGER            # every handler in one checkpoint mode
#
# Needs the dev install (pip install -e '.[dev]'): it brings the official emulator
# (dex-local-runner). The requirement files are downloaded on first use from the pinned PyPI
# package and cached under .cache/conformance/. See docs/conformance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python tests/conformance/run.py "$@"
