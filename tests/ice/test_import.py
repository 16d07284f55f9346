"""``import pulumi_ims_record.ice`` stays light: no Pulumi, no official SDK, no alibabacloud-credentials."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = (
    "pulumi",
    "pulumi_alicloud",
    "alibabacloud_credentials",
    "alibabacloud_tea_openapi",
    "darabonba",
    "aiohttp",
    "requests",
    "apscheduler",
)
# Stands in for the parent package so only the ice layer's own imports are measured.
BYPASS_PARENT = (
    "import sys, types; parent = types.ModuleType('pulumi_ims_record'); "
    "parent.__path__ = ['pulumi_ims_record']; sys.modules['pulumi_ims_record'] = parent; "
)


def modules_loaded_by(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "import json; print(json.dumps(sorted(sys.modules)))"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    assert "pulumi_ims_record.ice" in loaded
    return loaded


def forbidden(loaded: list[str]) -> list[str]:
    return [name for name in loaded if name.split(".")[0] in FORBIDDEN]


def test_the_ice_layer_itself_imports_no_pulumi_or_sdk() -> None:
    assert forbidden(modules_loaded_by(BYPASS_PARENT + "import sys; import pulumi_ims_record.ice; ")) == []


def test_import_pulumi_ims_record_ice_loads_no_pulumi_module() -> None:
    assert forbidden(modules_loaded_by("import sys; import pulumi_ims_record.ice; ")) == []
