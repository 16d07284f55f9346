"""An unreliable service: up still converges, and no job is ever submitted twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .conftest import Engine
from .programs import Deployment, stream_urls

JOBS = 20


@pytest.mark.parametrize(
    "error_kind",
    [
        "mixed",  # throttling or 5xx, the request not applied
        "5xx_after_apply",  # the service did the work, then answered 5xx: a retry must not duplicate it
    ],
)
def test_up_of_20_jobs_succeeds_without_duplicates_when_30_percent_of_responses_fail(
    make_engine: Callable[..., Engine], error_kind: str
) -> None:
    engine = make_engine()
    # The control: the same up without faults, for the number of API calls it takes.
    engine.stack(Deployment(jobs=stream_urls("steady", JOBS), template_name="steady").program()).up()
    calls_without_faults = engine.ims.total_calls()
    engine.ims.reset_stats()
    deployment = Deployment(jobs=stream_urls("flaky", JOBS))
    stack = engine.stack(deployment.program())
    engine.ims.set_faults({"error_rate": {"*": 0.3}, "error_kind": error_kind})

    try:
        result = stack.up()
        calls_with_faults = engine.ims.total_calls()
    finally:
        engine.ims.clear_faults()

    job_ids = result.outputs["job_ids"].value
    assert set(job_ids) == set(deployment.jobs)
    per_name = {name: count for name, count in engine.jobs_per_name().items() if name.startswith("flaky-")}
    assert per_name == dict.fromkeys(deployment.jobs, 1), per_name
    flaky_ids = sorted(job.job_id for job in engine.jobs() if job.name.startswith("flaky-"))
    assert sorted(job_ids.values()) == flaky_ids
    # The faults really bit: retries and reconciliation took more calls than the same up without faults.
    assert calls_with_faults > calls_without_faults, (calls_with_faults, calls_without_faults)
