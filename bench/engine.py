"""Benchmarks 2 and 4: the Pulumi engine with the real resources against the do-nothing floor.

Automation API inline programs, the bootstrapped CLI (``.venv/bin/pulumi``), a file backend in a temporary
directory, one local IMS (jobs' recorders stubbed, they do not record). Per N and per run, in alternating
order: the real stack (1 ``LiveRecordTemplate`` + N ``LiveRecordJob``) and the floor stack (1 ``NullTemplate``
+ N ``NullJob``, ``bench.floor``) each go through ``preview`` (of the empty stack: N+1 creates planned),
``up``, ``refresh``, ``destroy``.

Every run gives its jobs new names: the job provider adopts a job with the same name, stream, output and
template submitted in the last 10 minutes (destroy cannot delete a job), which would skip the submit.

Then: ``up`` with latency injected at the local IMS against the dynamic provider's 4-thread ceiling; ``up``
with SubmitLiveRecordJob limited in QPS (retries from ``/stats``, failures, duplicate jobs); and the prototype
``bench.jobset.LiveRecordJobSet`` (all jobs in one resource, its own 16-way concurrency) beside the per-job
resources.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._common import (
    LOCAL_KEY_ID,
    LOCAL_KEY_SECRET,
    PYTHON,
    REGION,
    REPO_ROOT,
    VENV,
    LocalImsProcess,
    Spread,
)

OPERATIONS = ("preview", "up", "refresh", "destroy")
KINDS = ("real", "floor")
BUCKET = "bench-recordings"
HLS_PREFIX = "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}"
SLICE_PREFIX = "record/{JobId}/{UnixTimestamp}_{Sequence}"
PROJECT = "ims-bench"

# pulumi 3.272.0 ``serialize_provider`` replaces ``pickle._Pickler._batch_setitems`` with a wrapper of the
# current one on every dynamic resource it constructs and never restores it: the chain grows by one per
# resource for the life of the process, until RecursionError (~950 resources). A CLI-run program gets a fresh
# process per operation; inline programs all run in this one, so each run starts from the original again.
_ORIGINAL_BATCH_SETITEMS = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]


@dataclass
class Program:
    """A stack's program; ``prefix`` changes per run so every run submits new jobs."""

    kind: str  # "real", "floor" or "jobset"
    count: int
    prefix: str = "init"

    def __call__(self) -> None:
        import pulumi

        pickle._Pickler._batch_setitems = _ORIGINAL_BATCH_SETITEMS  # type: ignore[attr-defined]

        job_props = [
            {
                "name": f"{self.prefix}-{index}",
                "stream_input": {"type": "rtmp", "url": f"rtmp://127.0.0.1:1/live/{self.prefix}-{index}"},
                "record_output": {"type": "oss", "bucket": BUCKET},
            }
            for index in range(self.count)
        ]
        if self.kind == "floor":
            from bench.floor import NullJob, NullTemplate

            null_template = NullTemplate("template", {"name": f"{self.prefix}-hls"})
            for index, props in enumerate(job_props):
                NullJob(f"job-{index}", {**props, "template_id": null_template.id})
            return
        from pulumi_ims_record import (
            LiveRecordJob,
            LiveRecordTemplate,
            RecordFormatArgs,
            RecordOutputArgs,
            StreamInputArgs,
        )

        template = LiveRecordTemplate(
            "template",
            name=f"{self.prefix}-hls",
            record_formats=[
                RecordFormatArgs(
                    format="m3u8", oss_object_prefix=HLS_PREFIX, slice_oss_object_prefix=SLICE_PREFIX
                )
            ],
        )
        if self.kind == "jobset":
            from bench.jobset import LiveRecordJobSet

            LiveRecordJobSet("jobs", jobs=job_props, template_id=template.id)
            return
        for index, props in enumerate(job_props):
            LiveRecordJob(
                f"job-{index}",
                name=props["name"],
                stream_input=StreamInputArgs(url=props["stream_input"]["url"]),
                record_output=RecordOutputArgs(bucket=BUCKET),
                template_id=template.id,
            )
        pulumi.export("template_id", template.id)


@dataclass
class Workspace:
    """A file backend and PULUMI_HOME under ``root``, every stack pointed at ``ims``."""

    root: Path
    ims: LocalImsProcess
    marker: str = field(default_factory=lambda: secrets.token_hex(8))
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def env(self) -> dict[str, str]:
        backend = self.root / "backend"
        backend.mkdir(parents=True, exist_ok=True)
        return {
            "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_BACKEND_URL": backend.as_uri(),
            "PULUMI_HOME": str(self.root / "pulumi-home"),
            "PULUMI_CONFIG_PASSPHRASE": "bench",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_IGNORE_AMBIENT_PLUGINS": "false",  # the plugin on PATH (scripts/env.sh ignores it)
            "PULUMI_PYTHON_CMD": PYTHON,
            # The provider process imports bench.floor / bench.jobset from the repository root.
            "PYTHONPATH": str(REPO_ROOT),
            "IMS_BENCH_MARKER": self.marker,
            "ALIBABA_CLOUD_ICE_ENDPOINT": self.ims.endpoint,
            "ALIBABA_CLOUD_REGION": REGION,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": LOCAL_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": LOCAL_KEY_SECRET,
        }

    def stack(self, program: Program) -> Any:
        from pulumi import automation as auto

        name = f"{program.kind}{program.count}-{next(self._names)}"
        work_dir = self.root / "workspaces" / name
        work_dir.mkdir(parents=True, exist_ok=True)
        options = auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            pulumi_command=auto.PulumiCommand(root=str(VENV)),
            env_vars=self.env,
            project_settings=auto.ProjectSettings(name=PROJECT, runtime="python"),
        )
        stack = auto.create_or_select_stack(
            stack_name=name, project_name=PROJECT, program=program, opts=options
        )
        stack.set_all_config(
            {
                "ims-record:endpoint": auto.ConfigValue(self.ims.endpoint),
                "alicloud:region": auto.ConfigValue(REGION),
            }
        )
        return stack


class CpuSampler:
    """CPU seconds per process role during one operation: the CLI (engine), the provider process(es), the
    local IMS (with its children), and this process (the Automation API and the inline program run here).
    Processes are found by a marker variable in their environment (the workspace sets it for the CLI, which
    passes it on to its plugins), sampled every 0.2 s; the last sample of a process counts."""

    def __init__(self, marker: str, ims: LocalImsProcess) -> None:
        import threading

        self._marker = f"IMS_BENCH_MARKER={marker}".encode()
        self._ims = ims
        self._last: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _role(self, pid: int) -> str | None:
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                if self._marker not in environ.read():
                    return None
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except OSError:
            return None
        if b"pulumi.dynamic" in command or b"pulumi-resource-pulumi-python" in command:
            return "provider process"
        if b"pulumi-language-python" in command:
            return "language host"
        return "pulumi CLI (engine)" if b"pulumi" in command.split(b"\0")[0] else "other"

    def _loop(self) -> None:
        from bench._common import process_cpu_seconds

        while not self._stop.is_set():
            for entry in os.listdir("/proc"):
                if not entry.isdigit() or int(entry) == os.getpid():
                    continue
                pid = int(entry)
                known = self._last.get(pid)
                role = known[0] if known else self._role(pid)
                if role is None:
                    continue
                with contextlib.suppress(OSError, ValueError, IndexError):
                    self._last[pid] = (role, process_cpu_seconds(pid))
            self._stop.wait(0.2)

    def __enter__(self) -> CpuSampler:
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        self._self_before = usage.ru_utime + usage.ru_stime
        self._ims_before = self._ims.usage()[0]
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        import resource

        self._stop.set()
        self._thread.join()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.result: dict[str, float] = {
            "program + Automation API (this process)": usage.ru_utime + usage.ru_stime - self._self_before,
            "local IMS": self._ims.usage()[0] - self._ims_before,
        }
        for role, cpu in self._last.values():
            self.result[role] = self.result.get(role, 0.0) + cpu


def profile_up(
    count: int, workspace: Workspace, ims: LocalImsProcess, log: Callable[[str], None]
) -> dict[str, dict[str, float]]:
    """One ``up`` (+ destroy) of each kind at N=count with the CPU per process role."""
    profiles: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        program = Program(kind, count, prefix=f"p{secrets.token_hex(3)}-{kind}")
        stack = workspace.stack(program)
        with CpuSampler(workspace.marker, ims) as sampler:
            wall = _timed(lambda stack=stack: stack.up())
        stack.destroy()
        profiles[kind] = {"wall": wall, **sampler.result}
        log(
            f"  profile up N={count} {kind}: " + ", ".join(f"{k} {v:.2f}s" for k, v in profiles[kind].items())
        )
    return profiles


def _timed(action: Callable[[], Any]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def lifecycle(stack: Any, program: Program, ims: LocalImsProcess, run_tag: str) -> dict[str, float]:
    """preview, up, refresh, destroy of one stack; also the API calls preview made."""
    program.prefix = f"{run_tag}-{program.kind}{program.count}"
    timings: dict[str, float] = {}
    ims.reset_stats()
    timings["preview"] = _timed(lambda: stack.preview())
    timings["preview_api_calls"] = float(sum(ims.stats().values()))
    ims.reset_stats()
    timings["up"] = _timed(lambda: stack.up())
    timings["up_api_calls"] = float(sum(ims.stats().values()))
    timings["refresh"] = _timed(lambda: stack.refresh())
    timings["destroy"] = _timed(lambda: stack.destroy())
    return timings


@dataclass(frozen=True)
class Settings:
    counts: tuple[int, ...]
    runs: int
    runs_for_large: int  # runs for N >= 200
    latency_count: int
    latency_ms: int
    throttle_count: int
    throttle_qps: float


def run(settings: Settings, work_dir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    results: dict[str, Any] = {"grid": {}, "latency": {}, "throttle": {}}
    with LocalImsProcess.start(work_dir / "ims") as ims:
        workspace = Workspace(work_dir / "pulumi", ims)
        for count in settings.counts:
            programs = {kind: Program(kind, count) for kind in KINDS}
            stacks = {kind: workspace.stack(programs[kind]) for kind in KINDS}
            runs = settings.runs_for_large if count >= 200 else settings.runs
            per_kind: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
            for run_index in range(runs):
                tag = f"g{run_index}{secrets.token_hex(3)}"
                for kind in KINDS if run_index % 2 == 0 else tuple(reversed(KINDS)):
                    timings = lifecycle(stacks[kind], programs[kind], ims, tag)
                    per_kind[kind].append(timings)
                    log(
                        f"  engine N={count} run {run_index + 1}/{runs} {kind:5}: "
                        + ", ".join(f"{op} {timings[op]:.2f}s" for op in OPERATIONS)
                        + f", preview API calls {timings['preview_api_calls']:.0f}"
                    )
            results["grid"][count] = per_kind
        results["profile"] = profile_up(max(settings.counts), workspace, ims, log)
        results["latency"] = latency_runs(settings, workspace, ims, log)
        results["throttle"] = throttle_runs(settings, workspace, ims, log)
    return results


def latency_runs(
    settings: Settings, workspace: Workspace, ims: LocalImsProcess, log: Callable[[str], None]
) -> dict[str, Any]:
    """``up`` of N jobs with latency at the IMS: per-job resources, the job-set prototype, and the floor."""
    count = settings.latency_count
    kinds = ("real", "jobset", "floor")
    programs = {kind: Program(kind, count) for kind in kinds}
    stacks = {kind: workspace.stack(programs[kind]) for kind in kinds}
    samples: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for run_index in range(settings.runs):
        tag = f"l{run_index}{secrets.token_hex(3)}"
        for kind in kinds:
            programs[kind].prefix = f"{tag}-{kind}"
            ims.set_faults({"latency_ms": settings.latency_ms})
            ims.reset_stats()
            try:
                up = _timed(lambda stack=stacks[kind]: stack.up())
                calls = ims.stats()
            finally:
                ims.clear_faults()
            stacks[kind].destroy()
            samples[kind].append({"up": up, "api_calls": float(sum(calls.values()))})
            log(
                f"  latency {settings.latency_ms} ms N={count} run {run_index + 1} {kind:6}: "
                f"up {up:.2f}s, calls {calls}"
            )
    return {"count": count, "latency_ms": settings.latency_ms, "samples": samples}


THROTTLE_KINDS = ("real",)


def throttle_runs(
    settings: Settings, workspace: Workspace, ims: LocalImsProcess, log: Callable[[str], None]
) -> dict[str, Any]:
    """``up`` of N jobs with SubmitLiveRecordJob limited to ``throttle_qps``: wall, retries, failures,
    duplicates (jobs per name on the IMS)."""
    count = settings.throttle_count
    samples: dict[str, list[dict[str, float]]] = {kind: [] for kind in THROTTLE_KINDS}
    programs = {kind: Program(kind, count) for kind in THROTTLE_KINDS}
    stacks = {kind: workspace.stack(programs[kind]) for kind in THROTTLE_KINDS}
    for run_index in range(settings.runs):
        for kind in THROTTLE_KINDS if run_index % 2 == 0 else tuple(reversed(THROTTLE_KINDS)):
            program, stack = programs[kind], stacks[kind]
            program.prefix = f"t{run_index}{secrets.token_hex(3)}-{kind}"
            ims.set_faults({"qps": {"SubmitLiveRecordJob": settings.throttle_qps}})
            ims.reset_stats()
            failed = 0.0
            began = time.perf_counter()
            try:
                stack.up()
            except Exception as exc:  # a failed up is a figure here, not a crash of the benchmark
                failed = 1.0
                reasons = sorted({line.strip() for line in str(exc).splitlines() if "Throttling" in line})
                log(f"  throttled up ({kind}) failed: {reasons[:1]}")
            wall = time.perf_counter() - began
            calls = ims.stats()
            ims.clear_faults()
            with ims.client() as client:
                names = Counter(
                    job.name
                    for job in client.iter_live_record_jobs(keyword=program.prefix, page_size=100)
                    if job.name.startswith(program.prefix)
                )
            submits = calls.get("SubmitLiveRecordJob", 0)
            sample = {
                "up": wall,
                "submit_calls": float(submits),
                "jobs": float(len(names)),
                "retries": float(submits - sum(names.values())),
                "duplicates": float(sum(n - 1 for n in names.values())),
                "missing": float(count - len(names)),
                "failed": failed,
            }
            samples[kind].append(sample)
            log(f"  throttled {settings.throttle_qps:g} qps N={count} run {run_index + 1} {kind}: {sample}")
            with contextlib.suppress(Exception):
                stack.destroy()
    return {"count": count, "qps": settings.throttle_qps, "samples": samples}


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    grid: dict[int, Any] = {}
    for count, per_kind in raw["grid"].items():
        entry: dict[str, Any] = {
            kind: {
                op: Spread.of([t[op] for t in runs])
                for op in (*OPERATIONS, "preview_api_calls", "up_api_calls")
            }
            for kind, runs in per_kind.items()
        }
        pairs = list(zip(per_kind["real"], per_kind["floor"], strict=True))
        entry["ratio"] = {op: Spread.of([real[op] / floor[op] for real, floor in pairs]) for op in OPERATIONS}
        grid[int(count)] = entry
    latency = raw["latency"]
    count, latency_s = latency["count"], latency["latency_ms"] / 1000
    ceiling = count / 4 * latency_s
    lat: dict[str, Any] = {"count": count, "latency_ms": latency["latency_ms"], "ceiling": ceiling}
    floors = [s["up"] for s in latency["samples"]["floor"]]
    for kind, samples in latency["samples"].items():
        lat[kind] = {
            "up": Spread.of([s["up"] for s in samples]),
            "api_calls": Spread.of([s["api_calls"] for s in samples]),
            "ratio_to_ceiling": Spread.of([s["up"] / ceiling for s in samples]),
            "ratio_to_floor_plus_ceiling": Spread.of(
                [s["up"] / (floor + ceiling) for s, floor in zip(samples, floors, strict=True)]
            ),
        }
    throttle = raw["throttle"]
    ideal = throttle["count"] / throttle["qps"]
    thr: dict[str, Any] = {"count": throttle["count"], "qps": throttle["qps"], "ideal": ideal}
    for kind, samples in throttle["samples"].items():
        thr[kind] = {
            key: Spread.of([s[key] for s in samples])
            for key in ("up", "submit_calls", "retries", "duplicates", "missing", "failed", "jobs")
        }
        thr[kind]["ratio"] = Spread.of([s["up"] / ideal for s in samples])
    return {"grid": grid, "latency": lat, "throttle": thr, "profile": raw.get("profile", {})}
