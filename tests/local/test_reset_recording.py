"""Reset while a job records a live stream: the recorder is stopped before anything is deleted, so no ffmpeg
is left writing into the data directory, nothing reappears afterwards, and the server records again."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from alibabacloud_ice20201109 import models as m

from pulumi_ims_record.local.teststream import TestStream
from tests.conftest import wait_until
from tests.local.conftest_recording import recording_tools_missing

from .conftest import sdk_client

pytestmark = [
    pytest.mark.recording,
    pytest.mark.skipif(recording_tools_missing() is not None, reason=str(recording_tools_missing())),
]


@pytest.fixture
def stream() -> Iterator[TestStream]:
    with TestStream(name="reset", size="320x180", rate=25, keyframe_seconds=2.0) as test_stream:
        yield test_stream


def recorders_writing_into(directory: Path) -> list[int]:
    """Processes (the recorders' ffmpeg) whose command line names a path inside ``directory``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if str(directory).encode() in command and b"ffmpeg" in command.split(b"\0")[0]:
            found.append(int(entry))
    return found


def submit(client: Any, url: str) -> str:
    return str(
        client.submit_live_record_job(
            m.SubmitLiveRecordJobRequest(
                name="reset job",
                stream_input=m.SubmitLiveRecordJobRequestStreamInput(type="rtmp", url=url),
                record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket="reset"),
                template_id="ims-system-m3u8",
            )
        ).body.job_id
    )


def wait_recording(client: Any, job_id: str, message: str) -> None:
    request = m.GetLiveRecordJobRequest(job_id=job_id)
    wait_until(
        lambda: client.get_live_record_job(request).body.record_job.status == "started",
        timeout=60,
        interval=0.3,
        message=message,
    )


def test_reset_while_recording_stops_the_recorder_first_and_records_again(
    start_local_ims: Any, stream: TestStream
) -> None:
    ims = start_local_ims()
    client = sdk_client(int(urlsplit(ims.endpoint).port or 0))
    job_id = submit(client, stream.url)
    wait_recording(client, job_id, "the job to record")
    segments = ims.data_dir / "work" / job_id / "segments"
    wait_until(lambda: any(segments.glob("*.ts")), timeout=60, message="ffmpeg writing segments")
    assert recorders_writing_into(ims.data_dir)

    answer = httpx.post(f"{ims.admin}/reset", params={"confirm": "yes"}, timeout=60)
    assert answer.json() == {"deleted_jobs": 1}
    assert recorders_writing_into(ims.data_dir) == []  # stopped before the deletion, not after
    time.sleep(3)  # what a recorder still running would write meanwhile
    assert not (ims.data_dir / "buckets").exists() and not (ims.data_dir / "work").exists()
    assert client.list_live_record_jobs(m.ListLiveRecordJobsRequest()).body.total_count == 0
    health = httpx.get(f"{ims.endpoint}/_health", timeout=30).json()
    assert (health["jobs"], health["recordersRunning"]) == ({}, 0)

    again = submit(client, stream.url)  # a reset server records as a new one
    wait_recording(client, again, "a new job to record after the reset")
