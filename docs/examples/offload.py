"""The examples of docs/payload-offload.md."""

# ruff: noqa: D103
# --8<-- [start:imports]
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from durable_lambda import DurableContext, FileBlobStore, OffloadSerDes, durable_execution
from durable_lambda.testing import DurableTestRunner

# --8<-- [end:imports]


# --8<-- [start:s3]
serdes = OffloadSerDes.s3(
    "my-payload-bucket",
    prefix="durable-lambda/offload/",  # what the lifecycle rule matches
    threshold=128 * 1024,  # bytes of payload; larger ones go to S3
)


@durable_execution(serdes=serdes)
async def build_report(event: dict[str, Any], ctx: DurableContext) -> dict[str, int]:
    rows = await ctx.step(lambda step: [{"n": n, "square": n * n} for n in range(50_000)])
    return {"rows": len(rows)}


# --8<-- [end:s3]


def test_building_the_s3_serializer_touches_nothing() -> None:
    # boto3 is imported, and the client built, on the first upload or download only.
    assert serdes.store.location == "my-payload-bucket"
    assert serdes.prefix == "durable-lambda/offload/"


# --8<-- [start:files]
def make_handler(root: Path) -> Any:
    @durable_execution(serdes=OffloadSerDes(FileBlobStore(root), threshold=64 * 1024))
    async def handler(event: dict[str, Any], ctx: DurableContext) -> int:
        rows = await ctx.step(lambda step: ["row"] * 100_000, name="rows")
        return len(rows)

    return handler


def file_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def test_a_large_step_result_is_offloaded_to_a_folder() -> None:
    with tempfile.TemporaryDirectory() as folder:
        runner = DurableTestRunner(make_handler(Path(folder)), always_replay=True)
        run = await runner.start({})
        result = await run.result()

        assert result.result == 100_000
        reference = json.loads(run.step("rows").operation.result_payload or "")
        assert reference["durable_lambda_offload"] == 1  # the format version
        assert reference["size"] == len(json.dumps(["row"] * 100_000, separators=(",", ":")))
        assert file_mode(Path(folder) / reference["key"]) == 0o600


# --8<-- [end:files]


# --8<-- [start:cleanup]
def delete_offloaded(serdes: OffloadSerDes[Any], root: Path, execution_arn: str) -> None:
    """Remove what one execution offloaded to a folder, once nothing will replay it."""
    shutil.rmtree(root / serdes.execution_prefix(execution_arn), ignore_errors=True)


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


async def test_cleaning_up_after_one_execution() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        handler = make_handler(root)
        run = await DurableTestRunner(handler).start({})
        await run.result()
        assert len(files_under(root)) == 1

        delete_offloaded(handler.settings.serdes, root, run.arn)

        assert files_under(root) == []


# --8<-- [end:cleanup]
