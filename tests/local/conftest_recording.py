"""Helpers for the recording tests (imported explicitly; ``tests/local/conftest.py`` is the server tests').

Run as a script it is the crash-test driver: a Recorder in its own process, so a test can ``kill -9`` it::

    python tests/local/conftest_recording.py SPEC.json EVENTS.jsonl [PULL_TIMEOUT]

It appends one JSON line per event to EVENTS.jsonl and stops all recordings on SIGTERM/SIGINT.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # when run as the driver script
    sys.path.insert(0, str(REPO_ROOT))

from pulumi_ims_record.local import media  # noqa: E402
from pulumi_ims_record.local.recorder import (  # noqa: E402
    FormatSpec,
    RecordedFile,
    Recorder,
    RecordingSpec,
)

T = TypeVar("T")

SHORT_HLS = {
    "Format": "m3u8",
    "OssObjectPrefix": "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
    "SliceOssObjectPrefix": "record/{JobId}/{UnixTimestamp}_{Sequence}",
    "SliceDuration": 5,
    "CycleDuration": 10,
}
"""An m3u8 RecordFormat (as the SDK takes it) that closes a playlist every 10 s, for tests wanting files."""


def recording_tools_missing() -> str | None:
    """Why the recording tests cannot run here, or None."""
    from pulumi_ims_record.local.teststream import TestStreamUnavailable, find_rtmp_module

    for tool in ("ffmpeg", "ffprobe", "nginx"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    try:
        find_rtmp_module()
    except TestStreamUnavailable as error:
        return str(error)
    return None


def wait_for(condition: Callable[[], T], *, timeout: float, message: str, interval: float = 0.1) -> T:
    """Poll ``condition()`` until it returns something truthy (returned); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")
        time.sleep(interval)


class EventLog:
    """A RecorderEvents that remembers every event in order (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[tuple[str, Any]] = []

    def on_status(self, job_id: str, status: str) -> None:
        with self._lock:
            self.events.append(("status", status))

    def on_file(self, file: RecordedFile) -> None:
        with self._lock:
            self.events.append(("file", file))

    def on_gave_up(self, job_id: str) -> None:
        with self._lock:
            self.events.append(("gave_up", job_id))

    def snapshot(self) -> list[tuple[str, Any]]:
        with self._lock:
            return list(self.events)

    def statuses(self) -> list[str]:
        return [value for kind, value in self.snapshot() if kind == "status"]

    def files(self, fmt: str | None = None) -> list[RecordedFile]:
        return [
            value
            for kind, value in self.snapshot()
            if kind == "file" and (fmt is None or value.format == fmt)
        ]

    def gave_up(self) -> bool:
        return any(kind == "gave_up" for kind, _ in self.snapshot())


def make_spec(
    root: Path,
    url: str,
    *formats: FormatSpec,
    job_id: str = "job-1",
) -> RecordingSpec:
    return RecordingSpec(
        job_id=job_id,
        stream_url=url,
        bucket_dir=root / "buckets" / "bucket-1",
        work_dir=root / "work" / job_id,
        formats=formats,
    )


def m3u8_format(*, cycle: int, slice_seconds: int = 5) -> FormatSpec:
    return FormatSpec(
        format="m3u8",
        oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
        slice_oss_object_prefix="record/{JobId}/ts/{UnixTimestamp}_{Sequence}",
        slice_duration=slice_seconds,
        cycle_duration=cycle,
    )


def file_format(fmt: str, *, cycle: int) -> FormatSpec:
    return FormatSpec(
        format=fmt,
        oss_object_prefix="record/{JobId}/" + fmt + "/{Sequence}_{StartTime}_{EndTime}",
        slice_oss_object_prefix=None,
        slice_duration=30,
        cycle_duration=cycle,
    )


def slice_files(bucket: Path) -> list[Path]:
    return sorted(bucket.rglob("*.ts")) if bucket.exists() else []


def playlist_entries(playlist: Path) -> list[tuple[float, Path]]:
    """``(EXTINF duration, slice path)`` of a local playlist; the URIs are resolved against its directory."""
    from urllib.parse import unquote

    entries: list[tuple[float, Path]] = []
    duration: float | None = None
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",")[0])
        elif line and not line.startswith("#"):
            assert duration is not None, f"a URI without #EXTINF in {playlist}"
            entries.append((duration, (playlist.parent / unquote(line)).resolve()))
            duration = None
    return entries


def probe(path: Path) -> media.MediaInfo:
    return media.probe_info(path)


# ------------------------------------------------------------------------------------------------------------
# -
# the crash-test driver


def spec_to_json(spec: RecordingSpec) -> str:
    document = asdict(spec)
    document["bucket_dir"] = str(spec.bucket_dir)
    document["work_dir"] = str(spec.work_dir)
    return json.dumps(document)


def spec_from_json(text: str) -> RecordingSpec:
    document = json.loads(text)
    return RecordingSpec(
        job_id=document["job_id"],
        stream_url=document["stream_url"],
        bucket_dir=Path(document["bucket_dir"]),
        work_dir=Path(document["work_dir"]),
        formats=tuple(FormatSpec(**item) for item in document["formats"]),
    )


class _JsonLinesEvents:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def _write(self, document: dict[str, Any]) -> None:
        with self._lock, open(self._path, "a") as handle:
            handle.write(json.dumps(document) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def on_status(self, job_id: str, status: str) -> None:
        self._write({"event": "status", "status": status})

    def on_file(self, file: RecordedFile) -> None:
        document = asdict(file)
        document["start_time"] = file.start_time.isoformat()
        document["end_time"] = file.end_time.isoformat()
        self._write({"event": "file", **document})

    def on_gave_up(self, job_id: str) -> None:
        self._write({"event": "gave_up"})


def read_driver_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def start_driver(spec: RecordingSpec, events: Path, *, pull_timeout: float) -> subprocess.Popen[bytes]:
    spec_file = events.with_suffix(".spec.json")
    spec_file.write_text(spec_to_json(spec))
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), str(spec_file), str(events), str(pull_timeout)],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
    )


def _driver_main(argv: list[str]) -> int:
    spec = spec_from_json(Path(argv[0]).read_text())
    events = _JsonLinesEvents(Path(argv[1]))
    recorder = Recorder(events, pull_timeout=float(argv[2]) if len(argv) > 2 else 180.0)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    recorder.start(spec)
    while not stop.wait(0.2):
        pass
    recorder.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(_driver_main(sys.argv[1:]))
