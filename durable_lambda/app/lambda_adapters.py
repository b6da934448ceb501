"""The Lambda entry point's adapters, built without the container: the cold-start path.

A function that runs on Lambda with no container of its own (the usual case) needs exactly what
``lambda_container`` wires: the boto3 service, the system clock, Lambda's log format and one
source of randomness. ``LambdaAdapters`` builds those four directly, so that a cold start does
not import dependency-injector and build a container (about 10 ms of it, measured in
``docs/performance.md``, round 6) for wiring that never varies there. The container stays the
composition root for every other host and for any Lambda function that asks for it
(``DurableFunction.lambda_container``, ``durable_execution(container=...)``); both build the
Lambda backend's adapters the same way, and ``lambda_format_logger`` is the one both use.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from durable_lambda.adapters.aws.lambda_service import LambdaDurableService
from durable_lambda.adapters.clock.clocks import SystemClock
from durable_lambda.adapters.logging.structlog_logger import StructlogLogger
from durable_lambda.core.ports import Logger

if TYPE_CHECKING:
    from botocore.config import Config as BotocoreConfig

__all__ = ["LambdaAdapters", "lambda_format_logger"]


def lambda_format_logger(structured: Callable[[], Logger]) -> Logger:
    """Return a logger in Lambda's log format, unless the application configured structlog.

    Args:
        structured: Gives the structlog logger to use when the application configured structlog.

    Raises:
        ValidationError: ``AWS_LAMBDA_LOG_LEVEL`` or ``LOG_LEVEL`` names no level.
    """
    structlog = sys.modules.get("structlog")  # never imported just to ask
    if structlog is not None and structlog.is_configured():
        return structured()
    from durable_lambda.adapters.logging.lambda_logger import LambdaLogger

    return LambdaLogger()


class LambdaAdapters:
    """The adapters of the Lambda backend, as ``lambda_container`` wires them.

    The service, the clock and the randomness are built once, here; the logger is made for
    each invocation (``logger()``), since its level and format are read from the environment
    then.

    Args:
        client: A boto3 ``lambda`` client to use instead of the default one (handed to the
            service as is).
        boto_config: A botocore ``Config`` for the default client.

    Attributes:
        service: The Lambda durable API through boto3 (its client is built on first use).
        clock: The system clock.
        random: Randomness for retry jitter.
    """

    def __init__(self, *, client: Any = None, boto_config: BotocoreConfig | None = None) -> None:
        self.service = LambdaDurableService(client=client, config=boto_config)
        self.clock = SystemClock()
        self.random = random.Random()
        self._structured: StructlogLogger | None = None

    def _structlog_logger(self) -> Logger:
        if self._structured is None:
            self._structured = StructlogLogger()
        return self._structured

    def logger(self) -> Logger:
        """Return this invocation's logger (see ``lambda_format_logger``).

        Raises:
            ValidationError: ``AWS_LAMBDA_LOG_LEVEL`` or ``LOG_LEVEL`` names no level.
        """
        return lambda_format_logger(self._structlog_logger)
