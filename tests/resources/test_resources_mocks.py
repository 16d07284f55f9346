"""The program side under ``pulumi.runtime.set_mocks``: wiring, type tokens, secrets, and the pickled
``__provider`` (small, by reference, no credential whatever the environment holds)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_alicloud as alicloud
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_ims_record import (
    LiveRecording,
    LiveRecordingStreamArgs,
    LiveRecordJob,
    LiveRecordJobArgs,
    LiveRecordTemplate,
    RecordFormatArgs,
    RecordOutputArgs,
    StreamInputArgs,
)
from pulumi_ims_record.provider import LiveRecordJobProvider, LiveRecordTemplateProvider

SIG_KEY = "4dabf18193072939515e22adb298388d"  # pulumi.runtime.rpc._special_sig_key
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # pulumi.runtime.rpc._special_secret_sig
FAKE_SECRETS = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIfakeKeyIdFromEnv123",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "fake-secret-from-env-0987",
    "ALIBABA_CLOUD_SECURITY_TOKEN": "fake-sts-token-from-env-5555",
    "ALICLOUD_ACCESS_KEY": "LTAIfakeAlicloudKey777",
    "ALICLOUD_SECRET_KEY": "fake-alicloud-secret-4242",
}
HLS = RecordFormatArgs(
    format="m3u8",
    oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
    slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
    slice_duration=30,
)


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers like the engine would after create, and records every registration."""

    def __init__(self) -> None:
        self.resources: dict[str, tuple[str, dict[str, Any]]] = {}
        self.read_ids: dict[str, str] = {}  # resources read with .get(name, id), not created

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources[args.name] = (args.typ, dict(args.inputs))
        if args.resource_id:
            self.read_ids[args.name] = args.resource_id
        state = dict(args.inputs)
        if args.typ == "alicloud:oss/bucket:Bucket":
            state.setdefault("bucket", f"{args.name}-generated")
            state["extranet_endpoint"] = "oss-cn-shanghai.aliyuncs.com"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.fixture
def mocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingMocks]:
    for name, value in FAKE_SECRETS.items():
        monkeypatch.setenv(name, value)
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, preview=False)
    yield recorder


def unwrap(value: Any) -> Any:
    return value["value"] if is_secret(value) else value


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def decoded_provider(inputs: dict[str, Any]) -> bytes:
    return base64.b64decode(unwrap(inputs["__provider"]))


def assert_no_credential(blob: bytes) -> None:
    for secret in (*FAKE_SECRETS.values(), "config-secret-key-XYZ", "config-sts-token-XYZ"):
        assert secret.encode() not in blob


@pulumi.runtime.test
def test_bucket_outputs_and_template_id_flow_into_the_job(mocks: RecordingMocks) -> Any:
    bucket = alicloud.oss.Bucket("recordings", bucket="my-recordings")
    template = LiveRecordTemplate("hls", name="hls-30s", record_formats=[HLS])
    job = LiveRecordJob(
        "stage-a",
        name="live stream record 1",
        stream_input=StreamInputArgs(url="rtmp://example.com/live/stream1"),
        record_output=RecordOutputArgs(bucket=bucket.bucket, endpoint=bucket.extranet_endpoint),
        template_id=template.id,
        notify_url="https://example.com/imsnotify",
    )

    def check(_: Any) -> None:
        typ, inputs = mocks.resources["stage-a"]
        assert typ == "pulumi-python:dynamic/ims:LiveRecordJob"
        assert inputs["record_output"] == {
            "bucket": "my-recordings",
            "endpoint": "oss-cn-shanghai.aliyuncs.com",
        }
        assert inputs["template_id"] == "hls-id"
        assert inputs["stream_input"] == {"url": "rtmp://example.com/live/stream1"}
        assert inputs["name"] == "live stream record 1"
        template_typ, template_inputs = mocks.resources["hls"]
        assert template_typ == "pulumi-python:dynamic/ims:LiveRecordTemplate"
        assert template_inputs["record_formats"] == [
            {
                "format": "m3u8",
                "oss_object_prefix": "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
                "slice_oss_object_prefix": "record/{JobId}/{UnixTimestamp}_{Sequence}",
                "slice_duration": 30,
            }
        ]

    return pulumi.Output.all(job.id, template.id).apply(check)


@pulumi.runtime.test
def test_each_provider_pickle_is_a_small_reference_without_credentials(mocks: RecordingMocks) -> Any:
    template = LiveRecordTemplate("t", record_formats=[{"format": "mp4"}])
    job = LiveRecordJob(
        "j",
        stream_input={"url": "rtmp://example.com/live/s"},
        record_output={"bucket": "my-recordings"},
        template_id=template.id,
    )

    def check(_: Any) -> None:
        for name, module in (
            ("t", b"pulumi_ims_record.provider.template"),
            ("j", b"pulumi_ims_record.provider.job"),
        ):
            blob = decoded_provider(mocks.resources[name][1])
            assert len(blob) < 300, blob
            assert module in blob  # by reference: module path and class name, no bytecode
            assert b"co_code" not in blob and b"_create_code" not in blob
            assert_no_credential(blob)

    return pulumi.Output.all(job.id, template.id).apply(check)


@pytest.mark.parametrize("provider_type", [LiveRecordJobProvider, LiveRecordTemplateProvider])
def test_a_configured_provider_with_a_client_still_pickles_to_nothing_secret(
    provider_type: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in FAKE_SECRETS.items():
        monkeypatch.setenv(name, value)
    provider = provider_type()
    config = {
        "alicloud:region": "cn-shanghai",
        "alicloud:accessKey": "LTAIconfigKey",
        "alicloud:secretKey": "config-secret-key-XYZ",
        "alicloud:securityToken": "config-sts-token-XYZ",
        "ims-record:endpoint": "http://127.0.0.1:9",
    }
    provider.configure(ConfigureRequest(Config(config, "proj")))
    provider.client()  # a live httpx client and credential provider on the instance
    blob = base64.b64decode(serialize_provider(provider))
    assert len(blob) < 300
    assert_no_credential(blob)
    assert b"LTAIconfigKey" not in blob
    assert "config-secret-key-XYZ" not in repr(provider.__dict__)


@pulumi.runtime.test
def test_secret_stream_url_and_notify_url_are_sent_as_secrets(mocks: RecordingMocks) -> Any:
    job = LiveRecordJob(
        "secret-job",
        stream_input=StreamInputArgs(url=pulumi.Output.secret("rtmp://example.com/live/s?auth_key=tok")),
        record_output=RecordOutputArgs(bucket="my-recordings"),
        template_id="tpl-1",
        notify_url=pulumi.Output.secret("https://example.com/hook?token=abc"),
    )

    def check(_: Any) -> None:
        inputs = mocks.resources["secret-job"][1]
        # The whole stream_input is one secret property, so the engine marks the same-named output secret.
        assert is_secret(inputs["stream_input"])
        assert unwrap(inputs["stream_input"]) == {"url": "rtmp://example.com/live/s?auth_key=tok"}
        assert is_secret(inputs["notify_url"])
        assert not is_secret(inputs["record_output"])

    return job.id.apply(check)


@pulumi.runtime.test
def test_name_defaults_to_the_resource_name_and_args_object_works(mocks: RecordingMocks) -> Any:
    args = LiveRecordJobArgs(
        stream_input={"url": "rtmp://example.com/live/s"},
        record_output={"bucket": "my-recordings", "type": "oss"},
        template_id="tpl-1",
        wait_for_status="started",
        wait_timeout_seconds=60,
    )
    job = LiveRecordJob("camera-7", args)
    template = LiveRecordTemplate("flv-only", record_formats=[{"format": "flv", "cycle_duration": 600}])

    def check(_: Any) -> None:
        inputs = mocks.resources["camera-7"][1]
        assert inputs["name"] == "camera-7"
        assert inputs["wait_for_status"] == "started"
        assert inputs["wait_timeout_seconds"] == 60
        assert "job_id" not in inputs  # output-only keys are not sent as inputs
        assert mocks.resources["flv-only"][1]["name"] == "flv-only"

    return pulumi.Output.all(job.id, template.id).apply(check)


def test_args_and_keyword_arguments_together_are_refused(mocks: RecordingMocks) -> None:
    args = LiveRecordJobArgs(
        stream_input={"url": "rtmp://h/a/s"}, record_output={"bucket": "b-1"}, template_id="t"
    )
    with pytest.raises(TypeError, match="either args= or keyword arguments"):
        LiveRecordJob("both", args, template_id="other")


@pulumi.runtime.test
def test_component_creates_a_template_and_one_job_per_stream(mocks: RecordingMocks) -> Any:
    recording = LiveRecording(
        "studio",
        bucket="studio-recordings",
        bucket_endpoint="oss-cn-shanghai.aliyuncs.com",
        streams=[
            LiveRecordingStreamArgs(key="cam1", url="rtmp://example.com/live/cam1"),
            {"key": "cam2", "url": "rtmp://example.com/live/cam2"},
        ],
    )

    def check(job_ids: dict[str, str]) -> None:
        assert job_ids == {"cam1": "studio-cam1-id", "cam2": "studio-cam2-id"}
        for key in ("cam1", "cam2"):
            typ, inputs = mocks.resources[f"studio-{key}"]
            assert typ == "pulumi-python:dynamic/ims:LiveRecordJob"
            assert inputs["template_id"] == "studio-template-id"
            assert inputs["record_output"] == {
                "bucket": "studio-recordings",
                "endpoint": "oss-cn-shanghai.aliyuncs.com",
            }
        assert not any(typ.startswith("alicloud:") for typ, _ in mocks.resources.values())

    return recording.job_ids.apply(check)


@pulumi.runtime.test
def test_component_without_a_bucket_creates_an_oss_bucket(mocks: RecordingMocks) -> Any:
    recording = LiveRecording("solo", streams=[{"key": "main", "url": "rtmp://example.com/live/main"}])

    def check(_: Any) -> None:
        typ, _inputs = mocks.resources["solo-recordings"]
        assert typ == "alicloud:oss/bucket:Bucket"
        assert mocks.resources["solo-main"][1]["record_output"] == {
            "bucket": "solo-recordings-generated",
            "endpoint": "oss-cn-shanghai.aliyuncs.com",
        }

    return recording.job_ids.apply(check)


def test_component_rejects_duplicate_stream_keys(mocks: RecordingMocks) -> None:
    with pytest.raises(ValueError, match="must be unique"):
        LiveRecording(
            "dup",
            bucket="b-1-2",
            streams=[{"key": "a", "url": "rtmp://h/a/1"}, {"key": "a", "url": "rtmp://h/a/2"}],
        )
