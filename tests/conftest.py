"""Fixtures shared by every test folder: a local IMS server process (`python -m pulumi_ims_record.local`).

The server contract (ready file, admin API) is in docs/architecture.md. Each fixture starts its own server
on port 0 with its own data directory and stops it afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# The documented default credentials of the local IMS (see the README).
LOCAL_ACCESS_KEY_ID = "ims-local-key"
LOCAL_ACCESS_KEY_SECRET = "ims-local-secret"


@pytest.hookimpl(trylast=True)  # after tests/e2e/conftest.py has marked its tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests (end-to-end, recordings) first, the hundreds of quick ones after: run side by side, the
    quick ones then fill in around the last slow ones instead of a slow one starting when all else is done."""
    items.sort(key=lambda item: not (item.get_closest_marker("e2e") or item.get_closest_marker("recording")))


def wait_until(condition: Any, *, timeout: float, interval: float = 0.1, message: str) -> Any:
    """Poll ``condition()`` until it returns something truthy, which is returned; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")
        time.sleep(interval)


@dataclass
class LocalIms:
    """A running local IMS server process and its admin API."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    endpoint: str
    admin: str
    buckets: str
    _admin_client: httpx.Client = field(repr=False)

    @classmethod
    def start(cls, data_dir: Path, extra_args: Sequence[str] = (), *, timeout: float = 30.0) -> LocalIms:
        data_dir.mkdir(parents=True, exist_ok=True)
        ready_file = data_dir / "ready.json"
        ready_file.unlink(missing_ok=True)
        log_path = data_dir / "server.log"
        command = [
            sys.executable,
            "-m",
            "pulumi_ims_record.local",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
        ]
        command += ["--ready-file", str(ready_file), *extra_args]
        with log_path.open("ab") as log:
            # Its own session, so stopping it also stops the ffmpeg recorders it started.
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

        def ready() -> dict[str, Any] | None:
            if process.poll() is not None:
                raise AssertionError(
                    f"the local IMS exited with {process.returncode} before it was ready:\n{_tail(log_path)}"
                )
            try:
                parsed: dict[str, Any] = json.loads(ready_file.read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                return None  # not written yet, or half-written
            # Where to look comes from the ready file; whether it serves, from its own health check.
            health = httpx.get(f"{parsed['endpoint']}/_health", timeout=5.0)
            return parsed if health.status_code == 200 and health.json()["ready"] is True else None

        try:
            info = wait_until(ready, timeout=timeout, message=f"{ready_file} (log: {log_path})")
        except BaseException:
            _stop_process_group(process)
            raise
        return cls(
            process=process,
            data_dir=data_dir,
            log_path=log_path,
            endpoint=info["endpoint"],
            admin=info["admin"],
            buckets=info["buckets"],
            _admin_client=httpx.Client(base_url=info["admin"], timeout=30.0),
        )

    def stop(self) -> None:
        self._admin_client.close()
        _stop_process_group(self.process)

    # --- admin API ---

    def stats(self) -> dict[str, int]:
        """API calls per action that reached the server since the start or the last reset."""
        calls: dict[str, int] = self.stats_snapshot()["calls"]
        return calls

    def stats_snapshot(self) -> dict[str, Any]:
        """All of ``GET /stats``: calls, completions, the most answered at once (``peak_in_flight``)."""
        response = self._admin_client.get("/stats")
        response.raise_for_status()
        snapshot: dict[str, Any] = response.json()
        return snapshot

    def total_calls(self) -> int:
        return sum(self.stats().values())

    def reset_stats(self) -> None:
        self._admin_client.post("/stats/reset").raise_for_status()

    def wait_for_calls(self, action: str, count: int, timeout: float = 60.0) -> int:
        """Block until ``count`` calls of ``action`` have completed; returns the count."""
        response = self._admin_client.get(
            "/wait", params={"action": action, "count": count, "timeout": timeout}, timeout=timeout + 10
        )
        if response.status_code == 408:
            raise AssertionError(f"fewer than {count} {action} calls completed within {timeout} s")
        response.raise_for_status()
        calls: int = response.json()["calls"]
        return calls

    def set_faults(self, faults: Mapping[str, Any]) -> None:
        self._admin_client.put("/faults", json=dict(faults)).raise_for_status()

    def clear_faults(self) -> None:
        self._admin_client.delete("/faults").raise_for_status()

    def delete_job(self, job_id: str) -> None:
        """Remove a job out of band, as if it vanished from the service."""
        self._admin_client.delete(f"/jobs/{job_id}").raise_for_status()

    def job_files(self, job_id: str) -> Any:
        response = self._admin_client.get(f"/jobs/{job_id}/files")
        response.raise_for_status()
        return response.json()

    def client(self, **overrides: Any) -> Any:
        """An `IceClient` for this server with the default local credentials."""
        from pulumi_ims_record.ice import Credentials, IceClient

        options: dict[str, Any] = {
            "region": "cn-shanghai",
            "endpoint": self.endpoint,
            "credentials": Credentials(LOCAL_ACCESS_KEY_ID, LOCAL_ACCESS_KEY_SECRET),
        }
        options.update(overrides)
        return IceClient(**options)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _stop_process_group(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM the process group (a graceful stop closes the recordings), SIGKILL it if that is not enough."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    # Whatever is left in the group (a recorder that ignored SIGTERM) goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=timeout)


@pytest.fixture
def start_local_ims(tmp_path: Path) -> Iterator[Any]:
    """A factory: ``start_local_ims(extra_args=(), name="ims")`` starts a server; all stop afterwards."""
    started: list[LocalIms] = []

    def start(extra_args: Sequence[str] = (), name: str = "ims") -> LocalIms:
        server = LocalIms.start(tmp_path / name, extra_args)
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def local_ims(start_local_ims: Any) -> LocalIms:
    """A local IMS with the default credentials, its data under this test's tmp_path."""
    server: LocalIms = start_local_ims()
    return server
