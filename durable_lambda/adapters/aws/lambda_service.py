"""The ``DurableService`` port over boto3's ``lambda`` client: the Lambda durable execution API.

Two calls, ``CheckpointDurableExecution`` and ``GetDurableExecutionState``. boto3 blocks, so where
they run is chosen per call:

* on the event loop's own thread, when the checkpointer says the call is all the loop has to do
  (``call_is_all_that_runs``: every other task waits for this checkpoint). Blocking the loop
  then holds up nothing that could have run, and the call costs no hand-over between threads,
  which on a busy machine costs more than the rest of a step (``docs/performance.md``). This is
  the common case of a handler that awaits its durable calls one after another.
* otherwise on this adapter's sender thread, one long-lived thread fed through a queue (each
  call's result comes back with ``call_soon_threadsafe``), so that other branches (map items,
  parallel branches, the user's own tasks) keep running while the call is on the network. One
  thread is enough: the checkpointer makes one call at a time, in order.

Transient
failures (throttling, 5xx, dropped connections) are retried here with a short, bounded exponential
backoff; what is left is mapped onto the core's errors:

* a stale or unknown checkpoint token -> ``InvalidCheckpointTokenError`` (Lambda retries the
  invocation, which then receives a fresh token);
* throttling, 5xx, connection failures still failing after the retries -> ``CheckpointError``
  with ``retriable=True`` (raised out of the handler so Lambda retries the invocation);
* any other client error (``ResourceNotFoundException``, a validation error, a KMS key problem)
  -> ``CheckpointError`` with ``retriable=False`` (the execution ends FAILED).

A 2xx answer that lacks what its call always returns is a garbled answer, retried and mapped like
a transient failure, never taken for a valid one. botocore reads a body it cannot parse (cut
short, ``{}``, an HTML page from a proxy) as an empty answer, and an empty state page would look
like the last one: the handler would replay with part of its state missing and run completed
steps again. What each call must carry: ``Operations`` on a state page; ``NewExecutionState`` on
a checkpoint answer, and ``CheckpointToken`` too unless the batch ends the execution (botocore's
model marks the first two required; a live execution always gets a next token). A body that
makes botocore's parser itself raise is the same kind of failure.

The classification follows the official SDK's (``BotoClientError`` in its ``exceptions.py``):
KMS errors arrive as HTTP 502 yet never succeed on retry, and only an
``InvalidParameterValueException`` saying "Invalid checkpoint token" counts as a token problem.

Importing this module does not import boto3: the client is built on first use, so that code paths
that never reach AWS (local runs, tests) do not pay for it.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pydantic

from durable_lambda.adapters.aws.failures import Kind, classify, incomplete, to_error
from durable_lambda.adapters.aws.sender import SenderThread
from durable_lambda.core._internals import built_model
from durable_lambda.core.checkpointer import call_is_all_that_runs
from durable_lambda.core.errors import CheckpointError, ValidationError
from durable_lambda.core.model import (
    CheckpointResponse,
    ExecutionState,
    Operation,
    OperationList,
    OperationType,
    OperationUpdate,
)
from durable_lambda.core.operation_fields import operation_fields_validator, worth_building
from durable_lambda.core.ports import Logger
from durable_lambda.core.replay_logging import NullLogger

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_lambda import LambdaClient

__all__ = ["LambdaDurableService"]

_CHECKPOINT = "CheckpointDurableExecution"
_GET_STATE = "GetDurableExecutionState"

# What every 2xx answer of each call carries (see the module docstring).
_STATE_PAGE_KEYS = ("Operations",)
_CHECKPOINT_KEYS = ("CheckpointToken", "NewExecutionState")
_CLOSING_CHECKPOINT_KEYS = ("NewExecutionState",)  # the execution is over: no next token

_EXECUTION = OperationType.EXECUTION
_UUID_MASK = (1 << 128) - 1

_ModelT = TypeVar("_ModelT", bound=pydantic.BaseModel)
_Sleep = Callable[[float], Awaitable[object]]


class LambdaDurableService:
    """Checkpoint storage on AWS: the Lambda durable execution API through boto3.

    Args:
        client: A boto3 ``lambda`` client. When omitted one is built on first use with
            ``boto3.client("lambda", ...)``, so the standard region, credential and endpoint
            resolution applies (``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL_LAMBDA``...). Give
            your own client to control its configuration entirely; note that botocore's own
            retries then come on top of the ones here.
        config: botocore configuration for the built client, merged over this adapter's defaults
            (5 s connect and 50 s read time-outs, as the official SDK uses, and botocore's
            retries switched off because this adapter retries itself).
        region_name: Region for the built client; resolved from the environment when omitted.
        endpoint_url: Endpoint for the built client, e.g. a local emulator.
        max_retries: How many times a transient failure is retried before giving up.
        base_delay: Seconds before the first retry; doubled for each further one.
        max_delay: Upper bound of one delay, in seconds.
        sleep: Awaited with each delay; ``asyncio.sleep`` unless a test injects a fake.
        logger: Receives a warning for each retry.

    Raises:
        ValidationError: A retry setting is negative, or ``client`` is given along with
            ``config``, ``region_name`` or ``endpoint_url``.

    Example:
        >>> service = LambdaDurableService(endpoint_url="http://127.0.0.1:5000")

    """

    DEFAULT_PAGE_SIZE = 1000
    """Operations asked for per ``GetDurableExecutionState`` page (the API's maximum)."""

    def __init__(
        self,
        client: LambdaClient | None = None,
        *,
        config: Config | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        max_retries: int = 3,
        base_delay: float = 0.1,
        max_delay: float = 2.0,
        sleep: _Sleep = asyncio.sleep,
        logger: Logger | None = None,
    ) -> None:
        if client is not None and (config, region_name, endpoint_url) != (None, None, None):
            raise ValidationError(
                "config, region_name and endpoint_url configure the client built on first use; "
                "they cannot apply to a client you pass in",
                field="client",
            )
        retry_settings = {
            "max_retries": max_retries,
            "base_delay": base_delay,
            "max_delay": max_delay,
        }
        for name, value in retry_settings.items():
            if value < 0:
                raise ValidationError(f"{name} must not be negative, got {value}", field=name)
        self._client = client
        self._client_lock = threading.Lock()
        self._sender = SenderThread()
        # Client tokens: a random prefix per adapter and a counter, written as a UUID; as unique
        # as a fresh uuid4 per call, without reading the system's randomness every time.
        self._token_base = uuid.uuid4().int
        self._tokens_made = 0
        self._client_settings = (config, region_name, endpoint_url)
        self._max_retries = max_retries
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._logger: Logger = NullLogger() if logger is None else logger

    @property
    def client(self) -> LambdaClient:
        """The boto3 ``lambda`` client in use; building it now if it was not given or built yet.

        Returns:
            The client.

        """
        return self._get_client()

    async def checkpoint(
        self,
        execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointResponse:
        """Send ``updates`` with ``CheckpointDurableExecution``; return the next token and changes.

        One ``ClientToken`` (``client_token``, or a fresh UUID) is used for every retry of this
        call, so a checkpoint the service applied before its answer was lost is not applied twice.

        Args:
            execution_arn: The durable execution.
            checkpoint_token: The execution's current token.
            updates: The updates, in the order the service must apply them.
            client_token: An idempotency token; generated when omitted.

        Returns:
            The parsed response; its ``CheckpointToken`` is None only when ``updates`` end the
            execution.

        Raises:
            InvalidCheckpointTokenError: The service rejected the token.
            CheckpointError: The call failed; ``retriable`` tells whether Lambda should retry.
                A garbled answer (without ``NewExecutionState``, or without a token while the
                execution goes on) is retried here, then raised as retriable.

        """
        self._require_token(_CHECKPOINT, execution_arn, checkpoint_token)
        wire_updates = [update.to_wire() for update in updates]
        token = client_token or self._client_token()
        closes_execution = any(update.Type is _EXECUTION for update in updates)
        response = await self._call(
            _CHECKPOINT,
            execution_arn,
            lambda client: client.checkpoint_durable_execution(
                DurableExecutionArn=execution_arn,
                CheckpointToken=checkpoint_token,
                # The TypedDicts of boto3-stubs cannot see that our wire dicts match them.
                Updates=cast("Any", wire_updates),
                ClientToken=token,
            ),
            _CLOSING_CHECKPOINT_KEYS if closes_execution else _CHECKPOINT_KEYS,
        )
        return _checkpoint_answer(response, execution_arn)

    async def get_state(
        self,
        execution_arn: str,
        checkpoint_token: str,
        marker: str,
        max_items: int | None = None,
    ) -> ExecutionState:
        """Read one page of operations with ``GetDurableExecutionState``.

        Args:
            execution_arn: The durable execution.
            checkpoint_token: The execution's current token.
            marker: Where the page starts (the previous page's ``NextMarker``).
            max_items: Page size, 0 to 1000; ``DEFAULT_PAGE_SIZE`` when omitted.

        Returns:
            The page; its ``NextMarker`` is empty or absent on the last page.

        Raises:
            InvalidCheckpointTokenError: The service rejected the token.
            CheckpointError: The call failed; ``retriable`` tells whether Lambda should retry.
                A garbled answer (without ``Operations``) is retried here, then raised as
                retriable: it is never taken for an empty last page.

        """
        self._require_token(_GET_STATE, execution_arn, checkpoint_token)
        page_size = self.DEFAULT_PAGE_SIZE if max_items is None else max_items
        response = await self._call(
            _GET_STATE,
            execution_arn,
            lambda client: client.get_durable_execution_state(
                DurableExecutionArn=execution_arn,
                CheckpointToken=checkpoint_token,
                Marker=marker,
                MaxItems=page_size,
            ),
            _STATE_PAGE_KEYS,
        )
        state = _state_page(response)
        if state is None:
            return _parse(ExecutionState, response, _GET_STATE, execution_arn)
        return state

    async def _call(
        self,
        operation: str,
        execution_arn: str,
        request: Callable[[LambdaClient], Mapping[str, Any]],
        required: tuple[str, ...],
    ) -> Mapping[str, Any]:
        """Make the call, retrying transient failures; ``required``: keys every answer has."""
        attempt = 0
        while True:
            attempt += 1
            cause: Exception | None = None
            try:
                if call_is_all_that_runs():
                    response = self._send(request)  # nothing else can run: see the docstring
                else:
                    response = await self._sender.call(self._send, request)
            except Exception as error:
                failure = classify(error)
                if failure is None:
                    raise
                cause = error
            else:
                failure = incomplete(operation, response, required)
                if failure is None:
                    return response
            if failure.kind is not Kind.TRANSIENT or attempt > self._max_retries:
                raise to_error(failure, operation, execution_arn, attempt) from cause
            delay = min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
            self._logger.warning(
                "durable_api_call_retrying",
                operation=operation,
                execution_arn=execution_arn,
                error_code=failure.code,
                attempt=attempt,
                delay_seconds=delay,
            )
            await self._sleep(delay)

    def _send(self, request: Callable[[LambdaClient], Mapping[str, Any]]) -> Mapping[str, Any]:
        return request(self._get_client())

    def _get_client(self) -> LambdaClient:
        # Runs in worker threads: two first calls at once must not build two clients.
        with self._client_lock:
            if self._client is None:
                self._client = _build_client(*self._client_settings)
            return self._client

    def _client_token(self) -> str:
        """Return a new idempotency token for one checkpoint call (UUID-shaped, 36 characters)."""
        self._tokens_made += 1
        text = f"{(self._token_base + self._tokens_made) & _UUID_MASK:032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    @staticmethod
    def _require_token(operation: str, execution_arn: str, checkpoint_token: str) -> None:
        # The service would reject an empty token with an opaque validation error; a new
        # invocation is handed a valid one, so this is worth a Lambda retry.
        if not checkpoint_token:
            raise CheckpointError(
                f"{operation} needs a checkpoint token, and none was given",
                retriable=True,
                execution_arn=execution_arn,
            )


def _build_client(
    config: Config | None, region_name: str | None, endpoint_url: str | None
) -> LambdaClient:
    """Build a boto3 ``lambda`` client with this adapter's defaults under ``config``."""
    # Imported here, on the first call only: none of them is needed to import the SDK.
    from importlib import metadata

    import boto3
    from botocore.config import Config

    try:
        version = metadata.version("durable-lambda")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        version = "unknown"
    defaults = Config(
        connect_timeout=5,
        read_timeout=50,
        # One attempt per call: the retries (and their bound) are this adapter's.
        retries={"mode": "standard", "total_max_attempts": 1},
        user_agent_extra=f"durable-lambda/{version}",
    )
    return boto3.client(
        "lambda",
        config=defaults if config is None else defaults.merge(config),
        region_name=region_name,
        endpoint_url=endpoint_url,
    )


def _parse(
    model: type[_ModelT], response: Mapping[str, Any], operation: str, execution_arn: str
) -> _ModelT:
    """Validate a response into ``model``; an unreadable one is a non-retriable failure."""
    try:
        return model.model_validate(response)
    except pydantic.ValidationError as error:
        raise CheckpointError(
            f"{operation} returned a response durable-lambda cannot read: {error}",
            retriable=False,
            execution_arn=execution_arn,
        ) from error


def _operations(value: object) -> OperationList | None:
    """Validate a list of wire operations into an ``OperationList``; None if it is not one."""
    if type(value) is not list:
        return None
    if not value:
        return OperationList()
    try:
        if worth_building(len(value)):
            return OperationList(operation_fields_validator().validate_python(value))
        return OperationList([Operation.model_validate(item) for item in value])
    except ValueError:
        return None  # the models' own validation says what is wrong


def _state_page(answer: Mapping[str, Any]) -> ExecutionState | None:
    """Read a state page as far as the SDK uses it; None when the models must say what is wrong.

    The operations are validated with the models' rules (``operation_fields``), the marker
    checked to be text; anything else in the answer is not read.
    """
    marker = answer.get("NextMarker")
    operations = _operations(answer.get("Operations", []))
    if operations is None or not (marker is None or type(marker) is str):
        return None
    return built_model(ExecutionState, {"Operations": operations, "NextMarker": marker})


def _checkpoint_answer(answer: Mapping[str, Any], execution_arn: str) -> CheckpointResponse:
    """Read a checkpoint answer as far as the SDK uses it: the token and the changed operations.

    What the models would refuse is read by them, for the error
    (``CheckpointError``, not retriable, as ``_parse`` raises).
    """
    token = answer.get("CheckpointToken")
    state = answer.get("NewExecutionState")
    page = _state_page(state) if type(state) is dict else None
    if page is None or not (token is None or type(token) is str):
        return _parse(CheckpointResponse, answer, _CHECKPOINT, execution_arn)
    return built_model(CheckpointResponse, {"CheckpointToken": token, "NewExecutionState": page})
