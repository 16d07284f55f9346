"""The Pulumi CLI's own schema checker accepts ``schema.json`` and refuses a broken copy."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pulumi import automation as auto

from pulumi_ims_record.provider import native, schema
from tests.e2e.conftest import PULUMI, VENV


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PULUMI), "schema", "check", str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_cli_accepts_the_schema(pulumi_command: auto.PulumiCommand, tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text(schema.schema_text())
    result = check(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_plugin_serves_the_schema_to_the_cli(pulumi_command: auto.PulumiCommand) -> None:
    """The engine starts ``pulumi-resource-ims-record`` (the console script ``pip install`` made) by path and
    asks it for its schema over gRPC."""
    plugin = VENV / "bin" / "pulumi-resource-ims-record"
    result = subprocess.run(
        [str(PULUMI), "package", "get-schema", str(plugin)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == schema.package_schema(native.VERSION)


def test_the_cli_refuses_a_dangling_type_reference(
    pulumi_command: auto.PulumiCommand, tmp_path: Path
) -> None:
    broken = schema.package_schema()
    job = broken["resources"][schema.token("LiveRecordJob")]["inputProperties"]
    job["streamInput"]["$ref"] = f"#/types/{schema.token('Missing')}"
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(broken))
    result = check(path)
    assert result.returncode != 0 and "Missing" in result.stdout + result.stderr
