"""``python -m benchmarks``: run every benchmark, ours and the official SDK's, in one run.

Examples:
    .venv/bin/python -m benchmarks                   # the full run (several minutes)
    .venv/bin/python -m benchmarks --quick           # tiny sizes: does everything still run?
    .venv/bin/python -m benchmarks --only steps,replay
    .venv/bin/python -m benchmarks --only boto3      # both SDKs as Lambda runs them
    .venv/bin/python -m benchmarks --only local --no-official   # the local runtime's scaling
    .venv/bin/python -m benchmarks --official-python .venv/bin/python   # reuse an interpreter
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.official import ROOT, ensure_official_python
from benchmarks.report import render
from benchmarks.suite import Sizes, run_all

GROUPS = ("boto3", "steps", "replay", "concurrency", "latency", "fixed", "floor", "local")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repetition")
    parser.add_argument("--only", help=f"comma-separated groups of {', '.join(GROUPS)}")
    parser.add_argument(
        "--official-python",
        type=Path,
        help="an interpreter with the official SDK 3.0.0 and its testing 1.4.0 "
        "(default: create or reuse .cache/bench-official-venv-pyXY for this Python)",
    )
    parser.add_argument("--no-official", action="store_true", help="measure ours only")
    parser.add_argument(
        "--official-large",
        action="store_true",
        help="also run the official SDK at 10,000 steps / map items (slow)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=ROOT / ".cache" / "benchmarks" / "results.json",
        help="where to write the raw results (default: %(default)s)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; print the markdown report; write the raw results as JSON."""
    args = _parser().parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if only and not only <= set(GROUPS):
        raise SystemExit(f"unknown groups: {sorted(only - set(GROUPS))}")
    official: Path | None = None
    if not args.no_official:
        official = args.official_python or ensure_official_python()
    sizes = Sizes.quick() if args.quick else Sizes.full(official_large=args.official_large)
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    results = run_all(sizes, official, progress, only)
    results["elapsed_seconds"] = time.perf_counter() - started
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str))
    report = render(results)
    if args.markdown:
        args.markdown.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
