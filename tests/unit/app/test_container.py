"""The composition root picks adapters from configuration, and nothing imports boto3 early."""

from __future__ import annotations

import random
import subprocess
import sys
from typing import Any

import pytest

from durable_lambda.adapters.aws.lambda_service import LambdaDurableService
from durable_lambda.adapters.clock.clocks import FakeClock, SystemClock
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.logging.structlog_logger import StructlogLogger
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.app.container import Container, default_container
from durable_lambda.core.config import CheckpointMode
from durable_lambda.core.ports import Clock, DurableService
from durable_lambda.core.runtime import RuntimeOptions
from durable_lambda.core.serdes import JsonSerDes


def configured(**settings: Any) -> Container:
    container = Container()
    container.config.from_dict(
        {"backend": "aws", "clock": "system", "checkpoint_mode": None, **settings}
    )
    return container


def test_backend_aws_selects_the_lambda_service() -> None:
    service = configured(backend="aws").service()
    assert isinstance(service, LambdaDurableService)
    assert isinstance(service, DurableService)


def test_backend_memory_selects_the_local_service_over_the_containers_store_and_clock() -> None:
    container = configured(backend="memory", clock="fake")
    service = container.service()
    assert isinstance(service, LocalDurableService)
    assert isinstance(service.store, InMemoryExecutionStore)
    assert service.store is container.execution_store()
    assert service.clock is container.clock()


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(Exception, match="file-on-the-moon"):
        configured(backend="file-on-the-moon").service()


@pytest.mark.parametrize(("name", "expected"), [("fake", FakeClock), ("system", SystemClock)])
def test_clock_setting_selects_the_clock(name: str, expected: type[Clock]) -> None:
    clock = configured(clock=name).clock()
    assert type(clock) is expected
    assert isinstance(clock, Clock)


def test_adapters_are_singletons_per_container() -> None:
    first, second = configured(backend="memory"), configured(backend="memory")
    assert first.service() is first.service()
    assert first.clock() is first.clock()
    assert first.service() is not second.service()
    assert first.execution_store() is not second.execution_store()


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("EAGER", CheckpointMode.EAGER),
        ("eager", CheckpointMode.EAGER),
        ("Batched", CheckpointMode.BATCHED),
        ("optimistic", CheckpointMode.OPTIMISTIC),
        (CheckpointMode.OPTIMISTIC, CheckpointMode.OPTIMISTIC),
        (None, CheckpointMode.BATCHED),
        ("", CheckpointMode.BATCHED),
    ],
)
def test_checkpoint_mode_setting_maps_to_the_mode(
    setting: str | CheckpointMode | None, expected: CheckpointMode
) -> None:
    options = configured(checkpoint_mode=setting).runtime_options()
    assert isinstance(options, RuntimeOptions)
    assert options.checkpoint_mode is expected


def test_an_unknown_checkpoint_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="SOMETIMES"):
        configured(checkpoint_mode="sometimes").runtime_options()


@pytest.mark.parametrize(("setting", "expected"), [(True, True), (False, False), (None, False)])
def test_log_during_replay_setting(setting: bool | None, expected: bool) -> None:
    options = configured(log_during_replay=setting).runtime_options()
    assert options.log_during_replay is expected


def test_default_container_is_wired_for_aws_lambda() -> None:
    container = default_container()
    assert isinstance(container.service(), LambdaDurableService)
    assert isinstance(container.clock(), SystemClock)
    assert container.runtime_options() == RuntimeOptions()
    assert isinstance(container.serdes(), JsonSerDes)
    assert isinstance(container.logger(), StructlogLogger)
    assert isinstance(container.random(), random.Random)
    assert default_container() is not container


def test_aws_settings_reach_the_built_client() -> None:
    container = configured(
        aws={"region_name": "eu-central-1", "endpoint_url": "http://127.0.0.1:5050"}
    )
    service = container.service()
    assert isinstance(service, LambdaDurableService)
    client = service.client  # built on first use; building makes no network call
    assert client.meta.region_name == "eu-central-1"
    assert client.meta.endpoint_url == "http://127.0.0.1:5050"


def test_a_provider_override_replaces_the_adapter_until_reset() -> None:
    container = configured(backend="aws")
    local = LocalDurableService(InMemoryExecutionStore(), FakeClock())
    container.service.override(local)
    assert container.service() is local
    container.service.reset_override()
    assert isinstance(container.service(), LambdaDurableService)


@pytest.mark.parametrize("module", ["durable_lambda", "durable_lambda.testing"])
def test_importing_the_package_does_not_import_boto3(module: str) -> None:
    check = (
        f"import {module}, sys; "
        "loaded = sorted(m for m in ('boto3', 'botocore') if m in sys.modules); "
        "assert not loaded, loaded"
    )
    completed = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
