"""The local durable execution service: the core's service logic over any execution store."""

from durable_lambda.adapters.local.service import LocalDurableService

__all__ = ["LocalDurableService"]
