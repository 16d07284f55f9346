"""``pulumi import`` through the native package: a template and a job made with the official Alibaba SDK are
imported into a YAML project (with the code the CLI generates) and into a Python project
(``--generate-code=false``, the program declaring them by type token); the next preview changes nothing."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import yaml
from alibabacloud_ice20201109 import models as m
from alibabacloud_ice20201109.client import Client as SdkClient
from alibabacloud_tea_openapi.models import Config

from .conftest import Engine

PREFIX = "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}"
SLICE_PREFIX = "record/{JobId}/{UnixTimestamp}_{Sequence}"


def made_with_the_sdk(engine: Engine, name: str) -> tuple[str, str]:
    """``(template id, job id)`` created by the official SDK, as a user's other tooling would."""
    key = engine.access_key
    endpoint = urlsplit(engine.ims.endpoint)
    client = SdkClient(
        Config(access_key_id=key.id, access_key_secret=key.secret, endpoint=endpoint.netloc, protocol="http")
    )
    template_id = client.create_live_record_template(
        m.CreateLiveRecordTemplateRequest(
            name=f"{name}-hls",
            record_format=[
                m.CreateLiveRecordTemplateRequestRecordFormat(
                    format="m3u8",
                    oss_object_prefix=PREFIX,
                    slice_oss_object_prefix=SLICE_PREFIX,
                    slice_duration=10,
                )
            ],
        )
    ).body.template_id
    job_id = client.submit_live_record_job(
        m.SubmitLiveRecordJobRequest(
            name=f"{name}-job",
            stream_input=m.SubmitLiveRecordJobRequestStreamInput(
                type="rtmp", url=f"rtmp://127.0.0.1:1/live/{name}"
            ),
            record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket="imported"),
            template_id=template_id,
        )
    ).body.job_id
    return str(template_id), str(job_id)


def import_both(engine: Engine, directory: Path, template_id: str, job_id: str, *flags: str) -> None:
    for token, name, resource_id in (
        ("ims-record:index:LiveRecordTemplate", "hls", template_id),
        ("ims-record:index:LiveRecordJob", "stage", job_id),
    ):
        out = ["--out", str(directory / f"{name}.generated.yaml")] if not flags else []
        engine.cli(
            ["import", token, name, resource_id, "--yes", "--stack", "dev", *flags, *out], cwd=directory
        )


def test_import_into_a_yaml_project_with_the_generated_code(engine: Engine) -> None:
    template_id, job_id = made_with_the_sdk(engine, "yaml-import")
    directory = engine.root / "yaml-import"
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text("name: yaml-import\nruntime: yaml\n")
    engine.init_project_stack(directory, "dev")

    import_both(engine, directory, template_id, job_id)

    program: dict[str, object] = {"name": "yaml-import", "runtime": "yaml", "resources": {}}
    for name in ("hls", "stage"):
        generated = yaml.safe_load((directory / f"{name}.generated.yaml").read_text())
        program["resources"].update(generated["resources"])  # type: ignore[attr-defined]
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
    engine.ims.reset_stats()
    engine.cli(["preview", "--expect-no-changes", "--stack", "dev"], cwd=directory)
    assert engine.ims.stats().get("SubmitLiveRecordJob", 0) == 0
    assert [job.job_id for job in engine.jobs()] == [job_id]


PYTHON_PROGRAM = """
import pulumi

hls = pulumi.CustomResource(
    "ims-record:index:LiveRecordTemplate",
    "hls",
    {{
        "name": "py-import-hls",
        "recordFormats": [
            {{
                "format": "m3u8",
                "ossObjectPrefix": {prefix!r},
                "sliceOssObjectPrefix": {slice_prefix!r},
                "sliceDuration": 10,
            }}
        ],
    }},
    opts=pulumi.ResourceOptions(protect=True),
)
pulumi.CustomResource(
    "ims-record:index:LiveRecordJob",
    "stage",
    {{
        "name": "py-import-job",
        "streamInput": {{"url": "rtmp://127.0.0.1:1/live/py-import"}},
        "recordOutput": {{"bucket": "imported"}},
        "templateId": hls.id,
    }},
    opts=pulumi.ResourceOptions(protect=True),
)
"""


def test_import_into_a_python_project_without_generated_code(engine: Engine) -> None:
    template_id, job_id = made_with_the_sdk(engine, "py-import")
    source = PYTHON_PROGRAM.format(prefix=PREFIX, slice_prefix=SLICE_PREFIX)
    directory = engine.project("py-import", source)
    engine.init_project_stack(directory, "dev")

    # The project's language host writes no code; asked to, it says what to do instead (in a stack of its own:
    # the import itself is done before the code is asked for).
    engine.init_project_stack(directory, "codegen")
    asked = engine.cli(
        ["import", "ims-record:index:LiveRecordTemplate", "hls", template_id, "--yes", "--stack", "codegen"],
        cwd=directory,
        check=False,
    )
    said = asked.stdout + asked.stderr
    assert "run `pulumi import` with --generate-code=false" in said, said
    engine.cli(["stack", "rm", "codegen", "--yes", "--force"], cwd=directory)

    # So the program above is written by hand.
    import_both(engine, directory, template_id, job_id, "--generate-code=false")

    engine.ims.reset_stats()
    engine.cli(["preview", "--expect-no-changes", "--stack", "dev"], cwd=directory)
    assert engine.ims.stats().get("SubmitLiveRecordJob", 0) == 0
