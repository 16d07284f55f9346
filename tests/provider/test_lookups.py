"""The package's functions through the native plugin's invoke, against the local IMS: getLiveRecordTemplate
by id and by exact name (system templates included), its arguments checked before any call, and a name that
matches no template, or two, refused in one line naming the name and the count."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pulumi.provider.experimental import provider as rpc

from pulumi_ims_record.ice import RecordFormat, RecordOutput, StreamInput
from pulumi_ims_record.local.teststream import TestStream
from pulumi_ims_record.provider import native, schema
from tests.conftest import LocalIms, wait_until
from tests.local.conftest_recording import SHORT_HLS, recording_tools_missing

from .test_native import STREAM, configured, create_template, job_inputs, plain, props, run, urn

GET_TEMPLATE = schema.token("getLiveRecordTemplate")


@pytest.fixture
def provider(local_ims: LocalIms) -> Iterator[native.ImsRecordProvider]:
    with configured(local_ims) as made:
        yield made


def invoke(provider: native.ImsRecordProvider, **args: Any) -> rpc.InvokeResponse:
    return run(provider.invoke(rpc.InvokeRequest(GET_TEMPLATE, props(**args))))


def test_a_template_by_id_has_the_resources_properties(provider: native.ImsRecordProvider) -> None:
    created = plain(create_template(provider).properties)
    found = invoke(provider, templateId=created["templateId"])
    assert not found.failures
    assert plain(found.return_value or {}) == {
        key: created[key]
        for key in ("templateId", "name", "type", "createTime", "lastModified", "recordFormats")
    }


def test_a_system_template_by_its_exact_name(provider: native.ImsRecordProvider) -> None:
    found = plain(invoke(provider, name="System: HLS (m3u8, 30 s slices)").return_value or {})
    assert (found["templateId"], found["type"]) == ("ims-system-m3u8", "system")
    assert [item["format"] for item in found["recordFormats"]] == ["m3u8"]


def test_a_name_that_matches_none_or_two_is_refused_with_the_count(
    provider: native.ImsRecordProvider, local_ims: LocalIms
) -> None:
    with pytest.raises(native.ProviderError) as none:
        invoke(provider, name="no-such-template")
    assert str(none.value) == (
        "getLiveRecordTemplate name 'no-such-template': 0 templates have this name; exactly one must "
        "(or look it up by templateId)"
    )
    client = provider.lookups[GET_TEMPLATE].client()
    first, second = (
        client.create_live_record_template(
            name="twice", record_formats=[RecordFormat(format="mp4")]
        ).template_id
        for _ in range(2)
    )
    with pytest.raises(native.ProviderError) as two:
        invoke(provider, name="twice")
    said = str(two.value)
    assert (
        said.startswith("getLiveRecordTemplate name 'twice': 2 templates have this name: ")
        and "\n" not in said
    )
    assert first in said and second in said
    local_ims.reset_stats()
    with pytest.raises(native.ProviderError, match="'missing-id': no such template"):
        invoke(provider, templateId="missing-id")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ({}, "templateId: give templateId or name (one of them)"),
        ({"templateId": "a", "name": "b"}, "templateId: give templateId or name (one of them)"),
        ({"name": ""}, "templateId: give templateId or name (one of them)"),
        ({"templateId": "x" * 200}, "templateId: must be an id"),
        ({"nmae": "a"}, "nmae: is not a known property"),
    ],
)
def test_bad_arguments_are_named_without_an_api_call(
    provider: native.ImsRecordProvider, local_ims: LocalIms, args: dict[str, Any], said: str
) -> None:
    local_ims.reset_stats()
    answer = invoke(provider, **args)
    assert answer.return_value is None and answer.failures, answer
    assert any(failure.reason.startswith(said) for failure in answer.failures), [
        f.reason for f in answer.failures
    ]
    assert local_ims.total_calls() == 0, local_ims.stats()


GET_JOB = schema.token("getLiveRecordJob")


def test_a_job_by_id_with_its_stream_secret(provider: native.ImsRecordProvider) -> None:
    template_id = str(create_template(provider).resource_id)
    checked = run(
        provider.check(rpc.CheckRequest(urn("LiveRecordJob", "looked-up"), {}, job_inputs(template_id), b""))
    )
    request = rpc.CreateRequest(urn("LiveRecordJob", "looked-up"), checked.inputs or {}, 0.0, False)
    job_id = str(run(provider.create(request)).resource_id)

    answer = run(provider.invoke(rpc.InvokeRequest(GET_JOB, props(jobId=job_id))))
    assert not answer.failures and answer.return_value is not None
    found = plain(answer.return_value)
    assert (found["jobId"], found["name"], found["templateId"]) == (job_id, "looked-up", template_id)
    assert found["status"] in ("initial", "started", "paused") and found["createTime"]
    assert found["streamInput"]["url"] == STREAM and found["recordOutput"]["bucket"] == "recordings"
    assert answer.return_value["streamInput"].is_secret  # its URL may carry a token
    assert "origin" not in found

    with pytest.raises(native.ProviderError, match="getLiveRecordJob 'no-such-job': no such job"):
        run(provider.invoke(rpc.InvokeRequest(GET_JOB, props(jobId="no-such-job"))))
    refused = run(provider.invoke(rpc.InvokeRequest(GET_JOB, props())))
    assert [failure.reason for failure in refused.failures or []] == ["jobId: is required"]


GET_FILES = schema.token("getLiveRecordFiles")


def camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            {"startTime": "2026-12-01T00:00:00Z", "endTime": "2026-12-02T00:00:00Z"},
            "jobIds: must be a non-empty",
        ),
        (
            {"jobIds": [], "startTime": "2026-12-01T00:00:00Z", "endTime": "2026-12-02T00:00:00Z"},
            "jobIds: must",
        ),
        (
            {"jobIds": ["j"], "startTime": "yesterday", "endTime": "2026-12-02T00:00:00Z"},
            "startTime: must be a UTC",
        ),
        (
            {"jobIds": ["j"], "startTime": "2026-12-02T00:00:00Z", "endTime": "2026-12-01T00:00:00Z"},
            "endTime: must be after",
        ),
        (
            {
                "jobIds": ["j"],
                "startTime": "2026-12-01T00:00:00Z",
                "endTime": "2026-12-02T00:00:00Z",
                "format": "avi",
            },
            "format: must be one of m3u8, mp4, flv",
        ),
    ],
)
def test_a_bad_window_is_named_without_an_api_call(
    provider: native.ImsRecordProvider, local_ims: LocalIms, args: dict[str, Any], said: str
) -> None:
    local_ims.reset_stats()
    answer = run(provider.invoke(rpc.InvokeRequest(GET_FILES, props(**args))))
    assert answer.return_value is None
    assert any(failure.reason.startswith(said) for failure in answer.failures or []), answer.failures
    assert local_ims.total_calls() == 0, local_ims.stats()


@pytest.mark.recording
@pytest.mark.skipif(recording_tools_missing() is not None, reason=str(recording_tools_missing()))
def test_the_recordings_of_a_job_over_a_window_longer_than_the_apis(
    provider: native.ImsRecordProvider, local_ims: LocalIms
) -> None:
    """A real stream recorded in 10-s cycles; a 9-day window is three listings of at most 4 days."""
    with TestStream(name="files", size="320x180") as stream:
        client = provider.lookups[GET_FILES].client()
        template_id = client.create_live_record_template(
            name="files-hls",
            record_formats=[RecordFormat(**{camel_to_snake(k): v for k, v in SHORT_HLS.items()})],
        ).template_id
        job_id = client.submit_live_record_job(
            name="files",
            stream_input=StreamInput(url=stream.url),
            record_output=RecordOutput(bucket="files"),
            template_id=template_id,
        ).job_id
        now = datetime.now(timezone.utc)
        window = {
            "jobIds": [job_id],
            "startTime": utc(now - timedelta(days=8)),
            "endTime": utc(now + timedelta(days=1)),
        }
        wait_until(
            lambda: plain(
                run(provider.invoke(rpc.InvokeRequest(GET_FILES, props(**window)))).return_value or {}
            )["files"],
            timeout=90,
            interval=1.0,
            message="a recording",
        )
    local_ims.reset_stats()
    answer = run(provider.invoke(rpc.InvokeRequest(GET_FILES, props(**window))))
    assert local_ims.stats().get("ListLiveRecordFiles") == 3  # 8 + 1 days in 4-day windows
    files = plain(answer.return_value or {})["files"]
    assert files and {item["jobId"] for item in files} == {job_id}
    first = files[0]
    assert first["format"] == "m3u8" and first["recordUrl"].endswith(".m3u8") and first["duration"] > 0
    assert "streamUrl" not in first
    starts = [item["startTime"] for item in files]
    assert starts == sorted(starts)
    mp4_only = dict(window, format="mp4")
    assert plain(
        run(provider.invoke(rpc.InvokeRequest(GET_FILES, props(**mp4_only)))).return_value or {}
    ) == {"files": []}
