"""Benchmark 5: how many concurrent streams the local IMS records on this machine before a slice is late.

Set-up (kept cheap so the machine's CPU goes to the recorders, not to the test source):

* one test pattern is encoded **once** into a short FLV (``testsrc2`` 640×360, 25 fps, H.264 with a keyframe
  every second, AAC) - the only encode;
* one nginx-rtmp server (``TestStream.start_server()``, no encoding publisher) and **one** relaying publisher,
  ``ffmpeg -re -stream_loop -1 -i pattern.flv -c copy -f flv rtmp://…`` (no re-encoding);
* K recording jobs all pull that one stream (nginx fans it out), template m3u8 with ``SliceDuration`` 5 s.

Levels K = 1, 2, 4, … are added cumulatively to the same server (ramp). At each level, after a warm-up, a
window watches the bucket for new TS slices (``record/{JobId}/{UnixTimestamp}_{Sequence}.ts``) and samples
CPU and RSS of the local IMS and its ffmpeg children (``/proc``, its session), and of nginx + the publisher.

A slice's lateness: its arrival time against a steady 5-second cadence for its job
(``t_k - k·S - min_j(t_j - j·S)``, k = the slice's sequence number). A level is **late** when any slice is
more than ``LATE_SECONDS`` behind, or a job published fewer slices than the window holds minus one. Capacity
is the largest level without a late slice. The ramp runs ``runs`` times (a fresh server each).
"""

from __future__ import annotations

import contextlib
import re
import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._common import LocalImsProcess, Spread, stop_session

SLICE_SECONDS = 5
LATE_SECONDS = 1.5
BUCKET = "capacity"
SLICE_NAME = re.compile(r"^(\d+)_(\d+)\.ts$")


@dataclass(frozen=True)
class Settings:
    levels: tuple[int, ...]
    runs: int
    warmup: float
    window: float


def encode_pattern(path: Path) -> None:
    if path.exists():
        return
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
            "20",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "25",
            "-keyint_min",
            "25",
            "-sc_threshold",
            "0",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-f",
            "flv",
            str(path),
        ],
        check=True,
        timeout=300,
    )


def start_relay(pattern: Path, url: str, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [
                "ffmpeg",
                "-hide_banner",
                "-nostdin",
                "-loglevel",
                "error",
                "-re",
                "-stream_loop",
                "-1",
                "-i",
                str(pattern),
                "-c",
                "copy",
                "-f",
                "flv",
                url,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )


def _process_usage(pids: list[int]) -> float:
    from bench._common import process_cpu_seconds

    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += process_cpu_seconds(pid)
    return total


def watch_slices(
    bucket: Path, job_ids: list[str], seconds: float
) -> tuple[dict[str, dict[int, float]], list[tuple[float, int]]]:
    """Arrival time of every new slice per job during ``seconds``; RSS samples (time, bytes) are taken by
    the caller."""
    known: set[Path] = set()
    for job_id in job_ids:
        known.update((bucket / "record" / job_id).glob("*.ts"))
    arrivals: dict[str, dict[int, float]] = {job_id: {} for job_id in job_ids}
    rss_samples: list[tuple[float, int]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = time.monotonic()
        for job_id in job_ids:
            directory = bucket / "record" / job_id
            try:
                entries = list(directory.iterdir())
            except FileNotFoundError:
                continue
            for entry in entries:
                match = SLICE_NAME.match(entry.name)
                if match and entry not in known:
                    known.add(entry)
                    arrivals[job_id][int(match.group(2))] = now
        time.sleep(0.2)
    return arrivals, rss_samples


def lateness(arrivals: dict[int, float]) -> float:
    """Largest delay of a slice behind its job's steady cadence (0 when fewer than 2 slices)."""
    if len(arrivals) < 2:
        return 0.0
    anchor = min(t - k * SLICE_SECONDS for k, t in arrivals.items())
    return max(t - k * SLICE_SECONDS - anchor for k, t in arrivals.items())


def one_ramp(
    settings: Settings, work_dir: Path, pattern: Path, log: Callable[[str], None]
) -> list[dict[str, Any]]:
    from pulumi_ims_record.ice import RecordFormat, RecordOutput, StreamInput
    from pulumi_ims_record.local.teststream import TestStream

    levels: list[dict[str, Any]] = []
    work_dir.mkdir(parents=True, exist_ok=True)
    stream = TestStream(name=f"capacity{secrets.token_hex(2)}", work_dir=work_dir / "rtmp")
    stream.start_server()
    relay = start_relay(pattern, stream.url, work_dir / "relay.log")
    try:
        with LocalImsProcess.start(work_dir / "ims", stub_ffmpeg=False) as ims, ims.client() as client:
            bucket = ims.data_dir / "buckets" / BUCKET
            template_id = client.create_live_record_template(
                name="capacity-hls",
                record_formats=[
                    RecordFormat(
                        format="m3u8",
                        oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
                        slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
                        slice_duration=SLICE_SECONDS,
                    )
                ],
            ).template_id
            job_ids: list[str] = []
            source_pids = [pid for pid in (relay.pid, _nginx_pid(stream)) if pid]
            for level in settings.levels:
                while len(job_ids) < level:
                    job_ids.append(
                        client.submit_live_record_job(
                            name=f"capacity-{len(job_ids)}",
                            stream_input=StreamInput(url=stream.url),
                            record_output=RecordOutput(bucket=BUCKET),
                            template_id=template_id,
                        ).job_id
                    )
                time.sleep(settings.warmup)  # ffmpeg connects and cuts its first segment
                cpu_before, _ = ims.usage()
                source_before = _process_usage(source_pids)
                began = time.monotonic()
                arrivals, _ = watch_slices(bucket, job_ids, settings.window)
                elapsed = time.monotonic() - began
                cpu_after, rss = ims.usage()
                source_cpu = (_process_usage(source_pids) - source_before) / elapsed
                expected = int(settings.window // SLICE_SECONDS)  # whole slices that fit in the window
                worst = max(lateness(per_job) for per_job in arrivals.values())
                fewest = min(len(per_job) for per_job in arrivals.values())
                late = worst > LATE_SECONDS or fewest < expected - 1
                entry = {
                    "streams": level,
                    "ims_cpu": (cpu_after - cpu_before) / elapsed,  # cores busy (1.0 = one core)
                    "ims_rss": rss,
                    "source_cpu": source_cpu,
                    "worst_lateness": worst,
                    "fewest_slices": fewest,
                    "expected_slices": expected,
                    "late": late,
                }
                levels.append(entry)
                log(
                    f"  capacity K={level}: IMS CPU {entry['ims_cpu'] * 100:.0f}% of a core, RSS "
                    f"{rss / 2**20:.0f} MiB, source CPU {source_cpu * 100:.0f}%, "
                    f"worst lateness {worst:.2f}s, "
                    f"slices min {fewest}/{expected}{' LATE' if late else ''}"
                )
                if late:
                    break
    finally:
        stop_session(relay)
        stream.stop()
    return levels


def _nginx_pid(stream: Any) -> int | None:
    process = getattr(stream, "_nginx", None)
    return process.pid if process is not None else None


def run(settings: Settings, work_dir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    work_dir.mkdir(parents=True, exist_ok=True)
    pattern = work_dir / "pattern.flv"
    encode_pattern(pattern)
    ramps = []
    for run_index in range(settings.runs):
        ramps.append(one_ramp(settings, work_dir / f"ramp{run_index}", pattern, log))
    return {"settings": settings.__dict__, "ramps": ramps}


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    capacities = []
    for ramp in raw["ramps"]:
        fine = [level["streams"] for level in ramp if not level["late"]]
        capacities.append(float(max(fine)) if fine else 0.0)
    all_late_free = all(not level["late"] for ramp in raw["ramps"] for level in ramp)
    # Per-stream cost: least-squares slope of CPU and RSS over the levels of each ramp without a late slice.
    cpu_slopes, rss_slopes = [], []
    for ramp in raw["ramps"]:
        points = [level for level in ramp if not level["late"]]
        if len(points) >= 2:
            cpu_slopes.append(_slope([(p["streams"], p["ims_cpu"]) for p in points]))
            rss_slopes.append(_slope([(p["streams"], p["ims_rss"]) for p in points]))
    return {
        "capacity": Spread.of(capacities),
        "capped_by_levels": all_late_free,
        "cpu_per_stream": Spread.of(cpu_slopes) if cpu_slopes else None,
        "rss_per_stream": Spread.of(rss_slopes) if rss_slopes else None,
        "ramps": raw["ramps"],
    }


def _slope(points: list[tuple[float, float]]) -> float:
    count = len(points)
    mean_x = sum(x for x, _ in points) / count
    mean_y = sum(y for _, y in points) / count
    denominator = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / denominator if denominator else 0.0
