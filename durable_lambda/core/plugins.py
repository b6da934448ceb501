"""Instrumentation plugins: observe invocations, operations and step attempts, never affect them.

A plugin is any object with some of the hooks of ``InstrumentationPlugin`` (subclass
``BasePlugin`` to get no-op defaults and override only what you need). Register plugins with
``@durable_execution(plugins=[...])``, ``DurableTestRunner(handler, plugins=[...])`` or
``RuntimeOptions(plugins=(...))``. Every hook is a plain synchronous call on the event loop, in
this order for one invocation:

* ``on_invocation_start`` before the handler runs (``is_first_invocation`` is False once any
  operation was checkpointed by an earlier invocation);
* ``on_operation_start`` when this invocation checkpoints an operation's START (including a step
  whose retry is due, which starts again), before anything of the operation runs;
* ``on_attempt_start`` / ``on_attempt_end`` around each run of a step's function (the submitter
  of ``wait_for_callback`` is a step too); the end comes before the attempt's outcome is
  checkpointed;
* ``on_operation_end`` when this invocation checkpoints the operation's SUCCEED, FAIL or CANCEL;
* ``on_invocation_end`` after every update is checkpointed, with how the invocation ended.

Operations replayed from earlier checkpoints fire nothing: a hook reports what this invocation
does, so an operation is reported started or ended once, by the invocation that made it so. A
wait, callback or chained invoke completed by the service (a timer, an answer, the target's end)
is therefore reported started but not ended; a plugin that keeps one span per operation closes
the ones still open in ``on_invocation_end``.

Isolation: an exception a hook raises is logged through the logger port and swallowed, so a
plugin can never change an execution's result, history or control flow. ``KeyboardInterrupt``,
``SystemExit`` and ``GeneratorExit`` still propagate. Hooks must not call durable operations.

The hook protocol and the info objects are a port of the core, defined with the others in
``durable_lambda.core.ports``; the dispatching is in ``durable_lambda.core.plugin_dispatch``.
Users import them from ``durable_lambda``.
"""

from durable_lambda.core.plugin_dispatch import (
    AttemptScope,
    ObservedCheckpointer,
    PluginDispatcher,
)
from durable_lambda.core.ports import (
    AttemptInfo,
    AttemptOutcome,
    InstrumentationPlugin,
    InvocationEndInfo,
    InvocationEndStatus,
    InvocationStartInfo,
    OperationInfo,
)

__all__ = [
    "AttemptInfo",
    "AttemptOutcome",
    "AttemptScope",
    "BasePlugin",
    "InstrumentationPlugin",
    "InvocationEndInfo",
    "InvocationEndStatus",
    "InvocationStartInfo",
    "ObservedCheckpointer",
    "OperationInfo",
    "PluginDispatcher",
]


class BasePlugin(InstrumentationPlugin):
    """A plugin whose hooks do nothing: subclass it and override the hooks you need.

    Example:
        >>> class StepTimer(BasePlugin):
        ...     def on_attempt_end(self, info: AttemptInfo) -> None:
        ...         print(info.name, info.attempt, info.outcome)
    """
