"""``LiveRecordJobProvider`` against a local IMS: create (idempotent, adoption, waiting), read, update,
delete, and errors. No stream is pushed: a job whose stream is absent stays ``initial``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from pulumi_ims_record.ice import Credentials, IceClient
from pulumi_ims_record.provider import LiveRecordJobProvider, ProviderError, ProviderSettings
from tests.conftest import LocalIms

from .conftest import checked, job_inputs

OUTPUT_KEYS = {"job_id", "status", "create_time", "template_name", "adopted", "origin"}


def create(provider: LiveRecordJobProvider, template_id: str, **overrides: Any) -> tuple[str, dict[str, Any]]:
    inputs = checked(provider, job_inputs(template_id, **overrides))
    result = provider.create({**inputs, "__provider": "pickle"})
    return result.id, result.outs


class LostAnswerTransport(httpx.BaseTransport):
    """Forwards to the real server, except that SubmitLiveRecordJob 'times out': after the request was
    delivered and answered (``deliver=True``), or before it ever left (``deliver=False``)."""

    def __init__(self, *, deliver: bool) -> None:
        self.inner = httpx.HTTPTransport()
        self.deliver = deliver

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("x-acs-action") == "SubmitLiveRecordJob":
            if self.deliver:
                response = self.inner.handle_request(request)
                response.read()
                response.close()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def provider_with_transport(local_ims: LocalIms, transport: httpx.BaseTransport) -> LiveRecordJobProvider:
    class WithTransport(LiveRecordJobProvider):
        def new_client(self, settings: ProviderSettings) -> IceClient:
            return IceClient(
                endpoint=local_ims.endpoint,
                credentials=Credentials("ims-local-key", "ims-local-secret"),
                transport=transport,
                max_retries=0,
            )

    provider = WithTransport()
    provider.poll_interval = 0.1
    provider.reconcile_seconds = 1.0
    return provider


# --- create ---


def test_create_submits_and_returns_inputs_and_job_outputs(
    job_provider: LiveRecordJobProvider, template_id: str, local_ims: LocalIms
) -> None:
    local_ims.reset_stats()
    job_id, outs = create(job_provider, template_id, notify_url="https://example.com/hook")
    assert outs["job_id"] == job_id
    assert outs["status"] == "initial"
    assert outs["template_id"] == template_id
    assert outs["template_name"] == "fixture-hls"
    assert outs["origin"] == "submitted" and outs["adopted"] is False
    assert outs["stream_input"] == {"type": "rtmp", "url": "rtmp://127.0.0.1:1935/live/stage-a"}
    assert outs["record_output"] == {
        "type": "oss",
        "bucket": "recordings",
        "endpoint": "oss-cn-shanghai.aliyuncs.com",
    }
    assert outs["notify_url"] == "https://example.com/hook"
    assert outs["wait_timeout_seconds"] == 300 and outs["delete_recordings_on_destroy"] is False
    assert set(outs) >= OUTPUT_KEYS
    stats = local_ims.stats()
    assert stats.get("SubmitLiveRecordJob") == 1
    assert stats.get("ListLiveRecordJobs") == 1  # the look for the same job submitted recently


def test_create_adopts_the_same_job_submitted_recently_instead_of_a_second_one(
    job_provider: LiveRecordJobProvider,
    template_id: str,
    local_ims: LocalIms,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first_id, _ = create(job_provider, template_id)
    second_id, outs = create(job_provider, template_id)
    assert second_id == first_id
    assert outs["origin"] == "adopted_recent" and outs["adopted"] is True
    assert local_ims.stats().get("SubmitLiveRecordJob") == 1
    assert f"adopting job {first_id}" in capsys.readouterr().err
    # A job that differs in any stored input is a different job.
    other_id, other = create(job_provider, template_id, stream_input={"url": "rtmp://127.0.0.1:1935/live/b"})
    assert other_id != first_id and other["origin"] == "submitted"


def test_ambiguous_submit_that_was_applied_is_adopted_not_repeated(
    local_ims: LocalIms, template_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    provider = provider_with_transport(local_ims, LostAnswerTransport(deliver=True))
    local_ims.reset_stats()
    job_id, outs = create(provider, template_id)
    assert outs["origin"] == "adopted_after_ambiguous_submit" and outs["adopted"] is True
    assert local_ims.stats().get("SubmitLiveRecordJob") == 1  # exactly one job exists
    with local_ims.client() as client:
        jobs = list(client.iter_live_record_jobs(keyword="stage a"))
    assert [job.job_id for job in jobs] == [job_id]
    assert "unknown outcome" in capsys.readouterr().err


def test_ambiguous_submit_that_never_arrived_fails_saying_a_retry_is_safe(
    local_ims: LocalIms, template_id: str
) -> None:
    provider = provider_with_transport(local_ims, LostAnswerTransport(deliver=False))
    local_ims.reset_stats()
    with pytest.raises(ProviderError) as caught:
        create(provider, template_id)
    message = str(caught.value)
    assert message.startswith("LiveRecordJob 'stage a': ")
    assert "most likely not submitted" in message and "\n" not in message
    assert "SubmitLiveRecordJob" not in local_ims.stats()


def test_adopt_job_id_tracks_a_matching_job_without_submitting(
    job_provider: LiveRecordJobProvider, template_id: str, local_ims: LocalIms
) -> None:
    with local_ims.client() as client:
        from pulumi_ims_record.ice import RecordOutput, StreamInput

        existing = client.submit_live_record_job(
            name="stage a",
            stream_input=StreamInput(url="rtmp://127.0.0.1:1935/live/stage-a"),
            record_output=RecordOutput(bucket="recordings", endpoint="oss-cn-shanghai.aliyuncs.com"),
            template_id=template_id,
        ).job_id
    local_ims.reset_stats()
    job_id, outs = create(job_provider, template_id, adopt_job_id=existing)
    assert job_id == existing
    assert outs["origin"] == "adopted_by_id" and outs["adopt_job_id"] == existing
    assert "SubmitLiveRecordJob" not in local_ims.stats()


def test_adopt_job_id_refuses_a_job_that_differs_naming_fields_but_not_urls(
    job_provider: LiveRecordJobProvider, template_id: str
) -> None:
    existing_id, _ = create(
        job_provider, template_id, stream_input={"url": "rtmp://127.0.0.1/live/x?token=s3cr3t"}
    )
    with pytest.raises(ProviderError) as caught:
        create(job_provider, template_id, name="other", adopt_job_id=existing_id)
    message = str(caught.value)
    assert f"adopt_job_id '{existing_id}' does not match" in message
    assert "name is 'stage a', declared 'other'" in message and "stream_input differs" in message
    assert "s3cr3t" not in message


def test_adopt_job_id_of_a_missing_job_says_so(job_provider: LiveRecordJobProvider, template_id: str) -> None:
    with pytest.raises(ProviderError, match="adopt_job_id: no job 'no-such-job' exists"):
        create(job_provider, template_id, adopt_job_id="no-such-job")


def test_wait_for_a_status_already_reached_returns_it(
    job_provider: LiveRecordJobProvider, template_id: str
) -> None:
    _, outs = create(job_provider, template_id, wait_for_status="initial", wait_timeout_seconds=5)
    assert outs["status"] == "initial" and outs["wait_for_status"] == "initial"


def test_wait_times_out_with_the_last_status_seen(
    job_provider: LiveRecordJobProvider, template_id: str, local_ims: LocalIms
) -> None:
    with pytest.raises(ProviderError) as caught:
        create(job_provider, template_id, wait_for_status="started", wait_timeout_seconds=1)
    message = str(caught.value)
    assert "waited 1 s for status 'started' until wait_timeout_seconds (1 s) ran out" in message
    assert "the last status seen was 'initial'" in message
    assert "keeps running" in message and "adopt_job_id=" in message
    assert local_ims.stats().get("GetLiveRecordJob", 0) >= 2  # it polled


def test_api_error_is_one_line_with_code_message_and_request_id(job_provider: LiveRecordJobProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        create(job_provider, "no-such-template")
    message = str(caught.value)
    assert message.startswith("LiveRecordJob 'stage a': SubmitLiveRecordJob failed: Code ")
    assert "NotFound" in message and "RequestId: " in message
    assert "\n" not in message and "ims-local-secret" not in message


# --- read ---


def test_read_returns_outputs_and_realigned_inputs(
    job_provider: LiveRecordJobProvider, template_id: str
) -> None:
    job_id, outs = create(job_provider, template_id, wait_timeout_seconds=30)
    result = job_provider.read(job_id, {**outs, "__provider": "pickle"})
    assert result.id == job_id
    assert result.outs == outs
    assert result.inputs == {key: outs[key] for key in outs if key not in OUTPUT_KEYS}
    assert job_provider.diff(job_id, result.outs, result.inputs).changes is False


def test_read_of_a_vanished_job_returns_an_empty_id(
    job_provider: LiveRecordJobProvider, template_id: str, local_ims: LocalIms
) -> None:
    job_id, outs = create(job_provider, template_id)
    local_ims.delete_job(job_id)
    result = job_provider.read(job_id, outs)
    assert result.id == "" and result.outs == {}


# --- update ---


def test_update_changes_only_provider_settings_without_api_calls(
    job_provider: LiveRecordJobProvider, template_id: str, local_ims: LocalIms
) -> None:
    job_id, outs = create(job_provider, template_id)
    news = checked(
        job_provider, job_inputs(template_id, delete_recordings_on_destroy=True, wait_timeout_seconds=60)
    )
    local_ims.reset_stats()
    result = job_provider.update(job_id, {**outs, "__provider": "old"}, {**news, "__provider": "new"})
    assert result.outs == {**outs, "delete_recordings_on_destroy": True, "wait_timeout_seconds": 60}
    assert local_ims.total_calls() == 0


# --- delete ---


def test_delete_warns_that_the_job_keeps_recording_and_calls_nothing(
    job_provider: LiveRecordJobProvider,
    template_id: str,
    local_ims: LocalIms,
    capsys: pytest.CaptureFixture[str],
) -> None:
    job_id, outs = create(job_provider, template_id)
    capsys.readouterr()
    local_ims.reset_stats()
    job_provider.delete(job_id, outs)
    err = capsys.readouterr().err
    assert f"LiveRecordJob 'stage a' ({job_id}) was removed from the stack" in err
    assert "keeps recording until its stream ends" in err
    assert local_ims.total_calls() == 0
    with local_ims.client() as client:
        assert client.get_live_record_job(job_id=job_id).record_job.job_id == job_id  # still there


def test_delete_with_delete_recordings_lists_the_job_files(
    job_provider: LiveRecordJobProvider, template_id: str, local_ims: LocalIms
) -> None:
    job_id, outs = create(job_provider, template_id, delete_recordings_on_destroy=True)
    local_ims.reset_stats()
    job_provider.delete(job_id, outs)
    stats = local_ims.stats()
    assert stats.get("ListLiveRecordFiles", 0) >= 1
    assert "DeleteLiveRecordFiles" not in stats  # no file was recorded: nothing to delete


def files_service(
    files: int, *, failing: set[str] = frozenset()
) -> tuple[Callable[..., Any], list[dict[str, Any]]]:
    """A MockTransport handler serving ``files`` records of one job in pages, recording delete requests."""
    deletes: list[dict[str, Any]] = []
    records = [f"rec-{index:03d}" for index in range(files)]

    def handle(request: httpx.Request) -> httpx.Response:
        action = request.headers["x-acs-action"]
        query = {key: values[0] for key, values in parse_qs(request.url.query.decode()).items()}
        if action == "ListLiveRecordFiles":
            assert query["JobIds.1"] == "job-1"
            page, size = int(query.get("PageNo", 1)), int(query.get("PageSize", 10))
            chunk = records[(page - 1) * size : page * size]
            body = {
                "RequestId": "R",
                "PageNo": page,
                "PageSize": str(size),
                "TotalCount": str(len(records)),
                "SortBy": "asc",
                "Files": [{"RecordId": record, "JobId": "job-1", "RecordOutput": "{}"} for record in chunk],
            }
        elif action == "DeleteLiveRecordFiles":
            ids = [value for key, value in sorted(query.items()) if key.startswith("RecordIds.")]
            deletes.append({"ids": ids, "remove_file": query.get("RemoveFile")})
            body = {
                "RequestId": "R",
                "Message": "OK",
                "DeleteFileInfoList": [
                    {"RecordId": rid, "Code": "Forbidden" if rid in failing else "OK", "Message": "x"}
                    for rid in ids
                ],
            }
        else:
            raise AssertionError(f"unexpected {action}")
        return httpx.Response(
            200, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )

    return handle, deletes


def provider_with_mock(handler: Callable[..., Any]) -> LiveRecordJobProvider:
    class Mocked(LiveRecordJobProvider):
        def new_client(self, settings: ProviderSettings) -> IceClient:
            return IceClient(
                region="cn-shanghai",
                credentials=Credentials("k", "s"),
                transport=httpx.MockTransport(handler),
            )

    return Mocked()


def recent_outputs() -> dict[str, Any]:
    created = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"name": "stage a", "create_time": created, "delete_recordings_on_destroy": True}


def test_delete_recordings_pages_through_all_files_and_deletes_them_in_batches(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler, deletes = files_service(65)
    provider_with_mock(handler).delete("job-1", recent_outputs())
    assert [len(request["ids"]) for request in deletes] == [30, 30, 5]
    assert {request["remove_file"] for request in deletes} == {"True"}
    assert sorted(rid for request in deletes for rid in request["ids"]) == [f"rec-{i:03d}" for i in range(65)]
    err = capsys.readouterr().err
    deleted = [line for line in err.splitlines() if "deleted 65 recording file(s)" in line]
    assert deleted and not deleted[0].startswith("warning:")  # news, not a warning


def test_delete_recordings_reports_files_it_could_not_delete() -> None:
    handler, _ = files_service(3, failing={"rec-001"})
    with pytest.raises(ProviderError, match=r"could not delete 1 of 3 recordings: rec-001: Forbidden"):
        provider_with_mock(handler).delete("job-1", recent_outputs())
