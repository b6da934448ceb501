"""The composition root: one dependency-injector container that picks adapters from configuration.

Nothing else in the package constructs adapters. Configuration keys:

* ``backend``: ``aws`` (the Lambda durable API through boto3, the default) or ``memory`` (the local
  service over an in-memory execution store);
* ``clock``: ``system`` (default) or ``fake`` (time skips instantly, for tests);
* ``checkpoint_mode``: ``EAGER``, ``BATCHED`` (default) or ``OPTIMISTIC``;
* ``log_during_replay``: emit ``ctx.logger`` events while replaying (default false);
* ``aws.region_name`` / ``aws.endpoint_url``: how the boto3 client is made (by default, boto3's
  standard resolution, ``AWS_ENDPOINT_URL_LAMBDA`` included).

A ready-made boto3 client and a botocore ``Config`` are objects, not settings: set them on the
``aws_client`` and ``aws_boto_config`` providers (``container.aws_client.set_provides(client)``).

Tests override single providers (``container.service.override(fake)``) rather than patching.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from durable_lambda.adapters.aws.lambda_service import LambdaDurableService
from durable_lambda.adapters.clock.clocks import FakeClock, SystemClock
from durable_lambda.adapters.logging.structlog_logger import StructlogLogger
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import DEFAULT_SERDES, SerDes

if TYPE_CHECKING:
    from botocore.config import Config as BotocoreConfig

    from durable_lambda.adapters.local.service import LocalDurableService
    from durable_lambda.adapters.memory.store import InMemoryExecutionStore
    from durable_lambda.core.ports import Clock

__all__ = ["Container", "default_container"]


# The local backend is imported when first built, not with the container: a function on the
# AWS backend never needs it, and importing it (history, store, service rules) costs ~15 ms at
# cold start.
def _in_memory_store() -> InMemoryExecutionStore:
    from durable_lambda.adapters.memory.store import InMemoryExecutionStore

    return InMemoryExecutionStore()


def _local_service(store: InMemoryExecutionStore, clock: Clock) -> LocalDurableService:
    from durable_lambda.adapters.local.service import LocalDurableService

    return LocalDurableService(store=store, clock=clock)


def _checkpoint_mode(value: str | CheckpointMode | None) -> CheckpointMode:
    return CheckpointMode(str(value).upper()) if value else CheckpointMode.BATCHED


class Container(containers.DeclarativeContainer):
    """Every adapter the SDK uses, selected by ``config``."""

    config = providers.Configuration()

    clock = providers.Selector(
        config.clock,
        system=providers.Singleton(SystemClock),
        fake=providers.Singleton(FakeClock),
    )

    execution_store = providers.Singleton(_in_memory_store)

    # Not in ``config``: a Configuration deep-copies its whole value whenever any key is set,
    # which a boto3 client (it holds locks) does not survive, and a copy is not the caller's client.
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
        memory=providers.Singleton(_local_service, store=execution_store, clock=clock),
    )

    # The shared default instance: the runtime recognises it and takes a faster read path.
    serdes: providers.Provider[SerDes[Any]] = providers.Object(DEFAULT_SERDES)
    random = providers.Singleton(random.Random)
    logger = providers.Singleton(StructlogLogger)

    runtime_options = providers.Singleton(
        RuntimeOptions,
        checkpoint_mode=providers.Callable(_checkpoint_mode, config.checkpoint_mode),
        log_during_replay=config.log_during_replay.as_(bool),
    )


def default_container() -> Container:
    """Return a container configured for AWS Lambda: the boto3 backend and the system clock."""
    container = Container()
    container.config.from_dict(
        {"backend": "aws", "clock": "system", "checkpoint_mode": None, "log_during_replay": False}
    )
    return container
