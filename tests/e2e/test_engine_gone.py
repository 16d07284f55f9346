"""When `pulumi up` is killed outright, our provider processes notice the engine is gone, send no new
call, and exit within seconds (issue 34): the native plugin, the dynamic-provider host running our provider
code, and the repository's Python language host.

The CLI starts its plugins in process groups of their own, so the test kills only the CLI's group, as a
cancelled CI runner or `kill -9` of `pulumi` would, while the local IMS answers each call a second late, so
that calls are on the wire at the kill."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML, a dependency of pulumi

from bench.sweep import PYTHON_JOBS_PROGRAM, yaml_jobs_program
from tests.conftest import wait_until

from .conftest import Engine, alive, command_line, descendants

JOBS = 12
SUBMIT = "SubmitLiveRecordJob"
OURS = ("pulumi-resource-ims-record", "pulumi.dynamic", "language_host.py")
"""What the command line of each of our processes under the CLI contains."""
NOTICED_WITHIN = 1.0  # seconds after the kill: the watch polls every 0.5 s
GONE_WITHIN = 5.0


def yaml_project(engine: Engine) -> Path:
    directory = engine.root / "yaml-engine-gone"
    directory.mkdir(parents=True)
    program = yaml_jobs_program("yaml-engine-gone", "gone", JOBS)
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
    engine.init_project_stack(directory, "dev")
    return directory


@pytest.mark.parametrize("door", ["python", "yaml"])
def test_our_processes_exit_within_seconds_of_the_engines_death_and_send_nothing_after(
    engine: Engine, door: str
) -> None:
    if door == "python":
        project = engine.project("ims-engine-gone", PYTHON_JOBS_PROGRAM)
        engine.init_project_stack(project, "dev", {"prefix": "gone", "jobs": str(JOBS)})
    else:
        project = yaml_project(engine)
    engine.ims.set_faults({"latency_ms": 1000})
    log = engine.root / "killed-up.log"
    up = engine.spawn(["up", "--yes", "--skip-preview", "--stack", "dev"], cwd=project, log=log)
    processes: list[int] = []
    try:
        wait_until(
            lambda: engine.ims.stats().get(SUBMIT, 0) >= 1,
            timeout=120,
            message=f"the first {SUBMIT} (CLI output: {log})",
        )
        processes = descendants(up.pid)
        ours = [pid for pid in processes if any(mark in command_line(pid) for mark in OURS)]
        provider = "pulumi.dynamic" if door == "python" else "pulumi-resource-ims-record"
        assert any(provider in command_line(pid) for pid in ours), [command_line(pid) for pid in processes]
        os.killpg(up.pid, signal.SIGKILL)  # the CLI only: its plugins run in groups of their own
        killed = time.monotonic()
        up.wait(timeout=30)

        time.sleep(max(0.0, killed + NOTICED_WITHIN - time.monotonic()))
        calls_when_noticed = engine.ims.total_calls()
        wait_until(
            lambda: not any(alive(pid) for pid in ours),
            timeout=max(0.1, killed + GONE_WITHIN - time.monotonic()),
            interval=0.1,
            message="our processes to exit within 5 s of the engine's death; alive: "
            + "; ".join(f"{pid} {command_line(pid)}" for pid in ours if alive(pid)),
        )
        time.sleep(2)  # anything still to come would have arrived by now
        assert engine.ims.total_calls() == calls_when_noticed, engine.ims.stats()
        assert engine.ims.stats().get(SUBMIT, 0) < JOBS  # killed mid-deployment, as meant
    finally:
        for pid in processes:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # Pulumi's own YAML host waits 5 minutes before it notices
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
