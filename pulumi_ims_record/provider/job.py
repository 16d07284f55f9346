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
import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from pulumi_ims_record.ice import (
    DeadlineExceededError,
    IceError,
    LiveRecordJob,
    NotFoundError,
    OutcomeUnknownError,
)

from ._base import (
    AFTER_AN_INTERRUPTED_UP,
    KEEPS_RECORDING,
    ProviderBase,
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
from ._jobs import (
    LOOKING_FOR_LEFTOVERS,
    ORIGIN_ADOPTED_AFTER_AMBIGUOUS,
    ORIGIN_ADOPTED_BY_ID,
    ORIGIN_ADOPTED_RECENT,
    ORIGIN_SUBMITTED,
    RECENT_MINUTES,
    Claims,
    RecentJobs,
    declared_job,
    delete_recordings,
    job_outputs,
    matches,
    mismatches,
    not_found_after_unknown_submit,
    reconcile,
    recordings_deleted,
    submit,
)
from ._properties import JobInputs
from ._settings import ProviderSettings

CREATE_TIME_TOLERANCE = timedelta(seconds=2)
"""create records the Submit answer's ``Date``; the service's own CreateTime can be a second earlier. read
keeps the stored time when the service's is this close, so refresh does not report a one-second drift."""


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
        self._recent = RecentJobs()
        self._name_locks_lock = threading.Lock()
        self._name_locks: dict[str, threading.Lock] = {}
        self._template_lock = threading.Lock()
        self._template_names: dict[str, str | None] = {}
        self._template_reads: set[str] = set()  # template ids whose name is being read in the background

    def use_settings(self, settings: ProviderSettings) -> None:
        super().use_settings(settings)
        self._recent.forget()  # another service: forget what the old one said
        with self._template_lock:
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
        label = f"'{props.get('name')}'"
        inputs = self.inputs(JobInputs, props, label)
        adopt = inputs.get("adopt_job_id")
        if adopt:
            job = self._get(adopt, label, missing=f"adopt_job_id: no job {adopt!r} exists")
            problems = mismatches(inputs, job)
            if problems:
                self.fail(
                    label,
                    f"adopt_job_id {adopt!r} does not match the declared inputs: "
                    + "; ".join(problems)
                    + ". Change the inputs to match the job, or drop adopt_job_id to submit a new one",
                )
            origin = ORIGIN_ADOPTED_BY_ID
        else:
            self._read_template_name_meanwhile(inputs["template_id"])
            job, origin = self._submit_once(inputs, label)
        if inputs.get("wait_for_status"):
            job = self._wait(job, inputs, label)
        return CreateResult(job.job_id, self._outputs(job, inputs, origin=origin))

    def _submit_once(self, inputs: JobInputs, label: str) -> tuple[LiveRecordJob, str]:
        # Creates of the same name run one after the other, so a twin sees the job its sibling submitted.
        with self._name_lock(inputs["name"]):
            job, origin = self._adopt_or_submit(inputs, label)
            self._recent.remember(job)
            return job, origin

    def _adopt_or_submit(self, inputs: JobInputs, label: str) -> tuple[LiveRecordJob, str]:
        twin = next((job for job in self._recent.known() if matches(inputs, job)), None)
        if twin is not None:
            self.warn(
                f"{self.kind} {label}: adopting job {twin.job_id}, which another resource of this stack "
                "declares with the same name, stream, output and template: both track one recording"
            )
            return twin, ORIGIN_ADOPTED_RECENT
        client = self.client()
        try:
            leftovers = self._recent.leftovers(client)
        except IceError as exc:
            self.fail(label, exc, during=LOOKING_FOR_LEFTOVERS)
        recent = next((job for job in leftovers if matches(inputs, job)), None)
        if recent is not None:
            self.warn(
                f"{self.kind} {label}: adopting job {recent.job_id}, submitted at {recent.create_time} with "
                "the same name, stream, output and template (probably by an earlier `pulumi up` that did "
                "not save it), instead of submitting a second recording of the same stream. "
                + AFTER_AN_INTERRUPTED_UP
            )
            return recent, ORIGIN_ADOPTED_RECENT
        try:
            job_id, server_time = submit(client, inputs)
        except OutcomeUnknownError as exc:
            found, cut_short_by = reconcile(
                client, inputs, Claims(()), seconds=self.reconcile_seconds, poll_interval=self.poll_interval
            )
            if found is None:
                self.fail(
                    label,
                    not_found_after_unknown_submit(
                        exc, looked_for=self.reconcile_seconds, cut_short_by=cut_short_by
                    ),
                )
            self.warn(
                f"{self.kind} {label}: SubmitLiveRecordJob had an unknown outcome; the job was submitted "
                f"({found.job_id}) and is adopted"
            )
            return found, ORIGIN_ADOPTED_AFTER_AMBIGUOUS
        except IceError as exc:
            self.fail(label, exc)
        template_name = self._template_name(inputs["template_id"])
        job = declared_job(job_id, inputs, create_time=server_time, template_name=template_name)
        return job, ORIGIN_SUBMITTED

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
        with self._name_locks_lock:
            return self._name_locks.setdefault(name, threading.Lock())

    def _wait(self, job: LiveRecordJob, inputs: JobInputs, label: str) -> LiveRecordJob:
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
        created = props.get("create_time")
        try:
            count, failed = delete_recordings(
                self.client(), [id_], parse_api_time(created if isinstance(created, str) else None)
            )
        except IceError as exc:
            self.fail(label, exc)
        if failed:
            self.fail(label, failed)
        self.notice(f"{self.kind} {label}: {recordings_deleted(count, 1)}")

    # --- helpers ---

    def _get(self, job_id: str, label: str, *, missing: str | None = None) -> LiveRecordJob:
        try:
            return self.client().get_live_record_job(job_id=job_id).record_job
        except NotFoundError as exc:
            self.fail(label, missing or exc)
        except IceError as exc:
            self.fail(label, exc)

    @staticmethod
    def _outputs(job: LiveRecordJob, declared: Mapping[str, object], *, origin: str) -> dict[str, Any]:
        outputs = job_outputs(job, declared, origin)
        for key in ("adopt_job_id", *JOB_BEHAVIOUR_INPUTS):
            if declared.get(key) is not None:
                outputs[key] = declared[key]
        for key, default in JOB_BEHAVIOUR_DEFAULTS.items():  # an imported job has no declared inputs
            outputs.setdefault(key, default)
        outputs["adopted"] = origin != ORIGIN_SUBMITTED
        return outputs


def _close_in_time(stored: str, reported: str | None) -> bool:
    """True when two API times (``yyyy-MM-ddTHH:mm:ssZ``) are within ``CREATE_TIME_TOLERANCE``."""
    first, second = parse_api_time(stored), parse_api_time(reported)
    if first.year == 1 or second.year == 1:  # unreadable or missing
        return False
    return abs(first - second) <= CREATE_TIME_TOLERANCE


__all__ = ["LiveRecordJobProvider"]
