"""The size limit with a live stream: a small --max-data-size, 10 s cycles of a test stream; the oldest
recordings are deleted (and logged), the recording in progress goes on, and the newest file plays."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from alibabacloud_ice20201109 import models as m

from pulumi_ims_record.local import storage
from pulumi_ims_record.local.media import probe
from pulumi_ims_record.local.teststream import TestStream
from tests.conftest import wait_until
from tests.local.conftest_recording import SHORT_HLS, recording_tools_missing

from .conftest import sdk_client, sdk_record_formats

pytestmark = [
    pytest.mark.recording,
    pytest.mark.skipif(recording_tools_missing() is not None, reason=str(recording_tools_missing())),
]

LIMIT = 4 * 2**20  # room for a few 10 s cycles of a 320x180 stream, the database and the work files
FORMAT = SHORT_HLS


def key_of(record: Any) -> str:
    """The object key of a listed file (its RecordUrl is ``…/_buckets/limits/<key>``)."""
    return unquote(urlsplit(record.record_url).path.split("/_buckets/limits/", 1)[1])


@pytest.fixture
def stream() -> Iterator[TestStream]:
    with TestStream(name="limits", size="320x180", rate=25, keyframe_seconds=2.0) as test_stream:
        yield test_stream


def test_a_small_size_limit_deletes_the_oldest_recordings_and_keeps_the_newest_playable(
    start_local_ims: Any, stream: TestStream
) -> None:
    ims = start_local_ims(["--max-data-size", str(LIMIT), "--limit-check-interval", "1"])
    client = sdk_client(int(urlsplit(ims.endpoint).port or 0))
    template_id = client.create_live_record_template(
        m.CreateLiveRecordTemplateRequest(name="limits", record_format=sdk_record_formats(FORMAT))
    ).body.template_id
    job_id = client.submit_live_record_job(
        m.SubmitLiveRecordJobRequest(
            name="limited",
            stream_input=m.SubmitLiveRecordJobRequestStreamInput(type="rtmp", url=stream.url),
            record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket="limits"),
            template_id=template_id,
        )
    ).body.job_id

    def listed() -> list[Any]:
        body = client.list_live_record_files(
            m.ListLiveRecordFilesRequest(job_ids=[job_id], page_size=30)
        ).body
        return list(body.files or [])

    first = wait_until(listed, timeout=90, interval=0.5, message="the first finished playlist")[0]
    # What the server counts against the limit (and shows in /_health and the console) is what du counts: a
    # slice hard-linked from the recorder's work folder into the bucket once, give or take what is written
    # between the two looks.
    reported = httpx.get(f"{ims.endpoint}/_health", timeout=30).json()["diskUsedBytes"]
    counted = int(
        subprocess.run(["du", "-sb", str(ims.data_dir)], capture_output=True, text=True).stdout.split()[0]
    )
    assert abs(reported - counted) <= 0.05 * counted, (reported, counted)
    wait_until(
        lambda: "deleted the m3u8 recording" in ims.log_path.read_text(),
        timeout=240,
        interval=1.0,
        message="the size limit to delete a recording",
    )
    remaining = wait_until(listed, timeout=60, interval=0.5, message="recordings after the deletion")
    assert first.record_id not in {record.record_id for record in remaining}  # the oldest went first
    first_path = ims.data_dir / "buckets" / "limits" / urlsplit(first.record_url).path.split("/limits/", 1)[1]
    assert not first_path.exists()
    log = ims.log_path.read_text()
    assert (
        f"deleted the m3u8 recording limits/{urlsplit(first.record_url).path.split('/limits/', 1)[1]}" in log
    )
    assert "the data directory is over --max-data-size" in log

    newest = max(remaining, key=lambda record: record.start_time)
    duration, width, height = probe(
        ims.data_dir / "buckets" / "limits" / newest.record_url.split("/limits/", 1)[1]
    )
    assert (width, height) == (320, 180) and duration > 5
    job = client.get_live_record_job(m.GetLiveRecordJobRequest(job_id=job_id)).body.record_job
    assert job.status == "started"  # the recording goes on
    # Within the limit, give or take what is being recorded since the last pass.
    assert storage.directory_size(ims.data_dir) <= LIMIT + 2 * 2**20
