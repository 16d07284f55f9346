"""Job callbacks: the IMS envelope, retries with backoff, a bounded queue, never blocking the caller."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from alibabacloud_ice20201109 import models as m

from pulumi_ims_record.local.callbacks import CallbackSender
from pulumi_ims_record.local.recorder import RecordedFile

from .conftest import RunningIms, sdk_client


class Receiver:
    """A loopback HTTP endpoint that records callback bodies; can fail the first N or hold requests."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []
        self.attempts = 0
        self.release = threading.Event()
        self.release.set()
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.release.wait(30)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.condition:
                    receiver.attempts += 1
                    failing = receiver.attempts <= receiver.failures
                    if not failing:
                        receiver.bodies.append(json.loads(body))
                    receiver.condition.notify_all()
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/imsnotify"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        with self.condition:
            assert self.condition.wait_for(lambda: len(self.bodies) >= count, timeout), self.bodies
            return list(self.bodies)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


def test_envelope_shape_and_retry_after_failures(receiver: Receiver) -> None:
    receiver.failures = 2
    sender = CallbackSender(user_id=42, initial_backoff=0.01, max_backoff=0.05)
    try:
        sender.send(receiver.url, "LiveRecordTaskStatus", {"JobId": "j", "Status": "started"})
        (body,) = receiver.wait_for(1)
    finally:
        sender.close()
    assert set(body) == {"EventType", "UserId", "EventTime", "MessageBody"}
    assert (body["EventType"], body["UserId"], body["MessageBody"]) == (
        "LiveRecordTaskStatus",
        42,
        {"JobId": "j", "Status": "started"},
    )
    assert body["EventTime"].endswith("Z")
    assert receiver.attempts == 3
    assert (sender.delivered, sender.failed) == (1, 0)


def test_gives_up_after_max_attempts() -> None:
    attempts: list[str] = []

    def refuse(url: str, payload: bytes, timeout: float) -> None:
        attempts.append(url)
        raise OSError("connection refused")

    sender = CallbackSender(max_attempts=3, initial_backoff=0.01, post=refuse)
    try:
        sender.send("http://127.0.0.1:9/x", "LiveRecordFileCreated", {})
        assert sender.wait_idle(30)
    finally:
        sender.close()
    assert (len(attempts), sender.failed, sender.delivered) == (3, 1, 0)


def test_send_never_blocks_and_the_queue_is_bounded(receiver: Receiver) -> None:
    receiver.release.clear()  # the endpoint hangs
    sender = CallbackSender(max_pending=3, initial_backoff=0.01)
    try:
        for index in range(10):
            sender.send(receiver.url, "LiveRecordTaskStatus", {"Index": index})
        # All ten calls returned while the endpoint hangs: one in flight, three queued, the rest dropped.
        assert sender.dropped >= 6
        receiver.release.set()
        assert sender.wait_idle(30)
    finally:
        sender.close()
    indexes = [body["MessageBody"]["Index"] for body in receiver.bodies]
    assert indexes[-3:] == [7, 8, 9]  # the newest events survive
    assert len(indexes) == 10 - sender.dropped


def test_server_posts_status_and_file_events_to_the_job_notify_url(
    server: RunningIms, receiver: Receiver
) -> None:
    client = sdk_client(server.port)
    job_id = client.submit_live_record_job(
        m.SubmitLiveRecordJobRequest(
            name="notified",
            stream_input=m.SubmitLiveRecordJobRequestStreamInput(type="rtmp", url="rtmp://127.0.0.1/live/n"),
            record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket="notify-bucket"),
            template_id="ims-system-m3u8",
            notify_url=receiver.url,
        )
    ).body.job_id
    server.backend.on_status(job_id, "started")
    from datetime import datetime, timezone

    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    server.backend.on_file(
        RecordedFile(job_id, "m3u8", f"record/{job_id}/0.m3u8", start, start, 12.5, 320, 240)
    )
    server.backend.on_gave_up(job_id)
    bodies = receiver.wait_for(4)
    kinds = sorted((b["EventType"], b["MessageBody"].get("Status", "")) for b in bodies)
    assert kinds == [
        ("LiveRecordFileCreated", ""),
        ("LiveRecordTaskStatus", "initial"),
        ("LiveRecordTaskStatus", "paused"),
        ("LiveRecordTaskStatus", "started"),
    ]
    file_event = next(b["MessageBody"] for b in bodies if b["EventType"] == "LiveRecordFileCreated")
    assert file_event["JobId"] == job_id
    assert file_event["Format"] == "m3u8"
    assert file_event["Duration"] == 12.5
    assert file_event["RecordUrl"] == f"{server.ims.endpoint}/_buckets/notify-bucket/record/{job_id}/0.m3u8"
    final = next(b["MessageBody"] for b in bodies if b["MessageBody"].get("Status") == "paused")
    assert final["GaveUp"] is True


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.2", "[::1]", "0.0.0.0"])
def test_a_notify_url_at_the_servers_own_admin_api_is_refused(server: RunningIms, host: str) -> None:
    # The callback would POST the admin API's /stats/reset: counters must survive, and nothing is sent.
    client = sdk_client(server.port)
    client.list_live_record_jobs(m.ListLiveRecordJobsRequest())
    job_id = client.submit_live_record_job(
        m.SubmitLiveRecordJobRequest(
            name="self-notify",
            stream_input=m.SubmitLiveRecordJobRequestStreamInput(type="rtmp", url="rtmp://127.0.0.1/live/n"),
            record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket="notify-bucket"),
            template_id="ims-system-m3u8",
            notify_url=f"http://{host}:{server.ims.admin_port}/stats/reset",
        )
    ).body.job_id
    server.backend.on_status(job_id, "started")
    callbacks = server.ims.callbacks
    assert callbacks is not None
    assert callbacks.wait_idle(30)
    assert (callbacks.refused, callbacks.delivered) == (2, 0)  # "initial" at submit, then "started"
    assert server.ims.stats.snapshot()["calls"] == {"ListLiveRecordJobs": 1, "SubmitLiveRecordJob": 1}


def test_redirects_are_not_followed(receiver: Receiver) -> None:
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", receiver.url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    bouncer = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=bouncer.serve_forever, daemon=True).start()
    sender = CallbackSender(max_attempts=2, initial_backoff=0.01)
    try:
        sender.send(f"http://127.0.0.1:{bouncer.server_address[1]}/hook", "LiveRecordTaskStatus", {})
        assert sender.wait_idle(30)
    finally:
        sender.close()
        bouncer.shutdown()
    assert (sender.failed, sender.delivered, receiver.attempts) == (1, 0, 0)
