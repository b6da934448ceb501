"""Contract test suites that any execution store adapter, or service, can run against itself.

Subclass a suite in a pytest test module, name the subclass ``Test...``, and implement
``make_store``; pytest collects the inherited ``test_*`` methods and runs them against your
store. The suites are ``async`` tests: run them with pytest-asyncio (``asyncio_mode = "auto"``,
or ``pytestmark = pytest.mark.asyncio`` in your module). This module imports nothing from
pytest, so importing it costs nothing at run time; skips are ``unittest.SkipTest``, which
pytest honours.

Example:
    >>> from durable_lambda.contract import DurableServiceContract, ExecutionStoreContract
    >>> class TestMyStore(ExecutionStoreContract):  # doctest: +SKIP
    ...     async def make_store(self) -> ExecutionStore:
    ...         return MyStore()
    >>> class TestMyStoreUnderTheService(DurableServiceContract):  # doctest: +SKIP
    ...     async def make_store(self) -> ExecutionStore:
    ...         return MyStore()

``DurableServicePortContract`` checks the ``DurableService`` port itself (what an invocation
calls): implement ``lend_invocation`` instead of ``make_store`` (see its docstring).

See ``docs/storage-adapters.md`` for a worked example.
"""

from __future__ import annotations

from durable_lambda.contract._durable_service import DurableServicePortContract, LentInvocation
from durable_lambda.contract._samples import START, sample_record
from durable_lambda.contract._service import DurableServiceContract
from durable_lambda.contract._store import ExecutionStoreContract

__all__ = [
    "START",
    "DurableServiceContract",
    "DurableServicePortContract",
    "ExecutionStoreContract",
    "LentInvocation",
    "sample_record",
]
