"""The whole local IMS killed with SIGKILL while it records a live stream, then restarted on the same data.

Issue 3's promise: templates, jobs and finished files are all listed after the restart, every playlist is
valid, and the job that was recording resumes pulling (new files appear). Driven with the official SDK.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from alibabacloud_ice20201109 import models as m

from pulumi_ims_record.local.media import probe
from pulumi_ims_record.local.teststream import TestStream
from tests.conftest import wait_until
from tests.local.conftest_recording import playlist_entries, recording_tools_missing

from .conftest import sdk_client, sdk_record_formats

pytestmark = [
    pytest.mark.recording,
    pytest.mark.skipif(recording_tools_missing() is not None, reason=str(recording_tools_missing())),
]

BUCKET = "crash-bucket"
CYCLE = 10
FORMATS = (
    {
        "Format": "m3u8",
        "OssObjectPrefix": "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
        "SliceOssObjectPrefix": "record/{JobId}/{UnixTimestamp}_{Sequence}",
        "SliceDuration": 5,
        "CycleDuration": CYCLE,
    },
    {
        "Format": "mp4",
        "OssObjectPrefix": "record/{JobId}/{Sequence}_{StartTime}_{EndTime}",
        "CycleDuration": CYCLE,
    },
)


@pytest.fixture
def stream() -> Iterator[TestStream]:
    with TestStream(name="crash", size="320x180", rate=25, keyframe_seconds=2.0) as test_stream:
        yield test_stream


def port_of(endpoint: str) -> int:
    port = urlsplit(endpoint).port
    assert port is not None
    return port


def listed_files(client: Any, job_id: str) -> list[Any]:
    body = client.list_live_record_files(m.ListLiveRecordFilesRequest(job_ids=[job_id], page_size=30)).body
    return list(body.files or [])


def bucket_path(data_dir: Path, record_url: str) -> Path:
    """The file behind a RecordUrl (``http://HOST:PORT/_buckets/<bucket>/<key>``)."""
    path = urlsplit(record_url).path
    prefix = f"/_buckets/{BUCKET}/"
    assert path.startswith(prefix), record_url
    return data_dir / "buckets" / BUCKET / path[len(prefix) :]


def assert_playable(data_dir: Path, record: Any) -> None:
    path = bucket_path(data_dir, record.record_url)
    assert path.is_file(), f"{record.record_url} is listed but not in the bucket"
    if record.format == "m3u8":
        text = path.read_text()
        assert text.startswith("#EXTM3U") and text.rstrip().endswith("#EXT-X-ENDLIST")
        entries = playlist_entries(path)
        assert entries and all(slice_path.is_file() for _, slice_path in entries)
    duration, width, height = probe(path)
    assert (width, height) == (320, 180)
    assert duration == pytest.approx(float(record.duration), abs=0.5)


def test_kill_9_while_recording_then_restart_lists_everything_and_resumes(
    start_local_ims: Any, stream: TestStream
) -> None:
    first = start_local_ims(["--pull-timeout", "60"])
    client = sdk_client(port_of(first.endpoint))
    template_id = client.create_live_record_template(
        m.CreateLiveRecordTemplateRequest(name="crash", record_format=sdk_record_formats(*FORMATS))
    ).body.template_id
    job_id = client.submit_live_record_job(
        m.SubmitLiveRecordJobRequest(
            name="crash job",
            stream_input=m.SubmitLiveRecordJobRequestStreamInput(type="rtmp", url=stream.url),
            record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket=BUCKET),
            template_id=template_id,
        )
    ).body.job_id
    # At least one whole cycle of both formats is finished before the crash.
    before = wait_until(
        lambda: (
            (files := listed_files(client, job_id)) and {f.format for f in files} == {"m3u8", "mp4"} and files
        ),
        timeout=90,
        interval=0.5,
        message="a finished m3u8 and mp4 before the crash",
    )

    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=30)
    first.stop()

    second = start_local_ims()  # the same data directory
    client = sdk_client(port_of(second.endpoint))
    template = client.get_live_record_template(m.GetLiveRecordTemplateRequest(template_id=template_id)).body
    assert template.record_template.name == "crash"
    job = client.get_live_record_job(m.GetLiveRecordJobRequest(job_id=job_id)).body.record_job
    assert (job.name, job.template_id) == ("crash job", template_id)

    after_restart = listed_files(client, job_id)
    assert {f.record_id for f in before} <= {f.record_id for f in after_restart}, "a finished file was lost"
    for record in after_restart:
        assert_playable(second.data_dir, record)

    # The job that was recording resumes pulling: it reports `started` and finishes new files.
    wait_until(
        lambda: (
            client.get_live_record_job(m.GetLiveRecordJobRequest(job_id=job_id)).body.record_job.status
            == "started"
        ),
        timeout=60,
        interval=0.5,
        message="the job to record again after the restart",
    )
    resumed = wait_until(
        lambda: [
            f for f in listed_files(client, job_id) if f.record_id not in {r.record_id for r in after_restart}
        ],
        timeout=90,
        interval=0.5,
        message="a file finished after the restart",
    )
    for record in resumed:
        assert_playable(second.data_dir, record)
