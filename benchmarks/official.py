"""The official SDK's side: its virtual environment, and running its workloads in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# One pair of environments per Python version: they are built with the interpreter that runs the
# benchmarks, so that both SDKs run on the same Python.
_PY = f"py{sys.version_info.major}{sys.version_info.minor}"
VENV = ROOT / ".cache" / f"bench-official-venv-{_PY}"
RUNTIME_VENV = ROOT / ".cache" / f"bench-runtime-venv-{_PY}"
SCRIPT = Path(__file__).resolve().parent / "official_workloads.py"
REQUIREMENTS = (
    "aws-durable-execution-sdk-python==3.0.0",
    "aws-durable-execution-sdk-python-testing==1.4.0",
)


def _venv_python(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _installed(python: Path) -> bool:
    check = (
        "import importlib.metadata as m;"
        "assert m.version('aws-durable-execution-sdk-python') == '3.0.0';"
        "assert m.version('aws-durable-execution-sdk-python-testing') == '1.4.0'"
    )
    return python.exists() and subprocess.run([python, "-c", check], check=False).returncode == 0


def ensure_official_python(venv_dir: Path = VENV) -> Path:
    """Return the python of a virtual environment holding the official SDK, creating it once.

    The environment is reused while it holds exactly the pinned versions.
    """
    python = _venv_python(venv_dir)
    if _installed(python):
        return python
    print(f"creating {venv_dir} with {' and '.join(REQUIREMENTS)} ...", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS],
        check=True,
    )
    return python


def ensure_runtime_python(venv_dir: Path = RUNTIME_VENV) -> Path:
    """Return the python of an environment with only durable-lambda's runtime dependencies.

    A Lambda deployment installs ``durable-lambda`` without its dev extras (no rich, no PyYAML,
    no official SDK), so cold start is measured there; the code itself is imported from this
    source tree (``PYTHONPATH``), so the environment never goes stale.
    """
    python = _venv_python(venv_dir)
    check = "import boto3, dependency_injector, pydantic, structlog"
    if python.exists() and subprocess.run([python, "-c", check], check=False).returncode == 0:
        return python
    print(f"creating {venv_dir} with durable-lambda's runtime dependencies ...", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", ROOT],
        check=True,
    )
    return python


def official_version(python: Path) -> str:
    """Return the official SDK's installed version, as ``python`` sees it."""
    code = "import importlib.metadata as m; print(m.version('aws-durable-execution-sdk-python'))"
    return subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def run_official(python: Path, timeout: float = 1800, **spec: Any) -> dict[str, Any]:
    """Run one workload of ``official_workloads.py`` with ``python``; return its figures."""
    completed = subprocess.run(
        [python, SCRIPT, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"official workload {spec} failed ({completed.returncode}):\n{completed.stderr[-3000:]}"
        )
    figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures
