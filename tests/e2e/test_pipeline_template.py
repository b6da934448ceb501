"""The pipeline's SAM template passes cfn-lint and says what the example promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "examples" / "pipeline" / "template.yaml"


def test_the_template_passes_cfn_lint() -> None:
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_function_is_configured_as_documented() -> None:
    class TemplateLoader(yaml.SafeLoader):
        """Reads CloudFormation short-form intrinsics (!Sub, !Ref, !GetAtt) as plain strings."""

    def intrinsic(loader: yaml.SafeLoader, node: yaml.Node) -> str:
        assert isinstance(node, yaml.ScalarNode)
        return str(loader.construct_scalar(node))

    for tag in ("!Sub", "!Ref", "!GetAtt"):
        TemplateLoader.add_constructor(tag, intrinsic)
    template = yaml.load(TEMPLATE.read_text(), Loader=TemplateLoader)
    props = template["Resources"]["PipelineFunction"]["Properties"]

    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == 1024
    assert props["Timeout"] == 900
    assert props["DurableConfig"] == {"ExecutionTimeout": 3600, "RetentionPeriodInDays": 7}
    statements = props["Policies"][0]["Statement"]
    actions = {action for statement in statements for action in statement["Action"]}
    assert {"lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState"} <= actions
    assert {"logs:CreateLogStream", "logs:PutLogEvents"} <= actions
    assert set(props["Environment"]["Variables"]) == {"APPROVAL_TIMEOUT_SECONDS", "MAX_CONCURRENCY"}
