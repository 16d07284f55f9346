"""The generated SDKs (sdk/) are what Pulumi's generators make of today's schema (``./run sdk --check``)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pulumi_ims_record.provider import schema
from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "sdk.py"


def load_script(name: str) -> ModuleType:
    """A module of scripts/ (not a package), loaded from its file."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sdk_script() -> ModuleType:
    module = load_script("sdk")
    if not module.GENERATOR.is_file():
        pytest.fail(f"{module.GENERATOR} is missing: ./run bootstrap builds it")
    return module


def test_the_committed_sdks_are_what_the_schema_generates(sdk_script: ModuleType) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_changed_missing_or_extra_file_is_named(sdk_script: ModuleType, tmp_path: Path) -> None:
    fresh = sdk_script.generated(sdk_script.schema_text(), tmp_path / "fresh")
    committed = tmp_path / "committed"
    for target in sdk_script.TARGETS:
        shutil.copytree(fresh / target, committed / target)
    assert sdk_script.stale(fresh, committed) == []

    job = committed / "sdk" / "python" / "pulumi_ims_record_sdk" / "live_record_job.py"
    job.write_text(job.read_text().replace("wait_timeout_seconds", "wait_seconds"))
    (committed / "sdk" / "go" / "imsrecord" / "doc.go").unlink()
    (committed / "sdk" / "nodejs" / "leftover.ts").write_text("export {};\n")
    (committed / "sdk" / "nodejs" / "node_modules").mkdir()  # not generated: never compared
    (committed / "sdk" / "nodejs" / "node_modules" / "x.js").write_text("")
    page = committed / "docs" / "api" / "live-record-job.md"
    page.write_text(page.read_text().replace("replaces", "updates in place"))
    assert sdk_script.stale(fresh, committed) == [
        "sdk/nodejs/leftover.ts (no longer generated)",
        "sdk/python/pulumi_ims_record_sdk/live_record_job.py",
        "sdk/go/imsrecord/doc.go (new)",
        "docs/api/live-record-job.md",
    ]


def test_a_lock_file_made_for_other_dependencies_is_stale(sdk_script: ModuleType, tmp_path: Path) -> None:
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(REPO_ROOT / "sdk" / "nodejs" / name, tmp_path / name)
    assert sdk_script.lock_matches(tmp_path)
    package = json.loads((tmp_path / "package.json").read_text())
    package["dependencies"]["@pulumi/pulumi"] = "^3.200.0"
    (tmp_path / "package.json").write_text(json.dumps(package))
    assert not sdk_script.lock_matches(tmp_path)


def test_each_sdk_has_the_packages_names_and_functions() -> None:
    sdk = REPO_ROOT / "sdk"
    package = json.loads((sdk / "nodejs" / "package.json").read_text())
    assert (package["name"], package["version"]) == (schema.NODEJS_PACKAGE, schema.VERSION)
    assert (sdk / "python" / schema.PYTHON_PACKAGE / "get_live_record_files.py").is_file()
    assert (sdk / "nodejs" / "getLiveRecordJob.ts").is_file()
    go_module = schema.GO_IMPORT_PATH.rsplit("/", 1)[0]
    assert f"module {go_module}\n" in (sdk / "go" / "go.mod").read_text()
    assert (sdk / "go" / schema.GO_IMPORT_PATH.rsplit("/", 1)[1] / "getLiveRecordTemplate.go").is_file()


TS_EXAMPLE = REPO_ROOT / "examples" / "ts-quickstart"


def tsc(project: Path) -> subprocess.CompletedProcess[str]:
    compiler = TS_EXAMPLE / "node_modules" / ".bin" / "tsc"
    if not compiler.exists():
        pytest.fail(f"{compiler} is missing: ./run bootstrap installs the TypeScript example's packages")
    return subprocess.run(
        [str(compiler), "--noEmit", "-p", str(project)], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("project", [REPO_ROOT / "sdk" / "nodejs", TS_EXAMPLE], ids=["sdk", "example"])
def test_the_nodejs_sdk_and_the_typescript_example_type_check(project: Path) -> None:
    result = tsc(project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_program_that_gives_the_sdk_a_wrong_type_does_not_type_check(tmp_path: Path) -> None:
    """The check above can fail: the SDK's types reach a program (a number where a string belongs)."""
    (tmp_path / "node_modules").symlink_to(TS_EXAMPLE / "node_modules")
    shutil.copyfile(TS_EXAMPLE / "tsconfig.json", tmp_path / "tsconfig.json")
    program = (TS_EXAMPLE / "index.ts").read_text()
    (tmp_path / "index.ts").write_text(program.replace('format: "m3u8"', "format: 8"))
    result = tsc(tmp_path)
    assert result.returncode != 0
    assert "index.ts" in result.stdout and "TS2322" in result.stdout, result.stdout


GO_EXAMPLE = REPO_ROOT / "examples" / "go-quickstart"
GO_SDK_PACKAGES = schema.GO_IMPORT_PATH.rsplit("/", 1)[0] + "/..."


def go_vet(example: Path) -> subprocess.CompletedProcess[str]:
    """``go vet`` of the example's program and of the whole Go SDK, which go.mod's replace brings in."""
    return subprocess.run(
        ["go", "vet", ".", GO_SDK_PACKAGES], cwd=example, capture_output=True, text=True, timeout=600
    )


def test_the_go_sdk_and_the_go_example_build_and_vet() -> None:
    result = go_vet(GO_EXAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_go_program_that_gives_the_sdk_a_wrong_type_does_not_build(tmp_path: Path) -> None:
    """The check above can fail: the SDK's types reach a program (a string where an integer belongs)."""
    example = tmp_path / "examples" / "go-quickstart"
    shutil.copytree(GO_EXAMPLE, example)
    (tmp_path / "sdk").symlink_to(REPO_ROOT / "sdk")  # go.mod's replace: ../../sdk/go
    program = (example / "main.go").read_text()
    assert "pulumi.Int(10)" in program
    (example / "main.go").write_text(program.replace("pulumi.Int(10)", 'pulumi.String("10")'))
    result = go_vet(example)
    assert result.returncode != 0
    assert "main.go" in result.stderr and "cannot use" in result.stderr, result.stderr


@pytest.fixture(scope="module")
def api_docs() -> ModuleType:
    return load_script("api_docs")


def test_the_api_docs_name_each_property_and_function_as_the_generated_sdks_do(api_docs: ModuleType) -> None:
    """The reference's Python and Go names are read off the generated SDKs, not only derived."""
    package = schema.package_schema()
    python_sdk = REPO_ROOT / "sdk" / "python" / schema.PYTHON_PACKAGE
    go_sdk = REPO_ROOT / "sdk" / "go" / "imsrecord"
    missing = []
    for token, spec in package["resources"].items():
        name = api_docs.short(token)
        python = (python_sdk / f"{api_docs.python_name(name)}.py").read_text()
        go = (go_sdk / f"{name[0].lower()}{name[1:]}.go").read_text()
        for prop in spec["properties"] | spec["inputProperties"]:
            if f"def {api_docs.python_name(prop)}(self)" not in python:
                missing.append(f"{name}.{api_docs.python_name(prop)} (Python)")
            if f"\t{api_docs.go_name(prop)} " not in go:
                missing.append(f"{name}.{api_docs.go_name(prop)} (Go)")
    go_functions = "".join(path.read_text() for path in go_sdk.glob("get*.go"))
    for token in package["functions"]:
        name = api_docs.short(token)
        if not (python_sdk / f"{api_docs.python_name(name)}.py").is_file():
            missing.append(f"{api_docs.python_name(name)} (Python)")
        if f"func {api_docs.go_function(token, package['resources'])}(" not in go_functions:
            missing.append(f"{api_docs.go_function(token, package['resources'])} (Go)")
    assert missing == []


def test_the_api_docs_say_what_a_change_does_and_the_defaults(api_docs: ModuleType) -> None:
    page = (REPO_ROOT / "docs" / "api" / "live-record-job.md").read_text()
    assert "| `templateId` | `template_id` | `TemplateId` | string | yes |  | replaces |" in page
    assert "| `wait_timeout_seconds` | `WaitTimeoutSeconds` | integer |  | `300` | updates in place |" in page
    index = (REPO_ROOT / "docs" / "api" / "README.md").read_text()
    pages = set(api_docs.render(schema.package_schema())) - {"README.md"}
    assert pages and all(f"]({page})" in index for page in pages)
