"""The daily commands: the admin API's jobs, stop and reset, and ``ims-local jobs | stop | reset | health``
against a running server. Reset while a job really records: tests/local/test_reset_recording.py."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
from alibabacloud_ice20201109 import models as m

from pulumi_ims_record.local.__main__ import config_from_args
from tests.conftest import REPO_ROOT, LocalIms, wait_until

from .conftest import RunningIms, sdk_client
from .test_console import submit


def admin(server: RunningIms) -> httpx.Client:
    return httpx.Client(base_url=server.ims.admin_url, timeout=30.0)


def test_jobs_stop_one_stop_all_and_reset(server: RunningIms, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="pulumi_ims_record.local.models")
    first = submit(server, "first", "rtmp://127.0.0.1:1935/live/first?token=s3cret")
    second = submit(server, "second", "rtmp://127.0.0.1:1935/live/second")
    with admin(server) as http:
        jobs = {job["job_id"]: job for job in http.get("/jobs").json()["jobs"]}
        assert set(jobs) == {first, second}
        assert jobs[first]["recording"] is True and jobs[first]["status"] == "initial"
        assert jobs[first]["stream"] == "rtmp://127.0.0.1:1935/live/first?…"  # no token in a listing

        stopped = http.post(f"/jobs/{first}/stop").json()
        assert stopped == {"stopped": first, "status": "paused", "gave_up": True}
        assert server.recorder.stopped == [first]
        assert [e.status for e in server.backend.db.job_events(first)] == ["initial", "paused"]
        assert http.post("/jobs/nope/stop").status_code == 404

        assert http.post("/jobs/stop").json() == {"stopped": [second]}  # the first is over already
        assert server.recorder.stop_all_calls == 1
        assert {job["gave_up"] for job in http.get("/jobs").json()["jobs"]} == {True}

        bucket = server.backend.bucket_dir("console-bucket")
        bucket.mkdir(parents=True)
        (bucket / "left.ts").write_bytes(b"x")
        refused = http.post("/reset")
        assert refused.status_code == 400 and "confirm=yes" in refused.json()["error"]
        assert http.post("/reset", params={"confirm": "yes"}).json() == {"deleted_jobs": 2}
        assert http.get("/jobs").json() == {"jobs": []}
    assert not bucket.exists()
    # Each out-of-band action is in the server's log, where whoever reads it later looks.
    said = caplog.text
    assert f"job {first} stopped by the admin API (ims-local stop)" in said, said
    assert f"1 job(s) stopped by the admin API (ims-local stop --all): ['{second}']" in said, said
    assert "reset by the admin API (ims-local reset): 2 job(s)" in said, said
    templates = sdk_client(server.port).list_live_record_templates(m.ListLiveRecordTemplatesRequest())
    assert {t.type for t in templates.body.record_template_list} == {"system"}


def test_the_admin_port_is_next_to_the_api_port_unless_given() -> None:
    assert config_from_args(["--port", "9999"])[0].admin_port == 10000
    assert config_from_args(["--port", "0"])[0].admin_port == 0
    assert config_from_args(["--port", "9999", "--admin-port", "7000"])[0].admin_port == 7000


def ims_local(ims: LocalIms, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulumi_ims_record.local", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "IMS_LOCAL_ADMIN_URL": ims.admin},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_commands_against_a_running_server(start_local_ims: Any) -> None:
    ims: LocalIms = start_local_ims()
    port = int(ims.endpoint.rsplit(":", 1)[1])
    client = sdk_client(port)
    job_id = client.submit_live_record_job(
        m.SubmitLiveRecordJobRequest(
            name="daily",
            stream_input=m.SubmitLiveRecordJobRequestStreamInput(
                type="rtmp", url="rtmp://127.0.0.1:1/live/d"
            ),
            record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket="daily"),
            template_id="ims-system-m3u8",
        )
    ).body.job_id

    listed = ims_local(ims, "jobs")
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()[:2]
    assert header.split()[:4] == ["JOB", "ID", "NAME", "STATUS"] and row.split()[:2] == [job_id, "daily"]
    # Nothing listens at that port: the recorder says so, under the table, until the job gives up.
    refused = (
        f"  {job_id}: no stream at rtmp://127.0.0.1:1/live/d: "
        "nothing listens at 127.0.0.1:1 (connection refused); since "
    )
    wait_until(
        lambda: refused in ims_local(ims, "jobs").stdout, timeout=30, message="the reason in ims-local jobs"
    )

    health = ims_local(ims, "health")
    assert health.returncode == 0 and '"ready": true' in health.stdout, health

    stopped = ims_local(ims, "stop", job_id)
    assert (stopped.returncode, stopped.stdout.strip()) == (0, f"stopped {job_id}: paused, recording over")
    assert "(gave up)" in ims_local(ims, "jobs").stdout
    unknown = ims_local(ims, "stop", "no-such-job")
    assert unknown.returncode == 1 and "404 no job 'no-such-job'" in unknown.stderr
    assert ims_local(ims, "stop").returncode == 2  # neither ids nor --all

    refused = ims_local(ims, "reset")
    assert refused.returncode == 2 and "add --yes" in refused.stderr
    reset = ims_local(ims, "reset", "--yes")
    assert (reset.returncode, reset.stdout.strip()) == (
        0, "reset: 1 job(s), their recordings and the custom templates deleted"
    )  # fmt: skip
    assert ims_local(ims, "jobs").stdout.strip() == "no jobs"


def test_a_command_without_a_server_says_where_it_looked(tmp_path: Any) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_ims_record.local", "jobs"],
        cwd=REPO_ROOT,
        env={**os.environ, "IMS_LOCAL_ADMIN_URL": "http://127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "cannot reach the local IMS admin API at http://127.0.0.1:9" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one line, no traceback


@pytest.mark.parametrize("variable", ["IMS_LOCAL_ADMIN_URL", "IMS_LOCAL_ADMIN_PORT"])
def test_commands_find_the_admin_port_next_to_the_api_port_by_default(
    variable: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pulumi_ims_record.local import __main__ as entry

    for name in ("IMS_LOCAL_ADMIN_URL", "IMS_LOCAL_ADMIN_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMS_LOCAL_PORT", "18787")
    seen: list[str] = []
    monkeypatch.setattr(entry.commands, "main", lambda argv, admin_url: seen.append(admin_url) or 0)
    assert entry.main(["jobs"]) == 0
    assert seen == ["http://127.0.0.1:18788"]
    monkeypatch.setenv(variable, "http://127.0.0.1:7001" if variable.endswith("URL") else "7001")
    entry.main(["jobs"])
    assert seen[-1] == "http://127.0.0.1:7001"
