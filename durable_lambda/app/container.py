"""The composition root: the one place that builds adapters, chosen by configuration.

Every host takes its environment (service, clock, logger, randomness; see
``durable_lambda.app.definition.Environment``) from a ``Container``: the Lambda entry point
(``lambda_container``: the ``aws`` backend), the local orchestrator and the command line
(``local_container``: the ``file`` backend, or any ``ExecutionStore``) and
``DurableTestRunner`` (``local_container``: the ``memory`` backend and a fake clock). A
function's definition holds no container.

Configuration keys:

* ``backend``: ``aws`` (the Lambda durable API through boto3), ``memory`` (the local service over
  an in-memory store), ``file`` (the local service over the file store at ``file.root``) or
  ``store`` (the local service over the store set in the ``custom_store`` slot);
* ``file.root``: the file store's folder (default ``.durable``);
* ``clock``: ``system``, ``fake`` (time skips instantly, for tests; it starts at
  ``fake_clock_start``, a fixed moment by default) or ``skip`` (the wall clock, jumping over
  every sleep: ``durable-lambda run --skip-time``);
* ``logger``: ``structlog``, or ``lambda`` (the function's Lambda log format, unless the
  application configured structlog itself);
* ``aws.region_name`` / ``aws.endpoint_url``: how the boto3 client is made (by default, boto3's
  standard resolution, ``AWS_ENDPOINT_URL_LAMBDA`` included).

Objects, not settings, go in slots (a ``Configuration`` deep-copies its whole value whenever a
key is set, which a boto3 client, holding locks, does not survive): ``aws_client`` and
``aws_boto_config`` (``container.aws_client.set_provides(client)``), ``custom_store`` (any
``ExecutionStore``) and ``invoke_refusal`` (which functions ``ctx.invoke`` cannot reach
locally, and with what error). Tests override single providers
(``container.service.override(fake)``) rather than patching.

Only this module builds adapters: an import-linter contract keeps every other module of
``durable_lambda.app`` from importing ``durable_lambda.adapters``, except the entry points named
in ``ADAPTER_ENTRY_POINTS`` for the capabilities of one adapter they expose.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from durable_lambda.adapters.aws.lambda_service import LambdaDurableService
from durable_lambda.adapters.clock.clocks import FakeClock, SkipClock, SystemClock
from durable_lambda.adapters.logging.structlog_logger import StructlogLogger
from durable_lambda.app.definition import Environment
from durable_lambda.core.model import ErrorObject
from durable_lambda.core.ports import Clock, Logger

if TYPE_CHECKING:
    from botocore.config import Config as BotocoreConfig

    from durable_lambda.adapters.local.service import LocalDurableService
    from durable_lambda.service.ports import ExecutionStore

__all__ = [
    "ADAPTER_ENTRY_POINTS",
    "DEFAULT_FILE_ROOT",
    "Container",
    "InvokeRefusal",
    "default_container",
    "lambda_container",
    "local_container",
]

InvokeRefusal = Callable[[str], ErrorObject | None]
"""Given a function name, the error an invoke of it fails with at once, or None if it exists."""

DEFAULT_FILE_ROOT = ".durable"
"""Where the file backend keeps executions unless ``file.root`` says otherwise."""

ADAPTER_ENTRY_POINTS: Mapping[str, str] = {
    "durable_lambda.app.cli.store_lookup": "finds damaged executions by the file store's layout",
    "durable_lambda.app.cli.repair_commands": "repairs a damaged file of the file store",
    "durable_lambda.app.cli.inspect_commands": "lists the file store's damaged executions",
    "durable_lambda.app.cli.render": "shows the file store's damaged executions",
}
"""The modules besides this one that may import ``durable_lambda.adapters``, and why.

Each uses a capability of one adapter that no port declares yet (the file store's damage
listing and repair); none of them builds an adapter. The import-linter contract in
``pyproject.toml`` names exactly these imports.
"""


# The local backend is imported when first built, not with the container: a function on the
# AWS backend never needs it, and importing it (history, store, service rules) costs ~15 ms at
# cold start.
def _in_memory_store() -> ExecutionStore:
    from durable_lambda.adapters.memory.store import InMemoryExecutionStore

    return InMemoryExecutionStore()


def _fake_clock(start: datetime | None) -> FakeClock:
    return FakeClock(start) if start is not None else FakeClock()


def _file_store(root: str | Path | None) -> ExecutionStore:
    from durable_lambda.adapters.file.store import FileExecutionStore

    return FileExecutionStore(root or DEFAULT_FILE_ROOT)


def _local_service(
    store: ExecutionStore, clock: Clock, invoke_refusal: InvokeRefusal | None
) -> LocalDurableService:
    if invoke_refusal is None:
        from durable_lambda.adapters.local.service import LocalDurableService

        return LocalDurableService(store, clock)
    from durable_lambda.adapters.local.functions import LocalServiceWithFunctions

    return LocalServiceWithFunctions(store, clock, invoke_refusal=invoke_refusal)


def _lambda_format_logger(structured: Callable[[], Logger]) -> Logger:
    """Return a logger in Lambda's log format, unless the application configured structlog."""
    structlog = sys.modules.get("structlog")  # never imported just to ask
    if structlog is not None and structlog.is_configured():
        return structured()
    from durable_lambda.adapters.logging.lambda_logger import LambdaLogger

    return LambdaLogger()


class Container(containers.DeclarativeContainer):
    """Every adapter the SDK uses, selected by ``config`` (see the module docstring)."""

    config = providers.Configuration()

    clock = providers.Selector(
        config.clock,
        system=providers.Singleton(SystemClock),
        fake=providers.Singleton(_fake_clock, start=config.fake_clock_start),
        skip=providers.Singleton(SkipClock),
    )

    # The slot for a store of the application's own (backend "store").
    custom_store: providers.Dependency[ExecutionStore] = providers.Dependency()
    execution_store = providers.Selector(
        config.backend,
        memory=providers.Singleton(_in_memory_store),
        file=providers.Singleton(_file_store, root=config.file.root),
        store=custom_store,
    )
    # Set by hosts that run handlers: which invokes fail at once (functions that do not exist).
    invoke_refusal: providers.Object[InvokeRefusal | None] = providers.Object(None)
    local_service = providers.Singleton(
        _local_service, store=execution_store, clock=clock, invoke_refusal=invoke_refusal
    )

    aws_client: providers.Object[Any] = providers.Object(None)
    aws_boto_config: providers.Object[BotocoreConfig] = providers.Object(None)

    service = providers.Selector(
        config.backend,
        aws=providers.Singleton(
            LambdaDurableService,
            client=aws_client,
            config=aws_boto_config,
            region_name=config.aws.region_name,
            endpoint_url=config.aws.endpoint_url,
        ),
        memory=local_service,
        file=local_service,
        store=local_service,
    )

    random = providers.Singleton(random.Random)
    structlog_logger = providers.Singleton(StructlogLogger)
    logger = providers.Selector(
        config.logger,
        structlog=structlog_logger,
        # Made for each invocation: the level and format are read from the environment then.
        **{
            "lambda": providers.Factory(_lambda_format_logger, structured=structlog_logger.provider)
        },
    )

    environment = providers.Factory(
        Environment, service=service, clock=clock, logger=logger, random=random
    )


def lambda_container(*, client: Any = None, boto_config: BotocoreConfig | None = None) -> Container:
    """Return a container for AWS Lambda: the boto3 backend, the system clock, Lambda's logs.

    Args:
        client: A boto3 ``lambda`` client to use instead of the default one.
        boto_config: A botocore ``Config`` for the default client.
    """
    container = Container()
    container.config.from_dict({"backend": "aws", "clock": "system", "logger": "lambda"})
    container.aws_client.set_provides(client)
    container.aws_boto_config.set_provides(boto_config)
    return container


def default_container() -> Container:
    """Return a container configured for AWS Lambda (``lambda_container()`` with no options)."""
    return lambda_container()


def local_container(
    *,
    store: ExecutionStore | None = None,
    root: str | Path | None = None,
    clock: Clock | str = "system",
    start_time: datetime | None = None,
    invoke_refusal: InvokeRefusal | None = None,
) -> Container:
    """Return a container for running executions on this machine.

    The backend is ``store`` when a store is given, ``file`` when a root is, else ``memory``.

    Args:
        store: Any ``ExecutionStore`` of the application's own.
        root: The file store's folder.
        clock: ``"system"``, ``"fake"``, ``"skip"`` or a ``Clock``.
        start_time: Where a ``"fake"`` clock starts (by default, a fixed moment).
        invoke_refusal: Given a function name ``ctx.invoke`` wrote, the error the invoke fails
            with at once when no such function exists, or None when it does; a host that runs
            handlers sets it from the functions it knows (see ``chained_invokes``).

    Raises:
        ValueError: both ``store`` and ``root`` are given.
    """
    if store is not None and root is not None:
        raise ValueError("give a store or a root for the file store, not both")
    backend = "store" if store is not None else "file" if root is not None else "memory"
    container = Container()
    container.config.from_dict(
        {
            "backend": backend,
            "clock": clock if isinstance(clock, str) else "system",
            "logger": "structlog",
            "fake_clock_start": start_time,
            "file": {"root": str(root) if root is not None else None},
        }
    )
    if store is not None:
        container.custom_store.override(providers.Object(store))
    if not isinstance(clock, str):
        container.clock.override(providers.Object(clock))
    if invoke_refusal is not None:
        container.invoke_refusal.set_provides(invoke_refusal)
    return container
