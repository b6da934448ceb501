"""The pipeline's SAM template passes cfn-lint and says what the example promises.

Also held here: the template, its Makefile and the example's code agree (runtime, architecture,
the approval's time-out inside the execution's), and the deploy commands of the README and the
getting-started page are ones the AWS CLI accepts (every option is a member of the operation's
input in botocore's Lambda model) and start the execution asynchronously under a name.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore.session
import pytest
import yaml
from botocore import xform_name

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pipeline"
TEMPLATE = EXAMPLE / "template.yaml"
DEPLOY_PAGES = [ROOT / "README.md", ROOT / "docs" / "getting-started.md"]
# Options of the AWS CLI itself, not of an operation.
_GLOBAL_OPTIONS = {"--cli-binary-format", "--region", "--profile", "--output"}
_BLOCK = re.compile(r"^```bash\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)


def load_template() -> dict[str, Any]:
    class TemplateLoader(yaml.SafeLoader):
        """Reads CloudFormation short-form intrinsics (!Sub, !Ref, !GetAtt) as plain strings."""

    def intrinsic(loader: yaml.SafeLoader, node: yaml.Node) -> str:
        assert isinstance(node, yaml.ScalarNode)
        return str(loader.construct_scalar(node))

    for tag in ("!Sub", "!Ref", "!GetAtt"):
        TemplateLoader.add_constructor(tag, intrinsic)
    template: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=TemplateLoader)
    return template


def callback_helper() -> ModuleType:
    """Import the example's ``lib/callback_helper.py`` by path (``lib`` is a common name)."""
    spec = importlib.util.spec_from_file_location(
        "pipeline_callback_helper", EXAMPLE / "lib" / "callback_helper.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def makefile_variable(name: str) -> str:
    match = re.search(
        rf"^{name}\s*[:?]?=\s*(?P<value>.+)$", (EXAMPLE / "Makefile").read_text(), re.M
    )
    assert match is not None, f"the Makefile sets no {name}"
    return match["value"].strip()


def input_members(operation: str) -> dict[str, Any]:
    """Return the members of ``operation``'s input in botocore's Lambda model."""
    model = botocore.session.get_session().get_service_model("lambda")
    shape = model.operation_model(operation).input_shape
    assert shape is not None
    return dict(shape.members)


def aws_commands(page: Path) -> list[list[str]]:
    """Return every ``aws ...`` command of the page's bash blocks, as argument lists."""
    commands = []
    for block in _BLOCK.finditer(page.read_text(encoding="utf-8")):
        joined = block["body"].replace("\\\n", " ")
        for line in joined.splitlines():
            if line.strip().startswith("aws "):
                commands.append(shlex.split(line, comments=True))
    return commands


def test_the_template_passes_cfn_lint() -> None:
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_function_is_configured_as_documented() -> None:
    template = load_template()
    function = template["Resources"]["PipelineFunction"]
    props = function["Properties"]

    assert function["Metadata"] == {"BuildMethod": "makefile"}
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == 1024
    assert props["Timeout"] == 900
    assert props["DurableConfig"] == {"ExecutionTimeout": 172800, "RetentionPeriodInDays": 7}
    statements = props["Policies"][0]["Statement"]
    actions = {action for statement in statements for action in statement["Action"]}
    assert {"lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState"} <= actions
    assert {"logs:CreateLogStream", "logs:PutLogEvents"} <= actions
    assert set(props["Environment"]["Variables"]) == {"APPROVAL_TIMEOUT_SECONDS", "MAX_CONCURRENCY"}


def test_the_approval_can_time_out_before_the_execution_does() -> None:
    # Otherwise the example's documented time-out path (go on with defaults) never runs on AWS:
    # the execution would end TIMED_OUT while the approval still waits.
    template = load_template()
    execution_timeout = template["Resources"]["PipelineFunction"]["Properties"]["DurableConfig"][
        "ExecutionTimeout"
    ]
    approval = template["Parameters"]["ApprovalTimeoutSeconds"]
    an_hour_for_the_rest = 3600

    assert approval["Default"] == callback_helper().DEFAULT_APPROVAL_TIMEOUT_SECONDS
    assert approval["Default"] + an_hour_for_the_rest <= execution_timeout
    assert approval["MaxValue"] + an_hour_for_the_rest <= execution_timeout


def test_the_makefile_builds_for_the_templates_runtime_and_architecture() -> None:
    props = load_template()["Resources"]["PipelineFunction"]["Properties"]
    platforms = re.findall(r"--platform (\S+)", makefile_variable("LAMBDA_PLATFORMS"))

    assert props["Runtime"] == f"python{makefile_variable('LAMBDA_PYTHON_VERSION')}"
    assert platforms
    assert props["Architectures"] == ["arm64"]
    assert all(platform.endswith("_aarch64") for platform in platforms), platforms
    assert "build-PipelineFunction:" in (EXAMPLE / "Makefile").read_text()


def test_requirements_name_nothing_a_package_index_does_not_have() -> None:
    lines = (EXAMPLE / "requirements.txt").read_text().splitlines()
    requirements = [line for line in lines if line.strip() and not line.startswith("#")]
    assert not any("durable" in line.lower() for line in requirements), requirements


@pytest.mark.parametrize("page", DEPLOY_PAGES, ids=lambda page: page.name)
def test_the_deploy_commands_are_ones_the_aws_cli_accepts(page: Path) -> None:
    commands = aws_commands(page)
    assert [command[:3] for command in commands] == [
        ["aws", "lambda", "invoke"],
        ["aws", "lambda", "send-durable-execution-callback-success"],
    ]
    for command in commands:
        members = input_members(
            "Invoke" if command[2] == "invoke" else "SendDurableExecutionCallbackSuccess"
        )
        accepted = {"--" + xform_name(member, "-") for member in members}
        options = {word for word in command if word.startswith("--")}
        assert options <= accepted | _GLOBAL_OPTIONS, options - accepted - _GLOBAL_OPTIONS


@pytest.mark.parametrize("page", DEPLOY_PAGES, ids=lambda page: page.name)
def test_the_execution_starts_asynchronously_under_a_valid_name(page: Path) -> None:
    # A synchronous invocation of a durable function may last at most 15 minutes, and the
    # pipeline waits for a person.
    invoke = next(command for command in aws_commands(page) if command[2] == "invoke")
    name_shape = input_members("Invoke")["DurableExecutionName"]

    assert invoke[invoke.index("--invocation-type") + 1] == "Event"
    name = invoke[invoke.index("--durable-execution-name") + 1]
    assert re.fullmatch(name_shape.metadata["pattern"], name)
    assert len(name) <= name_shape.metadata["max"]


def test_the_callback_id_key_the_docs_name_is_the_one_the_function_logs(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "pipeline")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DURABLE_LAMBDA_")}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "durable_lambda.app.cli",
            "run",
            "pipeline/handler.py:handler",
            "--input",
            "@pipeline/input.json",
            "--until",
            "suspended",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    logged = next(line for line in completed.stderr.splitlines() if "approval requested" in line)
    assert " callbackId=" in logged

    for page in DEPLOY_PAGES:
        text = page.read_text(encoding="utf-8")
        deploy = text[text.index("\n## Deploy") :]
        deploy = deploy[: deploy.find("\n## ", 1)]
        assert "aws lambda invoke" in deploy, page.name
        assert "`callbackId`" in deploy, page.name
        assert "callback_id" not in deploy, page.name
