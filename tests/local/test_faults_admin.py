"""Fault injection and the admin API: decided before the operation, visible to the official SDK."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from alibabacloud_ice20201109 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException

from pulumi_ims_record.local.faults import (
    FaultInjector,
    FaultSettings,
    FaultSettingsError,
    parse_action_value,
)

from .conftest import RunningIms, SignedCall, sdk_client


def admin(server: RunningIms) -> httpx.Client:
    return httpx.Client(base_url=server.ims.admin_url, timeout=30.0)


def put_faults(server: RunningIms, settings: dict[str, Any]) -> dict[str, Any]:
    with admin(server) as client:
        response = client.put("/faults", json=settings)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


def submit(server: RunningIms) -> m.SubmitLiveRecordJobResponse:
    return sdk_client(server.port).submit_live_record_job(
        m.SubmitLiveRecordJobRequest(
            name="faulty",
            stream_input=m.SubmitLiveRecordJobRequestStreamInput(type="rtmp", url="rtmp://127.0.0.1/live/s"),
            record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket="fault-bucket"),
            template_id="ims-system-m3u8",
        )
    )


def job_count(server: RunningIms) -> int:
    body = sdk_client(server.port).list_live_record_jobs(m.ListLiveRecordJobsRequest()).body
    return int(body.total_count)


def test_injected_5xx_is_decided_before_the_job_is_created(server: RunningIms) -> None:
    put_faults(server, {"error_rate": {"SubmitLiveRecordJob": 1.0}, "error_kind": "5xx"})
    with pytest.raises(ServerException) as failed:
        submit(server)
    assert (failed.value.status_code, failed.value.code) == (503, "ServiceUnavailable")
    assert job_count(server) == 0  # other actions are unaffected, and nothing was created
    assert server.recorder.started == []


def test_injected_throttling_carries_retry_after_in_milliseconds(server: RunningIms) -> None:
    put_faults(server, {"error_rate": {"*": 1.0}, "error_kind": "throttling"})
    with pytest.raises(ThrottlingException) as throttled:
        submit(server)
    assert (throttled.value.status_code, throttled.value.code) == (400, "Throttling.User")
    assert throttled.value.retry_after == 100  # the SDK sleeps retry_after milliseconds
    with admin(server) as client:
        client.delete("/faults").raise_for_status()
    assert job_count(server) == 0


def test_error_after_apply_creates_the_job_and_still_fails(server: RunningIms) -> None:
    put_faults(server, {"error_rate": {"SubmitLiveRecordJob": 1.0}, "error_kind": "5xx_after_apply"})
    with pytest.raises(ServerException) as failed:
        submit(server)
    # 500, not 503: a 503 ServiceUnavailable tells clients the request was not processed (safe to resend).
    assert (failed.value.status_code, failed.value.code) == (500, "InternalError")
    assert job_count(server) == 1


def test_qps_limit_throttles_the_excess_of_one_action_only(server: RunningIms) -> None:
    put_faults(server, {"qps": {"ListLiveRecordJobs": 0.001}})
    first = SignedCall(server.port, "ListLiveRecordJobs").send()
    second = SignedCall(server.port, "ListLiveRecordJobs").send()
    assert first.status_code == 200
    assert (second.status_code, second.json()["Code"]) == (400, "Throttling.User")
    assert int(second.headers["x-acs-retry-after"]) > 1000
    assert SignedCall(server.port, "ListLiveRecordTemplates").send().status_code == 200


def test_dropped_connections_get_no_answer(server: RunningIms) -> None:
    put_faults(server, {"drop_rate": {"GetLiveRecordJob": 1.0}})
    with pytest.raises(httpx.RemoteProtocolError):
        SignedCall(server.port, "GetLiveRecordJob", query=[("JobId", "x")]).send()
    assert SignedCall(server.port, "ListLiveRecordJobs").send().status_code == 200


def test_latency_setting_round_trips_and_requests_still_succeed(server: RunningIms) -> None:
    settings = put_faults(server, {"latency_ms": 20})
    assert settings["latency_ms"] == 20
    assert SignedCall(server.port, "ListLiveRecordJobs").send().status_code == 200


def test_fault_settings_are_validated(server: RunningIms) -> None:
    with admin(server) as client:
        for bad in (
            {"error_rate": {"*": 1.5}},
            {"error_rate": {"NoSuchAction": 0.1}},
            {"error_kind": "teapot"},
            {"qps": {"*": 0}},
            {"latency_ms": -1},
            {"surprise": 1},
        ):
            response = client.put("/faults", json=bad)
            assert response.status_code == 400, bad
            assert response.json()["error"]
        assert client.get("/faults").json()["error_rate"] == {"*": 0.0}


def test_fault_decisions_follow_the_settings() -> None:
    injector = FaultInjector(FaultSettings(latency_ms=250, error_rate={"*": 1.0}, error_kind="mixed", seed=7))
    decisions = [injector.decide("ListLiveRecordJobs") for _ in range(50)]
    assert {d.latency_seconds for d in decisions} == {0.25}
    codes = {d.error.code for d in decisions if d.error is not None}
    assert codes == {"ServiceUnavailable", "Throttling.User"}
    assert FaultInjector().decide("ListLiveRecordJobs").error is None
    assert parse_action_value("SubmitLiveRecordJob=0.5") == ("SubmitLiveRecordJob", 0.5)
    assert parse_action_value("0.25") == ("*", 0.25)
    with pytest.raises(FaultSettingsError):
        parse_action_value("Nope=1")


def test_stats_count_every_request_and_wait_long_polls(server: RunningIms) -> None:
    SignedCall(server.port, "ListLiveRecordJobs").send()
    SignedCall(server.port, "ListLiveRecordJobs", secret="wrong").send()  # rejected ones count too
    SignedCall(server.port, "NoSuchAction").send()
    with admin(server) as client:
        stats = client.get("/stats").json()
        assert stats["calls"]["ListLiveRecordJobs"] == 2
        assert stats["calls"]["<invalid>"] == 1
        assert stats["total"] == 3

        timed_out = client.get("/wait", params={"action": "GetLiveRecordJob", "count": 1, "timeout": 0.2})
        assert (timed_out.status_code, timed_out.json()) == (408, {"calls": 0})

        result: dict[str, httpx.Response] = {}
        waiter = threading.Thread(
            target=lambda: result.update(
                wait=client.get("/wait", params={"action": "GetLiveRecordJob", "count": 2, "timeout": 30})
            )
        )
        waiter.start()
        for _ in range(2):
            SignedCall(server.port, "GetLiveRecordJob", query=[("JobId", "x")]).send()
        waiter.join(60)
        assert (result["wait"].status_code, result["wait"].json()) == (200, {"calls": 2})

        assert client.post("/stats/reset").json()["total"] == 0
        assert client.get("/stats").json()["calls"] == {}


def test_stats_say_how_many_requests_were_answered_at_once(server: RunningIms) -> None:
    with admin(server) as client:
        client.put("/faults", json={"latency_ms": 1000}).raise_for_status()
        barrier = threading.Barrier(5)

        def call() -> None:
            barrier.wait()
            SignedCall(server.port, "ListLiveRecordJobs").send()

        callers = [threading.Thread(target=call) for _ in range(5)]
        for caller in callers:
            caller.start()
        waited = client.get("/wait", params={"action": "ListLiveRecordJobs", "count": 5, "timeout": 30})
        assert waited.status_code == 200, waited.text
        for caller in callers:
            caller.join(30)
        stats = client.get("/stats").json()
        # Five callers held up a second each, released together: all five were answered at once.
        assert (stats["in_flight"], stats["peak_in_flight"]) == (0, 5), stats
        client.delete("/faults").raise_for_status()
        SignedCall(server.port, "ListLiveRecordJobs").send()
        # The server counts a call answered once it has written the answer, a moment after the caller has it:
        # wait for that, or the reset would see it still in flight (and keep it as the new peak).
        sixth = client.get("/wait", params={"action": "ListLiveRecordJobs", "count": 6, "timeout": 30})
        assert sixth.status_code == 200, sixth.text
        assert client.post("/stats/reset").json()["peak_in_flight"] == 0
        SignedCall(server.port, "ListLiveRecordJobs").send()
        assert client.get("/stats").json()["peak_in_flight"] == 1


def test_admin_removes_a_job_out_of_band_and_lists_its_files(server: RunningIms) -> None:
    job_id = submit(server).body.job_id
    with admin(server) as client:
        files = client.get(f"/jobs/{job_id}/files")
        assert (files.status_code, files.json()["files"]) == (200, [])
        assert client.delete(f"/jobs/{job_id}").status_code == 200
        assert client.delete(f"/jobs/{job_id}").status_code == 404
        assert client.get(f"/jobs/{job_id}/files").status_code == 404
        assert client.get("/nothing-here").status_code == 404
    assert server.recorder.stopped == [job_id]
    with pytest.raises(ClientException) as gone:
        sdk_client(server.port).get_live_record_job(m.GetLiveRecordJobRequest(job_id=job_id))
    assert gone.value.code == "InvalidJobId.NotFound"


def test_admin_listens_on_loopback_only(server: RunningIms) -> None:
    assert server.ims._admin is not None
    assert server.ims._admin.server_address[0] == "127.0.0.1"
