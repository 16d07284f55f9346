"""The request log: one INFO line per request on the API port, with what a person reading a log needs and no
secret; ``--log-format json`` gives one object per line."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from alibabacloud_ice20201109 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from pulumi_ims_record.local._logging import REQUEST_LOGGER, JsonFormatter
from tests.conftest import LocalIms

from .conftest import DEFAULT_KEY_ID, DEFAULT_SECRET, RunningIms, sdk_client


def request_fields(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [record.request for record in caplog.records if record.name == REQUEST_LOGGER]  # type: ignore[attr-defined]


def test_one_line_per_request_with_action_key_status_code_time_and_request_id(
    server: RunningIms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    answer = sdk_client(server.port).list_live_record_jobs(m.ListLiveRecordJobsRequest())
    with pytest.raises(ClientException):
        sdk_client(server.port).get_live_record_job(m.GetLiveRecordJobRequest(job_id="no-such-job"))
    with pytest.raises(ClientException):
        sdk_client(server.port, secret="wrong").list_live_record_jobs(m.ListLiveRecordJobsRequest())
    httpx.get(f"{server.ims.endpoint}/_buckets/b/none.m3u8")
    favicon = httpx.get(f"{server.ims.endpoint}/favicon.ico")  # what a browser at the console asks for

    listed, missing, forged, file, icon = request_fields(caplog)
    assert listed["target"] == "ListLiveRecordJobs" and listed["status"] == 200 and listed["code"] is None
    assert listed["accessKeyId"] == DEFAULT_KEY_ID and listed["requestId"] == answer.body.request_id
    assert isinstance(listed["ms"], float) and listed["method"] in ("GET", "POST")
    said = (missing["target"], missing["status"], missing["code"])
    assert said == ("GetLiveRecordJob", 404, "InvalidJobId.NotFound"), missing
    assert forged["accessKeyId"] is None and forged["code"] == "SignatureDoesNotMatch", forged
    assert (file["target"], file["status"]) == ("/_buckets/b/none.m3u8", 404)
    # Not an API call: a plain 404 logged by its path, not "<invalid> 404 InvalidAction.NotFound".
    assert (icon["target"], icon["status"], icon["code"]) == ("/favicon.ico", 404, None), icon
    assert favicon.status_code == 404 and favicon.text == "Not found\n"
    text = "\n".join(caplog.messages)
    assert DEFAULT_SECRET not in text and "wrong" not in text
    assert f"ListLiveRecordJobs 200 - key={DEFAULT_KEY_ID} " in text


def test_json_lines_put_the_request_fields_at_the_top(
    server: RunningIms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    sdk_client(server.port).list_live_record_templates(m.ListLiveRecordTemplatesRequest())
    [record] = [record for record in caplog.records if record.name == REQUEST_LOGGER]
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "INFO" and line["logger"] == REQUEST_LOGGER
    fields = (line["target"], line["status"], line["accessKeyId"])
    assert fields == ("ListLiveRecordTemplates", 200, DEFAULT_KEY_ID)
    assert line["time"].endswith("+00:00") and "ListLiveRecordTemplates 200" in line["message"]


def test_the_server_process_logs_json_lines(start_local_ims: object) -> None:
    ims: LocalIms = start_local_ims(["--log-format", "json"])  # type: ignore[operator]
    sdk_client(int(ims.endpoint.rsplit(":", 1)[1])).list_live_record_jobs(m.ListLiveRecordJobsRequest())
    lines = [json.loads(line) for line in ims.log_path.read_text().splitlines() if line.startswith("{")]
    listed = [line for line in lines if line.get("target") == "ListLiveRecordJobs"]
    assert listed and listed[0]["status"] == 200, lines
