"""``LiveRecordJobProvider``: the engine side of ``LiveRecordJob``.

In the order every provider here follows: schema, check, diff, create, read, update, delete.

The API can submit, get and list a job - nothing else: no update, no stop, no delete. So every input the
service stores forces a replacement, and ``delete`` only forgets the job (with a warning: it keeps recording
until its stream ends), optionally deleting its recordings. Submitting is not idempotent on the service side,
so ``create`` first looks for the same job submitted recently (a previous ``up`` that died before saving
state, or an ambiguous submit) and adopts it rather than start a second recorder of the same stream.

Calls per created job: one SubmitLiveRecordJob. The look for leftovers of an earlier run is ONE listing
(ListLiveRecordJobs of every job of the last ``RECENT_WINDOW``, pages after the first read in parallel) per
provider process, made before this process's first submit and shared by the engine's 4 threads: only a job
that existed before this process started can be a leftover. Twins (two resources declaring the very same
job) are matched against the jobs this process submitted or adopted. The outputs come from the Submit answer
and the declared inputs (status ``initial``, ``create_time`` = the answer's ``Date``, ``template_name`` from
one GetLiveRecordTemplate per template id and process) instead of a GetLiveRecordJob. Only an ambiguous
submit (rare) lists again, by name.
"""

from __future__ import annotations

import contextvars
import math
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from pulumi_ims_record.api import rules
from pulumi_ims_record.ice import (
    DeadlineExceededError,
    IceError,
    LiveRecordJob,
    NotFoundError,
    OutcomeUnknownError,
    RecordOutput,
    StreamInput,
)

from ._base import (
    KEEPS_RECORDING,
    ProviderBase,
    delete_record_files,
    differs,
    parse_api_time,
    until,
    without_provider,
)
from ._checks import (
    DEFAULT_WAIT_TIMEOUT,
    JOB_API_INPUTS,
    JOB_BEHAVIOUR_DEFAULTS,
    JOB_BEHAVIOUR_INPUTS,
    JOB_INPUTS,
    check_job,
    engine_failures,
    is_unknown,
)

# --- schema: snake_case property → ice model field (PascalCase API names live in ice/) ---

RECENT_WINDOW = timedelta(minutes=10)
"""A job with identical inputs submitted this recently is adopted instead of submitting a second one."""
RECENT_MINUTES = int(RECENT_WINDOW.total_seconds() // 60)
FILES_WINDOW = timedelta(days=4)
"""ListLiveRecordFiles accepts at most 4 days between StartTime and EndTime."""
CLOCK_SKEW = timedelta(minutes=2)
CREATE_TIME_TOLERANCE = timedelta(seconds=2)
"""create records the Submit answer's ``Date``; the service's own CreateTime can be a second earlier. read
keeps the stored time when the service's is this close, so refresh does not report a one-second drift."""
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


def stream_input_to_api(value: Mapping[str, Any]) -> StreamInput:
    return StreamInput(url=str(value["url"]), type=str(value.get("type") or rules.DEFAULT_STREAM_TYPE))


def record_output_to_api(value: Mapping[str, Any]) -> RecordOutput:
    return RecordOutput(
        type=str(value.get("type") or rules.DEFAULT_OUTPUT_TYPE),
        bucket=value.get("bucket"),
        endpoint=value.get("endpoint"),
    )


def job_inputs_from_api(job: LiveRecordJob, declared: Mapping[str, Any]) -> dict[str, Any]:
    """The job's API-stored inputs as the service reports them, in input form. An output endpoint the user
    left unset is the service's choice, not drift."""
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


class LiveRecordJobProvider(ProviderBase):
    """A live-recording job (SubmitLiveRecordJob); the resource id is the JobId."""

    kind = "LiveRecordJob"
    # Seconds between status polls while waiting, and how long to look for the job after an ambiguous submit
    # (class attributes, so tests can shorten them on an instance; never pickled).
    poll_interval = 1.0
    reconcile_seconds = 10.0

    def _reset(self) -> None:
        super()._reset()
        # Per provider process (never pickled): see the module docstring.
        self._adoption_lock = threading.Lock()
        self._leftovers: tuple[LiveRecordJob, ...] | None = None  # jobs that existed before our first submit
        self._known_jobs: list[LiveRecordJob] = []  # jobs this process submitted or adopted
        self._name_locks: dict[str, threading.Lock] = {}
        self._template_lock = threading.Lock()
        self._template_names: dict[str, str | None] = {}
        self._template_reads: set[str] = set()  # template ids whose name is being read in the background

    def configure(self, req: ConfigureRequest) -> None:
        super().configure(req)
        with self._adoption_lock, self._template_lock:  # another service: forget what the old one said
            self._leftovers = None
            self._known_jobs.clear()
            self._template_names.clear()
            self._template_reads.clear()

    # --- check ---

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = check_job(news)
        return CheckResult(inputs, engine_failures(failures))

    # --- diff ---

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # The API cannot change a job: each stored input that changed forces a replacement, by name.
        replaces = [key for key in JOB_API_INPUTS if differs(olds.get(key), news.get(key))]
        adopt = news.get("adopt_job_id")
        if adopt is not None and (is_unknown(adopt) or adopt != id_):
            replaces.append("adopt_job_id")
        behaviour = [key for key in JOB_BEHAVIOUR_INPUTS if differs(olds.get(key), news.get(key))]
        if replaces:  # said at preview, where a reviewer reads it, not only when the old job is dropped
            self.warn_of_update(
                f"{self.kind} '{olds.get('name')}' ({id_}) will be replaced ({', '.join(replaces)} changed): "
                f"{KEEPS_RECORDING}"
            )
        return DiffResult(changes=bool(replaces or behaviour), replaces=replaces, delete_before_replace=False)

    # --- create ---

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = without_provider(props)
        label = f"'{inputs.get('name')}'"
        adopt = inputs.get("adopt_job_id")
        if adopt:
            job = self._get(adopt, label, missing=f"adopt_job_id: no job {adopt!r} exists")
            mismatches = self._mismatches(inputs, job)
            if mismatches:
                self.fail(
                    label,
                    f"adopt_job_id {adopt!r} does not match the declared inputs: "
                    + "; ".join(mismatches)
                    + ". Change the inputs to match the job, or drop adopt_job_id to submit a new one",
                )
            origin = ORIGIN_ADOPTED_BY_ID
        else:
            self._read_template_name_meanwhile(str(inputs["template_id"]))
            job, origin = self._submit_once(inputs, label)
        if inputs.get("wait_for_status"):
            job = self._wait(job, inputs, label)
        return CreateResult(job.job_id, self._outputs(job, inputs, origin=origin))

    def _submit_once(self, inputs: Mapping[str, Any], label: str) -> tuple[LiveRecordJob, str]:
        # Creates of the same name run one after the other, so a twin sees the job its sibling submitted.
        with self._name_lock(inputs["name"]):
            job, origin = self._adopt_or_submit(inputs, label)
            with self._adoption_lock:
                self._known_jobs.append(job)
            return job, origin

    def _adopt_or_submit(self, inputs: Mapping[str, Any], label: str) -> tuple[LiveRecordJob, str]:
        with self._adoption_lock:
            known = list(self._known_jobs)
        twin = self._matching(inputs, known)
        if twin is not None:
            self.warn(
                f"{self.kind} {label}: adopting job {twin.job_id}, which another resource of this stack "
                "declares with the same name, stream, output and template: both track one recording"
            )
            return twin, ORIGIN_ADOPTED_RECENT
        recent = self._matching(inputs, self._recent_leftovers(label))
        if recent is not None:
            self.warn(
                f"{self.kind} {label}: adopting job {recent.job_id}, submitted at {recent.create_time} with "
                "the same name, stream, output and template (probably by an earlier `pulumi up` that did "
                "not save it), instead of submitting a second recording of the same stream"
            )
            return recent, ORIGIN_ADOPTED_RECENT
        client = self.client()
        try:
            answer = client.submit_live_record_job(
                name=inputs["name"],
                stream_input=stream_input_to_api(inputs["stream_input"]),
                record_output=record_output_to_api(inputs["record_output"]),
                template_id=inputs["template_id"],
                notify_url=inputs.get("notify_url"),
            )
        except OutcomeUnknownError as exc:
            found, cut_short_by = self._reconcile(inputs, label)
            if found is None and cut_short_by:
                self.fail(
                    label,
                    f"{exc}. There was no time left to look for the job: {cut_short_by} ran out. The next "
                    f"`pulumi up` within {RECENT_MINUTES} minutes adopts it if it was submitted",
                )
            if found is None:
                self.fail(
                    label,
                    f"{exc}. No matching job appeared within {self.reconcile_seconds:g} s, so it "
                    "was most likely not submitted; retrying `pulumi up` adopts it if it was",
                )
            self.warn(
                f"{self.kind} {label}: SubmitLiveRecordJob had an unknown outcome; the job was submitted "
                f"({found.job_id}) and is adopted"
            )
            return found, ORIGIN_ADOPTED_AFTER_AMBIGUOUS
        except IceError as exc:
            self.fail(label, exc)
        return self._submitted_job(answer.job_id, answer.server_time, inputs), ORIGIN_SUBMITTED

    def _submitted_job(
        self, job_id: str, server_time: str | None, inputs: Mapping[str, Any]
    ) -> LiveRecordJob:
        """The job just submitted, as GetLiveRecordJob would report it, without asking: the service stores
        the inputs as sent, a new job is ``initial``, and it was created when the answer was dated."""
        template_id = str(inputs["template_id"])
        return LiveRecordJob(
            job_id=job_id,
            name=str(inputs["name"]),
            notify_url=inputs.get("notify_url"),
            create_time=server_time,
            stream_input=stream_input_to_api(inputs["stream_input"]),
            record_output=record_output_to_api(inputs["record_output"]),
            template_id=template_id,
            template_name=self._template_name(template_id),
            status=rules.INITIAL_STATUS,
        )

    def _read_template_name_meanwhile(self, template_id: str) -> None:
        """Start reading the template's name (once per template and process) while this create lists and
        submits: the first creates then do not wait one more round trip for it after their Submit. In a
        copy of this context, so the operation's customTimeouts bound it too."""
        with self._template_lock:
            if template_id in self._template_names or template_id in self._template_reads:
                return
            self._template_reads.add(template_id)
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run, args=(self._template_name, template_id), name="template-name", daemon=True
        ).start()

    def _template_name(self, template_id: str) -> str | None:
        """The template's name, read once per template id and process. None if it cannot be read now: the
        job was submitted, so create must not fail over a display field; the next refresh fills it in."""
        with self._template_lock:
            if template_id not in self._template_names:
                try:
                    template = self.client().get_live_record_template(template_id=template_id).record_template
                except IceError:
                    return None
                self._template_names[template_id] = template.name
            return self._template_names[template_id]

    def _name_lock(self, name: str) -> threading.Lock:
        with self._adoption_lock:
            return self._name_locks.setdefault(name, threading.Lock())

    def _recent_leftovers(self, label: str) -> list[LiveRecordJob]:
        """Jobs created in the last ``RECENT_WINDOW`` before this process submitted anything, listed once per
        process (the first caller lists while the others wait) and filtered by age at each use."""
        with self._adoption_lock:
            if self._leftovers is None:
                try:
                    self._leftovers = self._list_recent_jobs()
                except IceError as exc:
                    self.fail(label, exc, during=LOOKING_FOR_LEFTOVERS)
            leftovers = self._leftovers
        oldest = datetime.now(timezone.utc) - RECENT_WINDOW
        return [job for job in leftovers if parse_api_time(job.create_time) >= oldest]

    def _list_recent_jobs(self) -> tuple[LiveRecordJob, ...]:
        """Every job of the last ``RECENT_WINDOW``, newest first. Oldest-first pages do not shift when jobs
        are submitted meanwhile (those land after the last page, and are no leftovers anyway), so after the
        first page, which gives the total, the others are read in parallel: on a busy account they would
        otherwise cost one round trip each before the first submit."""
        client = self.client()
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
                answers = pool.map(
                    lambda page_no: client.list_live_record_jobs(page_no=page_no, **window), pages
                )
                for answer in answers:
                    jobs.extend(answer.live_record_jobs)
        unique = {job.job_id: job for job in jobs}
        return tuple(reversed(unique.values()))

    def _matching(self, inputs: Mapping[str, Any], jobs: Iterable[LiveRecordJob]) -> LiveRecordJob | None:
        """The first job with the declared name, stream, output, template and notify URL."""
        for job in jobs:
            if job.name == inputs["name"] and not self._mismatches(inputs, job):
                return job
        return None

    def _reconcile(self, inputs: Mapping[str, Any], label: str) -> tuple[LiveRecordJob | None, str | None]:
        """Look for the job of an ambiguous submit until ``reconcile_seconds`` have passed or the operation's
        customTimeouts ran out: ``(the job or None, the customTimeouts that cut the search short, or None)``.
        """
        deadline, custom = until(self.reconcile_seconds)
        while True:
            try:
                found = self._find_recent(inputs, label)
            except DeadlineExceededError:
                return None, custom
            if found is not None:
                return found, None
            if time.monotonic() >= deadline:
                return None, custom
            time.sleep(min(self.poll_interval, max(0.0, deadline - time.monotonic())))

    def _find_recent(self, inputs: Mapping[str, Any], label: str) -> LiveRecordJob | None:
        """The newest job with identical name, stream, output, template and notify URL submitted within
        ``RECENT_WINDOW`` (ListLiveRecordJobs by keyword = name, in that time window)."""
        now = datetime.now(timezone.utc)
        try:
            for job in self.client().iter_live_record_jobs(
                keyword=inputs["name"],
                start_time=now - RECENT_WINDOW,
                end_time=now + CLOCK_SKEW,
                sort_by="desc",
            ):
                if job.name == inputs["name"] and not self._mismatches(inputs, job):
                    return job
        except DeadlineExceededError:
            raise
        except IceError as exc:
            self.fail(label, exc)
        return None

    def _mismatches(self, inputs: Mapping[str, Any], job: LiveRecordJob) -> list[str]:
        actual = job_inputs_from_api(job, inputs)
        problems = []
        for key in JOB_API_INPUTS:
            if differs(actual.get(key), inputs.get(key)):
                # Name the field; the values may carry tokens (stream and notify URLs), so never print them.
                problems.append(
                    f"{key} differs"
                    if key in ("stream_input", "notify_url")
                    else f"{key} is {actual.get(key)!r}, declared {inputs.get(key)!r}"
                )
        return problems

    def _wait(self, job: LiveRecordJob, inputs: Mapping[str, Any], label: str) -> LiveRecordJob:
        """Poll GetLiveRecordJob until the wanted status or the deadline (custom_timeouts never reach a
        dynamic provider, so the timeout is an input)."""
        wanted = inputs["wait_for_status"]
        timeout = float(inputs.get("wait_timeout_seconds") or DEFAULT_WAIT_TIMEOUT)
        started = time.monotonic()
        deadline, custom = until(timeout)
        limit = custom or f"wait_timeout_seconds ({timeout:g} s)"
        while job.status != wanted:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.fail(
                    f"{label} ({job.job_id})",
                    f"waited {time.monotonic() - started:.0f} s for status {wanted!r} until {limit} ran out; "
                    f"the last status seen was {job.status!r}. The job exists and keeps running: the next "
                    f"`pulumi up` within {RECENT_MINUTES} minutes adopts it, "
                    f"or set adopt_job_id={job.job_id!r}",
                )
            time.sleep(min(self.poll_interval, remaining))
            try:
                job = self.client().get_live_record_job(job_id=job.job_id).record_job
            except DeadlineExceededError:
                continue  # the customTimeouts ran out during the poll: said above, with the last status
            except IceError as exc:
                self.fail(label, exc)
        return job

    # --- read ---

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        olds = without_provider(props)
        label = f"'{olds.get('name')}' ({id_})"
        try:
            job = self.client().get_live_record_job(job_id=id_).record_job
        except NotFoundError:
            return ReadResult("", {})  # the job vanished: the engine drops it from state
        except IceError as exc:
            self.fail(label, exc)
        outputs = self._outputs(job, olds, origin=str(olds.get("origin") or ORIGIN_SUBMITTED))
        stored_time = olds.get("create_time")
        if isinstance(stored_time, str) and _close_in_time(stored_time, job.create_time):
            outputs["create_time"] = stored_time
        inputs = {key: outputs[key] for key in JOB_INPUTS if key in outputs}
        return ReadResult(id_, outputs, inputs=inputs)

    # --- update ---

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only provider-side settings (waiting, delete_recordings_on_destroy) reach update; no API call."""
        outputs = without_provider(olds)
        for key in JOB_BEHAVIOUR_INPUTS:
            outputs.pop(key, None)
        outputs.update(
            {key: value for key, value in without_provider(news).items() if key in JOB_BEHAVIOUR_INPUTS}
        )
        return UpdateResult(outputs)

    # --- delete ---

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        label = f"'{props.get('name')}' ({id_})"
        self.warn(f"{self.kind} {label} was removed from the stack, but {KEEPS_RECORDING}")
        if not props.get("delete_recordings_on_destroy"):
            return
        client = self.client()
        try:
            record_ids = [item.record_id for item in self._files(id_, props.get("create_time"))]
            failures = delete_record_files(client, record_ids)
        except IceError as exc:
            self.fail(label, exc)
        if failures:
            self.fail(
                label,
                f"DeleteLiveRecordFiles could not delete {len(failures)} of {len(record_ids)} "
                f"recordings: {'; '.join(failures[:5])}",
            )
        self.notice(
            f"{self.kind} {label}: deleted {len(record_ids)} recording file(s) (delete_recordings_on_destroy)"
        )

    def _files(self, job_id: str, create_time: Any) -> Iterator[Any]:
        """Every file of the job, in windows of at most 4 days from its creation until now."""
        now = datetime.now(timezone.utc) + CLOCK_SKEW
        created = parse_api_time(create_time if isinstance(create_time, str) else None)
        start = (
            max(created - CLOCK_SKEW, now - timedelta(days=365)) if created.year > 1 else now - FILES_WINDOW
        )
        while start < now:
            end = min(start + FILES_WINDOW, now)
            yield from self.client().iter_live_record_files(
                job_ids=[job_id], start_time=start, end_time=end, page_size=30
            )
            start = end

    # --- helpers ---

    def _get(self, job_id: str, label: str, *, missing: str | None = None) -> LiveRecordJob:
        try:
            return self.client().get_live_record_job(job_id=job_id).record_job
        except NotFoundError as exc:
            self.fail(label, missing or exc)
        except IceError as exc:
            self.fail(label, exc)

    @staticmethod
    def _outputs(job: LiveRecordJob, declared: Mapping[str, Any], *, origin: str) -> dict[str, Any]:
        outputs: dict[str, Any] = job_inputs_from_api(job, declared)
        for key in ("adopt_job_id", *JOB_BEHAVIOUR_INPUTS):
            if declared.get(key) is not None:
                outputs[key] = declared[key]
        for key, default in JOB_BEHAVIOUR_DEFAULTS.items():  # an imported job has no declared inputs
            outputs.setdefault(key, default)
        outputs.update(
            {
                "job_id": job.job_id,
                "status": job.status,
                "create_time": job.create_time,
                "template_name": job.template_name,
                "adopted": origin != ORIGIN_SUBMITTED,
                "origin": origin,
            }
        )
        return {key: value for key, value in outputs.items() if value is not None}


def _close_in_time(stored: str, reported: str | None) -> bool:
    """True when two API times (``yyyy-MM-ddTHH:mm:ssZ``) are within ``CREATE_TIME_TOLERANCE``."""
    first, second = parse_api_time(stored), parse_api_time(reported)
    if first.year == 1 or second.year == 1:  # unreadable or missing
        return False
    return abs(first - second) <= CREATE_TIME_TOLERANCE


__all__ = ["LiveRecordJobProvider"]
