"""Benchmarks of durable-lambda, measured side by side with the official AWS SDK in one run.

Run everything with ``.venv/bin/python -m benchmarks`` (or ``benchmarks/run.sh``); see
``docs/performance.md`` for what is measured, how, and the latest figures. ``--quick`` runs every
workload with tiny sizes, which is what the CI smoke test does.

The official SDK (``aws-durable-execution-sdk-python==3.0.0`` and its testing package 1.4.0) runs
in a separate virtual environment, created once per Python version (``.cache/bench-official-venv-
pyXY/``, built with the interpreter running the benchmarks), through
``benchmarks/official_workloads.py`` in a subprocess, so neither SDK's imports affect the other.
"""
