"""`./run demo` when things go wrong: ended by a closed terminal (SIGHUP), `kill` (SIGTERM), Ctrl-C (SIGINT),
by a reader that went away (a broken pipe, as `./run demo | head`), killed outright during `pulumi up`.
Each leaves no process and no temporary folder behind, or the next demo clears what is provably its own, and
the next `--once` records.

Each test runs scripts/demo.py in a sandbox of its own: a copy of the root project (Pulumi.yaml, the local
stack on free ports, examples/quickstart) with its own .state/, backend and PULUMI_HOME, so it runs beside
other tests and beside a developer's own demo."""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.local.conftest_recording import recording_tools_missing

from .conftest import VENV, alive, command_line, descendants

pytestmark = [
    pytest.mark.recording,
    pytest.mark.skipif(recording_tools_missing() is not None, reason=str(recording_tools_missing())),
]

DEMO_PASSPHRASE = "ims-record-local-demo"  # Pulumi.local.yaml's salt belongs to it (scripts/env.sh)


def free_port(*, and_the_next: bool = False) -> int:
    """A free loopback port; with ``and_the_next``, one whose successor is free too (the local IMS puts its
    admin API there)."""
    while True:
        with socket.socket() as probe, socket.socket() as successor:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
            if not and_the_next:
                return port
            try:
                successor.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


@dataclass
class Sandbox:
    root: Path
    env: dict[str, str]

    @property
    def locks(self) -> Path:
        return self.root / ".state" / "backend" / ".pulumi" / "locks"

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """The demo in a process group of its own (as a shell runs a job), its output to a raw pipe."""
        return subprocess.Popen(
            [str(VENV / "bin" / "python"), str(self.root / "scripts" / "demo.py"), *args],
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            bufsize=0,
            start_new_session=True,
        )

    def run_once(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV / "bin" / "python"), str(self.root / "scripts" / "demo.py"), "--once"],
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def processes(self) -> list[int]:
        """Every process whose command line names this sandbox (the local IMS, the CLI, the plugins)."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    if str(self.root) in Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace"):
                        found.append(int(entry))
        return found


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "scripts" / "demo.py", root / "scripts" / "demo.py")
    shutil.copy(REPO_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(REPO_ROOT / "examples" / "quickstart", root / "examples" / "quickstart")
    (root / ".venv").symlink_to(VENV)
    ims_port = free_port(and_the_next=True)
    stream_port = next(port for port in iter(free_port, None) if port not in (ims_port, ims_port + 1))
    local = (REPO_ROOT / "Pulumi.local.yaml").read_text()
    local = re.sub(r"http://127\.0\.0\.1:\d+", f"http://127.0.0.1:{ims_port}", local)
    (root / "Pulumi.local.yaml").write_text(
        re.sub(r"rtmp://127\.0\.0\.1:\d+", f"rtmp://127.0.0.1:{stream_port}", local)
    )
    (root / ".state" / "backend").mkdir(parents=True)
    env = {
        **os.environ,
        "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PULUMI_BACKEND_URL": (root / ".state" / "backend").as_uri() + "?metadata=skip",
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PULUMI_CONFIG_PASSPHRASE": DEMO_PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_IGNORE_AMBIENT_PLUGINS": "false",
        "PULUMI_PYTHON_CMD": str(VENV / "bin" / "python"),
    }
    made = Sandbox(root, env)
    yield made
    for pid in made.processes():  # a failed test must not leave a recorder running
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def read_until(demo: subprocess.Popen[bytes], wanted: str, timeout: float = 240) -> str:
    """The demo's output up to (and a little past) the first line containing ``wanted``. Read with os.read
    from the unbuffered pipe: a buffered readline could hold the line select() no longer reports."""
    assert demo.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([demo.stdout], [], [], 1.0)
        if ready:
            chunk = os.read(demo.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
            if wanted.encode() in seen:
                return seen.decode(errors="replace")
    raise AssertionError(
        f"no line with {wanted!r} from the demo; it said:\n{seen.decode(errors='replace')[-4000:]}"
    )


def stream_folder(demo_pid: int) -> Path:
    """The test stream's temporary folder (nginx runs with ``-p <folder>/``)."""
    for pid in descendants(demo_pid):
        found = re.search(r"-p (\S*ims-teststream-[^/\s]+)", command_line(pid))
        if found:
            return Path(found.group(1))
    raise AssertionError("no test stream below the demo")


def assert_nothing_left(sandbox: Sandbox, pids: list[int], folder: Path) -> None:
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [(pid, Path(f"/proc/{pid}/cmdline").read_bytes()[:200]) for pid in pids if alive(pid)]
    assert not left, left
    assert not sandbox.processes()
    assert not folder.exists(), f"{folder} is still there"


@pytest.mark.parametrize(
    ("how", "end", "then_again"),
    [
        # What the shell of a closed terminal sends its jobs (their process groups); the next demo records.
        ("closed terminal", lambda pid: os.killpg(pid, signal.SIGHUP), True),
        ("kill, docker stop, systemd", lambda pid: os.kill(pid, signal.SIGTERM), False),  # the demo alone
        ("Ctrl-C", lambda pid: os.killpg(pid, signal.SIGINT), False),  # the terminal's whole foreground group
    ],
    ids=["SIGHUP", "SIGTERM", "SIGINT"],
)
def test_a_signal_stops_the_demo_and_all_it_started(
    sandbox: Sandbox, how: str, end: Callable[[int], None], then_again: bool
) -> None:
    demo = sandbox.start()
    read_until(demo, "recording goes on")
    children, folder = descendants(demo.pid), stream_folder(demo.pid)
    assert children and folder.is_dir()

    end(demo.pid)
    said = demo.communicate(timeout=90)[0].decode(errors="replace")

    assert demo.returncode == 0, f"{how}: {said}"
    assert "stopping the local IMS" in said and "stopping the test stream" in said, said
    assert_nothing_left(sandbox, children, folder)
    if then_again:
        again = sandbox.run_once()
        assert again.returncode == 0 and "first recording" in again.stdout, again.stdout + again.stderr


def test_a_reader_that_goes_away_stops_the_demo_and_all_it_started(sandbox: Sandbox) -> None:
    demo = sandbox.start()
    read_until(demo, "pulumi up --refresh")
    children, folder = descendants(demo.pid), stream_folder(demo.pid)
    assert demo.stdout is not None
    demo.stdout.close()  # `./run demo | head`: head has its lines and exits

    demo.wait(timeout=90)

    assert_nothing_left(sandbox, children, folder)
    assert not list(sandbox.locks.rglob("*.json")), "the stack was left locked"
    again = sandbox.run_once()
    assert again.returncode == 0 and "first recording" in again.stdout, again.stdout + again.stderr


def test_a_demo_killed_during_pulumi_up_is_cleared_by_the_next(sandbox: Sandbox) -> None:
    demo = sandbox.start()
    read_until(demo, "pulumi up --refresh")
    deadline = time.monotonic() + 60
    while not list(sandbox.locks.rglob("*.json")):  # `pulumi up` holds the stack's lock
        assert time.monotonic() < deadline, "pulumi up never locked the stack"
        time.sleep(0.05)

    # Killed outright, with the CLI and its plugins: the local IMS (a session of its own) and the test
    # stream's nginx outlive it, and the stack stays locked.
    def program(pid: int) -> str:
        with contextlib.suppress(OSError):
            return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        return ""

    cli = [pid for pid in descendants(demo.pid) if Path(program(pid)).name == "pulumi"]
    plugins = [child for parent in cli for child in descendants(parent)]
    for pid in [demo.pid, *cli, *plugins]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    demo.wait(timeout=30)
    assert list(sandbox.locks.rglob("*.json")) and sandbox.processes()

    again = sandbox.run_once()

    said = again.stdout + again.stderr
    assert again.returncode == 0 and "first recording" in again.stdout, said
    assert "that an earlier demo left" in said and "`pulumi cancel` unlocks it" in said, said
