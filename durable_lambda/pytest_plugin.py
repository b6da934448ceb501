"""The pytest plugin: the ``durable_runner`` fixture, with nothing to configure.

pytest loads it by itself wherever durable-lambda is installed (the ``pytest11`` entry point
``durable_lambda``; ``-p no:durable_lambda`` turns it off). ``durable_runner`` is
``DurableTestRunner`` itself for the test to call (``durable_runner(handler, **options)`` takes
the same arguments and returns the same runner), with two things added:

* an ``async def`` test that takes ``durable_runner`` runs on an event loop of its own, with no
  async plugin and no configuration. With pytest-asyncio installed, in its default strict mode,
  such a test runs here unless it is marked ``@pytest.mark.asyncio`` (then pytest-asyncio runs
  it, as it runs every async test in auto mode); anyio's and trio's marked tests are theirs;
* a runner left inside ``with`` (its blocking event loop still running) is closed when the test
  ends.

Example:
    >>> def test_order(durable_runner: type[DurableTestRunner]) -> None:
    ...     with durable_runner(handler) as runner:
    ...         assert runner.run({"orderId": "o-1"}).status == "SUCCEEDED"
    >>> async def test_order_async(durable_runner: type[DurableTestRunner]) -> None:
    ...     async with durable_runner(handler) as runner:
    ...         assert (await runner.run({"orderId": "o-1"})).status == "SUCCEEDED"
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from durable_lambda.app.testing_runner import DurableTestRunner

__all__ = ["FIXTURE", "durable_runner", "pytest_pyfunc_call"]

FIXTURE = "durable_runner"
"""The fixture's name; an ``async def`` test that takes it is run by this plugin."""

# A test marked for one of these is run by its own plugin.
_OTHER_ASYNC_RUNNERS = ("asyncio", "anyio", "trio")


@pytest.fixture
def durable_runner() -> Iterator[type[DurableTestRunner]]:
    """Return ``DurableTestRunner`` for the test to make runners with (see the module docstring).

    Every runner it makes and the test leaves inside ``with`` is closed when the test ends.
    """
    # Imported only when a test asks: pytest loads this plugin in every project where
    # durable-lambda is installed, and most of their tests never need the SDK.
    from durable_lambda.app.testing_runner import DurableTestRunner

    made: list[DurableTestRunner] = []

    class _FixtureRunner(DurableTestRunner):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    _FixtureRunner.__name__ = _FixtureRunner.__qualname__ = "DurableTestRunner"
    yield _FixtureRunner
    for runner in made:
        runner.__exit__(None, None, None)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an ``async def`` test that takes ``durable_runner`` and no other plugin runs.

    Returns:
        True when it ran the test; None to leave the test to pytest and the other plugins.
    """
    function = pyfuncitem.obj
    if FIXTURE not in pyfuncitem.fixturenames or not inspect.iscoroutinefunction(function):
        return None  # a plain test, or one another plugin has already wrapped to run
    if any(pyfuncitem.get_closest_marker(name) for name in _OTHER_ASYNC_RUNNERS):
        return None
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(function(**arguments))
    return True
