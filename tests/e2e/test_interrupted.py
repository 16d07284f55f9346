"""`pulumi up` SIGKILLed right after SubmitLiveRecordJob reached the service, at randomised points.

The state then misses the job the service already runs (it holds a pending create). After `pulumi cancel`
(the file backend keeps the dead run's lock) the next `pulumi up` must leave exactly one job per resource:
the provider adopts the job submitted by the killed run instead of submitting a second one. A
`pulumi refresh --clear-pending-creates` then leaves a clean state with no change planned.
"""

from __future__ import annotations

import random
import signal
import time
from dataclasses import dataclass

import pytest

from .conftest import Engine, kill_with_plugins
from .programs import PROJECT_PROGRAM

POINTS = 10  # runs that really died by SIGKILL, over all shards
SHARDS = 5  # the points are split in shards, each a test of its own (own local IMS), so they run side by side
MAX_ATTEMPTS = 20  # per shard: a run may end before its kill point comes; it is checked too, not counted
SEED = 20261129  # shard k draws its points from SEED + k
SUBMIT = "SubmitLiveRecordJob"


@dataclass(frozen=True)
class KillPoint:
    jobs: int  # job resources in the program
    after_submit: int  # kill once this many of its submits completed at the service
    delay: float  # seconds between that moment and SIGKILL

    @classmethod
    def draw(cls, rng: random.Random) -> KillPoint:
        jobs = rng.randint(1, 3)
        return cls(jobs=jobs, after_submit=rng.randint(1, jobs), delay=round(rng.uniform(0.0, 0.15), 3))


@pytest.mark.parametrize("shard", range(SHARDS), ids=lambda shard: f"shard {shard + 1} of {SHARDS}")
def test_up_killed_after_submit_leaves_exactly_one_job_per_resource_after_the_next_up(
    engine: Engine, shard: int
) -> None:
    rng = random.Random(SEED + shard)
    project = engine.project("ims-kill", PROJECT_PROGRAM)
    killed: list[KillPoint] = []
    points, max_attempts = POINTS // SHARDS, MAX_ATTEMPTS

    for index in range(max_attempts):
        if len(killed) == points:
            break
        point = KillPoint.draw(rng)
        stack, prefix = f"p{index}", f"kill{index}"
        engine.init_project_stack(project, stack, {"prefix": prefix, "jobs": str(point.jobs)})
        submits_before = engine.ims.stats().get(SUBMIT, 0)
        log = engine.root / f"{stack}-killed-up.log"

        up = engine.spawn(["up", "--yes", "--skip-preview", "--stack", stack], cwd=project, log=log)
        try:
            try:
                engine.ims.wait_for_calls(SUBMIT, submits_before + point.after_submit, timeout=120)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; the CLI's output:\n{log.read_text()[-4000:]}") from None
            # The randomised part of the kill point: how far the engine got after the submit landed.
            time.sleep(point.delay)
        finally:
            kill_with_plugins(up)
        if up.returncode == -signal.SIGKILL:
            killed.append(point)

        engine.cli(["cancel", "--yes", "--stack", stack], cwd=project)
        engine.cli(["up", "--yes", "--skip-preview", "--stack", stack], cwd=project)

        names = [f"{prefix}-{job}" for job in range(point.jobs)]
        jobs = [job for job in engine.jobs() if job.name.startswith(f"{prefix}-")]
        counts = {name: sum(1 for job in jobs if job.name == name) for name in names}
        assert counts == dict.fromkeys(names, 1), f"kill point {index} {point}: jobs per resource {counts}"
        state = engine.export(project, stack)["deployment"]
        state_ids = sorted(
            item["id"] for item in state["resources"] if item["type"].endswith(":LiveRecordJob")
        )
        assert state_ids == sorted(job.job_id for job in jobs), f"kill point {index} {point}"

        # The engine keeps the killed run's pending creates (and warns on every run) until a refresh clears
        # them; the jobs they stood for are in state now, adopted, so clearing them loses nothing.
        engine.cli(["refresh", "--yes", "--clear-pending-creates", "--stack", stack], cwd=project)
        state = engine.export(project, stack)["deployment"]
        assert not state.get("pending_operations"), f"kill point {index}: pending operations left"
        refreshed_ids = sorted(
            item["id"] for item in state["resources"] if item["type"].endswith(":LiveRecordJob")
        )
        assert refreshed_ids == state_ids
        engine.cli(["preview", "--expect-no-changes", "--stack", stack], cwd=project)

    assert len(killed) == points, (
        f"only {len(killed)} of {max_attempts} runs were still running at their kill point"
    )
