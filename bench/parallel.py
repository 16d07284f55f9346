"""Benchmark 6 (issue 22): how parallel an ``up`` of N ``LiveRecordJob``s is, through each front door.

The same stack, 1 ``LiveRecordTemplate`` + N ``LiveRecordJob``s, as a Pulumi YAML project on the native plugin
(``pulumi-resource-ims-record``) at ``--parallel 8, 32, 64``, and as a Python project on the dynamic resources
(whose provider process serves at most 4 calls at once, whatever ``--parallel`` says). Each is brought ``up``
with the CLI, as a user would, once with ``latency_ms`` injected at the local IMS on every API call and once
without, in alternating order; a fresh local IMS per ``up`` (jobs' recorders stubbed) so that every ``up``
lists the same (empty) history for adoption.

Figures per ``up``: wall time, the API calls, and the most calls the local IMS answered at once
(``peak_in_flight``). The time the latency added is ``up`` with latency minus ``up`` without, paired in the
same round: the engine's own work is the same in both and overlaps with the waiting, so this is what the
provider's concurrency decides. It is set against the two bounds of the issue: the dynamic resources'
ceiling N/4 × latency and the floor N/parallel × latency.
"""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench._common import REGION, VENV, LocalImsProcess, Spread
from bench.engine import BUCKET, HLS_PREFIX, SLICE_PREFIX, Workspace

NATIVE, DYNAMIC = "native", "dynamic"
DYNAMIC_CONCURRENCY = 4  # the Python dynamic provider's threads: its calls at once, whatever --parallel says


@dataclass(frozen=True)
class Settings:
    count: int
    latency_ms: int
    parallels: tuple[int, ...]  # for the native package; the dynamic resources run at the largest
    runs: int


@dataclass(frozen=True)
class Variant:
    front_door: str  # NATIVE or DYNAMIC
    parallel: int

    @property
    def label(self) -> str:
        return f"{self.front_door} --parallel {self.parallel}"


def yaml_program(count: int, prefix: str) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "template": {
            "type": "ims-record:index:LiveRecordTemplate",
            "properties": {
                "name": f"{prefix}-hls",
                "recordFormats": [
                    {"format": "m3u8", "ossObjectPrefix": HLS_PREFIX, "sliceOssObjectPrefix": SLICE_PREFIX}
                ],
            },
        }
    }
    for index in range(count):
        resources[f"job-{index}"] = {
            "type": "ims-record:index:LiveRecordJob",
            "properties": {
                "name": f"{prefix}-{index}",
                "streamInput": {"url": f"rtmp://127.0.0.1:1/live/{prefix}-{index}"},
                "recordOutput": {"bucket": BUCKET},
                "templateId": "${template.id}",
            },
        }
    return {"name": "ims-bench-native", "runtime": "yaml", "resources": resources}


PYTHON_PROGRAM = """\
import pulumi_ims_record as ims

template = ims.LiveRecordTemplate(
    "template",
    name="{prefix}-hls",
    record_formats=[
        ims.RecordFormatArgs(format="m3u8", oss_object_prefix="{hls}", slice_oss_object_prefix="{slice}")
    ],
)
for index in range({count}):
    ims.LiveRecordJob(
        f"job-{{index}}",
        name=f"{prefix}-{{index}}",
        stream_input=ims.StreamInputArgs(url=f"rtmp://127.0.0.1:1/live/{prefix}-{{index}}"),
        record_output=ims.RecordOutputArgs(bucket="{bucket}"),
        template_id=template.id,
    )
"""


def write_project(directory: Path, front_door: str, count: int, prefix: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if front_door == NATIVE:
        (directory / "Pulumi.yaml").write_text(yaml.safe_dump(yaml_program(count, prefix), sort_keys=False))
        return
    (directory / "Pulumi.yaml").write_text("name: ims-bench-dynamic\nruntime: python\n")
    (directory / "__main__.py").write_text(
        PYTHON_PROGRAM.format(prefix=prefix, count=count, hls=HLS_PREFIX, slice=SLICE_PREFIX, bucket=BUCKET)
    )


def one_up(variant: Variant, latency_ms: int, count: int, root: Path) -> dict[str, float]:
    """A new stack of ``variant`` brought up against a new local IMS with ``latency_ms`` on every call."""
    tag = secrets.token_hex(3)
    with LocalImsProcess.start(root / f"ims-{tag}") as ims:
        workspace = Workspace(root / "pulumi", ims)
        directory = root / "projects" / f"{variant.front_door}-{tag}"
        write_project(directory, variant.front_door, count, prefix=f"b{tag}")

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            result = subprocess.run(
                [str(VENV / "bin" / "pulumi"), *args, "--non-interactive"],
                cwd=directory,
                env=workspace.env,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(f"pulumi {' '.join(args)}: {result.stdout[-2000:]}{result.stderr[-2000:]}")
            return result

        cli("stack", "init", f"bench-{tag}")
        # The native plugin reads its own config keys (ims-record:region stands in for alicloud:region).
        region_key = "ims-record:region" if variant.front_door == NATIVE else "alicloud:region"
        config = [f"--config=ims-record:endpoint={ims.endpoint}", f"--config={region_key}={REGION}"]
        ims.set_faults({"latency_ms": latency_ms})
        ims.reset_stats()
        began = time.perf_counter()
        cli("up", "--yes", "--skip-preview", "--parallel", str(variant.parallel), *config)
        wall = time.perf_counter() - began
        stats = ims.stats_snapshot()
    return {"up": wall, "api_calls": float(stats["total"]), "peak_in_flight": float(stats["peak_in_flight"])}


def variants(settings: Settings) -> list[Variant]:
    native = [Variant(NATIVE, parallel) for parallel in settings.parallels]
    return [*native, Variant(DYNAMIC, max(settings.parallels))]


def run(settings: Settings, work_dir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    samples: dict[str, list[dict[str, float]]] = {variant.label: [] for variant in variants(settings)}
    for run_index in range(settings.runs):
        for variant in variants(settings):
            # Alternate which of the pair goes first, so a drift of the machine's speed hits both alike.
            order = (settings.latency_ms, 0) if run_index % 2 == 0 else (0, settings.latency_ms)
            pair = {latency: one_up(variant, latency, settings.count, work_dir) for latency in order}
            with_latency, without = pair[settings.latency_ms], pair[0]
            sample = {
                "up": with_latency["up"],
                "up_without_latency": without["up"],
                "latency_added": with_latency["up"] - without["up"],
                "api_calls": with_latency["api_calls"],
                "peak_in_flight": with_latency["peak_in_flight"],
            }
            samples[variant.label].append(sample)
            log(
                f"  parallel N={settings.count} run {run_index + 1}/{settings.runs} {variant.label:22}: "
                f"up {sample['up']:.2f}s (without latency {sample['up_without_latency']:.2f}s), "
                f"{sample['api_calls']:.0f} calls, at most {sample['peak_in_flight']:.0f} at once"
            )
    return {
        "count": settings.count,
        "latency_ms": settings.latency_ms,
        "variants": [{"front_door": v.front_door, "parallel": v.parallel} for v in variants(settings)],
        "samples": samples,
    }


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    count, latency = raw["count"], raw["latency_ms"] / 1000
    ceiling = count / DYNAMIC_CONCURRENCY * latency
    rows: dict[str, Any] = {}
    dynamic = next(raw["samples"][label] for label in raw["samples"] if label.startswith(DYNAMIC))
    for entry in raw["variants"]:
        variant = Variant(entry["front_door"], entry["parallel"])
        samples = raw["samples"][variant.label]
        calls_at_once = variant.parallel
        if variant.front_door == DYNAMIC:
            calls_at_once = min(calls_at_once, DYNAMIC_CONCURRENCY)
        floor = count / calls_at_once * latency
        rows[variant.label] = {
            "front_door": variant.front_door,
            "parallel": variant.parallel,
            "floor": floor,
            **{
                key: Spread.of([s[key] for s in samples])
                for key in ("up", "up_without_latency", "latency_added", "api_calls", "peak_in_flight")
            },
            "ceiling_over_added": Spread.of([ceiling / s["latency_added"] for s in samples]),
            "added_over_floor": Spread.of([s["latency_added"] / floor for s in samples]),
            # Measured against measured, round by round: the dynamic resources' added time over this row's,
            # and their whole `up` (with the latency) over this row's.
            "dynamic_over_added": Spread.of(
                [d["latency_added"] / s["latency_added"] for s, d in zip(samples, dynamic, strict=True)]
            ),
            "dynamic_over_up": Spread.of([d["up"] / s["up"] for s, d in zip(samples, dynamic, strict=True)]),
        }
    return {"count": count, "latency_ms": raw["latency_ms"], "ceiling": ceiling, "rows": rows}
