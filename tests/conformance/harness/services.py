"""The loopback services a conformance run starts, and the processes behind them.

Everything listens on 127.0.0.1. Children are stopped by the process id this module started
(TERM, then KILL), and on Linux also die with the harness if it is killed without cleaning up.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = [
    "CREDS",
    "LOOPBACK",
    "REGION",
    "Processes",
    "child_env",
    "dex_python",
    "find_dex_cli",
    "free_port",
    "http_ok",
    "wait_until",
]

LOOPBACK = "127.0.0.1"
REGION = "us-west-2"
CREDS = {
    "aws_access_key_id": "AKIDLOCALHARNESS",
    "aws_secret_access_key": "local-harness-secret",
}
DEX_CLI = "dex-local-runner"


def _die_with_parent() -> None:
    """Child side (Linux): receive SIGTERM when the harness dies without cleaning up."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Processes:
    """The children this harness started; stopped by their process ids."""

    def __init__(self) -> None:
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._files: list[IO[bytes]] = []

    def start(
        self, name: str, cmd: list[str], env: dict[str, str], log_path: Path
    ) -> subprocess.Popen[bytes]:
        """Start ``cmd`` with its output appended to ``log_path``."""
        log = log_path.open("ab")
        self._files.append(log)
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        self._procs.append((name, proc))
        return proc

    def stop_all(self) -> None:
        """Stop every child (TERM, then KILL after 8 s) and close their log files."""
        for _name, proc in reversed(self._procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 8
        for _name, proc in reversed(self._procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        self._procs.clear()
        for log in self._files:
            log.close()
        self._files.clear()


def find_dex_cli() -> str | None:
    """Where ``dex-local-runner`` is: ``$DEX_LOCAL_RUNNER``, beside this python, or on PATH."""
    if os.environ.get("DEX_LOCAL_RUNNER"):
        return os.environ["DEX_LOCAL_RUNNER"]
    beside = Path(sys.executable).parent / DEX_CLI  # not resolved: a venv's python is a symlink
    for candidate in (str(beside), shutil.which(DEX_CLI)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def dex_python(dex_cli: str) -> str:
    """The interpreter of the ``dex-local-runner`` console script (its shebang, or beside it)."""
    try:
        with open(dex_cli, "rb") as script:
            first = script.readline().decode("utf-8", "replace").strip()
        if first.startswith("#!") and " " not in first[2:].strip():
            return first[2:].strip()
    except OSError:
        pass
    sibling = Path(dex_cli).parent / "python"
    return str(sibling) if os.access(sibling, os.X_OK) else sys.executable


def free_port() -> int:
    """A port free on the loopback address right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def child_env() -> dict[str, str]:
    """This environment without AWS settings or proxies, plus dummy credentials and a region."""
    dropped = ("http_proxy", "https_proxy", "all_proxy")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k.lower() not in dropped
    }
    env.update(
        {
            "AWS_ACCESS_KEY_ID": CREDS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDS["aws_secret_access_key"],
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    return env


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    proc: subprocess.Popen[bytes] | None = None,
) -> bool:
    """Poll ``predicate`` until it holds, ``timeout`` passes, or ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        with contextlib.suppress(Exception):
            if predicate():
                return True
        time.sleep(0.2)
    return False


def http_ok(url: str) -> bool:
    """Whether GET ``url`` answers 200 (no proxy; the harness only talks to loopback)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=2) as response:
        return bool(response.status == 200)
