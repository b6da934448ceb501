"""Public testing tools: run durable handlers in memory, with time skipped, and assert on them.

``DurableTestRunner`` runs a handler (awaited, or from a plain test with ``with``, which gives
a ``SyncTestRunner`` whose calls block); ``Replayer`` checks today's handler against executions
recorded earlier (locally, in a saved history file, or on AWS) before it is deployed. The pytest
plugin installed with the package adds the ``durable_runner`` fixture
(``durable_lambda.pytest_plugin``).

Example:
    >>> from durable_lambda.testing import DurableTestRunner
    >>> async def test_pipeline() -> None:
    ...     async with DurableTestRunner(handler, always_replay=True) as runner:
    ...         run = await runner.start({"items": ["a"]})
    ...         await run.callback("approval").succeed({"approved": True})
    ...         result = await run.result()
    ...     assert result.status == "SUCCEEDED"
    >>> def test_pipeline_in_a_plain_test() -> None:
    ...     with DurableTestRunner(handler) as runner:
    ...         assert runner.run({"items": []}).status == "SUCCEEDED"
"""

from durable_lambda.adapters.clock.clocks import FakeClock
from durable_lambda.adapters.logging.capturing import CapturedLog, CapturingLogger
from durable_lambda.app.cloud_runner import (
    CloudCallback,
    CloudExecution,
    CloudRunner,
    CloudRunnerError,
    CloudTimeoutError,
)
from durable_lambda.app.definition import ServiceLimits
from durable_lambda.app.local_lambda_context import LocalLambdaContext
from durable_lambda.app.replayer import (
    AwsExecution,
    DeepReplayError,
    Divergence,
    DivergenceKind,
    LocalExecution,
    OperationRef,
    Replayer,
    ReplayReport,
    ReplaySourceError,
    SourceLine,
)
from durable_lambda.app.testing_runner import (
    CallbackHandle,
    CountingService,
    DurableTestRunner,
    ExecutionResult,
    ExecutionStuckError,
    OperationView,
    SyncCallbackHandle,
    SyncRunnerError,
    SyncTestExecution,
    SyncTestRunner,
    TestExecution,
)
from durable_lambda.contract import DurableServiceContract, ExecutionStoreContract, sample_record
from durable_lambda.core.replay_logging import NullLogger

__all__ = [
    "AwsExecution",
    "CallbackHandle",
    "CapturedLog",
    "CapturingLogger",
    "CloudCallback",
    "CloudExecution",
    "CloudRunner",
    "CloudRunnerError",
    "CloudTimeoutError",
    "CountingService",
    "DeepReplayError",
    "Divergence",
    "DivergenceKind",
    "DurableServiceContract",
    "DurableTestRunner",
    "ExecutionResult",
    "ExecutionStoreContract",
    "ExecutionStuckError",
    "FakeClock",
    "LocalExecution",
    "LocalLambdaContext",
    "NullLogger",
    "OperationRef",
    "OperationView",
    "ReplayReport",
    "ReplaySourceError",
    "Replayer",
    "ServiceLimits",
    "SourceLine",
    "SyncCallbackHandle",
    "SyncRunnerError",
    "SyncTestExecution",
    "SyncTestRunner",
    "TestExecution",
    "sample_record",
]
