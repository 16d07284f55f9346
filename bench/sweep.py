"""The kill sweep of issue 34: ``pulumi up`` SIGKILLed at seeded points over the whole run, mostly the whole
process tree (CLI, language host, providers), at times the CLI alone; then the documented recovery and what
is left, counted.

Three stacks of a template and ``jobs`` jobs (30 by default): ``jobs`` (LiveRecordJob resources) and
``jobset`` (one LiveRecordJobSet) through the Python dynamic resources, ``yaml`` (LiveRecordJob resources of
the native package, from Pulumi YAML). A point kills at a time since the CLI started, at a time since the
first API call was answered, or once the local IMS has answered a number of calls (``Point``): fractions of an
uninterrupted ``up`` of the same stack, measured at the start of the sweep (``Calibration``).
Each point has its own local IMS, backend and stack, so everything on the service belongs to it.

Per point, after the kill: 5 s, then the killed run's processes of ours still alive are counted (found by a
marker in their environment): after the CLI alone was killed, its plugins must notice and exit; after the
whole tree, a plugin started while it was being killed escapes the kill and must too. Then the recovery
docs/resources.md gives: ``pulumi cancel``, ``pulumi up``, ``pulumi refresh --clear-pending-creates``.
Counted: duplicate jobs (same name, stream, output and template), declared jobs not in the stack, templates
on the service the stack does not hold, commands that refused the stack, pending operations left, and
adopted resources that the second ``up``'s output does not name with the next step.

Seeded (``--sweep-seed``): each point draws from its own seed; a failed point prints the command that replays
it. Bounded (``--sweep-minutes``: no point starts after that) and resumable: every finished point is a line
of ``sweep-points.jsonl`` in the report directory, and a run with the same seed and stack size skips the
points found there.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import random
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench._common import (
    LOCAL_KEY_ID,
    LOCAL_KEY_SECRET,
    PYTHON,
    REGION,
    VENV,
    LocalImsProcess,
    descendants,
)

KINDS = ("jobs", "jobset", "yaml")
DOORS = {"jobs": "Python", "jobset": "Python", "yaml": "YAML"}
COUNTS = ("duplicates", "missing", "leaked_templates", "refused", "pending", "orphans", "unnamed_adoptions")
ORPHAN_WAIT = 5.0  # seconds after the kill before the killed run's processes are counted
PULUMIS_OWN = ("pulumi-language-yaml",)  # not ours: Pulumi's YAML host notices a dead engine after 5 minutes
BUCKET = "e2e-recordings"
HLS_PREFIX = "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}"
SLICE_PREFIX = "record/{JobId}/{UnixTimestamp}_{Sequence}"
POINTS_FILE = "sweep-points.jsonl"
NEXT_STEP = "pulumi refresh --clear-pending-creates"  # what every adoption message must tell
# Points that failed before a fix, for the report: label, what was left, the commit that fixed it. Found by
# the sweep run against commit 9eaa8db, before issue 34's fixes, with the code of that commit on PYTHONPATH:
# ``PYTHONPATH=<checkout of 9eaa8db> .venv/bin/python bench/run.py --only sweep --sweep-points 12
# --sweep-seed 34``: 18 of 24 killed runs failed (7 with our processes alive, 18 without the next step); each
# label below was replayed (``--sweep-replay``) on the fixed code and passed.
FIXED_BEFORE = "9eaa8db"
FIXED: list[dict[str, str]] = [
    {
        "label": "yaml:34002",
        "what": "the native plugin alive 5 s after the CLI alone was killed",
        "fix": "c85c789",
    },
    {
        "label": "jobs:34001",
        "what": "the dynamic-provider host running our code alive 5 s after the CLI alone was killed",
        "fix": "c85c789",
    },
    {
        "label": "jobset:34001",
        "what": "the dynamic-provider host alive 5 s after the CLI alone was killed, 2 calls into the run",
        "fix": "c85c789",
    },
    {"label": "yaml:34000", "what": "8 jobs adopted without the next step in the message", "fix": "c32cf1b"},
    {"label": "jobs:34000", "what": "jobs adopted without the next step in the message", "fix": "c32cf1b"},
    {
        "label": "jobset:34000",
        "what": "a set's jobs adopted without the next step in the message",
        "fix": "c32cf1b",
    },
]
STACK = "sweep"

_TEMPLATE_SOURCE = """
import pulumi

from pulumi_ims_record import (
    LiveRecordJob, LiveRecordJobSet, LiveRecordJobSetEntryArgs, LiveRecordTemplate, RecordFormatArgs,
    RecordOutputArgs, StreamInputArgs,
)

config = pulumi.Config()
prefix = config.require("prefix")
jobs = config.require_int("jobs")
template = LiveRecordTemplate(
    "template",
    name=f"{prefix}-hls",
    record_formats=[
        RecordFormatArgs(
            format="m3u8",
            oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
            slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
        )
    ],
)
"""

# A template and ``jobs`` LiveRecordJob resources ``<prefix>-<i>``; prefix and count from the stack config.
PYTHON_JOBS_PROGRAM = (
    _TEMPLATE_SOURCE
    + """
for index in range(jobs):
    LiveRecordJob(
        f"{prefix}-{index}",
        stream_input=StreamInputArgs(url=f"rtmp://127.0.0.1:1/live/{prefix}-{index}"),
        record_output=RecordOutputArgs(bucket="e2e-recordings"),
        template_id=template.id,
    )
"""
)

# The same jobs as entries of one LiveRecordJobSet (job names ``<prefix>-<i>`` too).
PYTHON_JOB_SET_PROGRAM = (
    _TEMPLATE_SOURCE
    + """
LiveRecordJobSet(
    "jobs",
    jobs=[
        LiveRecordJobSetEntryArgs(
            key=f"{prefix}-{index}",
            name=f"{prefix}-{index}",
            stream_input=StreamInputArgs(url=f"rtmp://127.0.0.1:1/live/{prefix}-{index}"),
        )
        for index in range(jobs)
    ],
    record_output=RecordOutputArgs(bucket="e2e-recordings"),
    template_id=template.id,
)
"""
)


def yaml_jobs_program(name: str, prefix: str, jobs: int) -> dict[str, object]:
    """PYTHON_JOBS_PROGRAM in Pulumi YAML on the native package: a template ``<prefix>-hls`` and ``jobs``
    jobs."""
    formats = [{"format": "m3u8", "ossObjectPrefix": HLS_PREFIX, "sliceOssObjectPrefix": SLICE_PREFIX}]
    resources: dict[str, object] = {
        "template": {
            "type": "ims-record:index:LiveRecordTemplate",
            "properties": {"name": f"{prefix}-hls", "recordFormats": formats},
        }
    }
    for index in range(jobs):
        resources[f"{prefix}-{index}"] = {
            "type": "ims-record:index:LiveRecordJob",
            "properties": {
                "streamInput": {"url": f"rtmp://127.0.0.1:1/live/{prefix}-{index}"},
                "recordOutput": {"bucket": BUCKET},
                "templateId": "${template.id}",
            },
        }
    return {"name": name, "runtime": "yaml", "resources": resources}


@dataclass(frozen=True)
class Settings:
    seed: int = 20261207
    points_per_door: int = 100  # killed runs per front door; the Python door's are split over jobs and jobset
    jobs: int = 30
    workers: int = 2  # points run side by side
    minutes: float = 120.0  # no point starts after this


TRIGGERS = {"start": 1, "time": 3, "calls": 3}  # when a point kills, and how often (weights)
KILLS = {
    "tree": 3,
    "cli": 1,
}  # what it kills: the whole process tree, or the CLI alone (plugins left running)


@dataclass(frozen=True)
class Point:
    """Where one run is killed (``kill``: which processes), by ``trigger``: "start", at ``fraction`` of the
    time an uninterrupted ``up`` takes to its first API call (engine, language host and plugins starting, the
    program running); "time", that first call answered, at ``fraction`` of the time from there to its end;
    "calls", once ``fraction`` of its API calls were answered, and ``delay`` seconds more."""

    kind: str
    seed: int
    trigger: str
    fraction: float
    delay: float
    kill: str  # "tree": the CLI and every process below it; "cli": the CLI's process group only

    @classmethod
    def draw(cls, kind: str, seed: int) -> Point:
        rng = random.Random(f"{kind}:{seed}")
        trigger = rng.choices(list(TRIGGERS), weights=list(TRIGGERS.values()))[0]
        fraction = round(rng.uniform(0.02, 0.98), 3)
        delay = round(rng.uniform(0.0, 0.2), 3) if trigger == "calls" else 0.0
        kill = rng.choices(list(KILLS), weights=list(KILLS.values()))[0]
        return cls(kind=kind, seed=seed, trigger=trigger, fraction=fraction, delay=delay, kill=kill)

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.seed}"

    def replay_command(self, jobs: int) -> str:
        size = "" if jobs == Settings.jobs else f" --sweep-jobs {jobs}"
        return f"./run bench --only sweep --sweep-replay {self.label}{size}"


def point_seeds(seed: int) -> Iterable[int]:
    """The seeds a kind's points are drawn from, in order (a run that ends before its kill takes the next);
    each point draws from its kind and seed together."""
    return itertools.count(seed * 1000)


@dataclass(frozen=True)
class Calibration:
    """An uninterrupted ``up`` of one kind of stack: what the points' fractions are fractions of."""

    seconds: float
    first_call_seconds: float  # from the CLI's start to the first API call answered
    calls: int


@dataclass
class Outcome:
    point: Point
    killed: bool  # False: the run ended before its kill point (checked, not counted as a point)
    at_seconds: float = 0.0  # when the kill came, since the CLI started
    calls_at_kill: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    problems: list[str] = field(default_factory=list)
    adopted: int = 0  # resources the second up adopted (what the killed run left on the service unsaved)
    pending_after_up: int = 0  # the killed run's pending operations the second up kept (refresh drops them)
    seconds: float = 0.0
    error: str | None = None  # the sweep's own code failed on this point

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(self.counts.values())

    def reasons(self) -> list[str]:
        return self.problems + ([f"the sweep failed on this point: {self.error}"] if self.error else [])

    def to_json(self, settings: Settings) -> dict[str, Any]:
        return {**asdict(self), "sweep_seed": settings.seed, "jobs": settings.jobs}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Outcome:
        values = {key: value for key, value in data.items() if key not in ("sweep_seed", "jobs")}
        return cls(**{**values, "point": Point(**values["point"])})


# --- one point ----------------------------------------------------------------------------------------------


class RefusedError(RuntimeError):
    """A ``pulumi`` command that had to succeed failed."""


@dataclass
class PointRun:
    """One kind of stack against its own local IMS, in ``root``."""

    kind: str
    jobs: int
    root: Path
    ims: LocalImsProcess
    prefix: str = field(default_factory=lambda: f"k{secrets.token_hex(3)}")

    @property
    def project(self) -> Path:
        return self.root / "project"

    def env(self, marker: str = "") -> dict[str, str]:
        backend = self.root / "backend"
        backend.mkdir(parents=True, exist_ok=True)
        return {
            **os.environ,
            "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            # As docs/resources.md advises for a file backend: no ".attrs" sidecar a kill can leave empty.
            "PULUMI_BACKEND_URL": backend.as_uri() + "?metadata=skip",
            "PULUMI_HOME": str(self.root.parent / "pulumi-home"),
            "PULUMI_CONFIG_PASSPHRASE": "sweep",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_IGNORE_AMBIENT_PLUGINS": "false",  # the plugin on PATH (scripts/env.sh ignores it)
            "PULUMI_PYTHON_CMD": PYTHON,
            "ALIBABA_CLOUD_ICE_ENDPOINT": self.ims.endpoint,
            "ALIBABA_CLOUD_REGION": REGION,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": LOCAL_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": LOCAL_KEY_SECRET,
            "IMS_SWEEP_MARKER": marker,
        }

    def names(self) -> list[str]:
        return [f"{self.prefix}-{index}" for index in range(self.jobs)]

    def write_project(self) -> None:
        self.project.mkdir(parents=True, exist_ok=True)
        name = f"sweep-{self.kind}"
        if self.kind == "yaml":
            program = yaml_jobs_program(name, self.prefix, self.jobs)
            (self.project / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
        else:
            (self.project / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
            source = PYTHON_JOBS_PROGRAM if self.kind == "jobs" else PYTHON_JOB_SET_PROGRAM
            (self.project / "__main__.py").write_text(source)
        self.cli(["stack", "init", STACK], check=True)
        stack_file = self.project / f"Pulumi.{STACK}.yaml"
        settings = yaml.safe_load(stack_file.read_text()) or {}
        settings["config"] = {
            "ims-record:endpoint": self.ims.endpoint,
            "alicloud:region": REGION,
            **(
                {} if self.kind == "yaml" else {f"{name}:prefix": self.prefix, f"{name}:jobs": str(self.jobs)}
            ),
        }
        stack_file.write_text(yaml.safe_dump(settings))

    def cli(
        self, args: list[str], *, check: bool = False, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(VENV / "bin" / "pulumi"), *args, "--non-interactive"],
            cwd=self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise RefusedError(f"pulumi {' '.join(args)} exited with {result.returncode}:\n{_tail(result)}")
        return result

    def spawn_up(self, marker: str) -> subprocess.Popen[bytes]:
        """``pulumi up`` in a session of its own, its output in ``killed-up.log``."""
        with (self.root / "killed-up.log").open("ab") as log:
            return subprocess.Popen(
                [
                    str(VENV / "bin" / "pulumi"),
                    "up",
                    "--yes",
                    "--skip-preview",
                    "--stack",
                    STACK,
                    "--non-interactive",
                ],
                cwd=self.project,
                env=self.env(marker),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def state(self) -> dict[str, Any]:
        exported: dict[str, Any] = json.loads(
            self.cli(["stack", "export", "--stack", STACK], check=True).stdout
        )
        deployment: dict[str, Any] = exported["deployment"]
        return deployment


def _tail(result: subprocess.CompletedProcess[str], lines: int = 12) -> str:
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


def kill_tree(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the CLI's session and every process below it: the CLI starts its plugins in process groups of
    their own, so the CLI's group alone would leave them."""
    below = descendants(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=30)


def kill_cli(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the CLI's process group only, as ``kill -9`` of ``pulumi`` or a runner that kills the group
    would: its plugins, in groups of their own, are left to notice it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def marked_processes(marker: str) -> dict[int, str]:
    """The live (not zombie) processes with ``IMS_SWEEP_MARKER=marker`` in their environment: pid → command
    line."""
    needle = f"\0IMS_SWEEP_MARKER={marker}\0".encode()
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as environ:
                if needle not in b"\0" + environ.read() + b"\0":
                    continue
            with open(f"/proc/{entry}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                found[int(entry)] = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
    return found


def calibrate(kind: str, jobs: int, root: Path) -> Calibration:
    """One uninterrupted ``up`` of the kind's stack: its duration, its first API call, its API calls."""
    with LocalImsProcess.start(root / "ims") as ims:
        run = PointRun(kind, jobs, root, ims)
        run.write_project()
        up = run.spawn_up(marker="")
        started = time.monotonic()
        first_call = _first_call(up, ims)
        up.wait(timeout=300)
        seconds = time.monotonic() - started
        if up.returncode != 0 or first_call is None:
            output = (root / "killed-up.log").read_text()[-3000:]
            raise RuntimeError(f"the uninterrupted up of the {kind} stack failed:\n{output}")
        return Calibration(
            seconds=round(seconds, 2),
            first_call_seconds=round(first_call - started, 2),
            calls=int(ims.stats_snapshot()["total"]),
        )


def _first_call(up: subprocess.Popen[bytes], ims: LocalImsProcess) -> float | None:
    """When (``time.monotonic()``) the first API call of ``up`` was seen answered; None if it ended first."""
    while up.poll() is None:
        if ims.wait_for_calls(1, timeout=0.2) is not None:
            return time.monotonic()
    return time.monotonic() if ims.stats_snapshot()["total"] else None


def run_point(point: Point, jobs: int, calibration: Calibration, root: Path) -> Outcome:
    """Kill one ``up`` at ``point``, recover as the docs say, count what is left."""
    started_point = time.monotonic()
    outcome = Outcome(point=point, killed=False)
    with LocalImsProcess.start(root / "ims") as ims:
        run = PointRun(point.kind, jobs, root, ims)
        run.write_project()
        marker = secrets.token_hex(8)
        up = run.spawn_up(marker)
        started = time.monotonic()
        try:
            _wait_for_kill_point(point, calibration, up, ims, started)
        finally:
            if up.poll() is None:
                outcome.killed = True
                outcome.at_seconds = round(time.monotonic() - started, 3)
                outcome.calls_at_kill = int(ims.stats_snapshot()["total"])
                kill_tree(up) if point.kill == "tree" else kill_cli(up)
            else:
                up.wait()
        if outcome.killed:
            time.sleep(ORPHAN_WAIT)
            survivors = marked_processes(marker)
            ours = {
                pid: line for pid, line in survivors.items() if not any(own in line for own in PULUMIS_OWN)
            }
            outcome.counts["orphans"] = len(ours)
            outcome.problems += [
                f"alive {ORPHAN_WAIT:g} s after the kill: {line[:200]}" for line in ours.values()
            ]
            for pid in survivors:  # what is left must not outlive the point (Pulumi's YAML host waits 5 min)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            _recovery_step(run, ["cancel", "--yes", "--stack", STACK], outcome)
        elif up.returncode != 0:
            outcome.counts["refused"] += 1
            outcome.problems.append(
                f"the up that was not killed failed:\n{(root / 'killed-up.log').read_text()[-2000:]}"
            )
        try:
            _recover_and_count(run, outcome)
        except RefusedError as exc:
            outcome.counts["refused"] += 1
            outcome.problems.append(str(exc))
        except Exception as exc:  # the sweep's own failure: a failed point with its replay, not a lost sweep
            outcome.error = f"{type(exc).__name__}: {exc}"
    outcome.seconds = round(time.monotonic() - started_point, 2)
    if not outcome.failed:
        shutil.rmtree(root, ignore_errors=True)
    return outcome


def _recover_and_count(run: PointRun, outcome: Outcome) -> None:
    second_up = _recovery_step(run, ["up", "--yes", "--skip-preview", "--stack", STACK], outcome)
    outcome.pending_after_up = len(run.state().get("pending_operations") or [])
    _recovery_step(run, ["refresh", "--yes", "--clear-pending-creates", "--stack", STACK], outcome)
    count_what_is_left(run, outcome, second_up.stdout + second_up.stderr if second_up else "")


def _wait_for_kill_point(
    point: Point, calibration: Calibration, up: subprocess.Popen[bytes], ims: LocalImsProcess, started: float
) -> None:
    if point.trigger in ("start", "time"):
        if point.trigger == "start":
            deadline = started + point.fraction * calibration.first_call_seconds
        else:
            first_call = _first_call(up, ims) or time.monotonic()
            deadline = first_call + point.fraction * (calibration.seconds - calibration.first_call_seconds)
        while up.poll() is None and time.monotonic() < deadline:
            time.sleep(min(0.01, max(0.0, deadline - time.monotonic())))
        return
    wanted = max(1, math.ceil(point.fraction * calibration.calls))
    while up.poll() is None and ims.wait_for_calls(wanted, timeout=0.5) is None:
        pass
    deadline = time.monotonic() + point.delay
    while up.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)


def _recovery_step(
    run: PointRun, args: list[str], outcome: Outcome
) -> subprocess.CompletedProcess[str] | None:
    try:
        result = run.cli(args)
    except subprocess.TimeoutExpired:
        outcome.counts["refused"] += 1
        outcome.problems.append(f"pulumi {args[0]} did not end within 300 s")
        return None
    if result.returncode != 0:
        outcome.counts["refused"] += 1
        outcome.problems.append(f"pulumi {args[0]} exited with {result.returncode}:\n{_tail(result)}")
    return result


def count_what_is_left(run: PointRun, outcome: Outcome, second_up_output: str) -> None:
    """The point's counts (but orphans and refused), from the stack and the service."""
    state = run.state()
    with run.ims.client() as client:
        service_jobs = list(client.iter_live_record_jobs(page_size=50))
        templates = list(client.iter_live_record_templates(type="custom", page_size=50))
    outcome.counts["pending"] = len(state.get("pending_operations") or [])
    if outcome.counts["pending"]:
        outcome.problems.append(f"pending operations left: {state['pending_operations']}")

    identities = Counter(
        (job.name, job.stream_input.url, job.record_output.bucket, job.template_id) for job in service_jobs
    )
    duplicated = {identity: n for identity, n in identities.items() if n > 1}
    outcome.counts["duplicates"] = sum(n - 1 for n in duplicated.values())
    outcome.problems += [
        f"{n} jobs named {identity[0]!r} with one stream, output and template"
        for identity, n in duplicated.items()
    ]

    held_jobs, held_templates, adopted = _held(state)
    name_of = {job.job_id: job.name for job in service_jobs}
    in_stack = {name_of[job_id] for job_id in held_jobs if job_id in name_of}
    missing = [name for name in run.names() if name not in in_stack]
    outcome.counts["missing"] = len(missing)
    if missing:
        outcome.problems.append(f"declared jobs the stack does not hold: {', '.join(missing)}")

    leaked = [template for template in templates if template.template_id not in held_templates]
    outcome.counts["leaked_templates"] = len(leaked)
    outcome.problems += [f"template {t.template_id} ({t.name!r}) on the service, in no stack" for t in leaked]

    outcome.adopted = len(adopted)
    # Each adoption is reported with its id and the next step (the message of every kind of interruption).
    without_next_step = NEXT_STEP not in second_up_output
    unnamed = [id_ for id_ in adopted if without_next_step or id_ not in second_up_output]
    outcome.counts["unnamed_adoptions"] = len(unnamed)
    if unnamed:
        outcome.problems.append(
            f"adopted, but the second up's output does not name them with {NEXT_STEP!r}: {', '.join(unnamed)}"
        )


def _held(state: Mapping[str, Any]) -> tuple[set[str], set[str], list[str]]:
    """(job ids, template ids, ids of adopted jobs and templates) that the stack holds, in either door's
    property case."""
    jobs: set[str] = set()
    templates: set[str] = set()
    adopted: list[str] = []
    for resource in state.get("resources") or []:
        kind = resource["type"].rsplit(":", 1)[-1]
        outputs = resource.get("outputs") or {}
        if kind == "LiveRecordTemplate":
            templates.add(resource["id"])
            if outputs.get("adopted"):
                adopted.append(resource["id"])
        elif kind == "LiveRecordJob":
            jobs.add(resource["id"])
            if outputs.get("adopted"):
                adopted.append(resource["id"])
        elif kind == "LiveRecordJobSet":
            for entry in (outputs.get("jobs") or {}).values():
                job_id = entry.get("job_id") or entry.get("jobId")
                jobs.add(job_id)
                if entry.get("origin") not in (None, "submitted"):
                    adopted.append(job_id)
    return jobs, templates, adopted


# --- the sweep ----------------------------------------------------------------------------------------------


def planned(settings: Settings) -> dict[str, int]:
    """Killed runs wanted per kind: the Python door's split over its two stacks, the YAML door's all one."""
    half = settings.points_per_door // 2
    return {"jobs": half, "jobset": settings.points_per_door - half, "yaml": settings.points_per_door}


def load_outcomes(path: Path, settings: Settings) -> list[Outcome]:
    """The points of earlier runs of this seed and stack size (resume)."""
    if not path.exists():
        return []
    outcomes = []
    for line in path.read_text().splitlines():
        data = json.loads(line)
        if data.get("sweep_seed") == settings.seed and data.get("jobs") == settings.jobs:
            outcomes.append(Outcome.from_json(data))
    return outcomes


def run(
    settings: Settings,
    work: Path,
    log: Callable[[str], None],
    points_file: Path,
    *,
    only: list[Point] | None = None,
) -> dict[str, Any]:
    """The sweep (or, with ``only``, those points): resumes from ``points_file``, appends every point to it;
    returns the raw figures for the report."""
    started = time.monotonic()
    calibrations: dict[str, Calibration] = {}
    kinds = sorted({point.kind for point in only}, key=KINDS.index) if only else list(KINDS)
    for kind in kinds:
        calibration = calibrations[kind] = calibrate(kind, settings.jobs, work / f"calibrate-{kind}")
        log(
            f"sweep: an uninterrupted up of the {kind} stack: {calibration.seconds:.1f} s, the first call "
            f"answered after {calibration.first_call_seconds:.1f} s, {calibration.calls} calls"
        )
    done = [] if only else load_outcomes(points_file, settings)
    if done:
        log(f"sweep: resuming, {sum(o.killed for o in done)} killed runs already in {points_file}")
    queue = _Plan(settings, done, only)
    lock = threading.Lock()
    outcomes = list(done)

    def one(point: Point) -> Outcome:
        outcome = run_point(point, settings.jobs, calibrations[point.kind], work / "points" / point.label)
        with lock:
            outcomes.append(outcome)
            if not only:
                with points_file.open("a") as saved:
                    saved.write(json.dumps(outcome.to_json(settings)) + "\n")
        verdict = "ok" if not outcome.failed else "FAILED: " + "; ".join(outcome.reasons())[:2000]
        state = (
            f"killed at {outcome.at_seconds:.2f} s, {outcome.calls_at_kill} calls"
            if outcome.killed
            else "ended before its kill point"
        )
        log(f"sweep: {point.label} ({point.kill}, {point.trigger} {point.fraction}) {state}: {verdict}")
        if outcome.failed:
            log(f"sweep: replay with: {point.replay_command(settings.jobs)}")
        return outcome

    with ThreadPoolExecutor(max_workers=settings.workers) as pool:
        running: set[Future[Outcome]] = set()
        while True:
            in_time = time.monotonic() - started < settings.minutes * 60
            while in_time and len(running) < settings.workers and (point := queue.next()) is not None:
                running.add(pool.submit(one, point))
            if not running:
                break
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                queue.finished(future.result())
    return {
        "settings": asdict(settings),
        "calibrations": {kind: asdict(c) for kind, c in calibrations.items()},
        "planned": planned(settings) if not only else {},
        "outcomes": [outcome.to_json(settings) for outcome in outcomes],
        "elapsed": time.monotonic() - started,
    }


class _Plan:
    """Which point comes next: the kind furthest from its count of killed runs; a run that ended before its
    kill point is replaced by the kind's next seed."""

    def __init__(self, settings: Settings, done: list[Outcome], only: list[Point] | None) -> None:
        self._only = list(only or [])
        self._wanted = dict.fromkeys(KINDS, 0) if only else planned(settings)
        self._killed = Counter(o.point.kind for o in done if o.killed)
        self._in_flight: Counter[str] = Counter()
        tried = {o.point.label for o in done}
        self._seeds = {kind: self._untried(kind, settings.seed, tried) for kind in KINDS}

    @staticmethod
    def _untried(kind: str, seed: int, tried: set[str]) -> Iterator[int]:
        return (s for s in point_seeds(seed) if f"{kind}:{s}" not in tried)

    def next(self) -> Point | None:
        if self._only:
            return self._only.pop(0)
        short = {kind: self._wanted[kind] - self._killed[kind] - self._in_flight[kind] for kind in KINDS}
        kind = max(KINDS, key=lambda k: short[k])
        if short[kind] <= 0:
            return None
        self._in_flight[kind] += 1
        return Point.draw(kind, next(self._seeds[kind]))

    def finished(self, outcome: Outcome) -> None:
        if self._only:
            return
        self._in_flight[outcome.point.kind] -= 1
        self._killed[outcome.point.kind] += outcome.killed


def replay_points(labels: Iterable[str]) -> list[Point]:
    """``kind:seed`` labels (a failed point's ``--sweep-replay``) as points."""
    points = []
    for label in labels:
        kind, _, seed = label.partition(":")
        if kind not in KINDS or not seed.isdigit():
            raise ValueError(f"{label!r}: expected <kind>:<seed> with kind one of {', '.join(KINDS)}")
        points.append(Point.draw(kind, int(seed)))
    return points


def _landed(killed: list[Outcome], calibrations: Mapping[str, Any]) -> dict[str, int]:
    """Where the kills came, by the API calls answered then against an uninterrupted ``up``'s."""
    landed = dict.fromkeys(("before the first call", "among the calls", "after the last call"), 0)
    for outcome in killed:
        calls = calibrations.get(outcome.point.kind, {}).get("calls", 0)
        where = 0 if outcome.calls_at_kill == 0 else 1 if outcome.calls_at_kill < calls else 2
        landed[list(landed)[where]] += 1
    return landed


def summarize(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Per front door: killed runs and the sum of each count; the failed points with their replay commands."""
    outcomes = [Outcome.from_json(data) for data in raw["outcomes"]]
    jobs = int(raw["settings"]["jobs"])
    doors: dict[str, dict[str, Any]] = {}
    for door in dict.fromkeys(DOORS.values()):
        mine = [o for o in outcomes if DOORS[o.point.kind] == door]
        killed = [o for o in mine if o.killed]
        doors[door] = {
            "points": len(killed),
            "ended_first": len(mine) - len(killed),
            "by_trigger": dict(Counter(o.point.trigger for o in killed)),
            "by_kill": dict(Counter(o.point.kill for o in killed)),
            "kinds": dict(Counter(o.point.kind for o in killed)),
            "adopted": sum(o.adopted for o in killed),
            "pending_after_up": sum(o.pending_after_up for o in killed),
            "landed": _landed(killed, raw["calibrations"]),
            **{count: sum(o.counts[count] for o in mine) for count in COUNTS},
            "errors": sum(1 for o in mine if o.error),
        }
    failed = [
        {"label": o.point.label, "replay": o.point.replay_command(jobs), "problems": o.reasons()}
        for o in outcomes
        if o.failed
    ]
    return {
        "doors": doors,
        "failed": failed,
        "fixed": FIXED,
        "calibrations": raw["calibrations"],
        "settings": raw["settings"],
        "planned": raw.get("planned", {}),
        "elapsed": raw.get("elapsed", 0.0),
    }
