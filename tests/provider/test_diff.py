"""``diff``: explicit, ignores ``__provider``, no spurious changes from the engine's floats; templates update
in place, every API-stored job input replaces the job and is named."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_ims_record.provider import LiveRecordJobProvider, LiveRecordTemplateProvider

from .conftest import HLS_FORMAT

TEMPLATE_OUTPUTS: dict[str, Any] = {
    "name": "hls",
    "record_formats": [{**HLS_FORMAT, "cycle_duration": 21600}, {"format": "mp4", "cycle_duration": 3600}],
    "template_id": "tpl-1",
    "type": "custom",
    "create_time": "2026-01-01T00:00:00Z",
    "last_modified": "2026-01-01T00:00:00Z",
    "adopted": False,
    "__provider": "old-pickle",
}
JOB_OUTPUTS: dict[str, Any] = {
    "name": "stage a",
    "stream_input": {"type": "rtmp", "url": "rtmp://example.com/live/a"},
    "record_output": {"type": "oss", "bucket": "recordings", "endpoint": "oss-cn-shanghai.aliyuncs.com"},
    "template_id": "tpl-1",
    "notify_url": "https://example.com/hook",
    "wait_timeout_seconds": 300,
    "delete_recordings_on_destroy": False,
    "job_id": "job-1",
    "status": "started",
    "create_time": "2026-01-01T00:00:00Z",
    "template_name": "hls",
    "adopted": False,
    "origin": "submitted",
    "__provider": "old-pickle",
}


def as_engine_sends(value: Any) -> Any:
    """Every number as a float, as the engine's protobuf doubles deliver them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {key: as_engine_sends(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_engine_sends(item) for item in value]
    return value


def template_news(**changes: Any) -> dict[str, Any]:
    news = {key: TEMPLATE_OUTPUTS[key] for key in ("name", "record_formats")}
    news["__provider"] = "new-pickle"
    news.update(changes)
    return news


def job_news(**changes: Any) -> dict[str, Any]:
    keys = (
        "name",
        "stream_input",
        "record_output",
        "template_id",
        "notify_url",
        "wait_timeout_seconds",
        "delete_recordings_on_destroy",
    )
    news = {key: JOB_OUTPUTS[key] for key in keys}
    news["__provider"] = "new-pickle"
    news.update(changes)
    return news


def test_template_no_change_despite_floats_reordering_and_a_new_provider_pickle() -> None:
    olds = as_engine_sends(TEMPLATE_OUTPUTS)
    news = template_news(record_formats=list(reversed(TEMPLATE_OUTPUTS["record_formats"])))
    result = LiveRecordTemplateProvider().diff("tpl-1", olds, news)
    assert result.changes is False
    assert result.replaces == []


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "hls-2"},
        {"record_formats": [{**HLS_FORMAT, "cycle_duration": 21600, "slice_duration": 10}]},
        {"record_formats": [{**HLS_FORMAT, "cycle_duration": 21600}]},
    ],
    ids=["name", "slice_duration", "a format removed"],
)
def test_template_name_and_formats_update_in_place(changes: dict[str, Any]) -> None:
    result = LiveRecordTemplateProvider().diff(
        "tpl-1", as_engine_sends(TEMPLATE_OUTPUTS), template_news(**changes)
    )
    assert result.changes is True
    assert result.replaces == []


def test_template_adopt_id_replaces_only_when_it_points_elsewhere() -> None:
    provider = LiveRecordTemplateProvider()
    same = provider.diff("tpl-1", TEMPLATE_OUTPUTS, template_news(adopt_template_id="tpl-1"))
    assert same.changes is False
    other = provider.diff("tpl-1", TEMPLATE_OUTPUTS, template_news(adopt_template_id="tpl-2"))
    assert other.replaces == ["adopt_template_id"]


def test_job_no_change_despite_floats_and_a_new_provider_pickle() -> None:
    result = LiveRecordJobProvider().diff("job-1", as_engine_sends(JOB_OUTPUTS), as_engine_sends(job_news()))
    assert result.changes is False
    assert result.replaces == []


@pytest.mark.parametrize(
    ("changes", "replaced"),
    [
        ({"name": "stage b"}, ["name"]),
        ({"stream_input": {"type": "rtmp", "url": "rtmp://example.com/live/b"}}, ["stream_input"]),
        ({"record_output": {"type": "oss", "bucket": "other-bucket"}}, ["record_output"]),
        ({"template_id": "tpl-2"}, ["template_id"]),
        ({"notify_url": None}, ["notify_url"]),
        ({"template_id": Unknown()}, ["template_id"]),
        ({"name": "x", "template_id": "tpl-2"}, ["name", "template_id"]),
        ({"adopt_job_id": "job-9"}, ["adopt_job_id"]),
    ],
    ids=["name", "stream", "output", "template", "notify removed", "unknown template", "two", "adopt other"],
)
def test_every_api_stored_job_input_replaces_and_is_named(
    changes: dict[str, Any], replaced: list[str]
) -> None:
    result = LiveRecordJobProvider().diff("job-1", JOB_OUTPUTS, job_news(**changes))
    assert result.changes is True
    assert result.replaces == replaced
    assert result.delete_before_replace is False


@pytest.mark.parametrize(
    "changes",
    [{"wait_for_status": "started"}, {"wait_timeout_seconds": 60}, {"delete_recordings_on_destroy": True}],
)
def test_provider_side_job_settings_update_without_replacing(changes: dict[str, Any]) -> None:
    result = LiveRecordJobProvider().diff("job-1", JOB_OUTPUTS, job_news(**changes))
    assert result.changes is True
    assert result.replaces == []


def test_job_adopt_id_of_itself_or_removed_changes_nothing() -> None:
    provider = LiveRecordJobProvider()
    assert provider.diff("job-1", JOB_OUTPUTS, job_news(adopt_job_id="job-1")).changes is False
    assert provider.diff("job-1", {**JOB_OUTPUTS, "adopt_job_id": "job-1"}, job_news()).changes is False


# --- what a reviewer reads at preview ---


def test_a_job_replace_says_at_diff_that_the_old_job_keeps_recording(
    capsys: pytest.CaptureFixture[str],
) -> None:
    news = {**JOB_OUTPUTS, "stream_input": {"type": "rtmp", "url": "rtmp://example.com/live/b"}}
    result = LiveRecordJobProvider().diff("job-1", JOB_OUTPUTS, news)
    warning = capsys.readouterr().err
    assert result.replaces == ["stream_input"]
    assert "warning: LiveRecordJob 'stage a' (job-1) will be replaced (stream_input changed)" in warning
    assert "keeps recording until its stream ends" in warning


def test_an_unchanged_job_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    LiveRecordJobProvider().diff("job-1", JOB_OUTPUTS, dict(JOB_OUTPUTS))
    assert capsys.readouterr().err == ""


def test_a_template_update_says_running_jobs_keep_their_settings(capsys: pytest.CaptureFixture[str]) -> None:
    news = {**TEMPLATE_OUTPUTS, "name": "hls-2"}
    LiveRecordTemplateProvider().diff("tpl-1", TEMPLATE_OUTPUTS, news)
    warning = capsys.readouterr().err
    assert "LiveRecordTemplate 'hls' (tpl-1) is updated in place (name)" in warning
    assert "jobs already recording with it keep the settings they were submitted with" in warning
