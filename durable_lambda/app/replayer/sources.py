"""Where a replay reads a recorded execution from: a local store, a saved file, or AWS.

``Replayer.replay`` takes any of:

* ``LocalExecution(store, execution)``: an execution in a local store (a folder such as
  ``.durable``, or any ``ExecutionStore``), named by ARN or a unique prefix of its name or id;
* an ``ExecutionRecord`` (what a store's ``load`` returns), or a ``RecordedExecution``;
* a path (``str`` or ``Path``) to a JSON file: what ``durable-lambda history --json`` writes, a
  ``GetDurableExecutionHistory`` response (every page's ``Events``), or a
  ``GetDurableExecutionState`` response; or that JSON already parsed (a ``dict``);
* ``AwsExecution(arn, ...)``: an execution on AWS, read with boto3, read-only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from durable_lambda.app.replayer.aws import AwsExecutionReader, lambda_client
from durable_lambda.app.replayer.errors import ReplaySourceError
from durable_lambda.app.replayer.recorded import (
    RecordedExecution,
    from_document,
    from_record,
    load_json_file,
)
from durable_lambda.service.ports import ExecutionStore
from durable_lambda.service.record import ExecutionRecord, ExecutionSummary

__all__ = ["AwsExecution", "LocalExecution", "ReplaySource", "read_source", "resolve_reference"]


@dataclass(frozen=True)
class LocalExecution:
    """An execution kept in a local store.

    Attributes:
        store: A store folder (``.durable`` by default in the CLI) or any ``ExecutionStore``.
        execution: The execution's ARN, or a unique prefix of its name or id.
    """

    store: ExecutionStore | str | Path
    execution: str


@dataclass(frozen=True)
class AwsExecution:
    """An execution on AWS Lambda, read through boto3 without writing anything.

    Attributes:
        arn: The durable execution's ARN.
        region: The AWS region (else boto3's default resolution).
        profile: A named AWS profile.
        endpoint_url: Another endpoint (an emulator, a VPC endpoint).
        client: A ready boto3 ``lambda`` client, used instead of the three above.
    """

    arn: str
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    client: Any = None

    def reader(self) -> AwsExecutionReader:
        """Return the reader this source uses."""
        client = self.client
        if client is None:
            client = lambda_client(
                region=self.region, profile=self.profile, endpoint_url=self.endpoint_url
            )
        return AwsExecutionReader(client)


ReplaySource = (
    LocalExecution
    | AwsExecution
    | ExecutionRecord
    | RecordedExecution
    | str
    | Path
    | Mapping[str, Any]
)
"""Anything ``Replayer.replay`` reads a recorded execution from (see the module docstring)."""


async def read_source(source: ReplaySource) -> RecordedExecution:
    """Read the recorded execution ``source`` names.

    Raises:
        ReplaySourceError: it cannot be found or read.
        ValidationError: a file or document is not an execution record.
    """
    if isinstance(source, RecordedExecution):
        return source
    if isinstance(source, ExecutionRecord):
        return from_record(source, source=f"record {source.arn}")
    if isinstance(source, LocalExecution):
        return await _read_local(source)
    if isinstance(source, AwsExecution):
        # boto3 blocks: read in a thread so an event loop the caller runs stays free.
        return await asyncio.to_thread(lambda: source.reader().read(source.arn))
    if isinstance(source, str | Path):
        path = str(source)
        return from_document(await asyncio.to_thread(load_json_file, path), source=path)
    if isinstance(source, Mapping):
        return from_document(source, source="the given document")
    raise TypeError(
        f"cannot replay from a {type(source).__name__}: give a LocalExecution, an AwsExecution, "
        "an ExecutionRecord, a path to a JSON file, or its parsed JSON"
    )


async def _read_local(source: LocalExecution) -> RecordedExecution:
    store = source.store
    if isinstance(store, str | Path):
        from durable_lambda.app.container import local_container

        folder = Path(store)
        if not await asyncio.to_thread(folder.is_dir):
            raise ReplaySourceError(f"no execution store at {folder}")
        store = local_container(root=folder).execution_store()
        where = str(folder)
    else:
        where = type(store).__name__
    arn = resolve_reference(source.execution, await store.list_executions(), where)
    record = await store.load(arn)
    return from_record(record, source=f"{where}: {record.name}")


def resolve_reference(reference: str, executions: list[ExecutionSummary], where: str) -> str:
    """Return the ARN of the one execution ``reference`` names (an ARN or a unique prefix).

    Raises:
        ReplaySourceError: none matches, or several do.
    """
    for summary in executions:
        if summary.DurableExecutionArn == reference:
            return reference
    matches = [
        summary.DurableExecutionArn
        for summary in executions
        if summary.DurableExecutionName.startswith(reference)
        or summary.DurableExecutionArn.rsplit("/", 1)[-1].startswith(reference)
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ReplaySourceError(f"no execution matches {reference!r} in {where}")
    raise ReplaySourceError(
        f"{reference!r} matches {len(matches)} executions in {where}; give more of its name or id"
    )
