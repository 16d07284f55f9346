"""Each example's README, section "Against the local IMS", run as written: its shell block line by line
in bash (config, preview, up, destroy, stack rm), with a real test stream publishing what its README starts.

Only what this harness must own is substituted: the local IMS's address and keys (this test's server, port and
random key pair), the test stream's port, and ``source ../../scripts/env.sh`` (its variables come from the
harness instead, so nothing lands in the repository's ``.state/`` backend)."""

from __future__ import annotations

import os
import re

import pytest

from pulumi_ims_record.local.teststream import TestStream
from tests.conftest import REPO_ROOT

from .conftest import Engine, bash, copy_example

EXAMPLES = REPO_ROOT / "examples"
SECTION = "## Against the local IMS"


def local_section(name: str) -> tuple[str, str]:
    """``(stream name, shell block)`` of the example's local-IMS section."""
    text = (EXAMPLES / name / "README.md").read_text()
    assert SECTION in text, f"examples/{name}/README.md has no '{SECTION}' section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    stream = re.search(r"teststream --port 1935 --name (\S+)", section)
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert stream and block, section
    return stream.group(1), block.group(1)


@pytest.mark.recording
@pytest.mark.parametrize("name", sorted(path.parent.name for path in EXAMPLES.glob("*/Pulumi.yaml")))
def test_the_readme_steps_against_the_local_ims_work_as_written(engine: Engine, name: str) -> None:
    stream_name, block = local_section(name)
    directory = copy_example(name, engine.root)
    with TestStream(name=stream_name) as stream:
        script = (
            block.replace("source ../../scripts/env.sh", ": tools from the harness")
            .replace("http://127.0.0.1:8787", engine.ims.endpoint)
            .replace("rtmp://127.0.0.1:1935/", f"rtmp://127.0.0.1:{stream.port}/")
            .replace("ims-local-key", engine.access_key.id)
            .replace("ims-local-secret", engine.access_key.secret)
        )
        env = {**os.environ, **engine.env}
        for variable in (
            "ALIBABA_CLOUD_ICE_ENDPOINT",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        ):
            env.pop(variable, None)  # the README must set what it needs
        result = bash(script, cwd=directory, env=env)
    assert engine.ims.stats().get("SubmitLiveRecordJob", 0) >= 1, engine.ims.stats()
    assert "Resources:" in result.stdout and "deleted" in result.stdout, result.stdout[-3000:]
