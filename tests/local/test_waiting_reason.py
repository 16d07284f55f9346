"""Why a job is not recording, as its recorder knows it: the reason from ffmpeg's log of the failed pull,
since when, the next try and when it gives up, in ``ims-local jobs`` and ``/_health`` (the console shows the
same: ``test_console_browser.py``), gone once the stream comes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pytest
from alibabacloud_ice20201109 import models as m

from pulumi_ims_record.local.recorder import reason_without_data
from pulumi_ims_record.local.teststream import TestStream
from tests.conftest import LocalIms, wait_until
from tests.local.conftest_recording import recording_tools_missing

from .conftest import sdk_client
from .test_daily_commands import ims_local

# What ffmpeg 7 writes (-loglevel warning) when a pull fails, as seen here.
REFUSED_LOG = (
    "[tcp @ 0x556ccd70fcc0] Connection to tcp://127.0.0.1:1?tcp_nodelay=0 failed: Connection refused\n"
    "[rtmp @ 0x556ccd70f1c0] Cannot open connection tcp://127.0.0.1:1?tcp_nodelay=0\n"
    "rtmp://127.0.0.1:1/live/x?token=s3cret: Connection refused\n"
)
UNRESOLVED_LOG = (
    "[tcp @ 0x55e4321eccc0] Failed to resolve hostname no-such-host.invalid: Name or service not known\n"
    "rtmp://no-such-host.invalid/live/x?token=s3cret: Input/output error\n"
)
NO_DATA_LOG = "rtmp://127.0.0.1:42277/live/nobody?token=s3cret: Input/output error\n"


@pytest.mark.parametrize(
    ("url", "log", "tried_for", "said"),
    [
        (
            "rtmp://127.0.0.1:1/live/x?token=s3cret",
            REFUSED_LOG,
            0.1,
            "no stream at rtmp://127.0.0.1:1/live/x?…: nothing listens at 127.0.0.1:1 (connection refused)",
        ),
        (
            "rtmp://user:pw@no-such-host.invalid/live/x?token=s3cret",
            UNRESOLVED_LOG,
            0.1,
            "no stream at rtmp://…@no-such-host.invalid/live/x?…: "
            "the host name no-such-host.invalid does not resolve",
        ),
        (
            "rtmp://127.0.0.1:42277/live/nobody?token=s3cret",
            NO_DATA_LOG,
            5.4,
            "no stream at rtmp://127.0.0.1:42277/live/nobody?…: the server sent nothing for 5 s (nothing is "
            "publishing to it yet?)",
        ),
        (  # answered at once with an error (nginx-rtmp: no such application)
            "rtmp://127.0.0.1:42277/other/x?token=s3cret",
            "rtmp://127.0.0.1:42277/other/x?token=s3cret: Input/output error\n",
            0.1,
            "no stream at rtmp://127.0.0.1:42277/other/x?…: the server refused it (ffmpeg: "
            "rtmp://127.0.0.1:42277/other/x?…: Input/output error)",
        ),
        (
            "http://127.0.0.1:8080/live/x.flv",
            "",
            0.2,
            "no stream at http://127.0.0.1:8080/live/x.flv: ffmpeg ended after 0.2 s without a word",
        ),
    ],
)
def test_the_reason_is_one_sentence_without_the_stream_token(
    url: str, log: str, tried_for: float, said: str
) -> None:
    assert reason_without_data(url, log, tried_for=tried_for, connect_timeout=5.0) == said


def jobs_listing(ims: LocalIms, *, saying: str | None = None, not_saying: str | None = None) -> str | None:
    """``ims-local jobs``'s output, or None while it does not (or still does) say the given text."""
    listed = ims_local(ims, "jobs")
    assert listed.returncode == 0, listed.stderr
    if (saying and saying not in listed.stdout) or (not_saying and not_saying in listed.stdout):
        return None
    return listed.stdout


def status_and_recording(listing: str, job_id: str) -> list[str]:
    """The STATUS and RECORDING columns of the job's row in ``ims-local jobs``."""
    row = next(line for line in listing.splitlines() if line.startswith(job_id))
    return row.split()[2:4]


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


@pytest.mark.recording
@pytest.mark.skipif(recording_tools_missing() is not None, reason=str(recording_tools_missing()))
def test_a_stream_without_a_publisher_is_named_until_it_comes(start_local_ims: Any) -> None:
    stream = TestStream(name="later", size="320x180")
    stream.start_server()  # the RTMP server answers; nothing publishes yet
    try:
        ims: LocalIms = start_local_ims(["--pull-timeout", "120"])
        job_id = (
            sdk_client(int(ims.endpoint.rsplit(":", 1)[1]))
            .submit_live_record_job(
                m.SubmitLiveRecordJobRequest(
                    name="waits",
                    stream_input=m.SubmitLiveRecordJobRequestStreamInput(
                        type="rtmp", url=f"{stream.url}?token=s3cret"
                    ),
                    record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket="waits"),
                    template_id="ims-system-m3u8",
                )
            )
            .body.job_id
        )

        listing = wait_until(
            lambda: jobs_listing(ims, saying="the server sent nothing"),
            timeout=60,
            interval=0.5,
            message="ims-local jobs to say why the job is not recording",
        )
        assert status_and_recording(listing, job_id) == ["initial", "waiting"], listing
        why = re.search(
            rf"^  {job_id}: no stream at rtmp://127\.0\.0\.1:{stream.port}/live/later\?…: "
            r"the server sent nothing for 5 s \(nothing is publishing to it yet\?\); "
            r"since (\S+), (?:next try at \S+|trying now), gives up at (\S+)$",
            listing,
            re.MULTILINE,
        )
        assert why is not None, listing
        assert seconds_between(why[1], why[2]) == pytest.approx(120, abs=1)  # --pull-timeout from the start
        assert "s3cret" not in listing

        health = httpx.get(f"{ims.endpoint}/_health", timeout=30).json()
        [waiting] = health["waitingForStream"]
        assert waiting["jobId"] == job_id and "the server sent nothing for 5 s" in waiting["reason"], health
        assert (waiting["since"], waiting["givesUpAt"]) == (why[1], why[2])

        stream.restart_publisher()
        recording = wait_until(
            lambda: jobs_listing(ims, not_saying="not recording"),
            timeout=60,
            interval=0.5,
            message="the reason to go once the stream comes",
        )
        assert status_and_recording(recording, job_id) == ["started", "yes"], recording
        assert httpx.get(f"{ims.endpoint}/_health", timeout=30).json()["waitingForStream"] == []
    finally:
        stream.stop()
