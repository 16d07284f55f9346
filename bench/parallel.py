"""Benchmark 6 (issue 22): how parallel an ``up`` of N ``LiveRecordJob``s is, through each front door.

The same stack, 1 ``LiveRecordTemplate`` + N ``LiveRecordJob``s, as a Pulumi YAML project on the native plugin
(``pulumi-resource-ims-record``) at ``--parallel 8, 32, 64``, and as a Python project on the dynamic resources
(whose provider process serves at most 4 calls at once, whatever ``--parallel`` says). Each is brought ``up``
with the CLI, as a user would, once at each latency injected at the local IMS on every API call (the issue's
100 ms, and 1000 ms where the latency outweighs the engine's own work) and once without, in alternating
order; a fresh local IMS per ``up`` (jobs' recorders stubbed) so that every ``up`` lists the same (empty)
history for adoption.

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
    latencies_ms: tuple[int, ...]  # the first is the (100 ms); a larger one shows where latency rules
    parallels: tuple[int, ...]  # for the native package; the dynamic resources run at the largest
    runs: int


Round = dict[str, dict[str, float]]
"""One round of a variant: latency in ms (as text, as JSON keeps it) -> ``one_up``'s figures."""


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
    """Per round and variant, one ``up`` at each latency and one without, in an order alternating between
    rounds (so a drift of the machine's speed hits them alike)."""
    levels = (*settings.latencies_ms, 0)
    samples: dict[str, list[Round]] = {variant.label: [] for variant in variants(settings)}
    for run_index in range(settings.runs):
        for variant in variants(settings):
            order = levels if run_index % 2 == 0 else levels[::-1]
            ups = {str(latency): one_up(variant, latency, settings.count, work_dir) for latency in order}
            samples[variant.label].append(ups)
            said = (
                f"{ups[str(ms)]['up']:.2f}s at {ms} ms ({ups[str(ms)]['peak_in_flight']:.0f} at once)"
                for ms in levels
            )
            log(
                f"  parallel N={settings.count} run {run_index + 1}/{settings.runs} {variant.label:22}: up "
                + ", ".join(said)
            )
    return {
        "count": settings.count,
        "latencies_ms": list(settings.latencies_ms),
        "variants": [{"front_door": v.front_door, "parallel": v.parallel} for v in variants(settings)],
        "samples": samples,
    }


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    count = raw["count"]
    dynamic = next(rounds for label, rounds in raw["samples"].items() if label.startswith(DYNAMIC))
    tiers: dict[int, Any] = {}
    for latency_ms in raw["latencies_ms"]:
        latency, key = latency_ms / 1000, str(latency_ms)
        ceiling = count / DYNAMIC_CONCURRENCY * latency

        def added(ups: Round, key: str = key) -> float:
            return ups[key]["up"] - ups["0"]["up"]

        rows: dict[str, Any] = {}
        for entry in raw["variants"]:
            variant = Variant(entry["front_door"], entry["parallel"])
            rounds = raw["samples"][variant.label]
            calls_at_once = variant.parallel
            if variant.front_door == DYNAMIC:
                calls_at_once = min(calls_at_once, DYNAMIC_CONCURRENCY)
            floor = count / calls_at_once * latency
            pairs = list(zip(rounds, dynamic, strict=True))
            rows[variant.label] = {
                "front_door": variant.front_door,
                "parallel": variant.parallel,
                "floor": floor,
                "up": Spread.of([ups[key]["up"] for ups in rounds]),
                "up_without_latency": Spread.of([ups["0"]["up"] for ups in rounds]),
                "latency_added": Spread.of([added(ups) for ups in rounds]),
                "api_calls": Spread.of([ups[key]["api_calls"] for ups in rounds]),
                "peak_in_flight": Spread.of([ups[key]["peak_in_flight"] for ups in rounds]),
                "ceiling_over_added": Spread.of([ceiling / added(ups) for ups in rounds]),
                "added_over_floor": Spread.of([added(ups) / floor for ups in rounds]),
                # Measured against measured, round by round: the dynamic resources' `up` over this row's.
                "dynamic_over_up": Spread.of([theirs[key]["up"] / ups[key]["up"] for ups, theirs in pairs]),
            }
        tiers[latency_ms] = {"latency_ms": latency_ms, "ceiling": ceiling, "rows": rows}
    return {"count": count, "tiers": tiers}
