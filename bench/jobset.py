"""The engine benchmark's ``jobset`` stack: every job in one ``pulumi_ims_record.LiveRecordJobSet``.

Why: the Python dynamic provider serves every resource from 4 gRPC worker threads, so ``up`` of N per-job
resources against an API with latency L takes at least N / 4 × (round trips per create) × L. The product
resource ``LiveRecordJobSet`` (``pulumi_ims_record/provider/job_set.py``) is one engine step; inside it the
provider runs its own bounded pool (``concurrency``, default 16), lists the recent jobs once for adoption
instead of one lookup per job, and reads the new jobs back with one more listing instead of one
GetLiveRecordJob per job: N + 2 API calls for N jobs.

This module only adapts the benchmark's job dicts (name, stream_input, record_output) to the product's
entries, keyed by job name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from pulumi_ims_record import LiveRecordJobSet as ProductJobSet

CONCURRENCY = 16


def LiveRecordJobSet(  # a function under the name bench/engine.py imports
    resource_name: str, *, jobs: Sequence[Mapping[str, Any]], template_id: pulumi.Input[str]
) -> ProductJobSet:
    """One ``LiveRecordJobSet`` holding ``jobs``; each job's name is its key."""
    entries: list[Any] = [{"key": str(job["name"]), **job} for job in jobs]
    return ProductJobSet(resource_name, jobs=entries, template_id=template_id, concurrency=CONCURRENCY)
