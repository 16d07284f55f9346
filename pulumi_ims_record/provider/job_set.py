"""``LiveRecordJobSetProvider``: the engine side of ``LiveRecordJobSet``, many jobs in one resource.

Why it exists: the engine's Python dynamic-provider server runs at most 4 provider calls at once, so ``up`` of
N ``LiveRecordJob`` resources against an API with latency L takes at least N / 4 × (calls per create) × L. One
resource that holds N jobs is one engine step; inside it this provider runs its own bounded pool
(``concurrency``, default 16) and replaces the per-job lookups with one listing of the recent jobs.

Each entry of ``jobs`` has a ``key`` (its stable identity). State keeps, per key, the job's inputs as the
service stores them plus its JobId, status and times; ``diff`` compares per key, so adding, removing or
changing one entry updates the set in place and touches only that entry's job.

The API cannot update, stop or delete a job: a changed entry gets a new job (the old one is forgotten, with a
warning: it keeps recording until its stream ends), and a removed entry is forgotten the same way.

Submitting is not idempotent. A create (or update) that fails part-way raises, and a dynamic provider that
raises loses its outputs, so the jobs it did submit are not in state. Two things keep them from being lost or
doubled: the error lists every submitted JobId, and before its first submit the provider lists the jobs
submitted in the last 10 minutes (once per process, ``_jobs.RecentJobs``, as ``LiveRecordJob`` does) and
adopts an identical one (same name, stream, output, template, notify URL) instead of submitting again - so
re-running ``pulumi up`` picks them up. What both job resources do is in ``_jobs``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from pulumi_ims_record.ice import IceClient, IceError, LiveRecordJob, NotFoundError, OutcomeUnknownError

from . import _jobs
from ._base import (
    AFTER_AN_INTERRUPTED_UP,
    KEEPS_RECORDING,
    ProviderBase,
    differs,
    parse_api_time,
    without_provider,
)
from ._checks import (
    DEFAULT_CONCURRENCY,
    ENTRY_FIELDS,
    SET_INPUTS,
    check_job_set,
    contains_unknown,
    engine_failures,
    is_unknown,
)
from ._properties import JobRequest, JobSetEntry, JobSetInputs
from ._settings import ProviderSettings

SET_BEHAVIOUR_INPUTS = ("concurrency", "delete_recordings_on_destroy", "record_output")
"""Inputs that change no job by themselves (``record_output`` only matters as each entry's default, and
``check`` has already copied it into the entries)."""
ENTRY_API_INPUTS = ("name", "stream_input", "record_output", "notify_url")
"""Per-entry inputs the service stores with the job; with the set's ``template_id`` they identify a job."""

_T = TypeVar("_T")
_R = TypeVar("_R")


def entry_job_inputs(entry: JobSetEntry, template_id: str) -> JobRequest:
    """What an entry's job is submitted with (the set's template)."""
    wanted = JobRequest(
        name=entry["name"],
        stream_input=entry["stream_input"],
        record_output=entry["record_output"],
        template_id=template_id,
    )
    if entry.get("notify_url"):
        wanted["notify_url"] = entry["notify_url"]
    return wanted


def entry_differs(state: Mapping[str, Any], entry: Mapping[str, object], template_id: object) -> bool:
    """True when the entry asks for a different job than the one in state."""
    return any(differs(state.get(field), entry.get(field)) for field in ENTRY_API_INPUTS) or differs(
        state.get("template_id"), template_id
    )


@dataclass
class _Outcome:
    """What submitting one entry came to: a job (with how it was got) or an error message."""

    key: str
    job_id: str | None = None
    origin: str = _jobs.ORIGIN_SUBMITTED
    error: str | None = None


def _bounded_map(function: Callable[[_T], _R], items: Sequence[_T], concurrency: int) -> list[_R]:
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(items)))) as pool:
        return list(pool.map(function, items))


class LiveRecordJobSetProvider(ProviderBase):
    """A set of live-recording jobs keyed by ``key``; the resource id is ``jobset-`` + the JobId of the first
    job created (stable for the resource's life: updates never change it)."""

    kind = "LiveRecordJobSet"
    # Seconds between looks for the job of an ambiguous submit, and for how long (class attributes, so tests
    # can shorten them on an instance; never pickled).
    poll_interval = 1.0
    reconcile_seconds = 10.0

    def _reset(self) -> None:
        super()._reset()
        self._recent = _jobs.RecentJobs()  # per provider process, never pickled (see _jobs)

    def use_settings(self, settings: ProviderSettings) -> None:
        super().use_settings(settings)
        self._recent.forget()  # another service: forget what the old one said

    # --- check ---

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = check_job_set(news)
        return CheckResult(inputs, engine_failures(failures))

    # --- diff ---

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Per entry, never a replacement of the set: added, removed or changed keys (or a new template_id,
        which changes every entry) are an update; so are the provider-side settings."""
        behaviour = [key for key in SET_BEHAVIOUR_INPUTS if differs(olds.get(key), news.get(key))]
        changed = self._entry_changes(olds, news)
        # Changed or removed entries take a job out of the stack; added ones do not.
        leaving = sorted(key for key in changed if key in _state_entries(olds))
        if leaving:  # said at preview, where a reviewer reads it
            listed = ", ".join(leaving[:20]) + (
                f" (and {len(leaving) - 20} more)" if len(leaving) > 20 else ""
            )
            self.warn_of_update(
                f"{self.kind}: the jobs of entries {listed} leave the set (changed entries get a new job): "
                f"{KEEPS_RECORDING}"
            )
        return DiffResult(
            changes=bool(changed or behaviour),
            replaces=[],
            delete_before_replace=False,
        )

    def _entry_changes(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """The keys whose job must be submitted or forgotten (``["*"]`` when not known yet)."""
        entries, template_id = news.get("jobs"), news.get("template_id")
        if contains_unknown(entries) or is_unknown(template_id) or not isinstance(entries, list):
            return ["*"]
        state = _state_entries(olds)
        wanted = {str(entry["key"]): entry for entry in entries}
        changed = [key for key in state if key not in wanted]
        for key, entry in wanted.items():
            if key not in state or entry_differs(state[key], entry, template_id):
                changed.append(key)
        return changed

    # --- create ---

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs(JobSetInputs, props, "create")
        state = self._submit_entries(inputs, kept={}, operation="create")
        first = next(iter(state.values()), None)
        # The id only has to be unique and stable: the first JobId (or a timestamp for an empty set).
        id_ = f"jobset-{first['job_id']}" if first else f"jobset-empty-{time.time_ns()}"
        return CreateResult(id_, self._outputs(inputs, state))

    def _submit_entries(
        self,
        inputs: JobSetInputs,
        *,
        kept: Mapping[str, Mapping[str, Any]],
        operation: str,
    ) -> dict[str, dict[str, Any]]:
        """Submit (or adopt) a job for every entry not in ``kept``; the state of every entry, in entry order.

        On any failure, raises after all entries were tried, listing the jobs that were submitted (they run;
        the next create/update adopts them)."""
        template_id, entries = inputs["template_id"], inputs["jobs"]
        concurrency = int(inputs.get("concurrency") or DEFAULT_CONCURRENCY)
        to_submit = [entry for entry in entries if entry["key"] not in kept]
        client = self.client()
        outcomes: dict[str, _Outcome] = {}
        found: dict[str, LiveRecordJob] = {}
        if to_submit:
            try:
                recent = self._recent.leftovers(client)
            except IceError as exc:
                self.fail(f"{operation}", exc, during=_jobs.LOOKING_FOR_LEFTOVERS)
            # Jobs this process submitted for an earlier, failed operation are adoptable too.
            adoptable = [*recent, *self._recent.known()]
            claims = _jobs.Claims(adoptable, taken=(str(state["job_id"]) for state in kept.values()))
            found = {job.job_id: job for job in recent}

            def submit_entry(entry: JobSetEntry) -> _Outcome:
                return self._submit_one(client, claims, entry_job_inputs(entry, template_id), entry["key"])

            for outcome in _bounded_map(submit_entry, to_submit, concurrency):
                outcomes[outcome.key] = outcome
        failed = [outcome for outcome in outcomes.values() if outcome.error is not None]
        if failed:
            self._fail_partially(operation, failed, [o for o in outcomes.values() if o.error is None])
        self._warn_adopted(list(outcomes.values()))
        declared = {
            str(outcomes[entry["key"]].job_id): entry_job_inputs(entry, template_id) for entry in to_submit
        }
        jobs = self._jobs_after_submit(client, declared, found, concurrency)
        state: dict[str, dict[str, Any]] = {}
        for entry in entries:
            key = entry["key"]
            if key in kept:
                state[key] = dict(kept[key])
                continue
            outcome = outcomes[key]
            state[key] = _entry_state(key, jobs[str(outcome.job_id)], entry, template_id, outcome.origin)
        return state

    def _warn_adopted(self, outcomes: list[_Outcome]) -> None:
        recent = [o for o in outcomes if o.origin == _jobs.ORIGIN_ADOPTED_RECENT]
        if recent:
            self.warn(
                f"{self.kind}: adopted {len(recent)} job(s) submitted in the last {_jobs.RECENT_MINUTES} "
                "minutes with the same name, stream, output and template (probably by an earlier `pulumi up` "
                "that did not save them) instead of submitting second recordings of the same streams: "
                + ", ".join(f"{o.key}={o.job_id}" for o in recent)
                + f". {AFTER_AN_INTERRUPTED_UP}"
            )
        ambiguous = [o for o in outcomes if o.origin == _jobs.ORIGIN_ADOPTED_AFTER_AMBIGUOUS]
        if ambiguous:
            self.warn(
                f"{self.kind}: SubmitLiveRecordJob had an unknown outcome for {len(ambiguous)} job(s); they "
                "were submitted and are adopted: " + ", ".join(f"{o.key}={o.job_id}" for o in ambiguous)
            )

    def _submit_one(self, client: IceClient, claims: _jobs.Claims, wanted: JobRequest, key: str) -> _Outcome:
        job = claims.claim(wanted)
        if job is not None:
            return _Outcome(key, job.job_id, _jobs.ORIGIN_ADOPTED_RECENT)
        try:
            job_id, _ = _jobs.submit(client, wanted)
        except OutcomeUnknownError as exc:
            found, cut_short_by = _jobs.reconcile(
                client, wanted, claims, seconds=self.reconcile_seconds, poll_interval=self.poll_interval
            )
            if found is None:
                error = _jobs.not_found_after_unknown_submit(
                    exc, looked_for=self.reconcile_seconds, cut_short_by=cut_short_by
                )
                return _Outcome(key, error=error)
            return _Outcome(key, found.job_id, _jobs.ORIGIN_ADOPTED_AFTER_AMBIGUOUS)
        except IceError as exc:
            return _Outcome(key, error=self.describe(exc))
        self._recent.remember(_jobs.declared_job(job_id, wanted))
        return _Outcome(key, job_id, _jobs.ORIGIN_SUBMITTED)

    def _jobs_after_submit(
        self,
        client: IceClient,
        wanted: Mapping[str, JobRequest],
        found: dict[str, LiveRecordJob],
        concurrency: int,
    ) -> dict[str, LiveRecordJob]:
        """The jobs (JobId → the job's API inputs) as the service reports them: the recent jobs (status,
        create time, template name for up to 100 new jobs a page), then
        GetLiveRecordJob for any it did not show. A job that cannot be read is described from its declared
        inputs (status ``initial``) rather than lost: it was submitted and must reach the state."""
        if wanted.keys() - found.keys():
            with contextlib.suppress(IceError):  # on error: one Get per job below
                found.update(
                    {job.job_id: job for job in _jobs.list_recent_jobs(client) if job.job_id in wanted}
                )

        def get(job_id: str) -> LiveRecordJob:
            try:
                return client.get_live_record_job(job_id=job_id).record_job
            except IceError:
                return _jobs.declared_job(job_id, wanted[job_id])

        for job in _bounded_map(get, sorted(wanted.keys() - found.keys()), concurrency):
            found[job.job_id] = job
        return found

    def _fail_partially(self, operation: str, failed: list[_Outcome], done: list[_Outcome]) -> None:
        submitted = ", ".join(f"{o.key}={o.job_id}" for o in done) or "none"
        errors = "; ".join(f"{o.key}: {o.error}" for o in failed[:5])
        more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
        self.fail(
            operation,
            f"{len(failed)} of {len(failed) + len(done)} job(s) could not be submitted: {errors}{more}. "
            f"Jobs submitted or adopted, recording but not saved in the stack: {submitted}. Run `pulumi up` "
            f"again within {_jobs.RECENT_MINUTES} minutes: it adopts them instead of submitting them again",
        )

    # --- read ---

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """GetLiveRecordJob per entry (bounded concurrency); a vanished job leaves the set, so the next
        ``up`` submits its entry again."""
        olds = without_provider(props)
        state = _state_entries(olds)
        client = self.client()

        def get(key: str) -> tuple[str, LiveRecordJob | None]:
            job_id = str(state[key]["job_id"])
            try:
                return key, client.get_live_record_job(job_id=job_id).record_job
            except NotFoundError:
                return key, None
            except IceError as exc:
                self.fail(f"{key} ({job_id})", exc)

        concurrency = int(plain_int(olds.get("concurrency")) or DEFAULT_CONCURRENCY)
        fresh: dict[str, dict[str, Any]] = {}
        for key, job in _bounded_map(get, list(state), concurrency):
            if job is not None:
                old = state[key]
                fresh[key] = _entry_state(key, job, old, job.template_id, str(old.get("origin") or ""))
        outputs = self._outputs(olds, fresh)
        inputs = {key: outputs[key] for key in SET_INPUTS if key in outputs and key != "jobs"}
        inputs["jobs"] = [
            {field: entry[field] for field in ENTRY_FIELDS if entry.get(field) is not None}
            for entry in fresh.values()
        ]
        return ReadResult(id_, outputs, inputs=inputs)

    # --- update ---

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Submit a job for every added or changed entry (adopting identical recent ones), keep the others,
        and forget the jobs of removed and changed entries (they keep recording: a warning says so)."""
        inputs = self.inputs(JobSetInputs, news, "update")
        state = _state_entries(olds)
        kept = {
            entry["key"]: state[entry["key"]]
            for entry in inputs["jobs"]
            if entry["key"] in state and not entry_differs(state[entry["key"]], entry, inputs["template_id"])
        }
        new_state = self._submit_entries(inputs, kept=kept, operation="update")
        forgotten = {key: old for key, old in state.items() if key not in kept}
        if forgotten:
            self._warn_forgotten(forgotten)
        return UpdateResult(self._outputs(inputs, new_state))

    # --- delete ---

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        state = _state_entries(props)
        if state:
            self._warn_forgotten(state)
        if not props.get("delete_recordings_on_destroy") or not state:
            return
        job_ids = [str(entry["job_id"]) for entry in state.values()]
        created = min(
            (parse_api_time(entry.get("create_time")) for entry in state.values()),
            default=datetime.min.replace(tzinfo=timezone.utc),
        )
        try:
            count, failed = _jobs.delete_recordings(self.client(), job_ids, created)
        except IceError as exc:
            self.fail(id_, exc)
        if failed:
            self.fail(id_, failed)
        self.notice(f"{self.kind} {id_}: {_jobs.recordings_deleted(count, len(job_ids))}")

    def _warn_forgotten(self, state: Mapping[str, Mapping[str, Any]]) -> None:
        listed = ", ".join(f"{key}={entry.get('job_id')}" for key, entry in list(state.items())[:20])
        more = f" (and {len(state) - 20} more)" if len(state) > 20 else ""
        self.warn(
            f"{self.kind}: {len(state)} job(s) were removed from the stack, but {KEEPS_RECORDING}: "
            f"{listed}{more}"
        )

    # --- helpers ---

    @staticmethod
    def _outputs(inputs: Mapping[str, object], state: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """Every set-level input, ``jobs`` as key → entry state, and ``job_ids`` as key → JobId."""
        outputs = {key: inputs[key] for key in SET_INPUTS if key != "jobs" and inputs.get(key) is not None}
        outputs["jobs"] = {key: dict(entry) for key, entry in state.items()}
        outputs["job_ids"] = {key: entry["job_id"] for key, entry in state.items()}
        return outputs


def _entry_state(
    key: str, job: LiveRecordJob, declared: Mapping[str, object], template_id: object, origin: str
) -> dict[str, Any]:
    """One entry in state: what state keeps of its job, under its key."""
    values = {"key": key, **_jobs.job_outputs(job, declared, origin)}
    values.setdefault("template_id", template_id)
    return values


def _state_entries(outputs: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    jobs = outputs.get("jobs")
    if not isinstance(jobs, Mapping):
        return {}
    return {
        str(key): entry for key, entry in jobs.items() if isinstance(entry, Mapping) and entry.get("job_id")
    }


def plain_int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


__all__ = ["LiveRecordJobSetProvider"]
