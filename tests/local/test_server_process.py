"""The local IMS as a process: the command line, SIGTERM, and durability across ``kill -9``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from alibabacloud_ice20201109 import models as m

from pulumi_ims_record.local import DataDirectoryInUse, LocalIms, ServerConfig
from pulumi_ims_record.local.__main__ import config_from_args

from .conftest import M3U8_FORMAT, sdk_client, sdk_record_formats


def port_of(endpoint: str) -> int:
    port = urlsplit(endpoint).port
    assert port is not None
    return port


def test_state_survives_kill_9_and_the_restart_lists_everything(start_local_ims: Any) -> None:
    # A stream nobody publishes: the real recorder keeps trying (pull timeout far away); jobs stay unfinished.
    first = start_local_ims(["--pull-timeout", "600"])
    client = sdk_client(port_of(first.endpoint))
    template_id = client.create_live_record_template(
        m.CreateLiveRecordTemplateRequest(name="durable", record_format=sdk_record_formats(M3U8_FORMAT))
    ).body.template_id
    job_ids = [
        client.submit_live_record_job(
            m.SubmitLiveRecordJobRequest(
                name=f"durable job {index}",
                stream_input=m.SubmitLiveRecordJobRequestStreamInput(
                    type="rtmp", url=f"rtmp://127.0.0.1:1/live/nobody{index}"
                ),
                record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket="durable-bucket"),
                template_id=template_id,
            )
        ).body.job_id
        for index in range(3)
    ]
    client.update_live_record_template(
        m.UpdateLiveRecordTemplateRequest(
            template_id=template_id,
            name="durable v2",
            record_format=[
                m.UpdateLiveRecordTemplateRequestRecordFormat(
                    format="mp4", oss_object_prefix="d/{JobId}_{EscapedStartTime}_{EscapedEndTime}"
                )
            ],
        )
    )

    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=30)
    first.stop()

    second = start_local_ims()  # same name, same data directory
    assert second.data_dir == first.data_dir
    client = sdk_client(port_of(second.endpoint))
    template = client.get_live_record_template(m.GetLiveRecordTemplateRequest(template_id=template_id)).body
    assert template.record_template.name == "durable v2"
    listed = client.list_live_record_jobs(
        m.ListLiveRecordJobsRequest(keyword="durable job", page_size=10)
    ).body
    assert sorted(job.job_id for job in listed.live_record_jobs) == sorted(job_ids)
    snapshot = client.get_live_record_template(
        m.GetLiveRecordTemplateRequest(template_id=template_id, job_id=job_ids[0])
    ).body.record_template
    assert (snapshot.name, [f.format for f in snapshot.record_format_list]) == ("durable", ["m3u8"])


def test_sigterm_stops_cleanly_with_exit_status_0(start_local_ims: Any) -> None:
    server = start_local_ims()
    assert sdk_client(port_of(server.endpoint)).list_live_record_jobs(m.ListLiveRecordJobsRequest()).body
    os.kill(server.process.pid, signal.SIGTERM)
    assert server.process.wait(timeout=60) == 0
    log = server.log_path.read_text()
    assert f"Local IMS ready: {server.endpoint}" in log
    assert "Traceback" not in log


def test_options_come_from_the_command_line_or_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("IMS_LOCAL_PORT", "9999")
    monkeypatch.setenv("IMS_LOCAL_DATA_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("IMS_LOCAL_ACCESS_KEY", "env-id:env-secret,other:other-secret")
    monkeypatch.setenv("IMS_LOCAL_ERROR_RATE", "SubmitLiveRecordJob=0.5")
    monkeypatch.setenv("IMS_LOCAL_LOG_FORMAT", "json")
    config, ready_file, log_level, log_format = config_from_args(
        ["--port", "0", "--sts", "sts-id:sts-secret:tok", "--qps", "*=5"]
    )
    assert config.port == 0  # the option wins over the variable
    assert config.data_dir == tmp_path / "from-env"
    assert [(k.access_key_id, k.security_token) for k in config.access_keys] == [
        ("env-id", None),
        ("other", None),
        ("sts-id", "tok"),
    ]
    assert dict(config.faults.error_rate) == {"SubmitLiveRecordJob": 0.5}
    assert dict(config.faults.qps) == {"*": 5.0}
    assert (ready_file, log_level, log_format) == (None, "INFO", "json")


def test_defaults_and_bad_options(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("IMS_LOCAL_"):
            monkeypatch.delenv(name)
    config, _, _, log_format = config_from_args([])
    assert log_format == "text"
    assert (config.host, config.port, config.pull_timeout) == ("127.0.0.1", 8787, 180.0)
    assert [(k.access_key_id, k.secret) for k in config.access_keys] == [
        ("ims-local-key", "ims-local-secret")
    ]
    assert config.data_dir == Path(".ims-local")
    for bad in (["--access-key", "no-colon"], ["--error-rate", "Nope=0.1"], ["--pull-timeout", "0"]):
        with pytest.raises(SystemExit):
            config_from_args(bad)


def test_a_second_server_on_the_same_data_directory_exits_at_once_naming_the_first(
    start_local_ims: Any,
) -> None:
    first = start_local_ims(["--pull-timeout", "600"])
    second = subprocess.run(
        [sys.executable, "-m", "pulumi_ims_record.local", "--port", "0", "--data-dir", str(first.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1, second.stderr
    message = second.stderr.strip().splitlines()[-1]
    assert message == (
        f"ims-local: cannot start: the data directory {first.data_dir} is in use by another local IMS "
        f"(PID {first.process.pid}, {first.endpoint}); stop that one or pass another --data-dir"
    )
    assert "Local IMS ready" not in second.stdout
    # The first one never noticed: it still serves, and its jobs were not resumed by anyone else.
    assert sdk_client(port_of(first.endpoint)).list_live_record_jobs(m.ListLiveRecordJobsRequest()).body

    # kill -9 leaves no stale lock: the kernel released it with the process.
    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=30)
    first.stop()
    third = start_local_ims()
    assert third.data_dir == first.data_dir
    assert sdk_client(port_of(third.endpoint)).list_live_record_jobs(m.ListLiveRecordJobsRequest()).body


def test_an_embedded_server_locks_its_data_directory_until_stopped(tmp_path: Path) -> None:
    first = LocalIms(ServerConfig(data_dir=tmp_path, port=0, admin_port=0))
    first.start()
    try:
        second = LocalIms(ServerConfig(data_dir=tmp_path, port=0, admin_port=0))
        with pytest.raises(DataDirectoryInUse, match=f"PID {os.getpid()}, {first.endpoint}"):
            second.start()
        second.stop()
    finally:
        first.stop()
    with LocalIms(ServerConfig(data_dir=tmp_path, port=0, admin_port=0)) as third:
        assert third.port


@pytest.mark.parametrize("taken", ["--port", "--admin-port"])
def test_a_port_in_use_is_named_with_which_port_it_is(
    taken: str, start_local_ims: Any, tmp_path: Path
) -> None:
    first = start_local_ims()
    port = port_of(first.endpoint) if taken == "--port" else port_of(first.admin)
    # The other port is free (0), so only the one named can be the problem.
    other = "--admin-port" if taken == "--port" else "--port"
    arguments = [taken, str(port), other, "0", "--data-dir", str(tmp_path / "second")]
    second = subprocess.run(
        [sys.executable, "-m", "pulumi_ims_record.local", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1, second.stderr
    what = "the API port (--port)" if taken == "--port" else "the admin port (--admin-port)"
    assert second.stderr.strip().splitlines()[-1] == (
        f"ims-local: cannot start: [Errno 98] 127.0.0.1:{port}, {what}, is in use "
        f"(`ss -ltnp 'sport = :{port}'` says by what)"
    )
