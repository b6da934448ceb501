"""The official emulator with the fault-injecting proxy in front of it, and the Lambda endpoint.

The suites that break the service's answers (``test_checkpoint_faults``, ``test_garbled_answers``)
share this set-up: the handler's SDK talks to the proxy, the proxy to the emulator, and the
emulator invokes the handler through the endpoint, all on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulated_lambda import CREDENTIALS, REGION, EmulatorProcess, InvokeEndpoint
from fault_proxy import FaultProxy

from durable_lambda import DurableFunction

__all__ = ["Rig", "fault_rig"]


@dataclass
class Rig:
    """The emulator, the proxy in front of it, and the endpoint that runs the handler."""

    emulator: EmulatorProcess
    proxy: FaultProxy
    endpoint: InvokeEndpoint
    log: Path


@contextlib.contextmanager
def fault_rig(
    functions: Mapping[str, DurableFunction[Any]], log: Path, read_timeout: float
) -> Iterator[Rig]:
    """Start the three on loopback with ``functions`` registered; stop them afterwards.

    The proxy holds a ``timeout`` fault's answer longer than the SDK's ``read_timeout``. The
    AWS credentials and region the SDK needs are set for the duration and restored after.
    """
    saved = {key: os.environ.get(key) for key in (*CREDENTIALS, "AWS_DEFAULT_REGION")}
    os.environ.update(CREDENTIALS | {"AWS_DEFAULT_REGION": REGION})
    proxy: FaultProxy | None = None
    endpoint: InvokeEndpoint | None = None
    emulator: EmulatorProcess | None = None
    try:
        # The proxy needs the emulator's URL and the emulator the endpoint's: start the
        # endpoint with a placeholder and point it at the proxy once that exists.
        endpoint = InvokeEndpoint(functions, "http://127.0.0.1:9", read_timeout)
        emulator = EmulatorProcess(list(functions), endpoint.url, log)
        proxy = FaultProxy(emulator.url, hold_seconds=read_timeout + 1.5)
        endpoint.service_url = proxy.url
        yield Rig(emulator, proxy, endpoint, log)
    finally:
        for part in (proxy, endpoint, emulator):
            if part is not None:
                part.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
