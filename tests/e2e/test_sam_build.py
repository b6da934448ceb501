"""``sam build`` of the pipeline example works from a clone, as the README says.

The test copies the checkout (its sources, not its virtual environments or caches) into a scratch
folder, as a fresh clone would be, and in ``examples/pipeline`` runs ``sam validate --lint`` and
``sam build`` with the SAM CLI's environment first on PATH (what ``. .venv-sam/bin/activate``
does). Nothing is deployed and no AWS account is needed; the only network use is pip reading the
package index (the Makefile builds the project's wheel and installs its dependencies).

The built function must then be what Lambda runs: durable-lambda from this checkout, compiled
extensions for Linux on arm64 (the template's architecture), and ``handler.handler`` importable
by Python 3.13 (the template's runtime) from the build folder alone. On a machine that is not
arm64 the arm64 extensions cannot load, so for the import, and only for it, the packages that
carry extensions are laid over by this machine's build of the same versions; every other file
imported is the built one.

It needs the SAM CLI (``.venv-sam/bin/sam``, ``$SAM_CLI`` or ``sam`` on PATH) and a Python 3.13
(on PATH or under pyenv); without them it is skipped, saying what is missing. ``.ci/run`` installs
the SAM CLI and sets ``SAM_CLI``, and then a missing SAM CLI fails the test instead.
"""

from __future__ import annotations

import glob
import os
import platform
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
_COPY_IGNORED = shutil.ignore_patterns(
    ".*", "__pycache__", "*.pyc", "site", "dist", "build", "*.egg-info"
)
_ELF_MACHINE_AARCH64 = 183
_SUBPROCESS_TIMEOUT_SECONDS = 900


def sam_cli() -> Path:
    """Return the SAM CLI to use, or skip the test when there is none."""
    required = os.environ.get("SAM_CLI")
    if required:
        assert Path(required).is_file(), f"SAM_CLI={required} does not exist"
        return Path(required)
    for candidate in (ROOT / ".venv-sam" / "bin" / "sam", shutil.which("sam")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    pytest.skip(
        "no SAM CLI: python3 -m venv .venv-sam && .venv-sam/bin/pip install aws-sam-cli "
        "(.ci/run does)"
    )


def python_313() -> Path:
    """Return a Python 3.13 interpreter, or skip the test when this machine has none."""
    pyenv_root = (
        subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if shutil.which("pyenv")
        else ""
    )
    candidates = [shutil.which("python3.13")]
    if pyenv_root:
        candidates += sorted(glob.glob(f"{pyenv_root}/versions/3.13*/bin/python"))
    for candidate in candidates:
        if not candidate:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 13)"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return Path(candidate)
    pytest.skip("no Python 3.13 on this machine: the built handler was not imported")


def clone(into: Path) -> Path:
    """Copy the checkout's sources into ``into`` as a fresh clone would hold them."""
    shutil.copytree(ROOT, into, ignore=_COPY_IGNORED)
    return into


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run ``command``; fail the test with its output unless it exits 0; return its output."""
    completed = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=_SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"{' '.join(command)} exited {completed.returncode}\n{output}"
    return output


def elf_machine(path: Path) -> int:
    """Return the ELF ``e_machine`` of a little-endian shared object."""
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", f"{path} is not an ELF file"
    return int.from_bytes(header[18:20], "little")


def distributions_with_extensions(built: Path) -> dict[str, str]:
    """Return {distribution: version} for every installed distribution that ships a ``.so``."""
    found: dict[str, str] = {}
    for dist_info in built.glob("*.dist-info"):
        record = (dist_info / "RECORD").read_text(encoding="utf-8")
        if any(line.split(",")[0].endswith(".so") for line in record.splitlines()):
            name, version = dist_info.name.removesuffix(".dist-info").rsplit("-", 1)
            found[name] = version
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run ``sam validate --lint`` and ``sam build`` in a clone; return the function's build."""
    sam = sam_cli()
    checkout = clone(tmp_path_factory.mktemp("clone") / "durable-lambda")
    example = checkout / "examples" / "pipeline"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DURABLE_LAMBDA_", "VIRTUAL"))},
        "PATH": f"{sam.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "SAM_CLI_TELEMETRY": "0",
    }
    env.pop("PYTHON", None)
    assert "is a valid SAM Template" in run(["sam", "validate", "--lint"], example, env)
    assert "Build Succeeded" in run(["sam", "build"], example, env)
    return example / ".aws-sam" / "build" / "PipelineFunction"


def test_the_build_holds_the_handler_and_durable_lambda_from_the_checkout(built: Path) -> None:
    assert (built / "handler.py").read_text() == (ROOT / "examples/pipeline/handler.py").read_text()
    assert (built / "lib" / "callback_helper.py").is_file()
    assert (built / "durable_lambda" / "__init__.py").read_text() == (
        ROOT / "durable_lambda" / "__init__.py"
    ).read_text()
    for name in ("boto3", "pydantic", "pydantic_core", "dependency_injector", "structlog"):
        assert (built / name).is_dir(), f"{name} is missing from the build"
    assert not list(built.rglob("__pycache__"))


def test_every_compiled_extension_is_for_linux_on_arm64_and_python_313(built: Path) -> None:
    extensions = list(built.rglob("*.so"))
    assert extensions, "the build holds no compiled extension (pydantic-core has one)"
    for extension in extensions:
        assert elf_machine(extension) == _ELF_MACHINE_AARCH64, f"{extension} is not arm64"
        tag = extension.name.split(".")[-2]
        assert tag in ("abi3", "cpython-313-aarch64-linux-gnu"), f"{extension}: {tag}"


def test_the_built_handler_imports_under_python_313(built: Path, tmp_path: Path) -> None:
    python = python_313()
    overlay = tmp_path / "host-extensions"
    if platform.machine() not in ("aarch64", "arm64"):
        pins = [
            f"{name}=={version}" for name, version in distributions_with_extensions(built).items()
        ]
        run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(overlay),
                *pins,
            ],
            tmp_path,
            dict(os.environ),
        )
    script = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = [{str(overlay)!r}, {str(built)!r}]
        import handler
        import durable_lambda
        assert durable_lambda.__file__.startswith({str(built)!r}), durable_lambda.__file__
        assert handler.__file__.startswith({str(built)!r}), handler.__file__
        assert callable(handler.handler), handler.handler
        print(type(handler.handler).__name__, sys.version_info[:2])
        """
    )
    # -I: no user site, no PYTHONPATH, no current folder; only the build (and the overlay).
    output = run([str(python), "-I", "-c", script], built, dict(os.environ))
    assert "DurableFunction (3, 13)" in output
