"""The client's requests equal the official SDK's, captured for real on a loopback server.

For each of the ten operations the official ``alibabacloud_ice20201109`` client sends a request to a
127.0.0.1 server that records it; ``IceClient`` then sends the same call (same date and nonce, same
User-Agent) to a MockTransport. Method, path, query parameters, body bytes and every header the SDK signs
must match (except the SDK's own ``x-acs-credentials-provider`` telemetry header), and the SDK's signer must
produce our Authorization.
"""

from __future__ import annotations

import calendar
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from alibabacloud_ice20201109 import models as sdk
from alibabacloud_ice20201109.client import Client as SdkClient
from alibabacloud_tea_openapi.models import Config
from alibabacloud_tea_openapi.utils import Utils as SdkUtils

from pulumi_ims_record.ice import Credentials, IceClient, RecordFormat, RecordOutput, StreamInput

from .conftest import Recorder

AK, SK = "parity-key-id", "parity-key-secret"

ANSWERS: dict[str, dict[str, Any]] = {
    "SubmitLiveRecordJob": {"RequestId": "R", "JobId": "J"},
    "GetLiveRecordJob": {"RequestId": "R", "RecordJob": {"JobId": "J"}},
    "ListLiveRecordJobs": {"RequestId": "R", "LiveRecordJobs": []},
    "ListLiveRecordFiles": {"RequestId": "R", "Files": []},
    "DeleteLiveRecordFiles": {"RequestId": "R", "DeleteFileInfoList": []},
    "CreateLiveRecordTemplate": {"RequestId": "R", "TemplateId": "T"},
    "GetLiveRecordTemplate": {"RequestId": "R", "RecordTemplate": {"TemplateId": "T"}},
    "UpdateLiveRecordTemplate": {"RequestId": "R"},
    "DeleteLiveRecordTemplate": {"RequestId": "R"},
    "ListLiveRecordTemplates": {"RequestId": "R", "RecordTemplateList": []},
}


class _Capture(BaseHTTPRequestHandler):
    captured: list[tuple[str, str, dict[str, str], bytes]]

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.captured.append((self.command, self.path, headers, body))  # type: ignore[attr-defined]
        answer = json.dumps(ANSWERS[headers["x-acs-action"]]).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def sdk_capture() -> Iterator[tuple[SdkClient, list[tuple[str, str, dict[str, str], bytes]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    server.captured = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = Config(
        access_key_id=AK,
        access_key_secret=SK,
        endpoint=f"127.0.0.1:{server.server_address[1]}",
        protocol="HTTP",
    )
    try:
        yield SdkClient(config), server.captured  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


FORMATS_SDK = [
    dict(
        format="m3u8",
        oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
        slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
        slice_duration=30,
        cycle_duration=3600,
    ),
    dict(format="mp4", oss_object_prefix="录制/{JobId}/{StartTime}_{EndTime}", cycle_duration=7200),
]
FORMATS = [RecordFormat(**f) for f in FORMATS_SDK]  # type: ignore[arg-type]

# (operation, SDK call, IceClient call) - the same arguments on both sides, with unicode, spaces, * ~ + /.
CASES: list[tuple[str, Callable[[SdkClient], Any], Callable[[IceClient], Any]]] = [
    (
        "SubmitLiveRecordJob",
        lambda c: c.submit_live_record_job(
            sdk.SubmitLiveRecordJobRequest(
                name="直播 record *1~+/",
                notify_url="https://example.com/imsnotify?a=1&b=2",
                stream_input=sdk.SubmitLiveRecordJobRequestStreamInput(
                    type="rtmp", url="rtmp://example.com/live/s 1"
                ),
                record_output=sdk.SubmitLiveRecordJobRequestRecordOutput(
                    type="oss", bucket="imsbucket1", endpoint="oss-cn-shanghai.aliyuncs.com"
                ),
                template_id="69e1f9fe-1e97-11ed-ba64-0c42a1b73d66",
            )
        ),
        lambda c: c.submit_live_record_job(
            name="直播 record *1~+/",
            notify_url="https://example.com/imsnotify?a=1&b=2",
            stream_input=StreamInput(url="rtmp://example.com/live/s 1"),
            record_output=RecordOutput(bucket="imsbucket1", endpoint="oss-cn-shanghai.aliyuncs.com"),
            template_id="69e1f9fe-1e97-11ed-ba64-0c42a1b73d66",
        ),
    ),
    (
        "GetLiveRecordJob",
        lambda c: c.get_live_record_job(sdk.GetLiveRecordJobRequest(job_id="job-1")),
        lambda c: c.get_live_record_job(job_id="job-1"),
    ),
    (
        "ListLiveRecordJobs",
        lambda c: c.list_live_record_jobs(
            sdk.ListLiveRecordJobsRequest(
                keyword="a b*c~",
                start_time="2024-01-01T00:00:00Z",
                end_time="2024-01-02T00:00:00Z",
                status="started",
                page_no=1,
                page_size=20,
                sort_by="desc",
            )
        ),
        lambda c: c.list_live_record_jobs(
            keyword="a b*c~",
            start_time="2024-01-01T00:00:00Z",
            end_time="2024-01-02T00:00:00Z",
            status="started",
            page_no=1,
            page_size=20,
            sort_by="desc",
        ),
    ),
    (
        "ListLiveRecordFiles",
        lambda c: c.list_live_record_files(
            sdk.ListLiveRecordFilesRequest(
                job_ids=["j1", "j 2"],
                start_time="2024-01-01T00:00:00Z",
                end_time="2024-01-02T00:00:00Z",
                page_no=2,
                page_size=10,
                sort_by="asc",
                record_format="m3u8",
            )
        ),
        lambda c: c.list_live_record_files(
            job_ids=["j1", "j 2"],
            start_time="2024-01-01T00:00:00Z",
            end_time="2024-01-02T00:00:00Z",
            page_no=2,
            page_size=10,
            sort_by="asc",
            record_format="m3u8",
        ),
    ),
    (
        "DeleteLiveRecordFiles",
        lambda c: c.delete_live_record_files(
            sdk.DeleteLiveRecordFilesRequest(record_ids=["r1", "r2"], remove_file=True)
        ),
        lambda c: c.delete_live_record_files(record_ids=["r1", "r2"], remove_file=True),
    ),
    (
        "CreateLiveRecordTemplate",
        lambda c: c.create_live_record_template(
            sdk.CreateLiveRecordTemplateRequest(
                name="test template",
                record_format=[sdk.CreateLiveRecordTemplateRequestRecordFormat(**f) for f in FORMATS_SDK],
            )
        ),
        lambda c: c.create_live_record_template(name="test template", record_formats=FORMATS),
    ),
    (
        "GetLiveRecordTemplate",
        lambda c: c.get_live_record_template(
            sdk.GetLiveRecordTemplateRequest(template_id="tpl-1", job_id="job-1")
        ),
        lambda c: c.get_live_record_template(template_id="tpl-1", job_id="job-1"),
    ),
    (
        "UpdateLiveRecordTemplate",
        lambda c: c.update_live_record_template(
            sdk.UpdateLiveRecordTemplateRequest(
                template_id="tpl-1",
                name="renamed",
                record_format=[sdk.UpdateLiveRecordTemplateRequestRecordFormat(**f) for f in FORMATS_SDK],
            )
        ),
        lambda c: c.update_live_record_template(template_id="tpl-1", name="renamed", record_formats=FORMATS),
    ),
    (
        "DeleteLiveRecordTemplate",
        lambda c: c.delete_live_record_template(sdk.DeleteLiveRecordTemplateRequest(template_id="tpl-1")),
        lambda c: c.delete_live_record_template(template_id="tpl-1"),
    ),
    (
        "ListLiveRecordTemplates",
        lambda c: c.list_live_record_templates(
            sdk.ListLiveRecordTemplatesRequest(
                keyword="x",
                type="custom",
                template_ids=["t1", "t 2*~"],
                page_no=1,
                page_size=10,
                sort_by="asc",
            )
        ),
        lambda c: c.list_live_record_templates(
            keyword="x", type="custom", template_ids=["t1", "t 2*~"], page_no=1, page_size=10, sort_by="asc"
        ),
    ),
]


@pytest.mark.parametrize(("action", "sdk_call", "our_call"), CASES, ids=[case[0] for case in CASES])
def test_request_equals_the_official_sdk(
    sdk_capture: tuple[SdkClient, list[tuple[str, str, dict[str, str], bytes]]],
    action: str,
    sdk_call: Callable[[SdkClient], Any],
    our_call: Callable[[IceClient], Any],
) -> None:
    sdk_client, captured = sdk_capture
    captured.clear()
    sdk_call(sdk_client)
    [(sdk_method, sdk_path, sdk_headers, sdk_body)] = captured
    assert sdk_headers["x-acs-action"] == action

    recorder = Recorder(default=httpx.Response(200, json=ANSWERS[action]))
    sdk_date = calendar.timegm(time.strptime(sdk_headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ"))
    with IceClient(
        endpoint=f"http://{sdk_headers['host']}",
        credentials=Credentials(AK, SK),
        transport=recorder.transport,
        user_agent=sdk_headers["user-agent"],
        now=lambda: float(sdk_date),
        nonce=lambda: sdk_headers["x-acs-signature-nonce"],
    ) as client:
        our_call(client)
    [ours] = recorder.requests

    assert ours.method == sdk_method
    assert ours.url.path == urlsplit(sdk_path).path == "/"
    sdk_query = parse_qsl(urlsplit(sdk_path).query, keep_blank_values=True)
    our_query = parse_qsl(ours.url.query.decode(), keep_blank_values=True)
    assert sorted(our_query) == sorted(sdk_query)
    assert ours.content == sdk_body
    sdk_signed = sdk_headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    for name in sdk_signed:
        if name != "x-acs-credentials-provider":
            assert ours.headers.get(name) == sdk_headers[name], name
    # The official signer, given what we sent, computes our Authorization.
    our_signed = {
        name: value
        for name, value in ours.headers.items()
        if name in ours.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    }
    request = SimpleNamespace(method=ours.method, pathname="/", query=dict(our_query), headers=our_signed)
    assert ours.headers["authorization"] == SdkUtils.get_authorization(
        request, "ACS3-HMAC-SHA256", our_signed["x-acs-content-sha256"], AK, SK
    )
