"""Benchmark 3: provider cold start - from the provider process starting to the first create being served.

Drives the real plugin launcher ``.venv/bin/pulumi-resource-pulumi-python`` (``python -u -m pulumi.dynamic``)
over gRPC the way the engine does (pulumi-dynamic.md §6.3): start → port on stdout → ``Configure`` →
``Check`` (the first call that unpickles ``__provider``, imports its module and calls ``configure``) →
``Create``. Done for ``LiveRecordJobProvider`` (one create = ListLiveRecordJobs + Submit + Get against the
local IMS) and for the do-nothing ``bench.floor.NullProvider`` in the same run, alternating.

Plus the import cost: ``python -X importtime -c "import pulumi_ims_record.provider"`` (cumulative µs of the
top-level modules) and, in a fresh interpreter each, the wall time of importing ``pulumi_ims_record.provider``
*after* ``pulumi.dynamic`` (which the provider process has imported anyway).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import time
from collections.abc import Callable
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
    stop_session,
)

LAUNCHER = VENV / "bin" / "pulumi-resource-pulumi-python"
JOB_TYPE = "pulumi-python:dynamic/ims:LiveRecordJob"
NULL_TYPE = "pulumi-python:dynamic/bench:NullJob"


def _struct(values: dict[str, Any]) -> Any:
    from pulumi.runtime import rpc

    return asyncio.run(rpc.serialize_properties(values, {}))


def one_cold_start(kind: str, ims: LocalImsProcess, template_id: str, index: int) -> dict[str, float]:
    import grpc
    from pulumi.dynamic.dynamic import serialize_provider
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    if kind == "job":
        from pulumi_ims_record.provider import LiveRecordJobProvider

        provider: Any = LiveRecordJobProvider()
        type_token = JOB_TYPE
    else:
        from bench.floor import NullProvider

        provider = NullProvider()
        type_token = NULL_TYPE
    inputs = {
        "__provider": serialize_provider(provider),
        "name": f"coldstart-{kind}-{index}-{time.time_ns()}",
        "stream_input": {"type": "rtmp", "url": "rtmp://127.0.0.1:1/live/coldstart"},
        "record_output": {"type": "oss", "bucket": "bench-recordings"},
        "template_id": template_id,
    }
    urn = f"urn:pulumi:bench::coldstart::{type_token}::job{index}"
    env = {
        **os.environ,
        "PULUMI_PYTHON_CMD": PYTHON,
        "PYTHONPATH": str(REPO_ROOT),
        "ALIBABA_CLOUD_ACCESS_KEY_ID": LOCAL_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": LOCAL_KEY_SECRET,
        "ALIBABA_CLOUD_ICE_ENDPOINT": ims.endpoint,
        "ALIBABA_CLOUD_REGION": REGION,
    }
    config = _struct({"ims-record:endpoint": ims.endpoint, "alicloud:region": REGION})
    news = _struct(inputs)
    began = time.perf_counter()
    process = subprocess.Popen(
        [str(LAUNCHER)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        listening = time.perf_counter()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            stub.Configure(provider_pb2.ConfigureRequest(args=config, acceptSecrets=True))
            configured = time.perf_counter()
            checked_inputs = stub.Check(provider_pb2.CheckRequest(urn=urn, news=news)).inputs
            checked = time.perf_counter()
            created = stub.Create(provider_pb2.CreateRequest(urn=urn, properties=checked_inputs))
            done = time.perf_counter()
            if not created.id:
                raise RuntimeError(f"{kind}: Create returned no id")
    finally:
        stop_session(process)
    return {
        "listening": listening - began,
        "configure": configured - listening,
        "check": checked - configured,
        "create": done - checked,
        "total": done - began,
    }


IMPORT_AFTER_DYNAMIC = (
    "import time, pulumi.dynamic\n"
    "t = time.perf_counter()\n"
    "import pulumi_ims_record.provider\n"
    "print(time.perf_counter() - t)\n"
)


def importtime_top(module: str) -> tuple[float, list[tuple[str, float]]]:
    """(cumulative seconds of ``module``, self time summed per top-level package, largest first)."""
    result = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", f"import {module}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    total = 0.0
    top: dict[str, float] = {}
    pattern = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
    for line in result.stderr.splitlines():
        match = pattern.match(line)
        if not match:
            continue
        own, cumulative, name = int(match.group(1)) / 1e6, int(match.group(2)) / 1e6, match.group(4)
        if name == module:
            total = cumulative
        root = name.split(".")[0]
        top[root] = top.get(root, 0.0) + own
    ranked = sorted(top.items(), key=lambda item: item[1], reverse=True)
    return total, ranked[:8]


def run(runs: int, work_dir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    samples: dict[str, list[dict[str, float]]] = {"job": [], "null": []}
    with LocalImsProcess.start(work_dir / "ims") as ims, ims.client() as client:
        from pulumi_ims_record.ice import RecordFormat

        template_id = client.create_live_record_template(
            name="coldstart-hls",
            record_formats=[
                RecordFormat(
                    format="m3u8",
                    oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
                    slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
                    slice_duration=30,
                )
            ],
        ).template_id
        for index in range(runs):
            for kind in ("job", "null") if index % 2 == 0 else ("null", "job"):
                sample = one_cold_start(kind, ims, template_id, index)
                samples[kind].append(sample)
                log(
                    f"  cold start {index + 1}/{runs} {kind}: "
                    + json.dumps({phase: round(value, 3) for phase, value in sample.items()})
                )
    import_after_dynamic = []
    importtime_totals = []
    top: list[tuple[str, float]] = []
    for _ in range(runs):
        result = subprocess.run(
            [PYTHON, "-c", IMPORT_AFTER_DYNAMIC], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
        import_after_dynamic.append(float(result.stdout.strip()))
        total, top = importtime_top("pulumi_ims_record.provider")
        importtime_totals.append(total)
    return {
        "samples": samples,
        "import_after_dynamic": import_after_dynamic,
        "importtime_total": importtime_totals,
        "importtime_top": top,
    }


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    phases = ("listening", "configure", "check", "create", "total")
    summary: dict[str, Any] = {
        kind: {phase: Spread.of([s[phase] for s in samples]) for phase in phases}
        for kind, samples in raw["samples"].items()
    }
    pairs = list(zip(raw["samples"]["job"], raw["samples"]["null"], strict=True))
    summary["extra_over_floor"] = {
        phase: Spread.of([job[phase] - null[phase] for job, null in pairs]) for phase in phases
    }
    summary["import_after_dynamic"] = Spread.of(raw["import_after_dynamic"])
    summary["importtime_total"] = Spread.of(raw["importtime_total"])
    summary["importtime_top"] = raw["importtime_top"]
    return summary
