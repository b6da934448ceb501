"""Adapters of the ``Logger`` port: structlog, the standard library, Lambda's formats, Powertools.

* ``LambdaLogger``: Lambda's JSON or text lines, the default under the Lambda entry point;
* ``StructlogLogger``: through structlog (the default elsewhere), with
  ``configure_default_logging`` for a JSON setup in one call;
* ``StdlibLogger``: through a ``logging.Logger``;
* ``PowertoolsLogger``: through Powertools for AWS Lambda's ``Logger`` (the ``powertools`` extra).

The names load on first access, so importing one adapter costs nothing for the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from durable_lambda.adapters.logging.lambda_logger import LambdaLogFormat, LambdaLogger
    from durable_lambda.adapters.logging.powertools_logger import PowertoolsLogger
    from durable_lambda.adapters.logging.stdlib_logger import StdlibLogger
    from durable_lambda.adapters.logging.structlog_logger import (
        StructlogLogger,
        configure_default_logging,
    )

__all__ = [
    "LambdaLogFormat",
    "LambdaLogger",
    "PowertoolsLogger",
    "StdlibLogger",
    "StructlogLogger",
    "configure_default_logging",
]

_MODULES = {
    "LambdaLogFormat": "lambda_logger",
    "LambdaLogger": "lambda_logger",
    "PowertoolsLogger": "powertools_logger",
    "StdlibLogger": "stdlib_logger",
    "StructlogLogger": "structlog_logger",
    "configure_default_logging": "structlog_logger",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
