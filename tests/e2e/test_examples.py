"""Every program in examples/ previews under the CLI (through the language host); the quickstart and the
vod-output example (with a real stream) go up and are destroyed.

Each example runs from a copy in tmp_path (its stack files never land in the repository), with a stack config
that keeps it local: no `alicloud.oss.Bucket` (its provider plugin cannot be downloaded here), streams on
loopback, the local IMS as the endpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML, a dependency of pulumi

from pulumi_ims_record.local.teststream import TestStream
from tests.conftest import REPO_ROOT, wait_until

from .conftest import Engine
from .conftest import copy_example as copy_example_files

EXAMPLES = REPO_ROOT / "examples"

# Per example: stack config (without the project namespace) that avoids anything but the local IMS.
LOCAL_CONFIG: dict[str, dict[str, Any]] = {
    "quickstart": {
        "useAlicloudBucket": False,
        "bucketName": "e2e-quickstart",
        "streamUrl": "rtmp://127.0.0.1:1/live/quickstart",
    },
    "component": {
        "bucketName": "e2e-component",
        "cam1Url": "rtmp://127.0.0.1:1/live/cam1",
        "cam2Url": "rtmp://127.0.0.1:1/live/cam2",
    },
    "existing-bucket": {"bucketName": "e2e-existing", "streamUrl": "rtmp://127.0.0.1:1/live/existing"},
    "multi-stream": {
        "bucket": "e2e-multi",
        "streams": [
            {"key": "stage-a", "url": "rtmp://127.0.0.1:1/live/stage-a"},
            {
                "key": "stage-b",
                "url": "rtmp://127.0.0.1:1/live/stage-b",
                "notifyUrl": "https://example.com/n",
            },
        ],
    },
    "yaml-quickstart": {"bucketName": "e2e-yaml", "streamUrl": "rtmp://127.0.0.1:1/live/yaml"},
    # On the generated SDKs: cycleDuration shows that the stack's config reaches each language's program.
    "ts-quickstart": {"bucketName": "e2e-ts", "streamUrl": "rtmp://127.0.0.1:1/live/ts", "cycleDuration": 60},
    "python-sdk-quickstart": {
        "bucketName": "e2e-python-sdk",
        "streamUrl": "rtmp://127.0.0.1:1/live/python-sdk",
        "cycleDuration": 60,
    },
    "go-quickstart": {"bucketName": "e2e-go", "streamUrl": "rtmp://127.0.0.1:1/live/go", "cycleDuration": 60},
    "recordings": {"bucketName": "e2e-recordings", "streamUrl": "rtmp://127.0.0.1:1/live/recordings"},
    "vod-output": {
        "vodStorageLocation": "outin-e2e.oss-cn-shanghai.aliyuncs.com",
        "streamUrl": "rtmp://127.0.0.1:1/live/vod",
    },
}


def example_names() -> list[str]:
    return sorted(path.parent.name for path in EXAMPLES.glob("*/Pulumi.yaml"))


def test_every_example_has_a_local_config_here() -> None:
    """A new example must be added to LOCAL_CONFIG, so the preview test below covers it."""
    assert example_names(), "no examples found"
    assert sorted(LOCAL_CONFIG) == example_names()


def copy_example(engine: Engine, name: str, stack: str, **overrides: Any) -> Path:
    """The example in tmp_path with a ``Pulumi.<stack>.yaml`` holding LOCAL_CONFIG (and ``overrides``);
    returns its directory."""
    directory = copy_example_files(name, engine.root)
    project = yaml.safe_load((directory / "Pulumi.yaml").read_text())["name"]
    settings = {**LOCAL_CONFIG[name], **overrides}
    config: dict[str, Any] = {f"{project}:{key}": value for key, value in settings.items()}
    config.update(engine.config())
    (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    engine.cli(["stack", "init", stack], cwd=directory)
    return directory


@pytest.mark.parametrize("name", example_names())
def test_example_previews_with_no_api_call(engine: Engine, name: str) -> None:
    directory = copy_example(engine, name, "preview")
    engine.ims.reset_stats()

    preview = engine.cli(["preview", "--stack", "preview"], cwd=directory)

    assert "to create" in preview.stdout, preview.stdout
    # Only look-ups (functions) call the API at preview: they read what the program is built on.
    assert set(engine.ims.stats()) <= {"ListLiveRecordTemplates", "GetLiveRecordTemplate"}, engine.ims.stats()
    assert name == "recordings" or engine.ims.total_calls() == 0, engine.ims.stats()


def test_quickstart_goes_up_and_is_destroyed(engine: Engine) -> None:
    directory = copy_example(engine, "quickstart", "dev")

    engine.cli(["up", "--yes", "--skip-preview", "--stack", "dev"], cwd=directory)

    job_id = engine.cli(["stack", "output", "job_id", "--stack", "dev"], cwd=directory).stdout.strip()
    template_id = engine.cli(
        ["stack", "output", "template_id", "--stack", "dev"], cwd=directory
    ).stdout.strip()
    assert [job.job_id for job in engine.jobs()] == [job_id]
    with engine.client() as client:
        assert (
            client.get_live_record_template(template_id=template_id).record_template.name == "quickstart-hls"
        )
    engine.ims.reset_stats()

    destroyed = engine.cli(["destroy", "--yes", "--skip-preview", "--stack", "dev"], cwd=directory)

    assert engine.ims.stats().get("DeleteLiveRecordTemplate") == 1, engine.ims.stats()
    assert "keeps recording" in destroyed.stdout, destroyed.stdout
    resources = engine.export(directory, "dev")["deployment"].get("resources") or []
    assert resources == []
    with engine.client() as client:
        templates = [item.template_id for item in client.iter_live_record_templates(type="custom")]
    assert template_id not in templates


@pytest.mark.recording
def test_vod_output_goes_up_and_records_into_its_storage_location(engine: Engine) -> None:
    # The example as its README runs it: a VOD storage location as the bucket, waiting for "started".
    location = LOCAL_CONFIG["vod-output"]["vodStorageLocation"]
    with TestStream(name="vod") as stream:
        directory = copy_example(engine, "vod-output", "vod", streamUrl=stream.url)

        engine.cli(["up", "--yes", "--skip-preview", "--stack", "vod"], cwd=directory)

        status = engine.cli(["stack", "output", "status", "--stack", "vod"], cwd=directory).stdout.strip()
        assert status == "started"
        # The example's template cuts a file every 6 hours (the default cycle), but its 10 s slices land in
        # the storage location's local bucket as they are recorded.
        storage = engine.ims.data_dir / "buckets" / location
        slices = wait_until(
            lambda: list(storage.rglob("*.ts")), timeout=120, interval=1, message=f"a slice in {storage}"
        )
        assert slices[0].stat().st_size > 0
        engine.cli(["destroy", "--yes", "--skip-preview", "--stack", "vod"], cwd=directory)
