"""``LiveRecordJobSet`` on the program side under ``pulumi.runtime.set_mocks``: type token, entry wiring and
defaults, secrets, and the pickled ``__provider`` (small, by reference)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from pulumi_ims_record import (
    LiveRecordJobSet,
    LiveRecordJobSetArgs,
    LiveRecordJobSetEntryArgs,
    LiveRecordTemplate,
    RecordOutputArgs,
    StreamInputArgs,
)

from .test_resources_mocks import RecordingMocks, assert_no_credential, decoded_provider, is_secret, unwrap
from .test_resources_mocks import mocks as mocks


@pulumi.runtime.test
def test_entries_are_wired_as_one_list_with_names_defaulting_to_set_and_key(mocks: RecordingMocks) -> Any:
    template = LiveRecordTemplate("hls", record_formats=[{"format": "mp4"}])
    job_set = LiveRecordJobSet(
        "cams",
        template_id=template.id,
        record_output=RecordOutputArgs(bucket="my-recordings"),
        jobs=[
            LiveRecordJobSetEntryArgs(key="cam1", stream_input=StreamInputArgs(url="rtmp://h/live/cam1")),
            {
                "key": "cam2",
                "name": "second camera",
                "stream_input": {"url": "rtmp://h/live/cam2"},
                "record_output": {"bucket": "other-bucket", "endpoint": "oss-cn-shanghai.aliyuncs.com"},
                "notify_url": "https://example.com/hook",
            },
        ],
        concurrency=8,
    )

    def check(_: Any) -> None:
        typ, inputs = mocks.resources["cams"]
        assert typ == "pulumi-python:dynamic/ims:LiveRecordJobSet"
        assert inputs["template_id"] == "hls-id"
        assert inputs["record_output"] == {"bucket": "my-recordings"}
        assert inputs["concurrency"] == 8
        assert inputs["jobs"] == [
            {"key": "cam1", "name": "cams-cam1", "stream_input": {"url": "rtmp://h/live/cam1"}},
            {
                "key": "cam2",
                "name": "second camera",
                "stream_input": {"url": "rtmp://h/live/cam2"},
                "record_output": {"bucket": "other-bucket", "endpoint": "oss-cn-shanghai.aliyuncs.com"},
                "notify_url": "https://example.com/hook",
            },
        ]
        assert not is_secret(inputs["jobs"])
        assert "job_ids" not in inputs  # output-only

    return job_set.id.apply(check)


@pulumi.runtime.test
def test_a_secret_stream_url_makes_the_whole_jobs_input_secret(mocks: RecordingMocks) -> Any:
    job_set = LiveRecordJobSet(
        "secret-set",
        LiveRecordJobSetArgs(
            template_id="tpl-1",
            record_output={"bucket": "my-recordings"},
            jobs=[
                {"key": "plain", "stream_input": {"url": "rtmp://h/live/plain"}},
                {
                    "key": "hidden",
                    "stream_input": StreamInputArgs(url=pulumi.Output.secret("rtmp://h/l/s?k=tok")),
                },
            ],
        ),
    )

    def check(_: Any) -> None:
        inputs = mocks.resources["secret-set"][1]
        assert is_secret(inputs["jobs"])
        assert unwrap(inputs["jobs"])[1]["stream_input"] == {"url": "rtmp://h/l/s?k=tok"}

    return job_set.id.apply(check)


@pulumi.runtime.test
def test_the_provider_pickles_small_by_reference(mocks: RecordingMocks) -> Any:
    job_set = LiveRecordJobSet("small", template_id="t", record_output={"bucket": "b-1"}, jobs=[])

    def check(_: Any) -> None:
        blob = decoded_provider(mocks.resources["small"][1])
        assert len(blob) < 300, blob
        assert b"pulumi_ims_record.provider.job_set" in blob
        assert b"co_code" not in blob and b"_create_code" not in blob
        assert_no_credential(blob)

    return job_set.id.apply(check)


def test_args_and_keyword_arguments_together_are_refused(mocks: RecordingMocks) -> None:
    args = LiveRecordJobSetArgs(template_id="t", jobs=[])
    with pytest.raises(TypeError, match="either args= or keyword arguments"):
        LiveRecordJobSet("both", args, template_id="other")
