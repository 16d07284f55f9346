"""Shared pieces of the benchmarks: a local IMS process, summaries, /proc readings, machine facts.

Only public tools: ``time.perf_counter``, ``resource.getrusage``, ``/proc``. The local IMS runs in its own
process (its CPU is never counted as the client's), on loopback, port 0, data in a temporary directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV = REPO_ROOT / ".venv"
PYTHON = sys.executable
LOCAL_KEY_ID = "ims-local-key"
LOCAL_KEY_SECRET = "ims-local-secret"
REGION = "cn-shanghai"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# --- summaries ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """min / median / max of one figure over several runs (each run measured the same way)."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("a figure needs at least one run")
        return cls(tuple(float(value) for value in values))

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    def fmt(self, scale: float = 1.0, digits: int = 2, unit: str = "") -> str:
        """``median (min–max)``, scaled."""
        return (
            f"{self.median * scale:.{digits}f}{unit} "
            f"({self.min * scale:.{digits}f}–{self.max * scale:.{digits}f})"
        )

    def to_json(self) -> dict[str, Any]:
        return {"min": self.min, "median": self.median, "max": self.max, "runs": list(self.values)}


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


# --- /proc -------------------------------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


def session_pids(session_id: int) -> list[int]:
    """Every live process whose session id is ``session_id`` (a server started with start_new_session)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:  # field 6, the session id
            pids.append(int(entry))
    return pids


def descendants(root: int) -> list[int]:
    """``root`` and every live process below it, by parent pid (ffmpeg recorders run in their own
    sessions, so the session id would miss them)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))  # field 4, the parent pid
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def session_usage(root: int) -> tuple[float, int]:
    """(CPU seconds, RSS bytes) summed over ``root`` and its live descendants. CPU of descendants that
    already exited is not included (the recorders of this benchmark run for the whole window)."""
    cpu, rss = 0.0, 0
    for pid in descendants(root):
        with contextlib.suppress(OSError, ValueError, IndexError):
            cpu += process_cpu_seconds(pid)
            rss += process_rss_bytes(pid)
    return cpu, rss


def machine_load() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "unknown"


# --- the local IMS ------------------------------------------------------------------------------------------


def stub_ffmpeg_dir(root: Path) -> Path:
    """A directory with an ``ffmpeg`` that fails at once, for benchmarks that submit jobs but do not measure
    recording: each job's recorder then costs a ``sh`` start instead of an ffmpeg start (benchmark 5 measures
    real recording)."""
    directory = root / "stub-bin"
    directory.mkdir(parents=True, exist_ok=True)
    stub = directory / "ffmpeg"
    stub.write_text("#!/bin/sh\nexit 1\n")
    stub.chmod(0o755)
    return directory


@dataclass
class LocalImsProcess:
    """``python -m pulumi_ims_record.local`` in its own session, with its admin API."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    endpoint: str
    admin: str
    _admin: httpx.Client = field(repr=False)

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    @classmethod
    def start(
        cls,
        data_dir: Path,
        extra_args: Sequence[str] = (),
        *,
        stub_ffmpeg: bool = True,
        timeout: float = 30.0,
    ) -> LocalImsProcess:
        """``stub_ffmpeg``: jobs' recorders fail at once and give up after 0.5 s (no recording cost)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        ready_file = data_dir / "ready.json"
        ready_file.unlink(missing_ok=True)
        env = dict(os.environ)
        if stub_ffmpeg:
            env["PATH"] = f"{stub_ffmpeg_dir(data_dir)}{os.pathsep}{env.get('PATH', '')}"
            extra_args = ["--pull-timeout", "0.5", *extra_args]
        command = [
            PYTHON, "-m", "pulumi_ims_record.local", "--port", "0", "--data-dir", str(data_dir),
            "--ready-file", str(ready_file), "--log-level", "WARNING", *extra_args,
        ]  # fmt: skip
        with (data_dir / "server.log").open("ab") as log:
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the local IMS exited with {process.returncode}; see {data_dir / 'server.log'}"
                )
            with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
                info = json.loads(ready_file.read_text())
                break
            if time.monotonic() > deadline:
                stop_session(process)
                raise RuntimeError(f"the local IMS was not ready within {timeout:.0f} s")
            time.sleep(0.02)
        return cls(
            process=process,
            data_dir=data_dir,
            endpoint=info["endpoint"],
            admin=info["admin"],
            _admin=httpx.Client(base_url=info["admin"], timeout=60.0),
        )

    def stop(self) -> None:
        self._admin.close()
        stop_session(self.process)

    def __enter__(self) -> LocalImsProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> dict[str, int]:
        calls: dict[str, int] = self.stats_snapshot()["calls"]
        return calls

    def stats_snapshot(self) -> dict[str, Any]:
        """``GET /stats``: calls per action, total, and the most answered at once (``peak_in_flight``)."""
        response = self._admin.get("/stats")
        response.raise_for_status()
        snapshot: dict[str, Any] = response.json()
        return snapshot

    def reset_stats(self) -> None:
        self._admin.post("/stats/reset").raise_for_status()

    def wait_for_calls(self, count: int, timeout: float) -> int | None:
        """Block until ``count`` calls (of any action) were answered, at most ``timeout`` s; the number
        answered then, or None if fewer were."""
        response = self._admin.get("/wait", params={"count": count, "timeout": timeout}, timeout=timeout + 10)
        if response.status_code == 408:
            return None
        response.raise_for_status()
        calls: int = response.json()["calls"]
        return calls

    def set_faults(self, faults: Mapping[str, Any]) -> None:
        self._admin.put("/faults", json=dict(faults)).raise_for_status()

    def clear_faults(self) -> None:
        self._admin.delete("/faults").raise_for_status()

    def usage(self) -> tuple[float, int]:
        """(CPU seconds, RSS bytes) of the server and everything it started (ffmpeg recorders)."""
        return session_usage(self.process.pid)

    def client(self, **overrides: Any) -> Any:
        from pulumi_ims_record.ice import Credentials, IceClient

        options: dict[str, Any] = {
            "region": REGION,
            "endpoint": self.endpoint,
            "credentials": Credentials(LOCAL_KEY_ID, LOCAL_KEY_SECRET),
        }
        options.update(overrides)
        return IceClient(**options)


def stop_session(process: subprocess.Popen[Any], timeout: float = 20.0) -> None:
    """SIGTERM the process group, SIGKILL what is left."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=timeout)


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- machine and versions ---------------------------------------------------------------------------------


def _command_output(args: Sequence[str]) -> str:
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    return (
        (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else ""
    )


def _package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_facts() -> dict[str, str]:
    cpu_model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    git_commit = _command_output(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    return {
        "cpu": f"{os.cpu_count()} × {cpu_model}",
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pulumi CLI": _command_output([str(VENV / "bin" / "pulumi"), "version"]),
        "pulumi (Python SDK)": _package_version("pulumi"),
        "httpx": _package_version("httpx"),
        "alibabacloud-ice20201109": _package_version("alibabacloud-ice20201109"),
        "alibabacloud-tea-openapi": _package_version("alibabacloud-tea-openapi"),
        "ffmpeg": _command_output(["ffmpeg", "-hide_banner", "-version"]),
        "repository commit": git_commit,
        "load average at start": machine_load(),
    }
