"""The API surface a migrating user touches: names, positions and shapes, against the official SDK.

The official SDK 3.0.0 (a dev dependency) is the reference: its signatures are read with
``inspect``, its objects are built with the same arguments, and ours must take the same.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import aws_durable_execution_sdk_python.config as official_config
import aws_durable_execution_sdk_python.retries as official_retries
import aws_durable_execution_sdk_python.waits as official_waits
import pytest
from aws_durable_execution_sdk_python.context import DurableContext as OfficialContext

from durable_lambda import (
    BatchItemError,
    BatchResult,
    CallbackConfig,
    ChildConfig,
    CompletionConfig,
    DurableContext,
    Duration,
    InvokeConfig,
    MapConfig,
    NestingType,
    ParallelBranch,
    ParallelConfig,
    PassThroughSerDes,
    RetryPresets,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    StepError,
    StepSemantics,
    ValidationError,
    WaitForCallbackConfig,
    WaitForConditionCheckContext,
    WaitForConditionConfig,
    WaitForConditionDecision,
    create_wait_strategy,
)
from durable_lambda.core.config_base import ConfigModel
from durable_lambda.core.errors import ChildContextError
from durable_lambda.core.model import ErrorObject, OperationType
from durable_lambda.core.polling import WaitStrategyConfig
from durable_lambda.core.retry import LinearRetryStrategyConfig
from durable_lambda.testing import DurableTestRunner

# --- signatures: the official SDK's positional order and keyword names --------------------------


def _positional(function: Any) -> list[str]:
    return [
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if name != "self" and parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]


@pytest.mark.parametrize(
    "method",
    [
        "step",
        "wait",
        "run_in_child_context",
        "create_callback",
        "wait_for_callback",
        "invoke",
        "wait_for_condition",
        "map",
        "parallel",
    ],
)
def test_every_operation_takes_the_official_arguments_in_the_official_order(method: str) -> None:
    assert _positional(getattr(DurableContext, method)) == _positional(
        getattr(OfficialContext, method)
    )


PAIRS: list[tuple[type[ConfigModel], Any]] = [
    (StepConfig, official_config.StepConfig),
    (ChildConfig, official_config.ChildConfig),
    (CallbackConfig, official_config.CallbackConfig),
    (WaitForCallbackConfig, official_config.WaitForCallbackConfig),
    (InvokeConfig, official_config.InvokeConfig),
    (CompletionConfig, official_config.CompletionConfig),
    (MapConfig, official_config.MapConfig),
    (ParallelConfig, official_config.ParallelConfig),
    (WaitForConditionConfig, official_waits.WaitForConditionConfig),
    (RetryStrategyConfig, official_retries.RetryStrategyConfig),
    (LinearRetryStrategyConfig, official_retries.LinearRetryStrategyConfig),
    (WaitStrategyConfig, official_waits.WaitStrategyConfig),
]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda pair: getattr(pair, "__name__", ""))
def test_configs_take_the_official_positional_arguments(ours: Any, theirs: Any) -> None:
    official = _positional(theirs)
    positional = [name for name in ours.model_fields if name not in ours.keyword_only]
    assert positional == official


def test_a_step_config_built_positionally_is_the_keyword_one() -> None:
    strategy = RetryPresets.none()
    assert StepConfig(strategy) == StepConfig(retry_strategy=strategy)
    assert (
        StepConfig(strategy, StepSemantics.AT_MOST_ONCE_PER_RETRY).step_semantics
        is StepSemantics.AT_MOST_ONCE_PER_RETRY
    )
    timeout = Duration.from_hours(1)
    assert WaitForCallbackConfig(timeout, Duration(30), None, strategy) == WaitForCallbackConfig(
        timeout=timeout, heartbeat_timeout=Duration(30), retry_strategy=strategy
    )
    assert MapConfig(4, CompletionConfig(1), None, None, None, NestingType.FLAT) == MapConfig(
        max_concurrency=4,
        completion_config=CompletionConfig(min_successful=1),
        nesting_type=NestingType.FLAT,
    )


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (InvokeConfig, official_config.InvokeConfig),
        (WaitForConditionConfig, official_waits.WaitForConditionConfig),
    ],
    ids=["InvokeConfig", "WaitForConditionConfig"],
)
def test_generic_configs_take_the_official_type_parameters(ours: Any, theirs: Any) -> None:
    # The official SDK's generic configs are spelled with their type parameters
    # (InvokeConfig[P, R](...)); as many parameters must be accepted here, and the
    # parametrized class must still be the configuration it names.
    parameters = (dict,) * len(theirs.__parameters__)
    theirs[parameters]  # the official SDK takes this spelling
    parametrized = ours[parameters]
    assert issubclass(parametrized, ours)
    if ours is InvokeConfig:
        built = parametrized(serdes_result=PassThroughSerDes(), tenant_id="t-1")
        assert built.tenant_id == "t-1"
        assert isinstance(built.serdes_result, PassThroughSerDes)
        with pytest.raises(ValidationError, match="tenant_id"):
            parametrized(tenant_id=3)


# The constructors without their signatures, to make the calls a type checker would refuse.
UNTYPED_STEP: Any = StepConfig
UNTYPED_CALLBACK: Any = CallbackConfig
UNTYPED_RETRY: Any = RetryStrategyConfig


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        # sub_type is keyword-only, as in the official SDK.
        (lambda: UNTYPED_STEP(None, StepSemantics.AT_LEAST_ONCE_PER_RETRY, None, "X"), "at most"),
        (lambda: UNTYPED_STEP(None, retry_strategy=None), "both positionally and by keyword"),
        (lambda: UNTYPED_CALLBACK(Duration(1), Duration(1), None, "X"), "at most 3"),
        (lambda: UNTYPED_STEP("not a strategy"), "StepConfig.retry_strategy"),
        (lambda: MapConfig(0), "MapConfig.max_concurrency"),
        (lambda: CompletionConfig(0), "CompletionConfig.min_successful"),
    ],
)
def test_positional_arguments_are_validated_as_strictly_as_keywords(
    build: Any, problem: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(problem)):
        build()


def test_a_list_is_taken_where_the_official_sdk_takes_one_and_its_items_are_checked() -> None:
    config = RetryStrategyConfig(
        retryable_errors=["timeout", re.compile("throttl")], retryable_error_types=[KeyError]
    )
    assert config.retryable_error_types == (KeyError,)
    assert config.retryable_errors is not None
    assert config.retryable_errors[0] == "timeout"
    with pytest.raises(ValidationError, match=r"retryable_error_types\[1\]"):
        UNTYPED_RETRY(retryable_error_types=[KeyError, int])
    with pytest.raises(ValidationError, match="retryable_errors"):
        UNTYPED_RETRY(retryable_errors="timeout")
    # A list where the field is not a tuple is still refused (no coercion elsewhere).
    with pytest.raises(ValidationError, match="Duration"):
        UNTYPED_RETRY(initial_delay=[5])


# --- keyword names of the operations, ours and the official SDK's -------------------------------


async def _item(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return item * 10


async def _branch(ctx: DurableContext) -> str:
    return "b"


async def _child(ctx: DurableContext) -> str:
    return await ctx.step(lambda _: "c", name="inner")


async def test_official_and_earlier_keyword_names_record_the_same_operations() -> None:
    async def official(event: Any, ctx: DurableContext) -> Any:
        return [
            await ctx.step(func=lambda _: 1, name="s"),
            (await ctx.map(inputs=[1, 2], func=_item, name="m")).get_results(),
            (await ctx.parallel(functions=[_branch], name="p")).get_results(),
            await ctx.run_in_child_context(func=_child, name="c"),
        ]

    async def earlier(event: Any, ctx: DurableContext) -> Any:
        return [
            await ctx.step(fn=lambda _: 1, name="s"),
            (await ctx.map(items=[1, 2], fn=_item, name="m")).get_results(),
            (await ctx.parallel(branches=[_branch], name="p")).get_results(),
            await ctx.run_in_child_context(fn=_child, name="c"),
        ]

    runs = []
    for handler in (official, earlier):
        run = await DurableTestRunner(handler).start()
        result = await run.result()
        shapes = [(op.id, op.type, op.name, op.operation.ParentId) for op in run.operations()]
        runs.append((result.status, result.result, shapes))
    assert runs[0] == runs[1]
    assert runs[0][:2] == ("SUCCEEDED", [1, [10, 20], ["b"], "c"])


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda ctx: ctx.step(lambda _: 1, fn=lambda _: 2), "'func' and 'fn'"),
        (lambda ctx: ctx.map([1], _item, items=[2]), "'inputs' and 'items'"),
        (lambda ctx: ctx.map([1]), "map() needs 'func'"),
        (lambda ctx: ctx.parallel(), "parallel() needs 'functions'"),
        (lambda ctx: ctx.run_in_child_context(), "run_in_child_context() needs 'func'"),
    ],
)
async def test_a_missing_or_doubled_argument_is_a_validation_error(call: Any, problem: str) -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        try:
            await call(ctx)
        except ValidationError as error:
            return [str(error), ctx.operations_started()]
        return "no error"

    result = await DurableTestRunner(handler).run()
    assert result.result[1] == 0  # refused before taking an operation id
    assert problem in result.result[0]


# --- arguments of the wrong kind fail at once, with our ValidationError ------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda ctx: ctx.step(lambda _: 1, name=123), "name"),
        (lambda ctx: ctx.step(42), "func"),
        (lambda ctx: ctx.step(None), "func"),
        (lambda ctx: ctx.run_in_child_context(42), "func"),
        (lambda ctx: ctx.run_in_child_context(_child, name=b"bytes"), "name"),
        (lambda ctx: ctx.map([1, 2], 42), "func"),
        (lambda ctx: ctx.parallel([_branch, 42]), "functions"),
        (lambda ctx: ctx.wait_for_callback(42), "submitter"),
        (lambda ctx: ctx.wait(Duration(5), name=5), "name"),
        (lambda ctx: ctx.create_callback(name=["a"]), "name"),
        (lambda ctx: ctx.invoke("target", {}, name=1.5), "name"),
    ],
)
async def test_an_argument_of_the_wrong_kind_is_a_validation_error_raised_at_once(
    call: Any, field: str
) -> None:
    async def handler(event: Any, ctx: DurableContext) -> Any:
        await call(ctx)

    run = await DurableTestRunner(handler).start()
    result = await run.result()

    assert result.status == "FAILED"
    assert result.error is not None
    assert result.error.ErrorType == "ValidationError"
    assert result.invocations == 1  # not retried as a transient failure
    assert run.operations(type=OperationType.STEP) == []
    assert field in (result.error.ErrorMessage or "") or field == "functions"


# --- errors: the message alone, the official attribute names ---------------------------------


def test_str_of_a_durable_error_is_the_message_and_describe_adds_where() -> None:
    error = StepError(
        "card declined", "Declined", '{"code": 7}', ["line 1"], operation_name="charge",
        operation_id="op-1", execution_arn="arn:x",
    )  # fmt: skip
    assert str(error) == "card declined"
    assert error.message == "card declined"
    assert (error.error_type, error.data, error.error_data) == (
        "Declined",
        '{"code": 7}',
        '{"code": 7}',
    )
    assert error.stack_trace == ("line 1",)
    assert error.location == {
        "operation_name": "charge",
        "operation_id": "op-1",
        "execution_arn": "arn:x",
    }
    assert error.describe() == "card declined (operation 'charge', id op-1, execution arn:x)"
    assert StepError("boom").error_type == "StepError"  # the class, when nothing else is known


async def test_get_errors_gives_the_official_message_and_type() -> None:
    async def fail(ctx: DurableContext, item: int, index: int, items: Any) -> int:
        raise ValueError(f"item {item} is bad")

    async def handler(event: Any, ctx: DurableContext) -> Any:
        result = await ctx.map(
            [1, 2],
            fail,
            name="m",
            config=MapConfig(completion_config=CompletionConfig.all_completed()),
        )
        return [(error.message, error.type, error.data) for error in result.get_errors() if error]

    result = await DurableTestRunner(handler).run()
    assert result.result == [
        ["item 1 is bad", "ValueError", None],
        ["item 2 is bad", "ValueError", None],
    ]


def test_a_batch_item_error_keeps_the_wire_names_and_equals_its_error_object() -> None:
    stored = ErrorObject(ErrorType="StepError", ErrorMessage="no", StackTrace=("a", "b"))
    result = BatchResult.from_dict(
        {"all": [{"index": 0, "status": "FAILED", "error": stored.model_dump()}]}
    )
    [error] = result.get_errors()
    assert isinstance(error, BatchItemError)
    assert error == stored
    assert (error.ErrorType, error.type, error.stack_trace) == (
        "StepError",
        "StepError",
        ["a", "b"],
    )
    with pytest.raises(ChildContextError, match=r"^no$"):
        result.throw_if_error()


# --- wait_for_condition's check gets a WaitForConditionCheckContext -----------------------------


async def test_a_check_is_given_a_wait_for_condition_check_context() -> None:
    seen: list[tuple[str, int, bool]] = []

    def check(state: int, context: WaitForConditionCheckContext) -> int:
        seen.append((type(context).__name__, context.attempt, isinstance(context, StepContext)))
        return state + 1

    strategy = create_wait_strategy(
        WaitStrategyConfig[int](should_continue_polling=lambda state: state < 2)
    )

    async def handler(event: Any, ctx: DurableContext) -> Any:
        return await ctx.wait_for_condition(check, WaitForConditionConfig(strategy, 0), "poll")

    result = await DurableTestRunner(handler).run()
    assert result.result == 2
    assert seen == [
        ("WaitForConditionCheckContext", 1, True),
        ("WaitForConditionCheckContext", 2, True),
    ]


def test_the_official_names_import_from_the_package() -> None:
    assert WaitForConditionDecision.stop_polling().should_continue is False
    assert ParallelBranch(_branch, "x").name == "x"
