"""destroy with real recordings: the template goes, recordings stay unless the job opted in, and the user is
warned that the jobs keep recording (IMS has no API to stop one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_ims_record.ice import IceClient, LiveRecordFile, NotFoundError
from pulumi_ims_record.local.teststream import TestStream
from tests.conftest import wait_until

from .conftest import Engine
from .programs import Deployment, Format

pytestmark = pytest.mark.recording


def files_of(client: IceClient, job_id: str) -> list[LiveRecordFile]:
    return list(client.iter_live_record_files(job_ids=[job_id]))


def object_path(engine: Engine, bucket: str, file: LiveRecordFile) -> Path:
    assert file.record_url, file
    key = file.record_url.split(f"/_buckets/{bucket}/", 1)[1]
    return engine.ims.data_dir / "buckets" / bucket / key


def test_destroy_deletes_the_template_keeps_recordings_unless_opted_in_and_warns(engine: Engine) -> None:
    with TestStream(name="destroy") as stream:
        short_cycles = (Format(slice_duration=5, cycle_duration=5),)
        kept = Deployment(jobs={"kept": stream.url}, formats=short_cycles)
        deleted = Deployment(
            jobs={"deleted": stream.url}, formats=short_cycles, delete_recordings_on_destroy=True
        )
        stacks = {"kept": engine.stack(kept.program()), "deleted": engine.stack(deleted.program())}
        outputs = {name: stack.up().outputs for name, stack in stacks.items()}
        job_ids = {name: outputs[name]["job_ids"].value[name] for name in stacks}

        with engine.client() as client:
            recorded = {
                name: wait_until(
                    lambda job_id=job_id: files_of(client, job_id),
                    timeout=120,
                    interval=1,
                    message=f"a recording of job {name}",
                )
                for name, job_id in job_ids.items()
            }
            for name, files in recorded.items():
                assert all(object_path(engine, kept.bucket, item).is_file() for item in files), name
            engine.ims.reset_stats()

            results = {name: stack.destroy() for name, stack in stacks.items()}

            assert engine.ims.stats().get("DeleteLiveRecordTemplate") == 2, engine.ims.stats()
            for name, result in results.items():
                assert "keeps recording" in result.stdout, result.stdout
                with pytest.raises(NotFoundError):
                    client.get_live_record_template(template_id=outputs[name]["template_id"].value)
            # Destroy forgets the jobs; the service still runs them.
            assert {job.job_id for job in engine.jobs()} == set(job_ids.values())

            kept_now = {item.record_id for item in files_of(client, job_ids["kept"])}
            assert {item.record_id for item in recorded["kept"]} <= kept_now
            assert all(object_path(engine, kept.bucket, item).is_file() for item in recorded["kept"])

            # The opted-in job's recordings are gone (it keeps recording, so later files may appear).
            deleted_now = {item.record_id for item in files_of(client, job_ids["deleted"])}
            assert not {item.record_id for item in recorded["deleted"]} & deleted_now
            assert not any(object_path(engine, deleted.bucket, item).exists() for item in recorded["deleted"])
