"""The kill sweep's quick variant (issue 34): ``pulumi up`` of each of the sweep's three stacks SIGKILLed (the
whole process tree, or the CLI alone) at seeded points; after the documented recovery nothing may be left.

Same points, stacks and counts as ``./run bench --only sweep`` (``bench/sweep.py``), fewer of them: 4 killed
runs per stack kind, one shard per kind so the three run side by side. A failed point names its replay
command. A last test shows each count can fail: it leaves each kind of debris on purpose.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import pytest
from pulumi import automation as auto

from bench import sweep
from bench._common import LocalImsProcess
from pulumi_ims_record.ice import RecordFormat

SEED = 20261207
POINTS_PER_KIND = 4  # killed runs; 12 over the three kinds
MAX_ATTEMPTS = 10  # per kind: a run that ends before its kill point is checked too, and the next seed drawn
JOBS = 30


@pytest.mark.parametrize("kind", sweep.KINDS)
def test_a_killed_up_leaves_nothing_behind_after_the_documented_recovery(
    kind: str, tmp_path: Path, pulumi_command: auto.PulumiCommand
) -> None:
    calibration = sweep.calibrate(kind, JOBS, tmp_path / "calibrate")
    killed: list[sweep.Outcome] = []
    for seed in itertools.islice(sweep.point_seeds(SEED), MAX_ATTEMPTS):
        point = sweep.Point.draw(kind, seed)
        outcome = sweep.run_point(point, JOBS, calibration, tmp_path / point.label)
        assert not outcome.failed, (
            f"point {point} ({calibration}): {outcome.counts}\n"
            + "\n".join(outcome.reasons())
            + f"\nreplay: {point.replay_command(JOBS)}"
        )
        if outcome.killed:
            killed.append(outcome)
        if len(killed) == POINTS_PER_KIND:
            break
    assert len(killed) == POINTS_PER_KIND, f"only {len(killed)} of {MAX_ATTEMPTS} runs were killed"
    # Not every kill came before the first API call (the spread over the whole run is the sweep's report).
    assert any(outcome.calls_at_kill for outcome in killed), [outcome.calls_at_kill for outcome in killed]


def test_the_sweep_counts_each_kind_of_debris(tmp_path: Path, pulumi_command: auto.PulumiCommand) -> None:
    """A deployed stack, then on purpose: a second template no stack holds, a duplicate job, a job dropped
    from the stack, a process of the "killed" run still alive, an adoption reported without the next step.
    Each is counted."""
    with LocalImsProcess.start(tmp_path / "ims") as ims:
        run = sweep.PointRun("jobs", 2, tmp_path / "point", ims)
        run.write_project()
        assert run.cli(["up", "--yes", "--skip-preview", "--stack", sweep.STACK]).returncode == 0
        clean = sweep.Outcome(point=sweep.Point.draw("jobs", 1), killed=True)
        sweep.count_what_is_left(run, clean, "")
        assert not clean.failed, clean.problems

        with ims.client() as client:
            jobs = {job.name: job for job in client.iter_live_record_jobs()}
            first = jobs[run.names()[0]]
            client.create_live_record_template(
                name=f"{run.prefix}-hls",
                record_formats=[
                    RecordFormat(
                        format="m3u8",
                        oss_object_prefix=sweep.HLS_PREFIX,
                        slice_oss_object_prefix=sweep.SLICE_PREFIX,
                        slice_duration=30,
                    )
                ],
            )
            client.submit_live_record_job(
                name=first.name,
                stream_input=first.stream_input,
                record_output=first.record_output,
                template_id=str(first.template_id),
            )
        second = next(
            item["urn"] for item in run.state()["resources"] if item["urn"].endswith(run.names()[1])
        )
        run.cli(["state", "delete", second, "--yes", "--stack", sweep.STACK], check=True)
        marker = "debris-test"
        survivor = subprocess.Popen(["sleep", "60"], env={**os.environ, "IMS_SWEEP_MARKER": marker})
        try:
            assert sweep.marked_processes(marker) == {survivor.pid: "sleep 60"}
        finally:
            survivor.kill()
            survivor.wait()
        assert sweep.marked_processes(marker) == {}

        debris = sweep.Outcome(point=sweep.Point.draw("jobs", 1), killed=True)
        sweep.count_what_is_left(run, debris, "")
        assert debris.counts["leaked_templates"] == 1, debris.problems
        assert debris.counts["duplicates"] == 1, debris.problems
        assert debris.counts["missing"] == 1, debris.problems

        # The next up adopts the job dropped from the stack, and says so with the next step; an output that
        # does not is counted.
        up = run.cli(["up", "--yes", "--skip-preview", "--stack", sweep.STACK], check=True)
        reported = sweep.Outcome(point=sweep.Point.draw("jobs", 1), killed=True)
        sweep.count_what_is_left(run, reported, up.stdout + up.stderr)
        figures = (reported.adopted, reported.counts["missing"], reported.counts["unnamed_adoptions"])
        assert figures == (1, 0, 0), reported.problems
        silent = sweep.Outcome(point=sweep.Point.draw("jobs", 1), killed=True)
        sweep.count_what_is_left(run, silent, up.stdout.replace(sweep.NEXT_STEP, "…"))
        assert silent.counts["unnamed_adoptions"] == 1, silent.problems
