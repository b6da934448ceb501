"""Reading executions from AWS Lambda's durable execution API, read-only, for a replay.

Only three calls are ever made: ``GetDurableExecution`` (status, name, error),
``GetDurableExecutionHistory`` (every page, with execution data) and
``ListDurableExecutionsByFunction`` (for ``--from-aws-function``). Nothing is written.
``GetDurableExecutionState`` is not used: it answers only with an invocation's checkpoint token.
Any endpoint that implements these calls works, the official emulator included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from durable_lambda.app.replayer.errors import ReplaySourceError
from durable_lambda.app.replayer.recorded import RecordedExecution, from_document

__all__ = [
    "READ_ONLY_CALLS",
    "AwsExecutionReader",
    "ListedExecution",
    "lambda_client",
    "split_qualifier",
]

_HISTORY_PAGE = 1000
READ_ONLY_CALLS = frozenset(
    {"GetDurableExecution", "GetDurableExecutionHistory", "ListDurableExecutionsByFunction"}
)
"""The API calls a replay makes (the tests hold it to these)."""


def lambda_client(
    *, region: str | None = None, profile: str | None = None, endpoint_url: str | None = None
) -> Any:
    """Return a boto3 ``lambda`` client from the standard credential chain.

    Args:
        region: The AWS region (else boto3's resolution: ``AWS_REGION``, the profile...).
        profile: A named profile of the shared credentials and config files.
        endpoint_url: Another endpoint (an emulator, a VPC endpoint).

    Raises:
        ReplaySourceError: the profile does not exist, or no region is configured.
    """
    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        return session.client("lambda", endpoint_url=endpoint_url)
    except botocore.exceptions.ProfileNotFound:
        raise ReplaySourceError(f"no AWS profile named {profile!r}") from None
    except botocore.exceptions.NoRegionError:
        raise ReplaySourceError(
            "no AWS region: pass --region (or set AWS_REGION, or a region in the profile)"
        ) from None


@dataclass(frozen=True)
class ListedExecution:
    """One execution of a function, as ``ListDurableExecutionsByFunction`` lists it.

    Attributes:
        arn: The execution's ARN.
        name: Its name.
        status: Its status.
    """

    arn: str
    name: str
    status: str


def split_qualifier(function: str) -> tuple[str, str | None]:
    """Split ``NAME[:QUALIFIER]`` (or a function ARN with a qualifier) into name and qualifier.

    Example:
        >>> split_qualifier("orders:live")
        ('orders', 'live')
        >>> split_qualifier("arn:aws:lambda:us-east-1:123456789012:function:orders:7")
        ('arn:aws:lambda:us-east-1:123456789012:function:orders', '7')
    """
    if ":function:" in function:
        base, _, rest = function.partition(":function:")
        name, _, qualifier = rest.partition(":")
        return f"{base}:function:{name}", qualifier or None
    name, _, qualifier = function.partition(":")
    return name, qualifier or None


class AwsExecutionReader:
    """Reads durable executions through a boto3 ``lambda`` client (see the module docstring).

    Args:
        client: The client; ``lambda_client()`` when omitted.
    """

    def __init__(self, client: Any = None) -> None:
        self.client = client if client is not None else lambda_client()

    def read(self, arn: str) -> RecordedExecution:
        """Return the execution ``arn``, read with ``GetDurableExecution`` and its history.

        The status comes from ``GetDurableExecution``; the operations are folded from every
        page of ``GetDurableExecutionHistory``.

        Raises:
            ReplaySourceError: a call failed (no such execution, no permission, no connection),
                naming the call and the reason.
        """
        described = self._call(
            "get_durable_execution", DurableExecutionArn=arn, IncludeExecutionData=True
        )
        events: list[Any] = []
        request: dict[str, Any] = {
            "DurableExecutionArn": arn,
            "IncludeExecutionData": True,
            "MaxItems": _HISTORY_PAGE,
        }
        while True:
            page = self._call("get_durable_execution_history", **request)
            events.extend(page.get("Events", []))
            marker = page.get("NextMarker")
            if not marker:
                break
            request["Marker"] = marker
        document = {
            "DurableExecutionArn": described.get("DurableExecutionArn") or arn,
            "DurableExecutionName": described.get("DurableExecutionName"),
            "Status": described.get("Status"),
            "Events": events,
        }
        return from_document(document, source=f"AWS {arn}", arn=arn)

    def list(
        self,
        function: str,
        *,
        statuses: Sequence[str] = ("RUNNING",),
        limit: int = 10,
    ) -> list[ListedExecution]:
        """List up to ``limit`` executions of ``function`` (``NAME[:QUALIFIER]``) in ``statuses``.

        Raises:
            ReplaySourceError: the call failed.
        """
        name, qualifier = split_qualifier(function)
        wanted = set(statuses)
        request: dict[str, Any] = {"FunctionName": name, "Statuses": list(statuses)}
        if qualifier:
            request["Qualifier"] = qualifier
        found: list[ListedExecution] = []
        while len(found) < limit:
            request["MaxItems"] = min(limit - len(found), _HISTORY_PAGE)
            page = self._call("list_durable_executions_by_function", **request)
            for item in page.get("DurableExecutions", []):
                if item.get("Status") and item["Status"] not in wanted:
                    continue  # a service that ignored the filter (the emulator does): skip it
                found.append(
                    ListedExecution(
                        arn=str(item["DurableExecutionArn"]),
                        name=str(item.get("DurableExecutionName") or ""),
                        status=str(item.get("Status") or ""),
                    )
                )
            marker = page.get("NextMarker")
            if not marker:
                break
            request["Marker"] = marker
        return found[:limit]

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        import botocore.exceptions

        try:
            answer: dict[str, Any] = getattr(self.client, operation)(**request)
        except botocore.exceptions.ClientError as error:
            details = error.response.get("Error", {})
            raise ReplaySourceError(
                f"{error.operation_name} failed: {details.get('Code', 'error')}: "
                f"{details.get('Message', error)}"
            ) from None
        except botocore.exceptions.BotoCoreError as error:
            raise ReplaySourceError(f"{operation} failed: {error}") from None
        return answer
