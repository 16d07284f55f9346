"""Every operation against httpx.MockTransport: the exact wire shape and the typed, immutable result."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

import httpx
import pytest

from pulumi_ims_record.ice import (
    ApiError,
    IceClient,
    LiveRecordFile,
    RecordFormat,
    RecordOutput,
    StreamInput,
)

from .conftest import Recorder, ok

JOB = {
    "NotifyUrl": "https://example.com/imsnotify",
    "CreateTime": "2022-07-20T02:48:58Z",
    "StreamInput": {"Type": "rtmp", "Url": "rtmp://example.com/app/stream"},
    "RecordOutput": {"Type": "oss", "Bucket": "imsbucket1", "Endpoint": "oss-cn-shanghai.aliyuncs.com"},
    "TemplateId": "69e1f9fe-1e97-11ed-ba64-0c42a1b73d66",
    "TemplateName": "test template",
    "Name": "直播活动录制任务1",
    "JobId": "ab0e3e76-1e9d-11ed-ba64-0c42a1b73d66",
    "Status": "paused",
    "SomethingNew": {"kept": True},
}
TEMPLATE = {
    "RecordFormatList": [
        {
            "Format": "m3u8",
            "OssObjectPrefix": "record/{JobId}/{Sequence}{EscapedStartTime}",
            "SliceOssObjectPrefix": "record/{JobId}/{UnixTimestamp}_{Sequence}",
            "CycleDuration": 7200,
            "SliceDuration": 30,
        }
    ],
    "CreateTime": "2022-07-20T03:26:36Z",
    "LastModified": "2022-07-20T03:26:36Z",
    "TemplateId": "69e1f9fe-1e97-11ed-ba64-0c42a1b73d66",
    "Name": "test template",
    "Type": "custom",
}
FILE = {
    "RecordUrl": "http://host/atestObject.m3u8",
    "StartTime": "2015-12-01T07:36:00Z",
    "EndTime": "2015-12-01T07:36:10Z",
    "Duration": 100.5,
    "Width": 480,
    "Height": "640",
    "CreateTime": "2016-05-27T09:40:56Z",
    "RecordOutput": '{ "Type": "oss", "Endpoint":"oss-cn-shanghai.aliyuncs.com", "Bucket": "test-bucket" }',
    "RecordId": "c4d7f0a4-b506-43f9-8de3-07732c3f0001",
    "StreamUrl": "LiveStream",
    "JobName": "LiveRecordJob",
    "Format": "m3u8",
    "JobId": "c4d7f0a4-b506-43f9-8de3-07732c3f0002",
}


def query_of(request: httpx.Request) -> list[tuple[str, str]]:
    return sorted(parse_qsl(request.url.query.decode(), keep_blank_values=True))


def form_of(request: httpx.Request) -> list[tuple[str, str]]:
    return sorted(parse_qsl(request.content.decode(), keep_blank_values=True))


def test_submit_live_record_job(make_client: Callable[..., IceClient], recorder: Recorder) -> None:
    recorder.answers.append(ok({"RequestId": "BEA98A0C", "JobId": "ab0e3e76"}))
    answer = make_client().submit_live_record_job(
        name="live stream record 1",
        stream_input=StreamInput(url="rtmp://example.com/live/stream1"),
        record_output=RecordOutput(bucket="imsbucket1", endpoint="oss-cn-hangzhou.aliyuncs.com"),
        template_id="69e1f9fe",
        notify_url="https://example.com/imsnotify",
    )
    assert (answer.request_id, answer.job_id) == ("BEA98A0C", "ab0e3e76")
    [request] = recorder.requests
    assert (request.method, request.url.host, request.url.path, request.url.query) == (
        "POST",
        "ice.cn-shanghai.aliyuncs.com",
        "/",
        b"",
    )
    assert request.headers["x-acs-action"] == "SubmitLiveRecordJob"
    assert request.headers["x-acs-version"] == "2020-11-09"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.content == (
        b"Name=live+stream+record+1&NotifyUrl=https%3A%2F%2Fexample.com%2Fimsnotify&RecordOutput=%7B%22Bucket%22"
        b"%3A%22imsbucket1%22%2C%22Endpoint%22%3A%22oss-cn-hangzhou.aliyuncs.com%22%2C%22Type%22%3A%22oss%22%7D"
        b"&StreamInput=%7B%22Type%22%3A%22rtmp%22%2C%22Url%22%3A%22rtmp%3A%2F%2Fexample.com%2Flive%2Fstream1"
        b"%22%7D&TemplateId=69e1f9fe"
    )


def test_nested_json_is_compact_sorted_and_keeps_unicode(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.answers.append(ok({"RequestId": "R", "JobId": "J"}))
    make_client().submit_live_record_job(
        name="n",
        stream_input=StreamInput(url="rtmp://h/直播"),
        record_output=RecordOutput(),
        template_id="t",
    )
    form = dict(form_of(recorder.requests[0]))
    assert form["StreamInput"] == '{"Type":"rtmp","Url":"rtmp://h/直播"}'
    assert form["RecordOutput"] == '{"Type":"oss"}'  # None fields are not sent
    assert "NotifyUrl" not in form


def test_get_live_record_job_keeps_every_field(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.answers.append(ok({"RecordJob": JOB, "RequestId": "B57A046C"}))
    answer = make_client().get_live_record_job(job_id="ab0e3e76-1e9d-11ed-ba64-0c42a1b73d66")
    [request] = recorder.requests
    assert request.method == "GET"
    assert query_of(request) == [("JobId", "ab0e3e76-1e9d-11ed-ba64-0c42a1b73d66")]
    assert request.content == b"" and "content-type" not in request.headers
    job = answer.record_job
    assert job.job_id == "ab0e3e76-1e9d-11ed-ba64-0c42a1b73d66"
    assert job.name == "直播活动录制任务1"
    assert job.stream_input == StreamInput(url="rtmp://example.com/app/stream", type="rtmp")
    assert job.record_output == RecordOutput("oss", "imsbucket1", "oss-cn-shanghai.aliyuncs.com")
    assert (job.status, job.template_name, job.notify_url) == ("paused", "test template", JOB["NotifyUrl"])
    assert job.raw["SomethingNew"] == {"kept": True}
    assert answer.request_id == "B57A046C"
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.status = "started"  # type: ignore[misc]
    with pytest.raises(TypeError):
        job.raw["JobId"] = "x"  # type: ignore[index]


def test_list_live_record_jobs(make_client: Callable[..., IceClient], recorder: Recorder) -> None:
    recorder.answers.append(
        ok(
            {
                "LiveRecordJobs": [JOB],
                "TotalCount": 180,
                "PageNo": 1,
                "PageSize": 20,
                "SortBy": "desc",
                "RequestId": "R",
            }
        )
    )
    answer = make_client().list_live_record_jobs(
        keyword="a b*c~",
        start_time=datetime(2024, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))),
        end_time="2024-01-02T00:00:00Z",
        status="started",
        page_no=1,
        page_size=20,
        sort_by="desc",
    )
    [request] = recorder.requests
    assert request.method == "GET"
    assert b"Keyword=a+b%2Ac~" in request.url.query
    assert query_of(request) == sorted(
        [
            ("Keyword", "a b*c~"),
            ("StartTime", "2024-01-01T00:00:00Z"),
            ("EndTime", "2024-01-02T00:00:00Z"),
            ("Status", "started"),
            ("PageNo", "1"),
            ("PageSize", "20"),
            ("SortBy", "desc"),
        ]
    )
    assert (answer.total_count, answer.page_no, answer.page_size, answer.sort_by) == (180, 1, 20, "desc")
    assert [job.job_id for job in answer.live_record_jobs] == [JOB["JobId"]]


def test_list_live_record_files_parses_string_numbers_and_json_record_output(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.answers.append(
        ok(
            {
                "RequestId": "R",
                "PageNo": 1,
                "SortBy": "asc",
                "PageSize": "10",
                "TotalCount": "100",
                "Files": [FILE],
            }
        )
    )
    answer = make_client().list_live_record_files(
        job_ids=["j1", "j2"],
        start_time="2024-01-01T00:00:00Z",
        end_time="2024-01-02T00:00:00Z",
        page_no=1,
        page_size=10,
        record_format="m3u8",
    )
    assert query_of(recorder.requests[0]) == sorted(
        [
            ("JobIds.1", "j1"),
            ("JobIds.2", "j2"),
            ("StartTime", "2024-01-01T00:00:00Z"),
            ("EndTime", "2024-01-02T00:00:00Z"),
            ("PageNo", "1"),
            ("PageSize", "10"),
            ("RecordFormat", "m3u8"),
        ]
    )
    assert (answer.total_count, answer.page_size, answer.page_no) == (100, 10, 1)
    [record] = answer.files
    assert isinstance(record, LiveRecordFile)
    assert record.record_output == RecordOutput("oss", "test-bucket", "oss-cn-shanghai.aliyuncs.com")
    assert (record.duration, record.width, record.height) == (100.5, 480, 640)
    assert record.raw["RecordOutput"] == FILE["RecordOutput"]


def test_delete_live_record_files_is_post_with_query(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.answers.append(
        ok(
            {
                "RequestId": "R",
                "Message": "OK",
                "DeleteFileInfoList": [
                    {"Code": "OK", "Message": "OK", "RecordId": "r1"},
                    {"Code": "InvalidRecordId.NotFound", "Message": "no", "RecordId": "r2"},
                ],
            }
        )
    )
    answer = make_client().delete_live_record_files(record_ids=["r1", "r2"], remove_file=True)
    [request] = recorder.requests
    assert request.method == "POST" and request.content == b""
    assert "content-type" not in request.headers
    assert request.url.query == b"RecordIds.1=r1&RecordIds.2=r2&RemoveFile=True"
    assert [(i.record_id, i.code) for i in answer.delete_file_info_list] == [
        ("r1", "OK"),
        ("r2", "InvalidRecordId.NotFound"),
    ]
    assert answer.message == "OK"


def test_remove_file_false_is_sent_capitalised(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.answers.append(ok({"RequestId": "R"}))
    make_client().delete_live_record_files(record_ids=["r1"], remove_file=False)
    assert b"RemoveFile=False" in recorder.requests[0].url.query


def test_a_lone_string_is_not_taken_for_a_list(make_client: Callable[..., IceClient]) -> None:
    with pytest.raises(TypeError, match="record_ids"):
        make_client().delete_live_record_files(record_ids="r1")


FORMATS = [
    RecordFormat(
        "m3u8",
        "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
        "record/{JobId}/{UnixTimestamp}_{Sequence}",
        30,
        3600,
    ),
    RecordFormat("mp4", "record/{JobId}/{StartTime}_{EndTime}", cycle_duration=7200),
]
FORMATS_JSON = (
    '[{"CycleDuration":3600,"Format":"m3u8","OssObjectPrefix":"record/{JobId}/{Sequence}_{EscapedStartTime}_'
    '{EscapedEndTime}","SliceDuration":30,"SliceOssObjectPrefix":"record/{JobId}/{UnixTimestamp}_{Sequence}"},'
    '{"CycleDuration":7200,"Format":"mp4","OssObjectPrefix":"record/{JobId}/{StartTime}_{EndTime}"}]'
)


def test_create_live_record_template(make_client: Callable[..., IceClient], recorder: Recorder) -> None:
    recorder.answers.append(ok({"TemplateId": "96e8", "RequestId": "0622C702"}))
    answer = make_client().create_live_record_template(name="test template", record_formats=FORMATS)
    [request] = recorder.requests
    assert request.method == "POST" and request.url.query == b""
    assert form_of(request) == [("Name", "test template"), ("RecordFormat", FORMATS_JSON)]
    assert (answer.template_id, answer.request_id) == ("96e8", "0622C702")


def test_get_live_record_template(make_client: Callable[..., IceClient], recorder: Recorder) -> None:
    recorder.answers.append(ok({"RecordTemplate": TEMPLATE, "RequestId": "C892855F"}))
    answer = make_client().get_live_record_template(template_id="tpl", job_id="job")
    assert query_of(recorder.requests[0]) == [("JobId", "job"), ("TemplateId", "tpl")]
    template = answer.record_template
    assert (template.template_id, template.type, template.last_modified) == (
        TEMPLATE["TemplateId"],
        "custom",
        "2022-07-20T03:26:36Z",
    )
    assert template.record_formats == (
        RecordFormat(
            "m3u8",
            "record/{JobId}/{Sequence}{EscapedStartTime}",
            "record/{JobId}/{UnixTimestamp}_{Sequence}",
            30,
            7200,
        ),
    )


def test_update_live_record_template(make_client: Callable[..., IceClient], recorder: Recorder) -> None:
    recorder.answers.append(ok({"RequestId": "U"}))
    answer = make_client().update_live_record_template(
        template_id="tpl", name="n2", record_formats=FORMATS[1:]
    )
    [request] = recorder.requests
    assert request.method == "POST"
    assert form_of(request) == [
        ("Name", "n2"),
        (
            "RecordFormat",
            '[{"CycleDuration":7200,"Format":"mp4","OssObjectPrefix":"record/{JobId}/{StartTime}_{EndTime}"}]',
        ),
        ("TemplateId", "tpl"),
    ]
    assert answer.request_id == "U"


def test_delete_live_record_template(make_client: Callable[..., IceClient], recorder: Recorder) -> None:
    recorder.answers.append(ok({"RequestId": "3E5330CF"}))
    answer = make_client().delete_live_record_template(template_id="tpl-1")
    [request] = recorder.requests
    assert (request.method, request.url.query, request.content) == ("POST", b"TemplateId=tpl-1", b"")
    assert answer.request_id == "3E5330CF"


def test_list_live_record_templates(make_client: Callable[..., IceClient], recorder: Recorder) -> None:
    recorder.answers.append(
        ok(
            {
                "RecordTemplateList": [TEMPLATE],
                "TotalCount": 1,
                "PageNo": 1,
                "PageSize": 10,
                "SortBy": "asc",
                "RequestId": "R",
            }
        )
    )
    answer = make_client().list_live_record_templates(
        keyword="x", type="custom", template_ids=["t1", "t2"], page_no=1, page_size=10, sort_by="asc"
    )
    assert recorder.requests[0].url.query == (
        b"Keyword=x&PageNo=1&PageSize=10&SortBy=asc&TemplateIds.1=t1&TemplateIds.2=t2&Type=custom"
    )
    assert [t.name for t in answer.record_template_list] == ["test template"]


def _page(key: str, items: list[dict[str, object]], total: int | str | None) -> httpx.Response:
    body: dict[str, object] = {"RequestId": "R", key: items}
    if total is not None:
        body["TotalCount"] = total
    return ok(body)


def test_iter_live_record_jobs_walks_every_page(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    jobs = [dict(JOB, JobId=f"j{i}") for i in range(5)]
    recorder.answers.extend(
        [
            _page("LiveRecordJobs", jobs[0:2], 5),
            _page("LiveRecordJobs", jobs[2:4], 5),
            _page("LiveRecordJobs", jobs[4:5], 5),
        ]
    )
    found = [job.job_id for job in make_client().iter_live_record_jobs(status="started", page_size=2)]
    assert found == ["j0", "j1", "j2", "j3", "j4"]
    assert [dict(query_of(r))["PageNo"] for r in recorder.requests] == ["1", "2", "3"]
    assert all(dict(query_of(r))["Status"] == "started" for r in recorder.requests)


def test_iter_live_record_files_with_string_total(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    files = [dict(FILE, RecordId=f"r{i}") for i in range(3)]
    recorder.answers.extend([_page("Files", files[0:2], "3"), _page("Files", files[2:3], "3")])
    assert [f.record_id for f in make_client().iter_live_record_files(job_ids=["j"], page_size=2)] == [
        "r0",
        "r1",
        "r2",
    ]
    assert len(recorder.requests) == 2


def test_iter_live_record_templates_stops_on_an_empty_page(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    templates = [dict(TEMPLATE, TemplateId=f"t{i}") for i in range(2)]
    recorder.answers.extend(
        [_page("RecordTemplateList", templates, None), _page("RecordTemplateList", [], None)]
    )
    assert [t.template_id for t in make_client().iter_live_record_templates(type="custom")] == ["t0", "t1"]
    assert len(recorder.requests) == 2


def test_a_success_without_the_promised_field_is_an_api_error(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.answers.append(httpx.Response(200, content=b"<html>proxy</html>"))
    with pytest.raises(ApiError, match=r"GetLiveRecordJob.*MalformedResponse"):
        make_client().get_live_record_job(job_id="j")


def test_sts_credentials_add_the_token_headers(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    from pulumi_ims_record.ice import Credentials

    recorder.answers.append(ok({"RequestId": "R", "RecordJob": JOB}))
    make_client(credentials=Credentials("STS.id", "secret", "token-value")).get_live_record_job(job_id="j")
    headers = recorder.requests[0].headers
    assert headers["x-acs-security-token"] == "token-value"
    assert headers["x-acs-accesskey-id"] == "STS.id"
    assert "x-acs-security-token" in headers["authorization"]


def test_client_is_usable_from_many_threads(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    recorder.default = ok({"RequestId": "R", "RecordJob": JOB})
    client = make_client()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda i: client.get_live_record_job(job_id=f"j{i}"), range(40)))
    assert len(answers) == 40
    nonces = {r.headers["x-acs-signature-nonce"] for r in recorder.requests}
    assert len(nonces) == 40  # every request gets its own nonce
    assert sorted(dict(query_of(r))["JobId"] for r in recorder.requests) == sorted(f"j{i}" for i in range(40))


def test_closed_client_refuses_calls(make_client: Callable[..., IceClient]) -> None:
    from pulumi_ims_record.ice import ConfigurationError

    client = make_client()
    client.close()
    with pytest.raises(ConfigurationError, match="closed"):
        client.get_live_record_job(job_id="j")


def test_models_json_roundtrip_is_not_required_but_raw_is_plain_json(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.answers.append(ok({"RecordJob": JOB, "RequestId": "R"}))
    answer = make_client().get_live_record_job(job_id="j")
    assert json.loads(json.dumps(dict(answer.record_job.raw))) == JOB
