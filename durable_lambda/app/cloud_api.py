"""The Lambda API as ``CloudRunner`` calls it: one call in a worker thread, a poll, a client.

boto3 calls block, so each runs in a worker thread; a poll waits with ``asyncio.sleep``. Errors
name the call, what it was about, and the service's error code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from durable_lambda.core.errors import DurableExecutionError

__all__ = [
    "NOT_FOUND",
    "CloudRunnerError",
    "CloudTimeoutError",
    "call_lambda",
    "lambda_client",
    "poll_until",
]

NOT_FOUND = "ResourceNotFoundException"
"""What the service answers for an execution an asynchronous invoke started a moment ago."""


class CloudRunnerError(DurableExecutionError):
    """A call to the Lambda API failed, naming the call, the function or execution, and why.

    Args:
        message: What failed and why.
        code: The service's error code (``ResourceNotFoundException``...), when it gave one.
    """

    def __init__(self, message: str, *, code: str | None = None, **where: Any) -> None:
        super().__init__(message, **where)
        self.code = code


class CloudTimeoutError(CloudRunnerError, TimeoutError):
    """What was waited for did not happen in time; says how the execution stands."""


async def call_lambda(client: Any, operation: str, subject: str, **request: Any) -> dict[str, Any]:
    """Make one Lambda API call with ``client`` in a worker thread (``subject``: what about).

    Raises:
        CloudRunnerError: the call failed (the service's error code and message, or why it
            could not be made).
    """
    import botocore.exceptions

    method = getattr(client, operation)
    try:
        answer: dict[str, Any] = await asyncio.to_thread(method, **request)
    except botocore.exceptions.ClientError as error:
        details = error.response.get("Error", {})
        raise CloudRunnerError(
            f"{error.operation_name} for {subject} failed: {details.get('Code', 'error')}: "
            f"{details.get('Message', error)}",
            code=details.get("Code"),
        ) from None
    except botocore.exceptions.BotoCoreError as error:
        raise CloudRunnerError(f"{operation} for {subject} failed: {error}") from error
    return answer


async def poll_until(
    found: Callable[[], Any],
    waiting_for: str,
    *,
    interval: float,
    limit: float,
    standing: Callable[[], str] | None = None,
) -> Any:
    """Await ``found()`` every ``interval`` seconds until it returns something not None.

    Raises:
        CloudTimeoutError: ``limit`` seconds passed first; the message says what was waited
            for and, from ``standing()``, how things stand.
    """
    deadline = time.monotonic() + limit
    while True:
        value = await found()
        if value is not None:
            return value
        if time.monotonic() >= deadline:
            how = f"; {standing()}" if standing is not None else ""
            raise CloudTimeoutError(f"gave up waiting for {waiting_for} after {limit} s{how}")
        await asyncio.sleep(interval)


def lambda_client(region: str | None, profile: str | None, endpoint_url: str | None) -> Any:
    """Build a boto3 ``lambda`` client from the standard credential chain."""
    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        return session.client("lambda", endpoint_url=endpoint_url)
    except botocore.exceptions.ProfileNotFound:
        raise CloudRunnerError(f"no AWS profile named {profile!r}") from None
    except botocore.exceptions.NoRegionError:
        raise CloudRunnerError(
            "no AWS region: pass region= (or set AWS_REGION, or a region in the profile)"
        ) from None
