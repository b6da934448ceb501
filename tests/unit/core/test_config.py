"""The configuration models: defaults as the official SDK's, validation, immutability."""

from __future__ import annotations

import math
from typing import Any

import aws_durable_execution_sdk_python.config as official
import pydantic
import pytest
from aws_durable_execution_sdk_python.exceptions import ValidationError as OfficialValidationError

from durable_lambda.core.config import (
    CallbackConfig,
    CheckpointMode,
    ChildConfig,
    CompletionConfig,
    Duration,
    InvokeConfig,
    ItemBatcher,
    MapConfig,
    ParallelConfig,
    StepConfig,
    StepSemantics,
    WaitForCallbackConfig,
    WaitForConditionConfig,
)
from durable_lambda.core.errors import ValidationError
from durable_lambda.core.retry import RetryDecision, RetryPresets, WaitForConditionDecision


class FakeSerDes:
    """The smallest thing shaped like the serializer port."""

    def serialize(self, value: object, context: object, /) -> str:
        return repr(value)

    def deserialize(self, payload: str, context: object, /) -> object:
        return payload


def never_retry(error: Exception, attempts_made: int) -> RetryDecision:
    return RetryDecision.no_retry()


def stop(state: int, attempts_made: int) -> WaitForConditionDecision:
    return WaitForConditionDecision.stop_polling()


# --- Duration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [
        (Duration(), 0),
        (Duration(7), 7),
        (Duration(seconds=7), 7),
        (Duration.from_seconds(42), 42),
        (Duration.from_minutes(2), 120),
        (Duration.from_hours(3), 10_800),
        (Duration.from_days(2), 172_800),
        (Duration.from_weeks(1), 604_800),
        (Duration.from_months(1), 30 * 86_400),
        (Duration.from_years(1), 365 * 86_400),
        (Duration.from_minutes(0.5), 30),
        (Duration.from_hours(0.1), 360),  # 360.00000000000006 in floating point
        (Duration.from_days(1.5), 129_600),
        (Duration(12.0), 12),
        (Duration.of(days=1, hours=2, minutes=3, seconds=4), 93_784),
        (Duration.of(weeks=1, hours=0.5), 606_600),
        (Duration.of(), 0),
    ],
)
def test_duration_constructors(duration: Duration, seconds: int) -> None:
    assert duration.seconds == seconds
    assert duration.to_seconds() == seconds
    assert type(duration.seconds) is int


_FACTORS = {"seconds": 1, "minutes": 60, "hours": 3_600, "days": 86_400}


@pytest.mark.parametrize("value", [0, 1, 59, 3_600, 0.5, 0.25, 2.25, 0.001])
@pytest.mark.parametrize("unit", sorted(_FACTORS))
def test_duration_agrees_with_the_official_sdk_on_whole_seconds(unit: str, value: float) -> None:
    theirs = getattr(official.Duration, f"from_{unit}")(value).to_seconds()
    if float(value * _FACTORS[unit]).is_integer():
        assert getattr(Duration, f"from_{unit}")(value).to_seconds() == theirs
    else:  # the official SDK truncates a fractional result; ours refuses it
        with pytest.raises(ValidationError, match="whole number of seconds"):
            getattr(Duration, f"from_{unit}")(value)


@pytest.mark.parametrize(
    ("make", "rule"),
    [
        (lambda: Duration(-1), "greater than or equal to 0"),
        (lambda: Duration(1.5), "whole number of seconds"),
        (lambda: Duration.from_minutes(0.01), "whole number of seconds"),
        (lambda: Duration.of(seconds=0.25), "whole number of seconds"),
        (lambda: Duration(math.inf), "finite"),
        (lambda: Duration(math.nan), "finite"),
        (lambda: Duration(True), "not a bool"),
        (lambda: Duration("5"), "valid integer"),  # type: ignore[arg-type]
    ],
)
def test_duration_rejects_bad_lengths(make: Any, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make()
    assert str(caught.value).startswith("Duration.seconds: ")
    assert rule in str(caught.value)
    assert caught.value.field == "seconds"
    assert isinstance(caught.value.__cause__, pydantic.ValidationError)


def test_duration_arithmetic_and_ordering() -> None:
    assert Duration(5) + Duration.from_minutes(1) == Duration(65)
    assert sum([Duration(1), Duration(2), Duration(3)], Duration()) == Duration(6)
    assert Duration(1) < Duration(2) <= Duration(2) < Duration(3)
    assert Duration(3) > Duration(2) >= Duration(2)
    assert sorted([Duration(9), Duration(0), Duration(4)]) == [
        Duration(0),
        Duration(4),
        Duration(9),
    ]
    assert max(Duration(9), Duration(10)) == Duration(10)
    assert Duration(60) == Duration.from_minutes(1)
    assert Duration(60) != Duration(61)
    assert len({Duration(60), Duration.from_minutes(1), Duration(1)}) == 2


def test_duration_refuses_arithmetic_with_plain_numbers() -> None:
    with pytest.raises(TypeError):
        _ = Duration(5) + 5  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = Duration(5) < 6  # type: ignore[operator]


# --- ConfigModel behaviour: errors, frozenness, replace --------------------------------------


def test_models_are_frozen_with_our_error() -> None:
    config = StepConfig()
    with pytest.raises(
        ValidationError, match=r"^StepConfig.sub_type: the model is frozen"
    ) as caught:
        config.sub_type = "Other"  # type: ignore[misc]
    assert caught.value.field == "sub_type"
    with pytest.raises(ValidationError, match="frozen"):
        Duration(5).seconds = 6  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        del config.serdes
    assert config.sub_type is None


def test_replace_returns_a_validated_copy() -> None:
    config = MapConfig(max_concurrency=2)
    changed = config.replace(max_concurrency=5)
    assert (config.max_concurrency, changed.max_concurrency) == (2, 5)
    assert changed.completion_config == config.completion_config
    with pytest.raises(ValidationError, match=r"^MapConfig.max_concurrency: .*greater than or"):
        config.replace(max_concurrency=0)
    with pytest.raises(ValidationError, match=r"^MapConfig.concurrency: Extra inputs"):
        config.replace(concurrency=5)
    assert Duration(5).replace(seconds=9) == Duration(9)


def test_model_validate_raises_our_error() -> None:
    assert StepConfig.model_validate({"sub_type": "Charge"}).sub_type == "Charge"
    with pytest.raises(ValidationError, match=r"^StepConfig.sub_type: must be 1 to 32") as caught:
        StepConfig.model_validate({"sub_type": "no spaces"})
    assert caught.value.field == "sub_type"
    with pytest.raises(ValidationError, match=r"^Duration.seconds: .*greater than or equal to 0"):
        Duration.model_validate({"seconds": -3})
    with pytest.raises(ValidationError, match=r"^Duration.minutes: Extra inputs") as unknown:
        Duration.model_validate({"minutes": 1})
    assert unknown.value.field == "minutes"
    assert Duration.model_validate({"seconds": 4}) == Duration(4)
    with pytest.raises(ValidationError, match=r"^CompletionConfig.min_successful: "):
        MapConfig.model_validate({"completion_config": {"min_successful": 0}})


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match=r"^StepConfig.retries: Extra inputs") as caught:
        StepConfig(retries=3)  # type: ignore[call-arg]
    assert caught.value.field == "retries"


def test_models_are_strict() -> None:
    with pytest.raises(ValidationError, match=r"^MapConfig.max_concurrency: .*valid integer"):
        MapConfig(max_concurrency="3")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^StepConfig.step_semantics: .*instance of"):
        StepConfig(step_semantics="AT_MOST_ONCE_PER_RETRY")  # type: ignore[arg-type]


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(ValidationError) as caught:
        InvokeConfig(tenant_id=["x" * 500])  # type: ignore[arg-type]
    assert str(caught.value).startswith("InvokeConfig.tenant_id: Input should be a valid string")
    assert len(str(caught.value)) < 200


# --- Enums --------------------------------------------------------------------------------


def test_step_semantics_match_the_official_values() -> None:
    assert [member.value for member in StepSemantics] == [
        member.value for member in official.StepSemantics
    ]


def test_checkpoint_modes() -> None:
    assert [str(mode) for mode in CheckpointMode] == ["EAGER", "BATCHED", "OPTIMISTIC"]


# --- StepConfig, ChildConfig ----------------------------------------------------------------


def test_step_config_defaults_match_the_official_sdk() -> None:
    ours, theirs = StepConfig(), official.StepConfig()
    assert ours.retry_strategy is None
    assert theirs.retry_strategy is None
    assert ours.serdes is None
    assert theirs.serdes is None
    assert ours.sub_type is theirs.sub_type is None
    assert ours.step_semantics.value == theirs.step_semantics.value == "AT_LEAST_ONCE_PER_RETRY"


def test_step_config_holds_what_it_is_given() -> None:
    serdes = FakeSerDes()
    config = StepConfig(
        retry_strategy=never_retry,
        step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
        serdes=serdes,
        sub_type="Charge-card_1",
    )
    assert config.retry_strategy is never_retry
    assert config.serdes is serdes
    assert config.sub_type == "Charge-card_1"
    assert StepConfig(retry_strategy=RetryPresets.critical()).retry_strategy is not None


def test_step_config_rejects_a_retry_strategy_that_is_not_callable() -> None:
    with pytest.raises(ValidationError, match=r"^StepConfig.retry_strategy: .*callable") as caught:
        StepConfig(retry_strategy=5)  # type: ignore[arg-type]
    assert caught.value.field == "retry_strategy"


@pytest.mark.parametrize("model", [StepConfig, ChildConfig, CallbackConfig])
def test_serdes_must_have_the_port_shape(model: Any) -> None:
    with pytest.raises(ValidationError, match=rf"^{model.__name__}.serdes: must be a SerDes"):
        model(serdes=object())
    with pytest.raises(ValidationError, match="has no deserialize"):
        model(serdes=type("Half", (), {"serialize": lambda self, v, c: ""})())


@pytest.mark.parametrize("sub_type", ["", "a", "A" * 32, "Custom-Op_2", "x" * 33, "has space", "é"])
@pytest.mark.parametrize(("ours", "theirs"), [(StepConfig, official.StepConfig)])
def test_sub_type_rule_agrees_with_the_official_sdk(ours: Any, theirs: Any, sub_type: str) -> None:
    try:
        theirs(sub_type=sub_type)
        official_accepts = True
    except OfficialValidationError:
        official_accepts = False
    if official_accepts:
        assert ours(sub_type=sub_type).sub_type == (sub_type or None)
    else:
        with pytest.raises(ValidationError, match=r"\.sub_type: must be 1 to 32 characters"):
            ours(sub_type=sub_type)


def test_child_config() -> None:
    config = ChildConfig()
    assert (config.serdes, config.sub_type, config.summary_generator) == (None, None, None)
    summarized = ChildConfig(summary_generator=lambda result: f"{len(result)} rows")
    assert summarized.summary_generator is not None
    assert summarized.summary_generator([1, 2]) == "2 rows"
    with pytest.raises(ValidationError, match=r"^ChildConfig.sub_type: "):
        ChildConfig(sub_type="a/b")


# --- Callbacks and invokes -------------------------------------------------------------------


def test_callback_config_defaults_match_the_official_sdk() -> None:
    ours, theirs = CallbackConfig(), official.CallbackConfig()
    assert ours.timeout_seconds == theirs.timeout_seconds == 0
    assert ours.heartbeat_timeout_seconds == theirs.heartbeat_timeout_seconds == 0
    assert ours.serdes is None


def test_callback_config_timeouts() -> None:
    config = CallbackConfig(timeout=Duration.from_hours(1), heartbeat_timeout=Duration(30))
    assert (config.timeout_seconds, config.heartbeat_timeout_seconds) == (3_600, 30)
    with pytest.raises(ValidationError, match=r"^CallbackConfig.timeout: must be at most 99999999"):
        CallbackConfig(timeout=Duration.from_years(4))
    with pytest.raises(ValidationError, match=r"^CallbackConfig.heartbeat_timeout: .*Duration"):
        CallbackConfig(heartbeat_timeout=30)  # type: ignore[arg-type]


def test_wait_for_callback_config_adds_a_retry_strategy() -> None:
    config = WaitForCallbackConfig(timeout=Duration(60), retry_strategy=never_retry)
    assert isinstance(config, CallbackConfig)
    assert (config.timeout_seconds, config.retry_strategy) == (60, never_retry)
    assert WaitForCallbackConfig().retry_strategy is None
    assert official.WaitForCallbackConfig().retry_strategy is None
    with pytest.raises(ValidationError, match=r"^WaitForCallbackConfig.retry_strategy: "):
        WaitForCallbackConfig(retry_strategy="default")  # type: ignore[arg-type]


def test_invoke_config() -> None:
    ours, theirs = InvokeConfig(), official.InvokeConfig[Any, Any]()
    assert (ours.serdes_payload, ours.serdes_result, ours.tenant_id) == (None, None, None)
    assert (theirs.serdes_payload, theirs.serdes_result, theirs.tenant_id) == (None, None, None)
    serdes = FakeSerDes()
    config = InvokeConfig(serdes_payload=serdes, serdes_result=serdes, tenant_id="t-1")
    assert (config.serdes_payload, config.tenant_id) == (serdes, "t-1")
    with pytest.raises(ValidationError, match=r"^InvokeConfig.serdes_result: must be a SerDes"):
        InvokeConfig(serdes_result="json")  # type: ignore[arg-type]


# --- Completion, map, parallel ---------------------------------------------------------------


def _completion_fields(config: Any) -> tuple[object, object, object]:
    return (
        config.min_successful,
        config.tolerated_failure_count,
        config.tolerated_failure_percentage,
    )


@pytest.mark.parametrize("preset", ["first_successful", "all_completed", "all_successful"])
def test_completion_presets_match_the_official_sdk(preset: str) -> None:
    ours = getattr(CompletionConfig, preset)()
    theirs = getattr(official.CompletionConfig, preset)()
    assert _completion_fields(ours) == _completion_fields(theirs)


def test_completion_preset_values() -> None:
    assert _completion_fields(CompletionConfig()) == (None, None, None)
    assert _completion_fields(CompletionConfig.first_successful()) == (1, None, None)
    assert _completion_fields(CompletionConfig.all_completed()) == (None, None, 100)
    assert _completion_fields(CompletionConfig.all_successful()) == (None, 0, 0)


@pytest.mark.parametrize(
    ("fields", "field", "rule"),
    [
        ({"min_successful": 0}, "min_successful", "greater than or equal to 1"),
        ({"tolerated_failure_count": -1}, "tolerated_failure_count", "greater than or equal to 0"),
        ({"tolerated_failure_percentage": -0.5}, "tolerated_failure_percentage", "equal to 0"),
        ({"tolerated_failure_percentage": 100.1}, "tolerated_failure_percentage", "equal to 100"),
    ],
)
def test_completion_config_validation(fields: dict[str, float], field: str, rule: str) -> None:
    with pytest.raises(OfficialValidationError):
        official.CompletionConfig(**fields)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as caught:
        CompletionConfig(**fields)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"CompletionConfig.{field}: ")
    assert rule in str(caught.value)
    assert caught.value.field == field


def test_completion_config_accepts_the_edges() -> None:
    config = CompletionConfig(
        min_successful=1, tolerated_failure_count=0, tolerated_failure_percentage=0
    )
    assert _completion_fields(config) == (1, 0, 0)
    assert CompletionConfig(tolerated_failure_percentage=12.5).tolerated_failure_percentage == 12.5


def test_completion_config_checks_the_total() -> None:
    CompletionConfig(min_successful=3).check_total(3)
    CompletionConfig().check_total(0)
    with pytest.raises(ValidationError, match=r"^CompletionConfig.min_successful: .*\(4 > 3\)"):
        CompletionConfig(min_successful=4).check_total(3)


def test_map_config_defaults_match_the_official_sdk() -> None:
    ours, theirs = MapConfig(), official.MapConfig[Any]()
    assert ours.max_concurrency is None
    assert theirs.max_concurrency is None
    assert _completion_fields(ours.completion_config) == _completion_fields(
        theirs.completion_config
    )
    assert ours.completion_config == CompletionConfig()  # fail fast
    assert ours.item_batcher == ItemBatcher()
    for name in ("serdes", "item_serdes", "summary_generator", "item_namer"):
        assert getattr(ours, name) is None
        assert getattr(theirs, name) is None


def test_parallel_config_defaults_match_the_official_sdk() -> None:
    ours, theirs = ParallelConfig(), official.ParallelConfig()
    assert ours.max_concurrency is None
    assert theirs.max_concurrency is None
    assert _completion_fields(ours.completion_config) == _completion_fields(
        theirs.completion_config
    )
    assert ours.completion_config == CompletionConfig.all_successful()
    for name in ("serdes", "item_serdes", "summary_generator"):
        assert getattr(ours, name) is None
        assert getattr(theirs, name) is None


@pytest.mark.parametrize(
    ("model", "theirs"),
    [(MapConfig, official.MapConfig), (ParallelConfig, official.ParallelConfig)],
)
def test_max_concurrency_must_be_positive(model: Any, theirs: Any) -> None:
    assert model(max_concurrency=1).max_concurrency == 1
    with pytest.raises(OfficialValidationError):
        theirs(max_concurrency=0)
    with pytest.raises(ValidationError, match=rf"^{model.__name__}.max_concurrency: .*equal to 1"):
        model(max_concurrency=0)


def test_map_config_holds_callables() -> None:
    config = MapConfig(
        max_concurrency=4,
        item_namer=lambda item, index: f"order-{item}-{index}",
        summary_generator=lambda result: "summary",
        completion_config=CompletionConfig.all_completed(),
    )
    assert config.item_namer is not None
    assert config.item_namer("a", 3) == "order-a-3"
    with pytest.raises(ValidationError, match=r"^MapConfig.item_namer: .*callable"):
        MapConfig(item_namer="map-item")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^MapConfig.completion_config: "):
        MapConfig(completion_config=None)  # type: ignore[arg-type]


def test_item_batcher() -> None:
    batcher = ItemBatcher()
    assert (batcher.max_items_per_batch, batcher.max_item_bytes_per_batch) == (0, 0)
    assert batcher.batch_input is None
    custom = ItemBatcher(
        max_items_per_batch=10, max_item_bytes_per_batch=1024, batch_input={"k": 1}
    )
    assert custom.batch_input == {"k": 1}
    with pytest.raises(ValidationError, match=r"^ItemBatcher.max_items_per_batch: .*equal to 0"):
        ItemBatcher(max_items_per_batch=-1)
    with pytest.raises(ValidationError, match=r"^ItemBatcher.max_item_bytes_per_batch: "):
        ItemBatcher(max_item_bytes_per_batch=-1)


# --- wait_for_condition ----------------------------------------------------------------------


def test_wait_for_condition_config() -> None:
    config = WaitForConditionConfig(wait_strategy=stop, initial_state=0)
    assert (config.wait_strategy, config.initial_state, config.serdes) == (stop, 0, None)
    with pytest.raises(ValidationError, match=r"^WaitForConditionConfig.initial_state: Field"):
        WaitForConditionConfig(wait_strategy=stop)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match=r"^WaitForConditionConfig.wait_strategy: .*callable"):
        WaitForConditionConfig(wait_strategy=None, initial_state=0)  # type: ignore[arg-type]
