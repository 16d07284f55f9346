"""How ``LiveRecordJobProvider.create`` spends API calls: one Submit per job, one adoption listing per
provider process (shared by the engine's threads, taken before the process's first submit), one template
lookup per template id; outputs built from the Submit answer agree with what the service reports."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from pulumi_ims_record.ice import _client as ice_client
from pulumi_ims_record.provider import LiveRecordJobProvider, ProviderError
from pulumi_ims_record.provider import _jobs as jobs_module
from pulumi_ims_record.provider._base import AFTER_AN_INTERRUPTED_UP
from tests.conftest import LocalIms

from .conftest import checked, job_inputs
from .test_job_lifecycle import create

API_TIME = "%Y-%m-%dT%H:%M:%SZ"
ENGINE_THREADS = 4


def stream(name: str) -> dict[str, str]:
    return {"url": f"rtmp://127.0.0.1:1935/live/{name}"}


def test_creates_of_many_jobs_on_four_threads_list_once_and_never_get_the_job(
    job_provider: LiveRecordJobProvider, template_id: str, local_ims: LocalIms
) -> None:
    local_ims.reset_stats()
    names = [f"calls-{index}" for index in range(12)]
    with ThreadPoolExecutor(ENGINE_THREADS) as pool:
        results = list(
            pool.map(
                lambda name: create(job_provider, template_id, name=name, stream_input=stream(name)), names
            )
        )
    stats = local_ims.stats()
    assert stats.get("SubmitLiveRecordJob") == len(names)
    assert stats.get("ListLiveRecordJobs") == 1
    assert stats.get("GetLiveRecordTemplate") == 1
    assert "GetLiveRecordJob" not in stats
    assert len({job_id for job_id, _ in results}) == len(names)
    assert {outs["origin"] for _, outs in results} == {"submitted"}


def test_the_template_name_is_read_while_the_first_create_lists(
    job_provider: LiveRecordJobProvider, template_id: str, local_ims: LocalIms
) -> None:
    """Not one round trip after another: the template's name (for the outputs) is read at the same time as
    the adoption listing, so with latency the local IMS answers both at once."""
    local_ims.set_faults({"latency_ms": 500})
    local_ims.reset_stats()
    try:
        _, outs = create(job_provider, template_id, name="overlap", stream_input=stream("overlap"))
        snapshot = local_ims.stats_snapshot()
    finally:
        local_ims.clear_faults()
    one_each = {"ListLiveRecordJobs": 1, "GetLiveRecordTemplate": 1, "SubmitLiveRecordJob": 1}
    assert snapshot["calls"] == one_each
    assert snapshot["peak_in_flight"] == 2
    assert outs["template_name"]


def test_outputs_built_from_the_submit_answer_match_what_the_service_reports(
    job_provider: LiveRecordJobProvider, template_id: str, local_ims: LocalIms
) -> None:
    job_id, outs = create(job_provider, template_id, notify_url="https://example.com/hook")
    read = job_provider.read(job_id, {**outs, "__provider": "pickle"})
    assert read.outs == outs  # refresh right after up reports no change
    with local_ims.client() as client:
        job = client.get_live_record_job(job_id=job_id).record_job
    assert (
        (outs["status"], outs["template_name"])
        == (job.status, job.template_name)
        == ("initial", "fixture-hls")
    )
    assert job.create_time is not None
    created, answered = (datetime.strptime(text, API_TIME) for text in (job.create_time, outs["create_time"]))
    assert timedelta(0) <= answered - created <= timedelta(seconds=2)


def test_read_replaces_a_stored_create_time_that_is_really_different(
    job_provider: LiveRecordJobProvider, template_id: str
) -> None:
    job_id, outs = create(job_provider, template_id)
    long_ago = (datetime.now(timezone.utc) - timedelta(hours=3)).strftime(API_TIME)
    read = job_provider.read(job_id, {**outs, "create_time": long_ago, "__provider": "pickle"})
    assert read.outs["create_time"] != long_ago


def test_a_leftover_of_an_earlier_process_is_adopted_but_a_job_appearing_after_the_listing_is_not(
    make_provider: Callable[..., Any],
    template_id: str,
    local_ims: LocalIms,
    capsys: pytest.CaptureFixture[str],
) -> None:
    earlier_run: LiveRecordJobProvider = make_provider(LiveRecordJobProvider)
    leftover_id, _ = create(earlier_run, template_id, name="leftover", stream_input=stream("leftover"))

    this_run: LiveRecordJobProvider = make_provider(LiveRecordJobProvider)
    adopted_id, adopted = create(this_run, template_id, name="leftover", stream_input=stream("leftover"))
    assert adopted_id == leftover_id and adopted["origin"] == "adopted_recent"
    warning = capsys.readouterr().err  # names the job and says what to do next
    assert f"'leftover': adopting job {leftover_id}, submitted at" in warning
    assert AFTER_AN_INTERRUPTED_UP in warning

    # Submitted elsewhere after this process listed: not a leftover of an earlier run of this stack.
    late_id, _ = create(earlier_run, template_id, name="late", stream_input=stream("late"))
    local_ims.reset_stats()
    own_id, own = create(this_run, template_id, name="late", stream_input=stream("late"))
    assert own_id != late_id and own["origin"] == "submitted"
    assert "ListLiveRecordJobs" not in local_ims.stats()  # the process's one listing was reused


def test_identical_twins_created_at_once_share_one_job(
    job_provider: LiveRecordJobProvider, template_id: str, local_ims: LocalIms
) -> None:
    local_ims.reset_stats()
    inputs = checked(job_provider, job_inputs(template_id, name="twin", stream_input=stream("twin")))
    start = threading.Barrier(2)

    def create_twin() -> tuple[str, dict[str, Any]]:
        start.wait(timeout=10)
        result = job_provider.create({**inputs, "__provider": "pickle"})
        return result.id, result.outs

    with ThreadPoolExecutor(2) as pool:
        first, second = (future.result() for future in [pool.submit(create_twin), pool.submit(create_twin)])
    assert first[0] == second[0]
    assert sorted(outs["origin"] for _, outs in (first, second)) == ["adopted_recent", "submitted"]
    assert local_ims.stats().get("SubmitLiveRecordJob") == 1


def test_create_succeeds_without_template_name_when_the_template_cannot_be_read(
    job_provider: LiveRecordJobProvider, local_ims: LocalIms, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every lookup is retried to the end; short backoffs, so that end comes in a second instead of 40.
    monkeypatch.setattr(ice_client, "BACKOFF_BASE_SECONDS", 0.01)
    # A system template id is valid for Submit; make its lookup fail to show create does not depend on it.
    local_ims.set_faults({"error_rate": {"GetLiveRecordTemplate": 1.0}, "error_kind": "5xx"})
    try:
        job_id, outs = create(
            job_provider, "ims-system-m3u8", name="no-template-name", stream_input=stream("n")
        )
    finally:
        local_ims.clear_faults()
    assert outs["job_id"] == job_id and "template_name" not in outs
    read = job_provider.read(job_id, {**outs, "__provider": "pickle"})
    assert read.outs["template_name"]


def test_the_adoption_listing_reads_every_page_of_a_busy_window(
    make_provider: Callable[..., Any],
    template_id: str,
    local_ims: LocalIms,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jobs_module, "LEFTOVER_PAGE_SIZE", 5)  # a few jobs make many pages
    earlier_run: LiveRecordJobProvider = make_provider(LiveRecordJobProvider)
    leftover_id, _ = create(earlier_run, template_id, name="oldest", stream_input=stream("oldest"))
    for index in range(12):  # newer jobs of the window: the leftover is no longer on the newest pages
        create(earlier_run, template_id, name=f"busy-{index}", stream_input=stream(f"busy-{index}"))

    local_ims.reset_stats()
    this_run: LiveRecordJobProvider = make_provider(LiveRecordJobProvider)
    adopted_id, adopted = create(this_run, template_id, name="oldest", stream_input=stream("oldest"))
    assert adopted_id == leftover_id and adopted["origin"] == "adopted_recent"
    assert local_ims.stats().get("ListLiveRecordJobs", 0) >= 3  # 13+ jobs in pages of 5, read once each
    _, busy = create(this_run, template_id, name="busy-11", stream_input=stream("busy-11"))
    assert busy["origin"] == "adopted_recent"


def test_a_failed_adoption_listing_says_why_it_was_made(
    job_provider: LiveRecordJobProvider,
    template_id: str,
    local_ims: LocalIms,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ice_client, "BACKOFF_BASE_SECONDS", 0.01)
    local_ims.set_faults({"error_rate": {"ListLiveRecordJobs": 1.0}, "error_kind": "5xx"})
    try:
        with pytest.raises(ProviderError) as caught:
            create(job_provider, template_id, name="listed", stream_input=stream("listed"))
    finally:
        local_ims.clear_faults()
    said = str(caught.value)
    assert "before submitting, listing the jobs of the last 10 minutes for one an interrupted" in said, said
    assert "ListLiveRecordJobs failed: Code ServiceUnavailable" in said, said
    assert local_ims.stats().get("SubmitLiveRecordJob", 0) == 0
