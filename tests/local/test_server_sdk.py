"""The official SDK (unchanged alibabacloud_ice20201109) against the local IMS: all ops, V3, V2, STS."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from alibabacloud_ice20201109 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from pulumi_ims_record.local.recorder import RecordedFile

from .conftest import M3U8_FORMAT, STS_KEY, RunningIms, SignedCall, sdk_client, sdk_record_formats

MP4_FORMAT = {
    "Format": "mp4",
    "OssObjectPrefix": "record/{JobId}/{Sequence}_{StartTime}_{EndTime}",
    "CycleDuration": 120,
}


def submit_request(template_id: str, name: str = "live stream record 1") -> m.SubmitLiveRecordJobRequest:
    return m.SubmitLiveRecordJobRequest(
        name=name,
        stream_input=m.SubmitLiveRecordJobRequestStreamInput(
            type="rtmp", url="rtmp://127.0.0.1:1935/live/s1"
        ),
        record_output=m.SubmitLiveRecordJobRequestRecordOutput(
            type="oss", bucket="imsbucket1", endpoint="oss-cn-shanghai.aliyuncs.com"
        ),
        template_id=template_id,
        notify_url="http://127.0.0.1:9/imsnotify",
    )


@pytest.mark.parametrize("v2", [False, True], ids=["v3", "v2"])
def test_every_operation_through_the_official_sdk(server: RunningIms, v2: bool) -> None:
    client = sdk_client(server.port, v2=v2)

    created = client.create_live_record_template(
        m.CreateLiveRecordTemplateRequest(
            name="hls + mp4", record_format=sdk_record_formats(M3U8_FORMAT, MP4_FORMAT)
        )
    )
    template_id = created.body.template_id
    assert created.body.request_id

    got = client.get_live_record_template(m.GetLiveRecordTemplateRequest(template_id=template_id)).body
    template = got.record_template
    assert (template.name, template.type) == ("hls + mp4", "custom")
    assert [f.format for f in template.record_format_list] == ["m3u8", "mp4"]
    assert template.record_format_list[0].slice_duration == 10
    assert template.record_format_list[0].slice_oss_object_prefix == M3U8_FORMAT["SliceOssObjectPrefix"]
    assert template.record_format_list[1].cycle_duration == 120

    job_id = client.submit_live_record_job(submit_request(template_id)).body.job_id
    assert server.recorder.started_ids() == [job_id]
    spec = server.recorder.started[0]
    assert spec.stream_url == "rtmp://127.0.0.1:1935/live/s1"
    assert spec.bucket_dir == server.ims.data_dir / "buckets" / "imsbucket1"
    assert [(f.format, f.slice_duration, f.cycle_duration) for f in spec.formats] == [
        ("m3u8", 10, 60),
        ("mp4", 30, 120),
    ]

    job = client.get_live_record_job(m.GetLiveRecordJobRequest(job_id=job_id)).body.record_job
    assert (job.job_id, job.name, job.status, job.template_id, job.template_name) == (
        job_id,
        "live stream record 1",
        "initial",
        template_id,
        "hls + mp4",
    )
    assert (job.stream_input.type, job.stream_input.url) == ("rtmp", "rtmp://127.0.0.1:1935/live/s1")
    assert (job.record_output.type, job.record_output.bucket) == ("oss", "imsbucket1")
    assert job.notify_url == "http://127.0.0.1:9/imsnotify"

    # The recorder reports progress; the job follows.
    server.backend.on_status(job_id, "started")
    listed = client.list_live_record_jobs(
        m.ListLiveRecordJobsRequest(
            keyword="stream record", status="started", page_no=1, page_size=20, sort_by="asc"
        )
    ).body
    assert [j.job_id for j in listed.live_record_jobs] == [job_id]
    assert (listed.total_count, listed.page_no, listed.page_size, listed.sort_by) == (1, 1, 20, "asc")

    # Updating the template does not change the job's snapshot.
    client.update_live_record_template(
        m.UpdateLiveRecordTemplateRequest(
            template_id=template_id,
            name="renamed",
            record_format=[
                m.UpdateLiveRecordTemplateRequestRecordFormat(
                    format="flv", oss_object_prefix="flv/{JobId}/{EscapedStartTime}_{EscapedEndTime}"
                )
            ],
        )
    )
    current = client.get_live_record_template(m.GetLiveRecordTemplateRequest(template_id=template_id)).body
    assert current.record_template.name == "renamed"
    assert [f.format for f in current.record_template.record_format_list] == ["flv"]
    snapshot = client.get_live_record_template(
        m.GetLiveRecordTemplateRequest(template_id=template_id, job_id=job_id)
    ).body.record_template
    assert snapshot.name == "hls + mp4"
    assert [f.format for f in snapshot.record_format_list] == ["m3u8", "mp4"]

    templates = client.list_live_record_templates(
        m.ListLiveRecordTemplatesRequest(template_ids=[template_id, "ims-system-m3u8"], page_size=100)
    ).body
    assert sorted(t.template_id for t in templates.record_template_list) == sorted(
        [template_id, "ims-system-m3u8"]
    )
    custom = client.list_live_record_templates(m.ListLiveRecordTemplatesRequest(type="custom")).body
    assert [t.template_id for t in custom.record_template_list] == [template_id]

    # A finished file, as the recorder reports it.
    start = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    end = datetime(2030, 1, 2, 3, 5, 5, tzinfo=timezone.utc)
    server.backend.on_file(
        RecordedFile(job_id, "m3u8", f"record/{job_id}/0.m3u8", start, end, 60.0, 640, 360)
    )
    files = client.list_live_record_files(
        m.ListLiveRecordFilesRequest(job_ids=[job_id], record_format="m3u8")
    ).body
    assert (files.total_count, files.page_size, files.sort_by) == ("1", "10", "asc")
    record = files.files[0]
    assert (record.job_id, record.job_name, record.format, record.duration, record.width, record.height) == (
        job_id,
        "live stream record 1",
        "m3u8",
        60.0,
        640,
        360,
    )
    assert (record.start_time, record.end_time) == ("2030-01-02T03:04:05Z", "2030-01-02T03:05:05Z")
    assert json.loads(record.record_output) == {
        "Type": "oss",
        "Bucket": "imsbucket1",
        "Endpoint": "oss-cn-shanghai.aliyuncs.com",
    }
    assert record.record_url == f"{server.ims.endpoint}/_buckets/imsbucket1/record/{job_id}/0.m3u8"

    deleted = client.delete_live_record_files(
        m.DeleteLiveRecordFilesRequest(record_ids=[record.record_id, "no-such-record"], remove_file=True)
    ).body
    # DeleteFileInfoList lists the failures only (the API reference's description of it).
    assert [(i.record_id, i.code) for i in deleted.delete_file_info_list] == [
        ("no-such-record", "InvalidRecordId.NotFound"),
    ]
    assert deleted.message == "1 of 2 records were not deleted."
    after = client.list_live_record_files(m.ListLiveRecordFilesRequest(job_ids=[job_id])).body
    assert after.total_count == "0"

    client.delete_live_record_template(m.DeleteLiveRecordTemplateRequest(template_id=template_id))
    with pytest.raises(ClientException) as missing:
        client.get_live_record_template(m.GetLiveRecordTemplateRequest(template_id=template_id))
    assert (missing.value.status_code, missing.value.code) == (404, "InvalidTemplateId.NotFound")
    # The job keeps its snapshot after the template is gone.
    kept = client.get_live_record_template(
        m.GetLiveRecordTemplateRequest(template_id=template_id, job_id=job_id)
    )
    assert kept.body.record_template.name == "hls + mp4"


@pytest.mark.parametrize("v2", [False, True], ids=["v3", "v2"])
def test_sts_credentials_are_accepted_with_their_token(server: RunningIms, v2: bool) -> None:
    client = sdk_client(
        server.port, key_id=STS_KEY.access_key_id, secret=STS_KEY.secret, token=STS_KEY.security_token, v2=v2
    )
    body = client.list_live_record_templates(m.ListLiveRecordTemplatesRequest(type="system")).body
    assert {t.template_id for t in body.record_template_list} >= {"ims-system-m3u8", "ims-system-m3u8-mp4"}


@pytest.mark.parametrize("v2", [False, True], ids=["v3", "v2"])
@pytest.mark.parametrize(
    ("token", "code"),
    [(None, "InvalidSecurityToken.Missing"), ("wrong-token", "InvalidSecurityToken.Mismatch")],
)
def test_sts_key_with_a_missing_or_wrong_token_is_refused(
    server: RunningIms, v2: bool, token: str | None, code: str
) -> None:
    client = sdk_client(server.port, key_id=STS_KEY.access_key_id, secret=STS_KEY.secret, token=token, v2=v2)
    with pytest.raises(ClientException) as refused:
        client.list_live_record_templates(m.ListLiveRecordTemplatesRequest())
    assert (refused.value.status_code, refused.value.code) == (400, code)


def test_system_templates_are_read_only(server: RunningIms) -> None:
    client = sdk_client(server.port)
    with pytest.raises(ClientException) as update:
        client.update_live_record_template(
            m.UpdateLiveRecordTemplateRequest(
                template_id="ims-system-m3u8",
                name="x",
                record_format=[
                    m.UpdateLiveRecordTemplateRequestRecordFormat(
                        format="flv", oss_object_prefix="a/{StartTime}_{EndTime}"
                    )
                ],
            )
        )
    assert (update.value.status_code, update.value.code) == (403, "OperationDenied.SystemTemplate")
    with pytest.raises(ClientException) as delete:
        client.delete_live_record_template(
            m.DeleteLiveRecordTemplateRequest(template_id="ims-system-m3u8-mp4")
        )
    assert (delete.value.status_code, delete.value.code) == (403, "OperationDenied.SystemTemplate")
    job_id = client.submit_live_record_job(submit_request("ims-system-m3u8-mp4")).body.job_id
    assert client.get_live_record_job(
        m.GetLiveRecordJobRequest(job_id=job_id)
    ).body.record_job.template_id == ("ims-system-m3u8-mp4")


def test_unknown_ids_answer_404_with_the_documented_codes(server: RunningIms) -> None:
    client = sdk_client(server.port)
    with pytest.raises(ClientException) as job:
        client.get_live_record_job(m.GetLiveRecordJobRequest(job_id="no-such-job"))
    assert (job.value.status_code, job.value.code) == (404, "InvalidJobId.NotFound")
    with pytest.raises(ClientException) as template:
        client.submit_live_record_job(submit_request("no-such-template"))
    assert (template.value.status_code, template.value.code) == (404, "InvalidTemplateId.NotFound")
    assert server.recorder.started == []


def test_error_bodies_carry_request_id_host_id_code_message_recommend(server: RunningIms) -> None:
    response = SignedCall(server.port, "GetLiveRecordJob", query=[("JobId", "nope")]).send()
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["RequestId"] == body["RequestId"].upper() and len(body["RequestId"]) == 36
    assert body["Code"] == "InvalidJobId.NotFound"
    assert "nope" in body["Message"]
    assert body["Recommend"].endswith(f"q=InvalidJobId.NotFound&product=ICE&requestId={body['RequestId']}")
    assert response.headers["x-acs-request-id"] == body["RequestId"]


def test_list_live_record_files_renders_the_documented_string_quirks(server: RunningIms) -> None:
    response = SignedCall(server.port, "ListLiveRecordFiles", query=[("PageSize", "5")]).send()
    assert response.status_code == 200
    body = response.json()
    assert (body["PageSize"], body["TotalCount"], body["PageNo"], body["SortBy"]) == ("5", "0", 1, "asc")
    assert body["Files"] == []


def test_unknown_action_or_version_is_invalid_action_not_found(server: RunningIms) -> None:
    unknown = SignedCall(server.port, "StopLiveRecordJob").send()
    assert (unknown.status_code, unknown.json()["Code"]) == (404, "InvalidAction.NotFound")
    old = SignedCall(server.port, "ListLiveRecordJobs", version="2019-01-01").send()
    assert (old.status_code, old.json()["Code"]) == (404, "InvalidAction.NotFound")


def test_concurrent_requests_are_served_concurrently(server: RunningIms) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client_count = 8

    def work(index: int) -> str:
        client = sdk_client(server.port)
        job = client.submit_live_record_job(submit_request("ims-system-m3u8", name=f"parallel {index}"))
        return str(job.body.job_id)

    with ThreadPoolExecutor(client_count) as pool:
        job_ids = list(pool.map(work, range(client_count)))
    assert len(set(job_ids)) == client_count
    listed = sdk_client(server.port).list_live_record_jobs(m.ListLiveRecordJobsRequest(keyword="parallel"))
    assert listed.body.total_count == client_count
