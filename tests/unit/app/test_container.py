"""The composition root picks adapters from configuration, and nothing imports boto3 early."""

from __future__ import annotations

import random
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from dependency_injector import providers

from durable_lambda.adapters.aws.lambda_service import LambdaDurableService
from durable_lambda.adapters.clock.clocks import FakeClock, SystemClock
from durable_lambda.adapters.file.store import FileExecutionStore
from durable_lambda.adapters.local.functions import LocalServiceWithFunctions
from durable_lambda.adapters.local.service import LocalDurableService
from durable_lambda.adapters.logging.structlog_logger import StructlogLogger
from durable_lambda.adapters.memory.store import InMemoryExecutionStore
from durable_lambda.app.container import (
    ADAPTER_ENTRY_POINTS,
    Container,
    default_container,
    lambda_container,
    local_container,
)
from durable_lambda.app.definition import Environment
from durable_lambda.core.model import ErrorObject
from durable_lambda.core.ports import Clock, DurableService
from durable_lambda.testing import CapturingLogger

ROOT = Path(__file__).resolve().parents[3]


def configured(**settings: Any) -> Container:
    container = Container()
    container.config.from_dict({"backend": "aws", "clock": "system", "logger": "structlog"})
    container.config.from_dict(settings)
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
    assert container.local_service() is service


def test_backend_file_keeps_executions_under_the_configured_root(tmp_path: Path) -> None:
    container = configured(backend="file", file={"root": str(tmp_path / "runs")})
    service = container.service()
    assert isinstance(service, LocalDurableService)
    assert isinstance(service.store, FileExecutionStore)
    assert service.store.root == tmp_path / "runs"


def test_backend_file_defaults_to_dot_durable_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = configured(backend="file").execution_store()
    assert isinstance(store, FileExecutionStore)
    assert store.root == tmp_path / ".durable"
    assert list(tmp_path.iterdir()) == []


def test_backend_store_runs_the_local_service_over_the_store_in_the_slot() -> None:
    mine = InMemoryExecutionStore()
    container = configured(backend="store")
    container.custom_store.override(providers.Object(mine))
    service = container.service()
    assert isinstance(service, LocalDurableService)
    assert service.store is mine


def test_backend_store_without_a_store_in_the_slot_is_refused() -> None:
    with pytest.raises(Exception, match="custom_store"):
        configured(backend="store").service()


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(Exception, match="file-on-the-moon"):
        configured(backend="file-on-the-moon").service()


@pytest.mark.parametrize(("name", "expected"), [("fake", FakeClock), ("system", SystemClock)])
def test_clock_setting_selects_the_clock(name: str, expected: type[Clock]) -> None:
    clock = configured(clock=name).clock()
    assert type(clock) is expected
    assert isinstance(clock, Clock)


def test_a_fake_clock_starts_where_configured() -> None:
    start = datetime(2030, 5, 1, tzinfo=UTC)
    assert configured(clock="fake", fake_clock_start=start).clock().now() == start


def test_adapters_are_singletons_per_container() -> None:
    first, second = configured(backend="memory"), configured(backend="memory")
    assert first.service() is first.service()
    assert first.clock() is first.clock()
    assert first.service() is not second.service()
    assert first.execution_store() is not second.execution_store()


def test_the_environment_holds_the_containers_adapters_and_follows_overrides() -> None:
    container = configured(backend="memory", clock="fake")
    environment = container.environment()
    assert isinstance(environment, Environment)
    assert environment.service is container.service()
    assert environment.clock is container.clock()
    assert isinstance(environment.logger, StructlogLogger)
    assert isinstance(environment.random, random.Random)

    captured = CapturingLogger()
    container.logger.override(providers.Object(captured))
    assert container.environment().logger is captured


def test_lambda_container_is_wired_for_aws_lambda() -> None:
    container = default_container()
    assert container.config.backend() == "aws"
    assert container.config.logger() == "lambda"
    assert isinstance(container.service(), LambdaDurableService)
    assert isinstance(container.clock(), SystemClock)
    assert isinstance(container.random(), random.Random)
    assert default_container() is not container


def test_lambda_container_hands_the_given_client_to_the_service_as_is() -> None:
    class Client:
        """A stand-in boto3 client: it must reach the service itself, never a copy."""

    client = Client()
    service = lambda_container(client=client).service()
    assert isinstance(service, LambdaDurableService)
    assert service.client is cast(Any, client)


def test_aws_settings_reach_the_built_client() -> None:
    container = configured(
        aws={"region_name": "eu-central-1", "endpoint_url": "http://127.0.0.1:5050"}
    )
    service = container.service()
    assert isinstance(service, LambdaDurableService)
    client = service.client  # built on first use; building makes no network call
    assert client.meta.region_name == "eu-central-1"
    assert client.meta.endpoint_url == "http://127.0.0.1:5050"


def test_local_container_picks_the_backend_from_what_it_is_given(tmp_path: Path) -> None:
    mine = InMemoryExecutionStore()
    assert local_container().config.backend() == "memory"
    assert local_container(root=tmp_path).config.backend() == "file"
    given = local_container(store=mine)
    assert given.config.backend() == "store"
    assert given.execution_store() is mine
    with pytest.raises(ValueError, match="not both"):
        local_container(store=mine, root=tmp_path)


def test_local_container_takes_a_clock_object_or_a_name() -> None:
    clock = FakeClock(datetime(2031, 1, 1, tzinfo=UTC))
    assert local_container(clock=clock).clock() is clock
    assert isinstance(local_container(clock="fake").clock(), FakeClock)
    assert isinstance(local_container().clock(), SystemClock)


def test_an_invoke_refusal_makes_the_local_service_refuse_unknown_functions() -> None:
    def refusal(name: str) -> ErrorObject | None:
        return None if name == "known" else ErrorObject(ErrorMessage=f"no {name}")

    service = local_container(invoke_refusal=refusal).local_service()
    assert isinstance(service, LocalServiceWithFunctions)
    assert service.invoke_refusal is refusal
    assert type(local_container().local_service()) is LocalDurableService


def test_a_provider_override_replaces_the_adapter_until_reset() -> None:
    container = configured(backend="aws")
    local = LocalDurableService(InMemoryExecutionStore(), FakeClock())
    container.service.override(local)
    assert container.service() is local
    container.service.reset_override()
    assert isinstance(container.service(), LambdaDurableService)


def test_the_import_contract_names_exactly_the_entry_points_the_container_names() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"].startswith("Only the container")]
    importers = {line.split(" -> ")[0].strip() for line in contract["ignore_imports"]}
    assert importers == {"durable_lambda.app.container", *ADAPTER_ENTRY_POINTS}
    assert contract["forbidden_modules"] == ["durable_lambda.adapters"]


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
