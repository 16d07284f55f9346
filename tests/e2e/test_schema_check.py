"""The Pulumi CLI's own schema checker accepts ``schema.json`` and refuses a broken copy."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pulumi import automation as auto

from pulumi_ims_record.provider import schema
from tests.e2e.conftest import PULUMI


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PULUMI), "schema", "check", str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_cli_accepts_the_schema(pulumi_command: auto.PulumiCommand, tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text(schema.schema_text())
    result = check(path)
    assert result.returncode == 0, result.stdout + result.stderr


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
