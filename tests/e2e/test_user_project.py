"""A user's own project, outside the checkout, with its own virtual environment
(`runtime.options.virtualenv`): `pulumi install` creates the venv and installs the package from the checkout
plus a package the checkout's venv does not have, then preview, up, refresh and destroy run against the local
IMS through the bootstrapped CLI, with the checkout's venv nowhere on PATH."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT

from .conftest import PASSPHRASE, PULUMI, REGION, Engine, pip_settings

TOOLS_BIN = REPO_ROOT / ".tools" / "bin"  # the plugin launchers the bootstrap installs
ONLY_IN_PROJECT = "inflection"  # a small package the checkout's .venv does not install

PROGRAM = """\
import sys

import inflection  # installed only in this project's venv
import pulumi

from pulumi_ims_record import (
    LiveRecordJob,
    LiveRecordTemplate,
    RecordFormatArgs,
    RecordOutputArgs,
    StreamInputArgs,
)

template = LiveRecordTemplate(
    "hls",
    name=inflection.dasherize("own_project_hls"),
    record_formats=[
        RecordFormatArgs(
            format="m3u8",
            oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
            slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
            slice_duration=10,
        )
    ],
)
job = LiveRecordJob(
    "cam",
    name="own-project-cam",
    stream_input=StreamInputArgs(url="rtmp://127.0.0.1:1/live/own"),
    record_output=RecordOutputArgs(bucket="own-project-bucket"),
    template_id=template.id,
)
pulumi.export("python_prefix", sys.prefix)
pulumi.export("template_name", template.name)
pulumi.export("job_id", job.id)
"""


def user_env(engine: Engine) -> dict[str, str]:
    """What a user's shell would hold: the CLI and its plugin launchers on PATH, never the checkout's venv."""
    cli_dir = PULUMI.resolve().parent
    engine.backend_dir.mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join(
        dict.fromkeys([str(TOOLS_BIN), str(cli_dir), "/usr/local/bin", "/usr/bin", "/bin"])
    )
    env = {
        "HOME": os.environ.get("HOME", str(engine.root)),
        "PATH": path,
        "PULUMI_BACKEND_URL": engine.backend_dir.as_uri() + "?metadata=skip",
        "PULUMI_HOME": str(engine.root / "pulumi-home"),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        # Anything that fell back to PULUMI_PYTHON_CMD instead of the project's venv would fail loudly.
        "PULUMI_PYTHON_CMD": "/nonexistent/python3",
        **pip_settings(),
        **engine.access_key.env(),
    }
    assert str(REPO_ROOT / ".venv") not in env["PATH"]
    return env


def pulumi(
    engine: Engine, project: Path, *args: str, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(PULUMI.resolve()), *args, "--non-interactive"],
        cwd=project,
        env=user_env(engine),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert not check or result.returncode == 0, (
        f"pulumi {' '.join(args)} exited with {result.returncode}\n"
        f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
    )
    return result


def test_a_project_with_its_own_virtualenv_installs_previews_ups_refreshes_and_destroys(
    engine: Engine,
) -> None:
    project = engine.root / "elsewhere" / "own-project"
    project.mkdir(parents=True)
    (project / "Pulumi.yaml").write_text(
        "name: own-project\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n"
    )
    (project / "__main__.py").write_text(PROGRAM)
    (project / "requirements.txt").write_text(f"{REPO_ROOT}\n{ONLY_IN_PROJECT}\n")

    installed = pulumi(engine, project, "install", timeout=900).stdout
    venv_python = project / "venv" / "bin" / "python"
    assert venv_python.exists(), installed
    check = subprocess.run(
        [str(venv_python), "-c", f"import {ONLY_IN_PROJECT}, pulumi_ims_record"], check=False
    )
    assert check.returncode == 0
    checkout = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "python"), "-c", f"import {ONLY_IN_PROJECT}"], capture_output=True
    )
    assert checkout.returncode != 0, f"{ONLY_IN_PROJECT} must not be in the checkout's venv for this test"

    pulumi(engine, project, "stack", "init", "dev")
    for key, value in (("ims-record:endpoint", engine.ims.endpoint), ("alicloud:region", REGION)):
        pulumi(engine, project, "config", "set", key, value)
    engine.ims.reset_stats()

    preview = pulumi(engine, project, "preview").stdout
    assert "3 to create" in preview, preview
    assert engine.ims.total_calls() == 0, engine.ims.stats()

    pulumi(engine, project, "up", "--yes", "--skip-preview")
    outputs = pulumi(engine, project, "stack", "output", "--json").stdout
    assert str(project / "venv") in outputs  # the program ran in the project's venv
    assert '"template_name": "own-project-hls"' in outputs
    assert [job.name for job in engine.jobs()] == ["own-project-cam"]

    refreshed = pulumi(engine, project, "refresh", "--yes", "--skip-preview").stdout
    assert "unchanged" in refreshed, refreshed
    pulumi(engine, project, "destroy", "--yes", "--skip-preview")
    assert engine.ims.stats().get("DeleteLiveRecordTemplate") == 1, engine.ims.stats()


def test_a_missing_virtualenv_or_an_unsupported_toolchain_is_a_clear_error(engine: Engine) -> None:
    cases = {
        "missing-venv": ("virtualenv: venv", "does not exist: run `pulumi install`"),
        "uv-toolchain": ("toolchain: uv", "`toolchain: uv` is not supported"),
    }
    for name, (option, message) in cases.items():
        project = engine.root / "elsewhere" / name
        project.mkdir(parents=True)
        (project / "Pulumi.yaml").write_text(
            f"name: {name}\nruntime:\n  name: python\n  options:\n    {option}\n"
        )
        (project / "__main__.py").write_text("import pulumi\n")
        pulumi(engine, project, "stack", "init", "dev")
        result = pulumi(engine, project, "preview", check=False)
        assert result.returncode != 0
        assert message in result.stdout + result.stderr, (name, result.stdout, result.stderr)


def test_a_relative_virtualenv_is_found_from_a_program_below_the_project_root(engine: Engine) -> None:
    # `main: src` runs the program (and starts the dynamic provider) in src/, while the virtualenv is relative
    # to the project root: the root project of this repository has exactly this shape (main:
    # examples/quickstart, virtualenv: .venv). The checkout's venv serves as the project's venv here.
    project = engine.root / "elsewhere" / "with-main"
    (project / "src").mkdir(parents=True)
    venv = os.path.relpath(REPO_ROOT / ".venv", project)
    (project / "Pulumi.yaml").write_text(
        f"name: with-main\nmain: src\nruntime:\n  name: python\n  options:\n    virtualenv: {venv}\n"
    )
    (project / "src" / "__main__.py").write_text(
        "from pulumi_ims_record import LiveRecordTemplate, RecordFormatArgs\n"
        "LiveRecordTemplate('mp4', record_formats=[RecordFormatArgs(format='mp4')])\n"
    )
    pulumi(engine, project, "stack", "init", "dev")
    pulumi(engine, project, "config", "set", "ims-record:endpoint", engine.ims.endpoint)
    preview = pulumi(engine, project, "preview").stdout  # check() runs in the provider the launcher started
    assert "2 to create" in preview, preview
