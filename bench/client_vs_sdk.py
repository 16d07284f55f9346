"""Benchmark 1: ``IceClient`` against the official SDK (``alibabacloud_ice20201109``), local IMS, loopback.

Every measurement runs in a fresh subprocess (``python -m bench.client_vs_sdk worker ...``), so each client's
import, connection pool and memory are its own; the local IMS is another process, so the worker's CPU time
(``resource.getrusage(RUSAGE_SELF)``, all threads) is the client's own cost per call: building, signing,
sending and parsing. Wall latency also includes the server's time, which both clients share.

Operations: SubmitLiveRecordJob, GetLiveRecordJob, ListLiveRecordJobs (page of 10), sequential and with 16
threads sharing one client. Runs alternate which client goes first. Import time and RSS: a fresh interpreter
per measurement that imports the client module and builds a client.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._common import (
    LOCAL_KEY_ID,
    LOCAL_KEY_SECRET,
    PYTHON,
    REPO_ROOT,
    LocalImsProcess,
    Spread,
    percentile,
)

IMPLEMENTATIONS = ("ice", "sdk", "ice-stdlib")
"""``ice-stdlib``: IceClient with the prototype ``bench.fast_transport.HttpClientTransport``."""
OPERATIONS = ("SubmitLiveRecordJob", "GetLiveRecordJob", "ListLiveRecordJobs")
WARMUP_CALLS = 30
STREAM_URL = "rtmp://127.0.0.1:1/live/bench"
BUCKET = "bench-recordings"
HLS_PREFIX = "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}"
SLICE_PREFIX = "record/{JobId}/{UnixTimestamp}_{Sequence}"

# --- the worker (runs in its own process) -------------------------------------------------------------------


def _ice_call(
    endpoint: str, operation: str, template_id: str, job_ids: list[str], *, stdlib: bool = False
) -> Callable[[int], Any]:
    from pulumi_ims_record.ice import Credentials, IceClient, RecordOutput, StreamInput

    transport = None
    if stdlib:
        from bench.fast_transport import HttpClientTransport

        transport = HttpClientTransport()
    client = IceClient(
        region="cn-shanghai",
        endpoint=endpoint,
        credentials=Credentials(LOCAL_KEY_ID, LOCAL_KEY_SECRET),
        transport=transport,
    )
    if operation == "SubmitLiveRecordJob":
        stream, output = StreamInput(url=STREAM_URL), RecordOutput(bucket=BUCKET)
        return lambda i: client.submit_live_record_job(
            name=f"bench-ice-{i}", stream_input=stream, record_output=output, template_id=template_id
        )
    if operation == "GetLiveRecordJob":
        return lambda i: client.get_live_record_job(job_id=job_ids[i % len(job_ids)])
    return lambda i: client.list_live_record_jobs(page_no=1, page_size=10, sort_by="desc")


def _sdk_call(endpoint: str, operation: str, template_id: str, job_ids: list[str]) -> Callable[[int], Any]:
    from alibabacloud_ice20201109 import models
    from alibabacloud_ice20201109.client import Client
    from alibabacloud_tea_openapi.models import Config

    host = endpoint.removeprefix("http://")
    client = Client(
        Config(
            access_key_id=LOCAL_KEY_ID,
            access_key_secret=LOCAL_KEY_SECRET,
            endpoint=host,
            protocol="http",
            read_timeout=30000,
            connect_timeout=5000,
        )
    )
    if operation == "SubmitLiveRecordJob":
        stream = models.SubmitLiveRecordJobRequestStreamInput(type="rtmp", url=STREAM_URL)
        output = models.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket=BUCKET)
        return lambda i: client.submit_live_record_job(
            models.SubmitLiveRecordJobRequest(
                name=f"bench-sdk-{i}", stream_input=stream, record_output=output, template_id=template_id
            )
        )
    if operation == "GetLiveRecordJob":
        return lambda i: client.get_live_record_job(
            models.GetLiveRecordJobRequest(job_id=job_ids[i % len(job_ids)])
        )
    return lambda i: client.list_live_record_jobs(
        models.ListLiveRecordJobsRequest(page_no=1, page_size=10, sort_by="desc")
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker(args: argparse.Namespace) -> dict[str, Any]:
    job_ids = json.loads(args.job_ids) if args.job_ids else []
    if args.impl == "sdk":
        call = _sdk_call(args.endpoint, args.operation, args.template_id, job_ids)
    else:
        call = _ice_call(
            args.endpoint, args.operation, args.template_id, job_ids, stdlib=args.impl == "ice-stdlib"
        )
    for index in range(WARMUP_CALLS):
        call(-1 - index)
    latencies: list[float] = []
    lock = threading.Lock()

    def run_slice(start: int, count: int) -> None:
        mine = []
        for index in range(start, start + count):
            began = time.perf_counter()
            call(index)
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    cpu_before, wall_before = _cpu_seconds(), time.perf_counter()
    if args.threads == 1:
        run_slice(0, args.calls)
    else:
        share = args.calls // args.threads
        with ThreadPoolExecutor(args.threads) as pool:
            for future in [pool.submit(run_slice, n * share, share) for n in range(args.threads)]:
                future.result()
    wall = time.perf_counter() - wall_before
    cpu = _cpu_seconds() - cpu_before
    latencies.sort()
    return {
        "calls": len(latencies),
        "wall": wall,
        "cpu_per_call": cpu / len(latencies),
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "calls_per_second": len(latencies) / wall,
        "max_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


IMPORT_PROBE = """
import json, resource, time
began = time.perf_counter()
{imports}
imported = time.perf_counter() - began
{build}
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024
print(json.dumps({{"import": imported, "rss": rss(), "modules": len(__import__("sys").modules)}}))
"""
IMPORTS = {
    "ice": (
        "from pulumi_ims_record.ice import IceClient, Credentials",
        "client = IceClient(region='cn-shanghai', endpoint='http://127.0.0.1:1', "
        "credentials=Credentials('k', 's'))",
    ),
    "sdk": (
        "from alibabacloud_ice20201109.client import Client\n"
        "from alibabacloud_tea_openapi.models import Config",
        "client = Client(Config(access_key_id='k', access_key_secret='s', endpoint='127.0.0.1:1', "
        "protocol='http'))",
    ),
}


def import_probe(impl: str) -> dict[str, float]:
    imports, build = IMPORTS[impl]
    source = IMPORT_PROBE.format(imports=imports, build=build)
    result = subprocess.run(
        [PYTHON, "-c", source], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    parsed: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


# --- the orchestrator -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    runs: int
    sequential_calls: int
    threaded_calls: int
    threads: int = 16
    submit_threaded_calls: int = 1000
    nagle_calls: int = 200


def _run_worker(
    impl: str, operation: str, threads: int, calls: int, endpoint: str, template_id: str, job_ids: list[str]
) -> dict[str, Any]:
    command = [
        PYTHON, "-m", "bench.client_vs_sdk", "worker", "--impl", impl, "--operation", operation,
        "--threads", str(threads), "--calls", str(calls), "--endpoint", endpoint,
        "--template-id", template_id, "--job-ids", json.dumps(job_ids),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"worker {impl} {operation} failed:\n{result.stderr[-3000:]}")
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def run(settings: Settings, work_dir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    from pulumi_ims_record.ice import RecordFormat, RecordOutput, StreamInput

    measurements: dict[str, dict[str, list[dict[str, Any]]]] = {}
    imports: dict[str, list[dict[str, float]]] = {impl: [] for impl in IMPORTS}
    for run_index in range(settings.runs):
        for impl in IMPORTS if run_index % 2 == 0 else tuple(reversed(IMPORTS)):
            imports[impl].append(import_probe(impl))
    # Reads run against a server holding only 50 seed jobs, so their answers never change; submits go to a
    # second server (thousands of new jobs would otherwise slow the listing down run after run).
    with (
        LocalImsProcess.start(work_dir / "ims-reads") as reads,
        LocalImsProcess.start(work_dir / "ims-submits") as submits,
    ):
        templates = {}
        job_ids: list[str] = []
        for name, ims in (("reads", reads), ("submits", submits)):
            with ims.client() as client:
                templates[name] = client.create_live_record_template(
                    name="bench-hls",
                    record_formats=[
                        RecordFormat(
                            format="m3u8",
                            oss_object_prefix=HLS_PREFIX,
                            slice_oss_object_prefix=SLICE_PREFIX,
                            slice_duration=30,
                        )
                    ],
                ).template_id
                if name == "reads":
                    job_ids = [
                        client.submit_live_record_job(
                            name=f"seed-{n}",
                            stream_input=StreamInput(url=STREAM_URL),
                            record_output=RecordOutput(bucket=BUCKET),
                            template_id=templates[name],
                        ).job_id
                        for n in range(50)
                    ]
        for run_index in range(settings.runs):
            order = IMPLEMENTATIONS if run_index % 2 == 0 else tuple(reversed(IMPLEMENTATIONS))
            for operation in ("GetLiveRecordJob", "ListLiveRecordJobs", "SubmitLiveRecordJob"):
                target = submits if operation == "SubmitLiveRecordJob" else reads
                template_id = templates["submits" if operation == "SubmitLiveRecordJob" else "reads"]
                threaded_calls = (
                    settings.submit_threaded_calls
                    if operation == "SubmitLiveRecordJob"
                    else settings.threaded_calls
                )
                for mode, threads, calls in (
                    ("sequential", 1, settings.sequential_calls),
                    ("threads16", settings.threads, threaded_calls),
                ):
                    for impl in order:
                        outcome = _run_worker(
                            impl, operation, threads, calls, target.endpoint, template_id, job_ids
                        )
                        key = f"{operation}/{mode}"
                        measurements.setdefault(key, {}).setdefault(impl, []).append(outcome)
                        log(
                            f"  client run {run_index + 1}/{settings.runs} {key:32} {impl}: "
                            f"p50 {outcome['p50'] * 1e3:.2f} ms, "
                            f"cpu/call {outcome['cpu_per_call'] * 1e3:.2f} ms, "
                            f"{outcome['calls_per_second']:.0f} calls/s"
                        )
    nagle = nagle_runs(settings, work_dir, log)
    profile = profile_breakdown(work_dir)
    return {
        "settings": settings.__dict__,
        "measurements": measurements,
        "imports": imports,
        "nagle": nagle,
        "profile": profile,
    }


def nagle_runs(settings: Settings, work_dir: Path, log: Callable[[str], None]) -> dict[str, list[float]]:
    """Sequential GetLiveRecordJob p50 with IceClient against the stock local IMS, on its own: the figure that
    was 44 ms per answer before the server set TCP_NODELAY (Nagle + delayed ACK)."""
    from pulumi_ims_record.ice import RecordFormat, RecordOutput, StreamInput

    p50: dict[str, list[float]] = {"stock": []}
    for variant in p50:
        with LocalImsProcess.start(work_dir / f"nagle-{variant}") as ims:
            with ims.client() as client:
                template_id = client.create_live_record_template(
                    name="nagle",
                    record_formats=[
                        RecordFormat(
                            format="m3u8",
                            oss_object_prefix=HLS_PREFIX,
                            slice_oss_object_prefix=SLICE_PREFIX,
                            slice_duration=30,
                        )
                    ],
                ).template_id
                job_id = client.submit_live_record_job(
                    name="nagle",
                    stream_input=StreamInput(url=STREAM_URL),
                    record_output=RecordOutput(bucket=BUCKET),
                    template_id=template_id,
                ).job_id
            for _ in range(settings.runs):
                outcome = _run_worker(
                    "ice", "GetLiveRecordJob", 1, settings.nagle_calls, ims.endpoint, template_id, [job_id]
                )
                p50[variant].append(outcome["p50"])
        log(f"  Nagle: {variant} server, sequential Get p50 {[round(v * 1e3, 2) for v in p50[variant]]} ms")
    return p50


PROFILE_GROUPS = (
    ("pulumi_ims_record/ice", "IceClient own code (signing, params, parsing, retries)"),
    ("httpx/", "httpx (Request/Response objects, HTTPTransport)"),
    ("httpcore/", "httpcore (connection pool)"),
    ("h11/", "h11 (HTTP/1.1 state machine)"),
)


def profile_breakdown(work_dir: Path) -> dict[str, float]:
    """cProfile of 2000 sequential IceClient GetLiveRecordJob calls: own time grouped by package (seconds
    per call). The blocking socket receive is listed apart (it is waiting for the server, not CPU)."""
    command = [PYTHON, "-m", "bench.client_vs_sdk", "profile", "--work-dir", str(work_dir / "profile")]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"client profile failed:\n{result.stderr[-3000:]}")
    parsed: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def _profile_main(work_dir: Path) -> dict[str, float]:
    import cProfile
    import pstats

    from pulumi_ims_record.ice import RecordFormat, RecordOutput, StreamInput

    calls = 2000
    with LocalImsProcess.start(work_dir) as ims, ims.client() as client:
        template_id = client.create_live_record_template(
            name="profile",
            record_formats=[
                RecordFormat(
                    format="m3u8",
                    oss_object_prefix=HLS_PREFIX,
                    slice_oss_object_prefix=SLICE_PREFIX,
                    slice_duration=30,
                )
            ],
        ).template_id
        job_id = client.submit_live_record_job(
            name="profile",
            stream_input=StreamInput(url=STREAM_URL),
            record_output=RecordOutput(bucket=BUCKET),
            template_id=template_id,
        ).job_id
        call = _ice_call(ims.endpoint, "GetLiveRecordJob", template_id, [job_id])
        for index in range(WARMUP_CALLS):
            call(index)
        profiler = cProfile.Profile()
        profiler.enable()
        for index in range(calls):
            call(index)
        profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.items():
        if function in ("recv", "recv_into") or ("socket" in function and "recv" in function):
            label = "socket receive (waiting for the server)"
        else:
            label = next((name for key, name in PROFILE_GROUPS if key in filename), "stdlib and other")
        groups[label] = groups.get(label, 0.0) + own / calls
    return groups


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    """Spreads per figure, and ratios ice/sdk computed run by run (same run, same server state)."""
    summary: dict[str, Any] = {"operations": {}, "imports": {}, "settings": raw["settings"]}
    for key, per_impl in raw["measurements"].items():
        entry: dict[str, Any] = {}
        for impl, runs in per_impl.items():
            entry[impl] = {
                metric: Spread.of([run[metric] for run in runs])
                for metric in ("p50", "p99", "calls_per_second", "cpu_per_call", "max_rss")
            }
        for impl in ("ice", "ice-stdlib"):
            pairs = list(zip(per_impl[impl], per_impl["sdk"], strict=True))
            entry[f"ratio/{impl}"] = {
                metric: Spread.of([ours[metric] / sdk[metric] for ours, sdk in pairs])
                for metric in ("p50", "p99", "calls_per_second", "cpu_per_call")
            }
        summary["operations"][key] = entry
    for impl, runs in raw["imports"].items():
        summary["imports"][impl] = {
            metric: Spread.of([run[metric] for run in runs]) for metric in ("import", "rss", "modules")
        }
    summary["nagle"] = {variant: Spread.of(values) for variant, values in raw["nagle"].items()}
    summary["profile"] = raw["profile"]
    pairs = list(zip(raw["imports"]["ice"], raw["imports"]["sdk"], strict=True))
    summary["imports"]["ratio"] = {
        metric: Spread.of([ice[metric] / sdk[metric] for ice, sdk in pairs]) for metric in ("import", "rss")
    }
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker")
    w.add_argument("--impl", choices=IMPLEMENTATIONS, required=True)
    w.add_argument("--operation", choices=OPERATIONS, required=True)
    w.add_argument("--threads", type=int, default=1)
    w.add_argument("--calls", type=int, default=2000)
    w.add_argument("--endpoint", required=True)
    w.add_argument("--template-id", required=True)
    w.add_argument("--job-ids", default="")
    p = sub.add_parser("profile")
    p.add_argument("--work-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "profile":
        print(json.dumps(_profile_main(args.work_dir)))
    else:
        print(json.dumps(worker(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
