"""``GET /_health`` on the API port: ready and version to anyone; what the server holds, to loopback."""

from __future__ import annotations

import httpx

from pulumi_ims_record.local.server import package_version

from .conftest import RunningIms
from .test_console import submit


def test_health_says_ready_and_what_the_server_holds(server: RunningIms) -> None:
    first = submit(server, "one", "rtmp://127.0.0.1:1935/live/one")
    second = submit(server, "two", "rtmp://127.0.0.1:1935/live/two")
    server.backend.on_status(first, "started")
    server.backend.on_gave_up(second)
    bucket = server.backend.bucket_dir("console-bucket")
    bucket.mkdir(parents=True)
    (bucket / "a.ts").write_bytes(b"\0" * 4096)
    with httpx.Client(base_url=server.ims.endpoint, timeout=10.0) as http:
        http.put(f"{server.ims.admin_url}/faults", json={"latency_ms": 1}).raise_for_status()
        answer = http.get("/_health")  # no credentials
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    health = answer.json()
    assert health["ready"] is True and health["version"] == package_version() != "0+unknown"
    assert health["dataDirectory"] == str(server.ims.data_dir.resolve())
    assert health["jobs"] == {"started": 1, "gave_up": 1}
    assert health["recordersRunning"] == 1  # the job that gave up is not handed to a recorder again
    assert health["diskUsedBytes"] >= 4096
    assert health["faultInjection"] is True
    assert server.ims.stats.snapshot()["total"] == 2  # the two submits: /_health is not an API call


def test_health_tells_other_machines_only_that_it_is_ready(seen_from_outside: tuple[RunningIms, str]) -> None:
    running, address = seen_from_outside
    with httpx.Client(base_url=f"http://{address}:{running.port}", timeout=10.0) as http:
        assert http.get("/_health").json() == {"ready": True, "version": package_version()}
