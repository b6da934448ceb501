"""The context floor: ``DurableContext``, the user's API, a facade over ``core/operations``.

``durable_context.py`` assembles the class from its parts (see its docstring); the operations
below never import this package (they type against ``core/operations/scope.OperationScope``).
"""

from durable_lambda.core.context.durable_context import DurableContext, ParallelBranch
from durable_lambda.core.operations.step_context import StepContext, WaitForConditionCheckContext

__all__ = ["DurableContext", "ParallelBranch", "StepContext", "WaitForConditionCheckContext"]
