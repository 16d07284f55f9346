"""``IceClient`` against a real server: the local IMS, in process, over loopback HTTP with V3 signing.

Every operation end to end, STS credentials, the iterators across pages, and each error type from a real
server answer, with faults switched on and off through the local IMS admin API. The client's ``sleep`` is a
test double: it records the waits and, where a test needs the service to recover, clears the faults, so no
test waits for a real backoff.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_ims_record.ice import (
    AuthenticationError,
    AuthorizationError,
    ConnectError,
    Credentials,
    IceClient,
    InvalidParameterError,
    NotFoundError,
    OutcomeUnknownError,
    RecordFormat,
    RecordOutput,
    ServerError,
    StreamInput,
    ThrottlingError,
)
from pulumi_ims_record.local.auth import AccessKey
from pulumi_ims_record.local.recorder import RecordedFile
from tests.local.conftest import DEFAULT_KEY_ID, DEFAULT_SECRET, STS_KEY, RunningIms, start_in_process

DEFAULT_CREDENTIALS = Credentials(DEFAULT_KEY_ID, DEFAULT_SECRET)
STS_CREDENTIALS = Credentials(STS_KEY.access_key_id, STS_KEY.secret, STS_KEY.security_token)
HLS = RecordFormat(
    format="m3u8",
    oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
    slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
    slice_duration=10,
    cycle_duration=60,
)
MAX_RETRIES = 3


@pytest.fixture
def ims(tmp_path: Path) -> Iterator[RunningIms]:
    """The local IMS in this process (fake recorder), accepting the default key and one STS key."""
    running = start_in_process(
        tmp_path / "ims", access_keys=[AccessKey(DEFAULT_KEY_ID, DEFAULT_SECRET), STS_KEY]
    )
    yield running
    running.ims.stop()


@dataclass
class Admin:
    """The local IMS admin API (faults, stats), as a separate HTTP client would use it."""

    http: httpx.Client

    def set_faults(self, settings: dict[str, Any]) -> None:
        self.http.put("/faults", json=settings).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete("/faults").raise_for_status()

    def calls(self, action: str) -> int:
        response = self.http.get("/stats")
        response.raise_for_status()
        return int(response.json()["calls"].get(action, 0))


@pytest.fixture
def admin(ims: RunningIms) -> Iterator[Admin]:
    with httpx.Client(base_url=ims.ims.admin_url, timeout=30.0) as http:
        yield Admin(http)


@dataclass
class Sleeps:
    """The client's ``sleep``: records each wait instead of waiting; optionally runs ``on_sleep`` first."""

    waits: list[float] = field(default_factory=list)
    on_sleep: Callable[[], None] | None = None

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(ims: RunningIms, sleeps: Sleeps) -> Iterator[Callable[..., IceClient]]:
    clients: list[IceClient] = []

    def build(credentials: Credentials = DEFAULT_CREDENTIALS, **options: Any) -> IceClient:
        client = IceClient(
            endpoint=ims.ims.endpoint,
            credentials=credentials,
            max_retries=MAX_RETRIES,
            sleep=sleeps,
            jitter=lambda: 1.0,
            **options,
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., IceClient]) -> IceClient:
    return make_client()


def submit(client: IceClient, name: str = "stage", **extra: Any) -> str:
    return client.submit_live_record_job(
        name=name,
        stream_input=StreamInput(url=f"rtmp://127.0.0.1:1935/live/{name.replace(' ', '-')}"),
        record_output=RecordOutput(bucket="client-bucket", endpoint="oss-cn-shanghai.aliyuncs.com"),
        template_id="ims-system-m3u8",
        **extra,
    ).job_id


def record(ims: RunningIms, job_id: str, key: str, minute: int = 0) -> None:
    """Play the recorder's part: a finished file of ``job_id``."""
    start = ims.backend.clock() - timedelta(hours=1) + timedelta(minutes=minute)
    ims.backend.on_file(
        RecordedFile(job_id, "m3u8", key, start, start + timedelta(minutes=1), 60.0, 1280, 720)
    )


def job_names(client: IceClient) -> list[str]:
    return [job.name for job in client.iter_live_record_jobs()]


# --- every operation ----------------------------------------------------------------------------------------


def test_template_operations_end_to_end(client: IceClient) -> None:
    template_id = client.create_live_record_template(name="hls-10s", record_formats=[HLS]).template_id

    template = client.get_live_record_template(template_id=template_id).record_template
    assert (template.template_id, template.name, template.type) == (template_id, "hls-10s", "custom")
    assert template.record_formats == (HLS,)

    mp4 = RecordFormat(
        format="mp4", oss_object_prefix="mp4/{JobId}/{StartTime}_{EndTime}", cycle_duration=600
    )
    client.update_live_record_template(template_id=template_id, name="hls+mp4", record_formats=[HLS, mp4])
    updated = client.get_live_record_template(template_id=template_id).record_template
    assert (updated.name, updated.record_formats) == ("hls+mp4", (HLS, mp4))

    listed = client.list_live_record_templates(keyword="hls+", type="custom")
    assert [(t.template_id, t.name) for t in listed.record_template_list] == [(template_id, "hls+mp4")]
    assert listed.total_count == 1
    by_id = client.list_live_record_templates(template_ids=[template_id, "ims-system-m3u8"], sort_by="asc")
    assert {t.template_id for t in by_id.record_template_list} == {template_id, "ims-system-m3u8"}

    client.delete_live_record_template(template_id=template_id)
    with pytest.raises(NotFoundError) as gone:
        client.get_live_record_template(template_id=template_id)
    assert gone.value.code == "InvalidTemplateId.NotFound"


def test_job_and_file_operations_end_to_end(client: IceClient, ims: RunningIms) -> None:
    job_id = submit(client, "stage a", notify_url="http://127.0.0.1:9/notify")

    job = client.get_live_record_job(job_id=job_id).record_job
    assert (job.job_id, job.name, job.status, job.notify_url) == (
        job_id,
        "stage a",
        "initial",
        "http://127.0.0.1:9/notify",
    )
    assert job.stream_input == StreamInput(url="rtmp://127.0.0.1:1935/live/stage-a", type="rtmp")
    assert job.record_output == RecordOutput(
        type="oss", bucket="client-bucket", endpoint="oss-cn-shanghai.aliyuncs.com"
    )
    assert (job.template_id, job.template_name) == ("ims-system-m3u8", "System: HLS (m3u8, 30 s slices)")
    ims.backend.on_status(job_id, "started")
    listed = client.list_live_record_jobs(keyword="stage", status="started")
    assert [j.job_id for j in listed.live_record_jobs] == [job_id]

    snapshot = client.get_live_record_template(template_id="ims-system-m3u8", job_id=job_id).record_template
    assert snapshot.template_id == "ims-system-m3u8"

    record(ims, job_id, f"record/{job_id}/0.m3u8")
    files = client.list_live_record_files(job_ids=[job_id], record_format="m3u8").files
    assert [(f.job_id, f.format, f.duration, f.width, f.height) for f in files] == [
        (job_id, "m3u8", 60.0, 1280, 720)
    ]
    assert files[0].record_url == f"{ims.ims.endpoint}/_buckets/client-bucket/record/{job_id}/0.m3u8"
    assert files[0].record_output.bucket == "client-bucket"  # a JSON string on the wire, parsed

    deleted = client.delete_live_record_files(
        record_ids=[files[0].record_id, "no-such-record"], remove_file=True
    )
    assert [(info.record_id, info.code) for info in deleted.delete_file_info_list] == [
        ("no-such-record", "InvalidRecordId.NotFound"),
    ]
    assert client.list_live_record_files(job_ids=[job_id]).total_count == 0


def test_sts_credentials_are_accepted_and_their_token_checked(make_client: Callable[..., IceClient]) -> None:
    sts = make_client(STS_CREDENTIALS)
    job_id = submit(sts, "sts job")
    assert sts.get_live_record_job(job_id=job_id).record_job.name == "sts job"

    wrong_token = make_client(Credentials(STS_KEY.access_key_id, STS_KEY.secret, "another-token"))
    with pytest.raises(AuthenticationError) as refused:
        wrong_token.get_live_record_job(job_id=job_id)
    assert refused.value.code.startswith("InvalidSecurityToken")
    assert "another-token" not in str(refused.value)

    no_token = make_client(Credentials(STS_KEY.access_key_id, STS_KEY.secret))
    with pytest.raises(AuthenticationError) as missing:
        no_token.get_live_record_job(job_id=job_id)
    assert missing.value.code.startswith("InvalidSecurityToken")


# --- pagination ---------------------------------------------------------------------------------------------


def test_iterators_walk_every_page(client: IceClient, ims: RunningIms, admin: Admin) -> None:
    created = {
        client.create_live_record_template(name=f"tpl-{index:02d}", record_formats=[HLS]).template_id
        for index in range(12)
    }
    job_ids = [submit(client, f"paged {index:02d}") for index in range(11)]
    for minute, job_id in enumerate(job_ids):
        record(ims, job_id, f"record/{job_id}/0.m3u8", minute=minute)

    templates = list(client.iter_live_record_templates(type="custom", page_size=5))
    jobs = list(client.iter_live_record_jobs(keyword="paged", page_size=4, sort_by="asc"))
    files = list(client.iter_live_record_files(job_ids=job_ids, page_size=5))

    assert {t.template_id for t in templates} == created and len(templates) == 12
    assert [j.job_id for j in jobs] == job_ids  # ascending by creation time, across three pages
    assert [f.job_id for f in files] == job_ids  # files ascend by start time by default
    assert admin.calls("ListLiveRecordTemplates") == 3  # 5 + 5 + 2
    assert admin.calls("ListLiveRecordJobs") == 3  # 4 + 4 + 3
    assert admin.calls("ListLiveRecordFiles") == 3  # 5 + 5 + 1


# --- errors from real answers -------------------------------------------------------------------------------


def test_not_found_and_invalid_parameter_are_not_retried(
    client: IceClient, admin: Admin, sleeps: Sleeps
) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.get_live_record_job(job_id="no-such-job")
    assert (missing.value.status_code, missing.value.code) == (404, "InvalidJobId.NotFound")
    assert missing.value.request_id

    too_long = RecordFormat(
        format="m3u8", slice_oss_object_prefix="s/{UnixTimestamp}_{Sequence}", slice_duration=31
    )
    with pytest.raises(InvalidParameterError) as invalid:
        client.create_live_record_template(name="bad", record_formats=[too_long])
    assert (invalid.value.status_code, invalid.value.code) == (400, "InvalidParameter")
    assert "RecordFormat.1.SliceDuration" in invalid.value.message

    assert (admin.calls("GetLiveRecordJob"), admin.calls("CreateLiveRecordTemplate")) == (1, 1)
    assert sleeps.waits == []


def test_authentication_and_authorization_errors(
    make_client: Callable[..., IceClient], client: IceClient, admin: Admin
) -> None:
    with pytest.raises(AuthenticationError) as unknown_key:
        make_client(Credentials("nobody", "secret")).list_live_record_jobs()
    assert unknown_key.value.code == "InvalidAccessKeyId.NotFound"

    with pytest.raises(AuthenticationError) as bad_secret:
        make_client(Credentials(DEFAULT_KEY_ID, "not-the-secret")).list_live_record_jobs()
    assert bad_secret.value.code == "SignatureDoesNotMatch"
    assert "not-the-secret" not in str(bad_secret.value)

    with pytest.raises(AuthorizationError) as denied:
        client.delete_live_record_template(template_id="ims-system-m3u8")
    assert (denied.value.status_code, denied.value.code) == (403, "OperationDenied.SystemTemplate")
    assert admin.calls("ListLiveRecordJobs") == 2  # one attempt each: an auth error is final


def test_throttling_waits_the_retry_after_then_succeeds(
    client: IceClient, admin: Admin, sleeps: Sleeps
) -> None:
    admin.set_faults({"error_rate": {"SubmitLiveRecordJob": 1.0}, "error_kind": "throttling"})
    sleeps.on_sleep = admin.clear_faults  # the service recovers while the client waits

    job_id = submit(client, "throttled")

    # x-acs-retry-after: 100 (milliseconds) × (1 + jitter), the jitter pinned to 1; not the exp. backoff
    assert sleeps.waits == [0.2]
    assert admin.calls("SubmitLiveRecordJob") == 2
    assert job_names(client) == ["throttled"]  # throttled before it was applied: safe to resend
    assert client.get_live_record_job(job_id=job_id).record_job.name == "throttled"


def test_throttling_that_persists_ends_in_a_throttling_error_at_the_deadline(
    make_client: Callable[..., IceClient], admin: Admin, sleeps: Sleeps
) -> None:
    # Throttled requests were not applied: they are retried past max_retries, until the retry deadline
    # (a clock that only moves when the client sleeps: 0.2 s per wait, 0.9 s deadline -> 4 waits).
    client = make_client(retry_deadline=0.9, clock=lambda: 1000.0 + sum(sleeps.waits))
    admin.set_faults({"error_rate": {"ListLiveRecordJobs": 1.0}, "error_kind": "throttling"})
    with pytest.raises(ThrottlingError) as throttled:
        client.list_live_record_jobs()
    assert (throttled.value.code, throttled.value.retry_after) == ("Throttling.User", 0.1)
    assert sleeps.waits == [0.2] * 4
    assert MAX_RETRIES < 4
    assert admin.calls("ListLiveRecordJobs") == 5


def test_service_unavailable_is_retried_for_reads_and_writes(
    client: IceClient, admin: Admin, sleeps: Sleeps
) -> None:
    admin.set_faults({"error_rate": {"*": 1.0}, "error_kind": "5xx"})
    sleeps.on_sleep = admin.clear_faults

    job_id = submit(client, "after a 503")
    assert admin.calls("SubmitLiveRecordJob") == 2
    assert len(sleeps.waits) == 1

    admin.set_faults({"error_rate": {"*": 1.0}, "error_kind": "5xx"})
    assert client.get_live_record_job(job_id=job_id).record_job.name == "after a 503"
    assert admin.calls("GetLiveRecordJob") == 2
    assert job_names(client) == ["after a 503"]


def test_service_unavailable_that_persists_ends_in_a_server_error(
    client: IceClient, admin: Admin, sleeps: Sleeps
) -> None:
    admin.set_faults({"error_rate": {"GetLiveRecordTemplate": 1.0}, "error_kind": "5xx"})
    with pytest.raises(ServerError) as failed:
        client.get_live_record_template(template_id="ims-system-m3u8")
    assert (failed.value.status_code, failed.value.code) == (503, "ServiceUnavailable")
    assert admin.calls("GetLiveRecordTemplate") == MAX_RETRIES + 1
    assert sleeps.waits == [0.2, 0.4, 0.8]  # full-jitter backoff with the jitter pinned to 1


def test_an_error_after_the_submit_was_applied_is_outcome_unknown_and_never_resent(
    client: IceClient, admin: Admin, sleeps: Sleeps
) -> None:
    admin.set_faults({"error_rate": {"SubmitLiveRecordJob": 1.0}, "error_kind": "5xx_after_apply"})
    with pytest.raises(OutcomeUnknownError) as unknown:
        submit(client, "ambiguous")
    assert unknown.value.operation == "SubmitLiveRecordJob"
    assert admin.calls("SubmitLiveRecordJob") == 1
    assert sleeps.waits == []
    admin.clear_faults()
    assert job_names(client) == ["ambiguous"]  # exactly one job: the caller reconciles by name


def test_a_dropped_submit_is_outcome_unknown_and_a_dropped_read_is_retried(
    client: IceClient, admin: Admin, sleeps: Sleeps
) -> None:
    admin.set_faults({"drop_rate": {"SubmitLiveRecordJob": 1.0}})
    with pytest.raises(OutcomeUnknownError):
        submit(client, "dropped")
    assert admin.calls("SubmitLiveRecordJob") == 1

    admin.set_faults({"drop_rate": {"ListLiveRecordJobs": 1.0}})
    sleeps.on_sleep = admin.clear_faults
    assert job_names(client) == []  # the drop was decided before the submit was applied
    assert admin.calls("ListLiveRecordJobs") == 2


def test_a_stopped_server_refuses_the_connection(client: IceClient, ims: RunningIms, sleeps: Sleeps) -> None:
    job_id = submit(client, "before the stop")
    ims.ims.stop()

    with pytest.raises(ConnectError) as refused:
        client.get_live_record_job(job_id=job_id)
    assert refused.value.operation == "GetLiveRecordJob"
    assert len(sleeps.waits) == MAX_RETRIES  # nothing was sent: always safe to retry

    with pytest.raises(ConnectError):  # a mutation too: provably never reached the server
        submit(client, "after the stop")


def test_submit_answer_carries_the_servers_date_as_api_time(client: IceClient) -> None:
    answer = client.submit_live_record_job(
        name="dated",
        stream_input=StreamInput("rtmp://127.0.0.1:1935/live/dated"),
        record_output=RecordOutput(bucket="recordings"),
        template_id="ims-system-m3u8",
    )
    created = client.get_live_record_job(job_id=answer.job_id).record_job.create_time
    assert answer.server_time is not None and created is not None
    parse = lambda text: datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    # The Date of the answer is sent after the job was stored: the same second or a little later.
    assert timedelta(0) <= parse(answer.server_time) - parse(created) <= timedelta(seconds=5)


def test_the_local_ims_answers_without_nagle_delay(ims: RunningIms, client: IceClient) -> None:
    # Headers and body go out in two sends; with Nagle on, the body would wait for the client's delayed ACK.
    client.list_live_record_jobs()  # leaves a keep-alive connection open on the server
    connections = list(ims.ims._api._connections) if ims.ims._api else []
    assert connections
    for connection in connections:
        assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
