"""Prototype: ``LiveRecordJobSet``, one dynamic resource that manages a set of recording jobs.

Why: the Python dynamic provider serves every resource from 4 gRPC worker threads, so ``up`` of N per-job
resources against an API with latency L takes at least N / 4 × (round trips per create) × L. One resource
holding N jobs is one engine step; inside it the provider runs its own bounded pool (``CONCURRENCY``) and
replaces the per-job adoption lookups (one ListLiveRecordJobs by name per job) and the read-back
(GetLiveRecordJob per job) with one listing of the recent jobs before submitting.

Prototype scope: create (adopting identical jobs submitted in the last 10 minutes, like the per-job
resource), read, delete (the API cannot stop a job: forget it, as the per-job resource does); any change to
the set replaces it. A product version would diff per job in ``update`` so one changed job does not replace
the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CreateResult, DiffResult, ReadResult

from pulumi_ims_record.ice import LiveRecordJob, NotFoundError, RecordOutput, StreamInput
from pulumi_ims_record.provider._base import ProviderBase

CONCURRENCY = 16
RECENT_WINDOW = timedelta(minutes=10)
CLOCK_SKEW = timedelta(minutes=2)


def _key(name: str, url: str, bucket: str | None, template_id: str) -> tuple[str, str, str | None, str]:
    return (name, url, bucket, template_id)


class LiveRecordJobSetProvider(ProviderBase):
    kind = "LiveRecordJobSet"

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in ("jobs", "template_id") if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client()
        template_id = str(props["template_id"])
        wanted: list[Mapping[str, Any]] = list(props["jobs"])
        now = datetime.now(timezone.utc)
        recent: dict[tuple[str, str, str | None, str], LiveRecordJob] = {}
        for job in client.iter_live_record_jobs(
            start_time=now - RECENT_WINDOW, end_time=now + CLOCK_SKEW, page_size=100
        ):
            recent.setdefault(
                _key(job.name, job.stream_input.url, job.record_output.bucket, job.template_id), job
            )

        def ensure(spec: Mapping[str, Any]) -> dict[str, Any]:
            url, bucket = spec["stream_input"]["url"], spec["record_output"].get("bucket")
            found = recent.get(_key(spec["name"], url, bucket, template_id))
            if found is not None:
                return {"name": spec["name"], "job_id": found.job_id, "adopted": True}
            job_id = client.submit_live_record_job(
                name=spec["name"],
                stream_input=StreamInput(url=url, type=spec["stream_input"].get("type") or "rtmp"),
                record_output=RecordOutput(bucket=bucket, endpoint=spec["record_output"].get("endpoint")),
                template_id=template_id,
            ).job_id
            return {"name": spec["name"], "job_id": job_id, "adopted": False}

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            created = list(pool.map(ensure, wanted))
        outputs = {key: value for key, value in props.items() if key != "__provider"}
        outputs["job_ids"] = created
        return CreateResult(f"jobset-{created[0]['job_id'] if created else 'empty'}", outputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = self.client()

        def exists(entry: Mapping[str, Any]) -> bool:
            try:
                client.get_live_record_job(job_id=entry["job_id"])
            except NotFoundError:
                return False
            return True

        entries = list(props.get("job_ids") or [])
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            alive = [entry for entry, ok in zip(entries, pool.map(exists, entries), strict=True) if ok]
        outputs = {key: value for key, value in props.items() if key != "__provider"}
        outputs["job_ids"] = alive
        return ReadResult(id_, outputs)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None  # IMS has no API to stop a job; like LiveRecordJob, destroy forgets the jobs


class LiveRecordJobSet(pulumi.dynamic.Resource, module="bench", name="LiveRecordJobSet"):
    def __init__(
        self, resource_name: str, *, jobs: list[dict[str, Any]], template_id: pulumi.Input[str]
    ) -> None:
        props = {"jobs": jobs, "template_id": template_id, "job_ids": None}
        super().__init__(LiveRecordJobSetProvider(), resource_name, props, None)
