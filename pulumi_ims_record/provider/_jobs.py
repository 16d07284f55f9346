"""What both job resources do (``LiveRecordJob``, ``LiveRecordJobSet``), once: submit or adopt, the one
listing of recent jobs, the reconcile after an ambiguous submit (bounded by customTimeouts), a job's
outputs, its recorded files and their deletion, and every sentence about jobs the user reads.

Submitting is not idempotent on the service side, so before its first submit a provider lists the jobs of the
last ``RECENT_WINDOW`` (``RecentJobs``, once per provider process: only a job that existed before the process
started can be a leftover of an earlier run) and adopts an identical one (same name, stream, output, template
and notify URL) instead of recording the same stream twice.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

from pulumi_ims_record.api import rules
from pulumi_ims_record.ice import (
    DeadlineExceededError,
    IceClient,
    IceError,
    LiveRecordFile,
    LiveRecordJob,
    RecordOutput,
    StreamInput,
)

from ._base import delete_record_files, differs, parse_api_time, until
from ._checks import JOB_API_INPUTS
from ._properties import JobRequest, RecordOutputValue, StreamInputValue

RECENT_WINDOW = timedelta(minutes=10)
"""A job with identical inputs submitted this recently is adopted instead of submitting a second one."""
RECENT_MINUTES = int(RECENT_WINDOW.total_seconds() // 60)
FILES_WINDOW = timedelta(days=4)
"""ListLiveRecordFiles accepts at most 4 days between StartTime and EndTime."""
CLOCK_SKEW = timedelta(minutes=2)
LEFTOVER_PAGE_SIZE = 100
LEFTOVER_PAGE_WORKERS = 8
LOOKING_FOR_LEFTOVERS = (
    f"before submitting, listing the jobs of the last {RECENT_MINUTES} minutes for one an "
    "interrupted earlier run may have submitted (adopted instead of recording the stream twice)"
)

ORIGIN_SUBMITTED = "submitted"
ORIGIN_ADOPTED_BY_ID = "adopted_by_id"
ORIGIN_ADOPTED_RECENT = "adopted_recent"
ORIGIN_ADOPTED_AFTER_AMBIGUOUS = "adopted_after_ambiguous_submit"

# --- a job's inputs, both ways ---------------------------------------------------------------------------


def stream_input_to_api(value: StreamInputValue) -> StreamInput:
    return StreamInput(url=str(value["url"]), type=str(value.get("type") or rules.DEFAULT_STREAM_TYPE))


def record_output_to_api(value: RecordOutputValue) -> RecordOutput:
    return RecordOutput(
        type=str(value.get("type") or rules.DEFAULT_OUTPUT_TYPE),
        bucket=value.get("bucket"),
        endpoint=value.get("endpoint"),
    )


def job_inputs_from_api(job: LiveRecordJob, declared: Mapping[str, object]) -> dict[str, Any]:
    """The job's API-stored inputs as the service reports them, in input form (for state: a value the service
    did not report is left out). An output endpoint the user left unset is the service's choice, not drift;
    ``declared`` is what the stack says of the job, maybe nothing (an imported job)."""
    declared_output = declared.get("record_output")
    endpoint = job.record_output.endpoint
    if isinstance(declared_output, Mapping) and declared_output.get("endpoint") is None:
        endpoint = None
    record_output = {"type": job.record_output.type, "bucket": job.record_output.bucket, "endpoint": endpoint}
    values = {
        "name": job.name,
        "stream_input": {"type": job.stream_input.type, "url": job.stream_input.url},
        "record_output": {key: value for key, value in record_output.items() if value is not None},
        "template_id": job.template_id,
        "notify_url": job.notify_url or None,
    }
    return {key: value for key, value in values.items() if value is not None}


def job_outputs(job: LiveRecordJob, declared: Mapping[str, object], origin: str) -> dict[str, Any]:
    """What state keeps of a job, for both resources: its stored inputs as the service reports them, its
    JobId, status, creation time, template name and how the provider got it."""
    values: dict[str, Any] = job_inputs_from_api(job, declared)
    values.update(
        {
            "job_id": job.job_id,
            "status": job.status,
            "create_time": job.create_time,
            "template_name": job.template_name,
            "origin": origin or ORIGIN_SUBMITTED,
        }
    )
    return {key: value for key, value in values.items() if value is not None}


def submit(client: IceClient, wanted: JobRequest) -> tuple[str, str | None]:
    """SubmitLiveRecordJob with the job's API inputs: ``(JobId, the answer's Date)``."""
    answer = client.submit_live_record_job(
        name=wanted["name"],
        stream_input=stream_input_to_api(wanted["stream_input"]),
        record_output=record_output_to_api(wanted["record_output"]),
        template_id=wanted["template_id"],
        notify_url=wanted.get("notify_url"),
    )
    return answer.job_id, answer.server_time


def declared_job(
    job_id: str,
    wanted: JobRequest,
    *,
    create_time: str | None = None,
    template_name: str | None = None,
) -> LiveRecordJob:
    """A job just submitted, as GetLiveRecordJob would report it, without asking: the service stores the
    inputs as sent and a new job is ``initial``."""
    return LiveRecordJob(
        job_id=job_id,
        name=wanted["name"],
        notify_url=wanted.get("notify_url"),
        create_time=create_time,
        stream_input=stream_input_to_api(wanted["stream_input"]),
        record_output=record_output_to_api(wanted["record_output"]),
        template_id=wanted["template_id"],
        template_name=template_name,
        status=rules.INITIAL_STATUS,
    )


def mismatches(wanted: JobRequest, job: LiveRecordJob) -> list[str]:
    """Each stored input of ``job`` that differs from ``wanted``, said without the values that may carry
    tokens (stream and notify URLs)."""
    declared: Mapping[str, object] = wanted
    actual = job_inputs_from_api(job, declared)
    problems = []
    for key in JOB_API_INPUTS:
        if differs(actual.get(key), declared.get(key)):
            problems.append(
                f"{key} differs"
                if key in ("stream_input", "notify_url")
                else f"{key} is {actual.get(key)!r}, declared {declared.get(key)!r}"
            )
    return problems


def matches(wanted: JobRequest, job: LiveRecordJob) -> bool:
    """The job stores exactly the wanted name, stream, output, template and notify URL."""
    return job.name == wanted["name"] and not mismatches(wanted, job)


# --- the recent jobs -------------------------------------------------------------------------------------


def list_recent_jobs(client: IceClient) -> tuple[LiveRecordJob, ...]:
    """Every job of the last ``RECENT_WINDOW``, newest first. Oldest-first pages do not shift when jobs are
    submitted meanwhile (those land after the last page, and are no leftovers anyway), so after the first
    page, which gives the total, the others are read in parallel: on a busy account they would otherwise cost
    one round trip each before the first submit."""
    now = datetime.now(timezone.utc)
    window: dict[str, Any] = {
        "start_time": now - RECENT_WINDOW,
        "end_time": now + CLOCK_SKEW,
        "sort_by": "asc",
        "page_size": LEFTOVER_PAGE_SIZE,
    }
    first = client.list_live_record_jobs(page_no=1, **window)
    jobs = list(first.live_record_jobs)
    if first.total_count is None:  # no total: page after page
        jobs = list(client.iter_live_record_jobs(**window))
    elif first.total_count > len(jobs) > 0:
        pages = range(2, math.ceil(first.total_count / len(jobs)) + 1)
        with ThreadPoolExecutor(min(LEFTOVER_PAGE_WORKERS, len(pages))) as pool:
            answers = pool.map(lambda page_no: client.list_live_record_jobs(page_no=page_no, **window), pages)
            for answer in answers:
                jobs.extend(answer.live_record_jobs)
    unique = {job.job_id: job for job in jobs}
    return tuple(reversed(unique.values()))


class RecentJobs:
    """The jobs a provider process may adopt (thread-safe): those of the last ``RECENT_WINDOW`` that existed
    before its first submit, listed once (the first caller lists while the others wait) and filtered by age
    at each use, and those it submitted or adopted since."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leftovers: tuple[LiveRecordJob, ...] | None = None
        self._known: list[LiveRecordJob] = []

    def forget(self) -> None:
        """Another service (new settings): what the old one said no longer holds."""
        with self._lock:
            self._leftovers = None
            self._known.clear()

    def leftovers(self, client: IceClient) -> list[LiveRecordJob]:
        """Raises ``IceError`` when the listing fails (said with ``LOOKING_FOR_LEFTOVERS``)."""
        with self._lock:
            if self._leftovers is None:
                self._leftovers = list_recent_jobs(client)
            leftovers = self._leftovers
        oldest = datetime.now(timezone.utc) - RECENT_WINDOW
        return [job for job in leftovers if parse_api_time(job.create_time) >= oldest]

    def remember(self, job: LiveRecordJob) -> None:
        with self._lock:
            self._known.append(job)

    def known(self) -> list[LiveRecordJob]:
        with self._lock:
            return list(self._known)


class Claims:
    """Jobs each adoptable by at most one entry of a set (thread-safe)."""

    def __init__(self, jobs: Iterable[LiveRecordJob], taken: Iterable[str] = ()) -> None:
        self._jobs = list(jobs)
        self._taken = set(taken)
        self._lock = threading.Lock()

    def claim(self, wanted: JobRequest) -> LiveRecordJob | None:
        with self._lock:
            for job in self._jobs:
                if job.job_id not in self._taken and matches(wanted, job):
                    self._taken.add(job.job_id)
                    return job
        return None

    def add(self, jobs: Iterable[LiveRecordJob]) -> None:
        with self._lock:
            known = {job.job_id for job in self._jobs}
            self._jobs.extend(job for job in jobs if job.job_id not in known)


def find_recent(client: IceClient, wanted: JobRequest) -> list[LiveRecordJob]:
    """The jobs named like ``wanted`` submitted within ``RECENT_WINDOW``, newest first (ListLiveRecordJobs by
    keyword = name, in that time window)."""
    now = datetime.now(timezone.utc)
    _, largest_page = rules.JOB_PAGE_SIZE_RANGE
    return list(
        client.iter_live_record_jobs(
            keyword=wanted["name"],
            start_time=now - RECENT_WINDOW,
            end_time=now + CLOCK_SKEW,
            page_size=largest_page,
            sort_by="desc",
        )
    )


def reconcile(
    client: IceClient, wanted: JobRequest, claims: Claims, *, seconds: float, poll_interval: float
) -> tuple[LiveRecordJob | None, str | None]:
    """After a submit whose outcome is unknown, look for its job (``find_recent``, claimed through
    ``claims``) until ``seconds`` have passed or the operation's customTimeouts ran out: ``(the job or None,
    the customTimeouts that cut the search short, or None)``. An error while looking is no answer either
    way: it looks again until the deadline."""
    deadline, custom = until(seconds)
    while True:
        try:
            claims.add(find_recent(client, wanted))
        except DeadlineExceededError:
            return None, custom
        except IceError:
            pass
        found = claims.claim(wanted)
        if found is not None:
            return found, None
        if time.monotonic() >= deadline:
            return None, custom
        time.sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))


def not_found_after_unknown_submit(error: IceError, *, looked_for: float, cut_short_by: str | None) -> str:
    """Why a submit with an unknown outcome failed, and what the next ``pulumi up`` does about it."""
    if cut_short_by:
        return (
            f"{error}. There was no time left to look for the job: {cut_short_by} ran out. The next "
            f"`pulumi up` within {RECENT_MINUTES} minutes adopts it if it was submitted"
        )
    return (
        f"{error}. No matching job appeared within {looked_for:g} s, so it was most likely not submitted; "
        "retrying `pulumi up` adopts it if it was"
    )


# --- recordings ------------------------------------------------------------------------------------------


def files_in_window(
    client: IceClient,
    job_ids: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    record_format: str | None = None,
) -> Iterator[LiveRecordFile]:
    """Every file of these jobs between ``start`` and ``end``, each once. The API's limits are this
    function's business: at most ``rules.MAX_IDS_PER_REQUEST`` jobs and ``FILES_WINDOW`` per listing, and
    every page of each."""
    _, largest_page = rules.FILE_PAGE_SIZE_RANGE
    seen: set[str] = set()
    for index in range(0, len(job_ids), rules.MAX_IDS_PER_REQUEST):
        batch = list(job_ids[index : index + rules.MAX_IDS_PER_REQUEST])
        window_start = start
        while window_start < end:
            window_end = min(window_start + FILES_WINDOW, end)
            for item in client.iter_live_record_files(
                job_ids=batch,
                start_time=window_start,
                end_time=window_end,
                page_size=largest_page,
                record_format=record_format,
            ):
                if item.record_id not in seen:
                    seen.add(item.record_id)
                    yield item
            window_start = window_end


def files_of_jobs(client: IceClient, job_ids: Sequence[str], created: datetime) -> Iterator[LiveRecordFile]:
    """Every file of these jobs from the oldest creation (at most a year back; the last 4 days when unknown)
    until now."""
    now = datetime.now(timezone.utc) + CLOCK_SKEW
    first = max(created - CLOCK_SKEW, now - timedelta(days=365)) if created.year > 1 else now - FILES_WINDOW
    return files_in_window(client, job_ids, first, now)


def delete_recordings(client: IceClient, job_ids: Sequence[str], created: datetime) -> tuple[int, str | None]:
    """Delete every recording of these jobs: ``(how many, None)``, or ``(how many, why some could not be)``.
    Raises ``IceError`` when a call fails."""
    record_ids = [item.record_id for item in files_of_jobs(client, job_ids, created)]
    failures = delete_record_files(client, record_ids)
    if failures:
        return len(record_ids), (
            f"DeleteLiveRecordFiles could not delete {len(failures)} of {len(record_ids)} recordings: "
            f"{'; '.join(failures[:5])}"
        )
    return len(record_ids), None


def recordings_deleted(count: int, jobs: int) -> str:
    return f"deleted {count} recording file(s) of {jobs} job(s) (delete_recordings_on_destroy)"
