#!/usr/bin/env bash
# Run every benchmark (ours and the official SDK's) with the project's virtual environment.
# Arguments are passed on: benchmarks/run.sh --quick, benchmarks/run.sh --only steps ...
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m benchmarks "$@"
