"""The README's "Your own YAML project", run as written outside the checkout: the plugin built and installed
into Pulumi's plugin cache (then its build directory deleted), a Pulumi YAML project with the checkout's venv
nowhere on PATH, preview and up against a local IMS; then what a newcomer meets next: a bad slice duration, a
stack set up the Python door's way (``alicloud:region``), a refresh after a change made outside the stack,
destroy.

Only what this harness must own is substituted: the checkout's path, a build directory under the test's
tmp_path, the local IMS's address and keys, and ``~`` of ``pulumi login --local`` and the plugin cache: the
test's own HOME."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
from pathlib import Path

from pulumi_ims_record.ice import RecordFormat
from tests.conftest import REPO_ROOT

from .conftest import PASSPHRASE, Engine, bash, pip_settings

SECTION = "## Your own YAML project"
PLUGIN_BUILD_DIR = "/tmp/ims-record-plugin"


def readme_blocks() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    assert SECTION in text, f"the README has no '{SECTION}' section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 2, section
    return blocks


def user_env(home: Path) -> dict[str, str]:
    """A user's shell: no checkout venv, no repository backend, the test's own HOME."""
    env = {
        "HOME": str(home),
        # The CLI finds ~ from the user database, not $HOME: name its home and backend (below) outright.
        "PULUMI_HOME": str(home / ".pulumi"),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        # A plugin that is not in the cache must fail here, not try a download.
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        # pip's wheel cache, as the user's would be (HOME is the test's)
        "XDG_CACHE_HOME": str(Path.home() / ".cache"),
        **pip_settings(),
    }
    return env


def test_the_readme_yaml_project_with_the_installed_plugin(engine: Engine) -> None:
    setup, local = readme_blocks()
    home, work, build = engine.root / "home", engine.root / "work", engine.root / "plugin-build"
    for directory in (home, work):
        directory.mkdir(parents=True)
    env = user_env(home)

    def substituted(block: str) -> str:
        return (
            block.replace("/path/to/pulumi-ims-record", str(REPO_ROOT))
            .replace(PLUGIN_BUILD_DIR, str(build))
            .replace("pulumi login --local", f"pulumi login {home.as_uri()}")
            .replace("http://127.0.0.1:8787", engine.ims.endpoint)
            .replace("ims-local-key", engine.access_key.id)
            .replace("ims-local-secret", engine.access_key.secret)
        )

    installed = bash(substituted(setup), cwd=work, env=env)
    version = importlib.metadata.version("pulumi-ims-record")
    schema_version = json.loads((REPO_ROOT / "schema.json").read_text())["version"]
    assert schema_version == version
    assert re.search(rf"ims-record\s+resource\s+{re.escape(version)}\b", installed.stdout), installed.stdout
    plugin = home / ".pulumi" / "plugins" / f"resource-ims-record-v{version}" / "pulumi-resource-ims-record"
    answered = subprocess.run([plugin, "--version"], capture_output=True, text=True, env=env, check=True)
    assert answered.stdout.strip() == version
    # What it was built from may go: the plugin cache holds all it needs.
    subprocess.run(["rm", "-rf", str(build)], check=True)

    project = work / "recording-yaml"
    path = f"{REPO_ROOT / '.tools' / 'bin'}:{env['PATH']}"
    project_env = {**env, "PATH": path}
    went_up = bash(substituted(local), cwd=project, env=project_env)
    said = went_up.stdout + went_up.stderr
    assert "from $PATH" not in said, said
    [job] = engine.jobs()
    assert job.job_id in went_up.stdout and job.name == "stage", said

    def pulumi(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return bash(
            " ".join(["pulumi", *args, "--non-interactive"]), cwd=project, env=project_env, check=check
        )

    # A bad slice duration: refused at preview with the path, the rule and the value, no API call.
    program = (project / "Pulumi.yaml").read_text()
    (project / "Pulumi.yaml").write_text(program.replace("sliceDuration: 10", "sliceDuration: 2"))
    engine.ims.reset_stats()
    refused = pulumi("preview", check=False)
    assert refused.returncode != 0
    assert (
        "ims-record:index:LiveRecordTemplate resource 'hls' has a problem: "
        "recordFormats[0].sliceDuration: must be 5–30 seconds (got 2)"
    ) in refused.stdout, refused.stdout
    assert "<nil>" not in refused.stdout and engine.ims.total_calls() == 0
    (project / "Pulumi.yaml").write_text(program)

    # A stack set up the Python door's way: the advice names the key this plugin reads.
    pulumi("stack", "init", "cloud")
    pulumi("config", "set", "alicloud:region", "cn-shanghai")
    no_region = pulumi("up", "--yes", "--skip-preview", check=False)
    assert no_region.returncode != 0
    assert "no region: set it with `pulumi config set ims-record:region cn-shanghai`" in no_region.stdout, (
        no_region.stdout
    )
    assert "alicloud:" not in no_region.stdout.split("no region:", 1)[1].split("\n", 1)[0]
    pulumi("stack", "rm", "cloud", "--yes", "--force")
    pulumi("stack", "select", "dev")

    # Changed outside the stack: refresh shows the drift and says nothing of an update it does not make.
    with engine.client() as client:
        [template] = client.iter_live_record_templates(type="custom")
        client.update_live_record_template(
            template_id=template.template_id,
            name="edited-out-of-band",
            record_formats=[
                RecordFormat(format="flv", oss_object_prefix="oob/{JobId}/{StartTime}_{EndTime}")
            ],
        )
    refreshed = pulumi("refresh", "--yes", "--skip-preview")
    assert "updated" in refreshed.stdout and "edited-out-of-band" in pulumi("stack", "export").stdout
    assert "updated in place" not in refreshed.stdout + refreshed.stderr, refreshed.stdout

    destroyed = pulumi("destroy", "--yes", "--skip-preview")
    assert "keeps recording" in destroyed.stdout, destroyed.stdout
    with engine.client() as client:
        assert not list(client.iter_live_record_templates(type="custom"))
