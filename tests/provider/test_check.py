"""``check``: every bad input is refused with its property path and rule, with zero API calls; good inputs
are normalised (defaults, ints from the engine's floats); values unknown during preview pass."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_ims_record.provider import LiveRecordJobProvider, LiveRecordTemplateProvider
from tests.conftest import LocalIms

from .conftest import HLS_FORMAT, checked, configured, failure_pairs, job_inputs, local_config

UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@pytest.fixture(scope="module")
def local_ims(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIms]:
    """One server for the whole module: check makes no call, so the tests cannot disturb each other."""
    server = LocalIms.start(tmp_path_factory.mktemp("check-ims"))
    yield server
    server.stop()


@pytest.fixture
def template_provider(local_ims: LocalIms) -> LiveRecordTemplateProvider:
    return configured(LiveRecordTemplateProvider(), local_config(local_ims))


@pytest.fixture
def job_provider(local_ims: LocalIms) -> LiveRecordJobProvider:
    return configured(LiveRecordJobProvider(), local_config(local_ims))


def template(**overrides: Any) -> dict[str, Any]:
    news: dict[str, Any] = {"name": "hls", "record_formats": [dict(HLS_FORMAT)]}
    news.update(overrides)
    return news


def fmt(**overrides: Any) -> dict[str, Any]:
    entry = dict(HLS_FORMAT)
    entry.update(overrides)
    return {key: value for key, value in entry.items() if value is not None}


def job(**overrides: Any) -> dict[str, Any]:
    news = job_inputs("tpl-1")
    news.update(overrides)
    return {key: value for key, value in news.items() if value is not None}


# (case id, resource, inputs, property named, a word of the rule)
BAD_INPUTS: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("template name missing", "template", {"record_formats": [dict(HLS_FORMAT)]}, "name", "required"),
    ("template name blank", "template", template(name="   "), "name", "empty"),
    ("template name too long", "template", template(name="n" * 129), "name", "128"),
    ("template name control char", "template", template(name="a\nb"), "name", "control"),
    ("no formats", "template", template(record_formats=[]), "record_formats", "non-empty"),
    ("formats not a list", "template", template(record_formats="m3u8"), "record_formats", "list"),
    (
        "format entry not an object",
        "template",
        template(record_formats=["m3u8"]),
        "record_formats[0]",
        "object",
    ),
    (
        "unknown format",
        "template",
        template(record_formats=[fmt(format="avi")]),
        "record_formats[0].format",
        "m3u8, mp4, flv",
    ),
    (
        "format missing",
        "template",
        template(record_formats=[{"cycle_duration": 60}]),
        "record_formats[0].format",
        "required",
    ),
    (
        "slice too short",
        "template",
        template(record_formats=[fmt(slice_duration=4)]),
        "record_formats[0].slice_duration",
        "5–30 seconds",
    ),
    (
        "slice too long",
        "template",
        template(record_formats=[fmt(slice_duration=31)]),
        "record_formats[0].slice_duration",
        "5–30 seconds",
    ),
    (
        "slice not whole",
        "template",
        template(record_formats=[fmt(slice_duration=10.5)]),
        "record_formats[0].slice_duration",
        "whole number",
    ),
    (
        "cycle too long",
        "template",
        template(record_formats=[{"format": "mp4", "cycle_duration": 86400}]),
        "record_formats[0].cycle_duration",
        "5–21600",
    ),
    (
        "cycle a string",
        "template",
        template(record_formats=[{"format": "mp4", "cycle_duration": "600"}]),
        "record_formats[0].cycle_duration",
        "whole number",
    ),
    (
        "m3u8 without slice prefix",
        "template",
        template(record_formats=[fmt(slice_oss_object_prefix=None)]),
        "record_formats[0].slice_oss_object_prefix",
        "required",
    ),
    (
        "slice prefix on mp4",
        "template",
        template(
            record_formats=[{"format": "mp4", "slice_oss_object_prefix": "r/{UnixTimestamp}_{Sequence}"}]
        ),
        "record_formats[0].slice_oss_object_prefix",
        "only valid for the m3u8",
    ),
    (
        "prefix without end time",
        "template",
        template(record_formats=[fmt(oss_object_prefix="record/{JobId}/{StartTime}")]),
        "record_formats[0].oss_object_prefix",
        "{EndTime}",
    ),
    (
        "prefix unknown variable",
        "template",
        template(record_formats=[fmt(oss_object_prefix="r/{Date}/{StartTime}_{EndTime}")]),
        "record_formats[0].oss_object_prefix",
        "{Date}",
    ),
    (
        "prefix too long",
        "template",
        template(record_formats=[fmt(oss_object_prefix="r/" + "x" * 250 + "{StartTime}{EndTime}")]),
        "record_formats[0].oss_object_prefix",
        "256 bytes",
    ),
    (
        "prefix leading slash",
        "template",
        template(record_formats=[fmt(oss_object_prefix="/r/{StartTime}_{EndTime}")]),
        "record_formats[0].oss_object_prefix",
        "start with",
    ),
    (
        "prefix dot-dot",
        "template",
        template(record_formats=[fmt(oss_object_prefix="r/../{StartTime}_{EndTime}")]),
        "record_formats[0].oss_object_prefix",
        "..",
    ),
    (
        "slice prefix without sequence",
        "template",
        template(record_formats=[fmt(slice_oss_object_prefix="r/{JobId}/{UnixTimestamp}")]),
        "record_formats[0].slice_oss_object_prefix",
        "{Sequence}",
    ),
    (
        "duplicate format",
        "template",
        template(record_formats=[fmt(), fmt()]),
        "record_formats[1].format",
        "once",
    ),
    ("unknown template property", "template", template(colour="blue"), "colour", "not a known property"),
    (
        "unknown format property",
        "template",
        template(record_formats=[fmt(bitrate=1)]),
        "record_formats[0].bitrate",
        "not a known property",
    ),
    ("job name missing", "job", {k: v for k, v in job().items() if k != "name"}, "name", "required"),
    ("job name too long", "job", job(name="j" * 200), "name", "128"),
    (
        "stream url not rtmp",
        "job",
        job(stream_input={"url": "http://example.com/live/s"}),
        "stream_input.url",
        "must be an rtmp:// URL",
    ),
    ("stream url missing", "job", job(stream_input={"type": "rtmp"}), "stream_input.url", "required"),
    (
        "stream url without stream",
        "job",
        job(stream_input={"url": "rtmp://example.com"}),
        "stream_input.url",
        "application and a stream",
    ),
    (
        "stream url with space",
        "job",
        job(stream_input={"url": "rtmp://example.com/live/a b"}),
        "stream_input.url",
        "spaces",
    ),
    (
        "stream type",
        "job",
        job(stream_input={"url": "rtmp://h/live/s", "type": "srt"}),
        "stream_input.type",
        "rtmp",
    ),
    ("stream_input not an object", "job", job(stream_input="rtmp://h/live/s"), "stream_input", "object"),
    (
        "stream_input missing",
        "job",
        {k: v for k, v in job().items() if k != "stream_input"},
        "stream_input",
        "required",
    ),
    ("bucket missing", "job", job(record_output={"type": "oss"}), "record_output.bucket", "required"),
    (
        "bucket uppercase",
        "job",
        job(record_output={"bucket": "My_Bucket"}),
        "record_output.bucket",
        "OSS bucket name",
    ),
    (
        "output type",
        "job",
        job(record_output={"bucket": "recordings", "type": "s3"}),
        "record_output.type",
        "oss, vod",
    ),
    (
        "endpoint with path",
        "job",
        job(record_output={"bucket": "recordings", "endpoint": "oss-cn-shanghai.aliyuncs.com/x"}),
        "record_output.endpoint",
        "host name",
    ),
    (
        "endpoint ftp",
        "job",
        job(record_output={"bucket": "recordings", "endpoint": "ftp://h"}),
        "record_output.endpoint",
        "host name",
    ),
    ("template id missing", "job", job(template_id=None), "template_id", "required"),
    ("template id with space", "job", job(template_id="a b"), "template_id", "id of letters"),
    ("notify url not http", "job", job(notify_url="ftp://example.com/hook"), "notify_url", "http"),
    # vod storage locations: the local IMS's rule (a path is never a bucket directory).
    (
        "vod storage with a path",
        "job",
        job(record_output={"type": "vod", "bucket": "outin/../../x"}),
        "record_output.bucket",
        "VOD storage location",
    ),
    (
        "vod storage with an empty label",
        "job",
        job(record_output={"type": "vod", "bucket": "outin-1..aliyuncs.com"}),
        "record_output.bucket",
        "VOD storage location",
    ),
    (
        "vod storage upper case",
        "job",
        job(record_output={"type": "VOD", "bucket": "Outin-1.oss-cn-shanghai.aliyuncs.com"}),
        "record_output.bucket",
        "VOD storage location",
    ),
    # URLs that urlsplit cannot parse, and ports out of range: the rule's message, never an exception.
    (
        "stream url open bracket",
        "job",
        job(stream_input={"url": "rtmp://[::1/live/x"}),
        "stream_input.url",
        "rtmp://",
    ),
    (
        "stream url port too big",
        "job",
        job(stream_input={"url": "rtmp://h:99999/live/s"}),
        "stream_input.url",
        "65535",
    ),
    (
        "stream url port not a number",
        "job",
        job(stream_input={"url": "rtmp://h:abc/live/s"}),
        "stream_input.url",
        "port",
    ),
    (
        "stream url port zero",
        "job",
        job(stream_input={"url": "rtmp://h:0/live/s"}),
        "stream_input.url",
        "port",
    ),
    ("notify url open bracket", "job", job(notify_url="http://[::1/hook"), "notify_url", "http"),
    (
        "notify url port too big",
        "job",
        job(notify_url="https://example.com:70000/hook"),
        "notify_url",
        "65535",
    ),
    (
        "endpoint port too big",
        "job",
        job(record_output={"bucket": "recordings", "endpoint": "oss-cn-shanghai.aliyuncs.com:99999"}),
        "record_output.endpoint",
        "65535",
    ),
    (
        "wait status unknown",
        "job",
        job(wait_for_status="finished"),
        "wait_for_status",
        "initial, started, paused",
    ),
    ("wait timeout zero", "job", job(wait_timeout_seconds=0), "wait_timeout_seconds", "1–3600"),
    ("wait timeout too long", "job", job(wait_timeout_seconds=7200), "wait_timeout_seconds", "1–3600"),
    (
        "delete flag not bool",
        "job",
        job(delete_recordings_on_destroy="yes"),
        "delete_recordings_on_destroy",
        "true or false",
    ),
    ("adopt id blank-ish", "job", job(adopt_job_id="job id!"), "adopt_job_id", "id of letters"),
    ("unknown job property", "job", job(region="cn-shanghai"), "region", "not a known property"),
]


def test_the_table_is_big_enough() -> None:
    assert len(BAD_INPUTS) >= 25


@pytest.mark.parametrize(
    ("case", "resource", "news", "path", "rule_word"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_check_rejects_bad_input_naming_the_property_without_api_calls(
    case: str,
    resource: str,
    news: dict[str, Any],
    path: str,
    rule_word: str,
    template_provider: LiveRecordTemplateProvider,
    job_provider: LiveRecordJobProvider,
    local_ims: LocalIms,
) -> None:
    provider = template_provider if resource == "template" else job_provider
    calls_before = local_ims.total_calls()
    result = provider.check({}, news)
    failures = failure_pairs(result.failures)
    assert any(prop == path and rule_word in reason for prop, reason in failures), failures
    assert local_ims.total_calls() == calls_before


def test_check_applies_defaults_and_turns_engine_floats_into_ints(
    template_provider: LiveRecordTemplateProvider, job_provider: LiveRecordJobProvider, local_ims: LocalIms
) -> None:
    calls_before = local_ims.total_calls()
    inputs = checked(
        template_provider,
        template(record_formats=[fmt(slice_duration=10.0, cycle_duration=None), {"format": "mp4"}]),
    )
    assert inputs["record_formats"] == [
        {**HLS_FORMAT, "slice_duration": 10, "cycle_duration": 21600},
        {"format": "mp4", "cycle_duration": 21600},
    ]
    assert isinstance(inputs["record_formats"][0]["slice_duration"], int)
    job_checked = checked(
        job_provider, job(wait_timeout_seconds=60.0, record_output={"bucket": "recordings"})
    )
    assert job_checked["stream_input"] == {"type": "rtmp", "url": "rtmp://127.0.0.1:1935/live/stage-a"}
    assert job_checked["record_output"] == {"type": "oss", "bucket": "recordings"}
    assert job_checked["wait_timeout_seconds"] == 60
    assert job_checked["delete_recordings_on_destroy"] is False
    assert "notify_url" not in job_checked
    assert local_ims.total_calls() == calls_before


@pytest.mark.parametrize("unknown", [Unknown(), UNKNOWN_SENTINEL], ids=["Unknown()", "sentinel"])
def test_values_unknown_during_preview_pass(
    unknown: Any, template_provider: LiveRecordTemplateProvider, job_provider: LiveRecordJobProvider
) -> None:
    news = job(template_id=unknown, record_output=unknown, stream_input={"url": unknown})
    result = job_provider.check({}, news)
    assert result.failures == []
    assert result.inputs["template_id"] is unknown
    assert result.inputs["record_output"] is unknown
    template_result = template_provider.check({}, template(name=unknown, record_formats=[unknown]))
    assert template_result.failures == []


def test_vod_output_takes_a_storage_location_instead_of_a_bucket_name(
    job_provider: LiveRecordJobProvider,
) -> None:
    inputs = checked(
        job_provider,
        job(record_output={"type": "vod", "bucket": "outin-0123abcd.oss-cn-shanghai.aliyuncs.com"}),
    )
    assert inputs["record_output"]["type"] == "vod"
