"""Every example program runs under mocks and declares what its README says (no engine, no API)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML, a dependency of pulumi

from .test_resources_mocks import RecordingMocks, is_secret, unwrap

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
JOB = "pulumi-python:dynamic/ims:LiveRecordJob"
TEMPLATE = "pulumi-python:dynamic/ims:LiveRecordTemplate"
BUCKET = "alicloud:oss/bucket:Bucket"


def run_example(name: str, config: dict[str, str], project: str) -> RecordingMocks:
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project=project, stack="test", preview=False)
    pulumi.runtime.set_all_config({f"{project}:{key}": value for key, value in config.items()})

    @pulumi.runtime.test
    def program() -> None:
        runpy.run_path(str(EXAMPLES / name / "__main__.py"), run_name="__main__")

    program()
    return mocks


def by_type(mocks: RecordingMocks, typ: str) -> dict[str, dict[str, Any]]:
    return {name: inputs for name, (kind, inputs) in mocks.resources.items() if kind == typ}


PROJECT_FILES = {
    "python": ("__main__.py", "requirements.txt"),
    "yaml": (),  # the program is Pulumi.yaml itself
    "nodejs": ("index.ts", "package.json", "package-lock.json", "tsconfig.json", ".npmrc"),
    "go": ("main.go", "go.mod", "go.sum"),
}
"""Per runtime, the files an example has besides Pulumi.yaml and README.md."""


def test_every_example_has_its_project_files() -> None:
    names = sorted(path.name for path in EXAMPLES.iterdir() if path.is_dir())
    assert names == [
        "component",
        "existing-bucket",
        "go-quickstart",
        "multi-stream",
        "python-sdk-quickstart",
        "quickstart",
        "recordings",
        "ts-quickstart",
        "vod-output",
        "yaml-quickstart",
    ]
    for name in names:
        runtime = yaml.safe_load((EXAMPLES / name / "Pulumi.yaml").read_text())["runtime"]
        runtime = runtime["name"] if isinstance(runtime, dict) else runtime  # or {name, options}
        for file in ("Pulumi.yaml", "README.md", *PROJECT_FILES[runtime]):
            assert (EXAMPLES / name / file).is_file(), f"{name}/{file}"


def test_quickstart_on_alibaba_cloud_creates_the_bucket_and_wires_it() -> None:
    config = {"bucketName": "my-recordings", "streamUrl": "rtmp://push.example.com/live/s?auth_key=t"}
    mocks = run_example("quickstart", config, "ims-record-quickstart")
    assert list(by_type(mocks, BUCKET)) == ["recordings"]
    job = by_type(mocks, JOB)["stream"]
    assert job["record_output"] == {"bucket": "my-recordings", "endpoint": "oss-cn-shanghai.aliyuncs.com"}
    assert job["template_id"] == "hls-id"
    assert is_secret(job["stream_input"])  # the stream URL is read with get_secret


def test_quickstart_against_the_local_ims_needs_no_alicloud_resource() -> None:
    config = {"useAlicloudBucket": "false", "bucketName": "local-recordings", "cycleDuration": "10"}
    mocks = run_example("quickstart", config, "ims-record-quickstart")
    assert by_type(mocks, BUCKET) == {}
    job = by_type(mocks, JOB)["stream"]
    assert job["record_output"] == {"bucket": "local-recordings"}
    assert unwrap(job["stream_input"]) == {"url": "rtmp://127.0.0.1:1935/live/quickstart"}
    assert by_type(mocks, TEMPLATE)["hls"]["record_formats"][0]["cycle_duration"] == 10


def test_multi_stream_declares_one_job_per_config_entry() -> None:
    streams = '[{"key": "a", "url": "rtmp://h/live/a"}, {"key": "b", "url": "rtmp://h/live/b", "notifyUrl": "https://h/n"}]'
    mocks = run_example(
        "multi-stream", {"bucket": "rec-bucket", "streams": streams}, "ims-record-multi-stream"
    )
    jobs = by_type(mocks, JOB)
    assert sorted(jobs) == ["a", "b"]
    assert jobs["b"]["notify_url"] == "https://h/n"
    assert "notify_url" not in jobs["a"]


@pytest.mark.parametrize("bucket_config", [{"bucketName": "plain-bucket"}, {"bucketId": "looked-up"}])
def test_existing_bucket_by_name_or_by_lookup(bucket_config: dict[str, str]) -> None:
    mocks = run_example(
        "existing-bucket", {**bucket_config, "streamUrl": "rtmp://h/live/s"}, "ims-record-existing-bucket"
    )
    buckets = by_type(mocks, BUCKET)
    if "bucketId" in bucket_config:  # read with Bucket.get, not created
        assert list(buckets) == ["recordings"] and mocks.read_ids == {"recordings": "looked-up"}
    else:
        assert buckets == {}
    assert "bucket" in by_type(mocks, JOB)["main-stage"]["record_output"]


def test_vod_output_uses_the_vod_storage_type() -> None:
    config = {"vodStorageLocation": "outin-1.oss-cn-shanghai.aliyuncs.com", "streamUrl": "rtmp://h/live/s"}
    mocks = run_example("vod-output", config, "ims-record-vod-output")
    job = by_type(mocks, JOB)["to-vod"]
    assert job["record_output"] == {"type": "vod", "bucket": "outin-1.oss-cn-shanghai.aliyuncs.com"}
    assert job["wait_for_status"] == "started"


def test_component_example_creates_a_bucket_when_none_is_named() -> None:
    mocks = run_example("component", {}, "ims-record-component")
    assert list(by_type(mocks, BUCKET)) == ["studio-recordings"]
    assert sorted(by_type(mocks, JOB)) == ["studio-cam1", "studio-cam2"]
    formats = by_type(mocks, TEMPLATE)["studio-template"]["record_formats"]
    assert [entry["format"] for entry in formats] == ["m3u8", "mp4"]
