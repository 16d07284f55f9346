"""`./run demo`: the quickstart recording a live stream, end to end, on this machine.

Starts the local IMS and a test RTMP stream on the ports the `local` stack names (Pulumi.local.yaml),
runs `pulumi up` of the root project against them, waits for the first file recorded in this run, prints
where it is, how to play it and its page in the local IMS console, then keeps recording until Ctrl-C. With
`--yaml` the project is examples/yaml-quickstart instead: the same recording declared in Pulumi YAML through
the native package.

On exit, however it comes (Ctrl-C, SIGTERM, a closed terminal's SIGHUP, a reader gone, an error), it stops
the local IMS (which closes the open recording so it stays playable) and the stream, and a running `pulumi`
gets one Ctrl-C, on which it cancels and unlocks the stack. What a demo killed outright leaves (its local IMS,
its test stream, a stack lock whose pulumi is gone) the next one clears. The stack and the local IMS data stay
under .state/, consistent with each other, so the next run is an update that changes nothing and the job
resumes. `--reset` deletes both first and starts from nothing.

Run it through `./run demo`, which bootstraps and sets the Pulumi environment (scripts/env.sh).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml  # type: ignore[import-untyped]  # PyYAML, a dependency of pulumi

from pulumi_ims_record.ice import Credentials, IceClient, IceError, LiveRecordFile
from pulumi_ims_record.local._datalock import LOCK_FILE_NAME
from pulumi_ims_record.local.teststream import TestStream, TestStreamUnavailable

ROOT = Path(__file__).resolve().parent.parent
STACK = "local"
# The local IMS's documented default credentials: the demo never sends real ones anywhere.
LOCAL_CREDENTIALS = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "ims-local-key",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "ims-local-secret",
}


PROBE_ENTRIES = "format=format_name,duration:stream=codec_type,codec_name,width,height"


class DemoError(Exception):
    """Something the person running the demo has to fix; the message says what."""


STOP = threading.Event()
"""Set by SIGINT, SIGTERM, SIGHUP (Ctrl-C, kill, a closed terminal) or a closed stdout: the demo winds down,
stopping what it started, instead of dying with its children left running."""


def out(text: str = "") -> None:
    """Print a line; when nobody reads any more (``./run demo | head``, a closed terminal), stop quietly: the
    output goes nowhere from then on and the demo winds down, its cleanup included."""
    try:
        print(text, flush=True)
    except (BrokenPipeError, OSError):
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        STOP.set()


def say(message: str) -> None:
    out(f"==> {message}")


def stop_on_signals() -> None:
    """The demo's children (the local IMS in a session of its own, nginx and ffmpeg) would outlive it if a
    signal killed it: each ending signal only sets STOP, and the demo stops them itself."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: STOP.set())


@dataclass(frozen=True)
class Project:
    """Which project the demo runs, and where its stack's local IMS data lives (they go together)."""

    directory: Path
    program: str
    job_output: str
    state: Path

    @property
    def ims_data(self) -> Path:
        return self.state / "ims"


PYTHON_PROJECT = Project(ROOT, "examples/quickstart", "job_id", ROOT / ".state" / "demo")
YAML_PROJECT = Project(
    ROOT / "examples" / "yaml-quickstart",
    "examples/yaml-quickstart/Pulumi.yaml",
    "jobId",
    ROOT / ".state" / "demo-yaml",
)


@dataclass(frozen=True)
class LocalStack:
    """What the demo needs from the project's Pulumi.local.yaml and Pulumi.yaml."""

    project: str
    ims_port: int
    stream_port: int
    stream_name: str
    bucket: str

    @classmethod
    def read(cls, where: Project) -> LocalStack:
        project = yaml.safe_load((where.directory / "Pulumi.yaml").read_text())["name"]
        config: dict[str, Any] = yaml.safe_load((where.directory / f"Pulumi.{STACK}.yaml").read_text())[
            "config"
        ]
        endpoint = urlsplit(str(config["ims-record:endpoint"]))
        stream = urlsplit(str(config[f"{project}:streamUrl"]))
        if endpoint.hostname != "127.0.0.1" or stream.hostname != "127.0.0.1":
            raise DemoError(f"Pulumi.{STACK}.yaml must point the endpoint and the stream at 127.0.0.1")
        return cls(
            project=project,
            ims_port=endpoint.port or 80,
            stream_port=stream.port or 1935,
            stream_name=stream.path.rsplit("/", 1)[-1],
            bucket=str(config[f"{project}:bucketName"]),
        )


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def require_free_port(port: int, what: str) -> None:
    if not port_is_free(port):
        raise DemoError(
            f"port {port} ({what}, from Pulumi.{STACK}.yaml) is in use; stop what uses it "
            f"(`ss -ltnp 'sport = :{port}'` shows it) or change the port in Pulumi.{STACK}.yaml"
        )


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def listener(port: int) -> int | None:
    """The PID of the process listening on the loopback ``port`` (ss), or None."""
    found = subprocess.run(
        ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"pid=(\d+)", found)
    return int(match.group(1)) if match else None


def stop_and_wait_for_port(pid: int, port: int, what: str) -> None:
    say(f"stopping {what} (PID {pid}) that an earlier demo left on port {port}")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while not port_is_free(port):
        if time.monotonic() > deadline:
            raise DemoError(f"{what} (PID {pid}) did not stop within 30 s: `kill -9 {pid}`")
        time.sleep(0.2)


def clear_leftovers(where: Project, stack: LocalStack) -> None:
    """What an earlier demo killed outright (SIGKILL) left behind, cleared where it is provably the demo's
    own: a local IMS holding this demo's data directory, and a test stream (nginx in an ``ims-teststream-``
    folder); anything else on those ports is named, not touched."""
    holder_file = where.ims_data / LOCK_FILE_NAME
    if not port_is_free(stack.ims_port) and holder_file.exists():
        with contextlib.suppress(ValueError, OSError):
            holder = json.loads(holder_file.read_text())
            pid = int(holder.get("pid", 0))
            ours = str(where.ims_data) in command_line(pid)
            if ours and f":{stack.ims_port}" in str(holder.get("endpoint", "")):
                stop_and_wait_for_port(pid, stack.ims_port, "the local IMS")
    pid = listener(stack.stream_port)
    if pid is not None:
        found = re.search(r"-p (\S*/ims-teststream-[^/\s]+)/?", command_line(pid))
        if found and "nginx" in command_line(pid):
            stop_and_wait_for_port(pid, stack.stream_port, "the test stream's nginx")
            shutil.rmtree(found.group(1), ignore_errors=True)


def unlock_if_stale(where: Project, stack: LocalStack) -> None:
    """A `pulumi up` killed outright leaves the stack locked, and every later command on it fails with "the
    stack is currently locked". When the lock's process is provably gone (this machine, no such pulumi),
    `pulumi cancel` clears it; when it may still run, the demo stops with the one command that would."""
    url = urlsplit(os.environ.get("PULUMI_BACKEND_URL", ""))
    if url.scheme != "file":
        return
    locks = Path(url.path) / ".pulumi" / "locks" / "organization" / stack.project / STACK
    for lock in sorted(locks.glob("*.json")):
        try:
            holder = json.loads(lock.read_text())
        except (OSError, ValueError):
            continue
        pid, host = holder.get("pid"), holder.get("hostname")
        if host == socket.gethostname() and isinstance(pid, int) and "pulumi" not in command_line(pid):
            say(f"stack `{STACK}` locked by a pulumi (PID {pid}) that is gone; `pulumi cancel` unlocks it")
            pulumi(where, "cancel", "--yes")
            return
        directory = where.directory.relative_to(ROOT)
        raise DemoError(
            f"the stack `{STACK}` is locked by a pulumi that may still run (PID {pid} on {host}); let it "
            f"finish, or unlock it: ./run pulumi cancel --yes --stack {STACK} -C {directory}"
        )


@contextlib.contextmanager
def test_stream(port: int, name: str) -> Iterator[TestStream]:
    say(f"starting the test RTMP stream rtmp://127.0.0.1:{port}/live/{name} (nginx-rtmp + ffmpeg)")
    stream = TestStream(name=name, port=port)
    try:
        stream.start()
    except TestStreamUnavailable as error:
        raise DemoError(str(error)) from None
    try:
        yield stream
    finally:
        say("stopping the test stream")
        stream.stop()


@contextlib.contextmanager
def local_ims(port: int, where: Project) -> Iterator[dict[str, Any]]:
    """The local IMS as a subprocess on ``port``, data in the project's state; yields its ready.json."""
    where.ims_data.mkdir(parents=True, exist_ok=True)
    ready_file = where.ims_data / "ready.json"
    ready_file.unlink(missing_ok=True)
    log_path = where.state / "local-ims.log"
    command = [sys.executable, "-m", "pulumi_ims_record.local", "--port", str(port)]
    command += ["--data-dir", str(where.ims_data), "--ready-file", str(ready_file)]
    say(
        f"starting the local IMS on http://127.0.0.1:{port} (data and log in {where.state.relative_to(ROOT)})"
    )
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 30
        ready: dict[str, Any] | None = None
        while ready is None:
            if process.poll() is not None:
                raise DemoError(f"the local IMS exited with {process.returncode}; see {log_path}")
            with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
                ready = json.loads(ready_file.read_text())
            if ready is None and time.monotonic() > deadline:
                raise DemoError(f"the local IMS did not get ready within 30 s; see {log_path}")
            time.sleep(0.1)
        yield ready
    finally:
        if process.poll() is None:
            say("stopping the local IMS (closing the open recording)")
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def pulumi(where: Project, *args: str, capture: bool = False) -> str:
    """Run the bootstrapped CLI on the project with the local credentials; fail with its output.

    Its output is relayed line by line (or captured), never written by the CLI to the demo's stdout itself:
    a reader gone away then stops the demo, not the CLI in the middle of an update (a CLI killed so leaves the
    stack locked). A stop on the way is passed on as one Ctrl-C (SIGINT), on which the CLI cancels cleanly."""
    if STOP.is_set():
        raise DemoError("stopped")
    command = ["pulumi", *args, "--stack", STACK, "--non-interactive"]
    process = subprocess.Popen(
        command,
        cwd=where.directory,
        env={**os.environ, **LOCAL_CREDENTIALS},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=None if capture else subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a closed terminal's SIGHUP reaches the demo, which passes it on as a SIGINT
    )
    captured: list[str] = []

    def relay_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if capture:
                captured.append(line)
            else:
                out(line.rstrip("\n"))

    relay = threading.Thread(target=relay_output, daemon=True)
    relay.start()
    interrupted = False
    while process.poll() is None:
        if STOP.is_set() and not interrupted:
            process.send_signal(signal.SIGINT)
            interrupted = True
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.2)
    relay.join()
    if process.returncode != 0:
        if interrupted:
            raise DemoError(f"stopped during `{' '.join(command)}`, which was cancelled")
        raise DemoError(f"`{' '.join(command)}` failed (exit {process.returncode}); its output is above")
    return "".join(captured)


def stack_exists(where: Project) -> bool:
    listing = subprocess.run(
        ["pulumi", "stack", "ls", "--json"], cwd=where.directory, capture_output=True, text=True, check=True
    )
    return any(item["name"] == STACK for item in json.loads(listing.stdout))


def reset(where: Project) -> None:
    """Forget the stack and the local IMS data together (they only make sense together)."""
    if stack_exists(where):
        say(f"removing the stack `{STACK}` (its config file stays)")
        pulumi(where, "stack", "rm", "--force", "--yes", "--preserve-config")
    if where.state.exists():
        say(f"deleting {where.state.relative_to(ROOT)}")
        shutil.rmtree(where.state)


def wait_for_first_file(
    client: IceClient, job_id: str, since: datetime, timeout: float, stop: threading.Event, log: Path
) -> LiveRecordFile | None:
    """The first file of ``job_id`` that ended after ``since`` (ListLiveRecordFiles); None on Ctrl-C."""
    started = time.monotonic()
    next_progress = started + 5
    while not stop.is_set():
        try:
            files = [
                item
                for item in client.iter_live_record_files(
                    job_ids=[job_id],
                    start_time=since - timedelta(hours=1),
                    end_time=since + timedelta(days=1),
                )
                if item.end_time and item.record_url and _parse_time(item.end_time) >= since
            ]
        except IceError as error:
            raise DemoError(f"listing the recordings failed: {error}") from None
        if files:
            return min(files, key=lambda item: item.end_time or "")
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            raise DemoError(
                f"no recording of job {job_id} within {timeout:.0f} s; see {log.relative_to(ROOT)}"
            )
        if time.monotonic() >= next_progress:
            status = client.get_live_record_job(job_id=job_id).record_job.status
            say(f"  waiting for the first recording: {elapsed:.0f} s, job status {status}")
            next_progress += 5
        stop.wait(1)
    return None


def _parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def ffprobe_summary(target: str) -> str:
    """One line: container, duration and streams, as ffprobe reads them."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_entries", PROBE_ENTRIES, target],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise DemoError(f"ffprobe could not read {target}: {result.stderr.strip()}")
    probe = json.loads(result.stdout)
    streams = []
    for stream in probe.get("streams", []):
        size = f" {stream['width']}x{stream['height']}" if stream.get("width") else ""
        streams.append(f"{stream.get('codec_type')} {stream.get('codec_name')}{size}")
    fmt = probe.get("format", {})
    return f"{fmt.get('format_name')}, {float(fmt.get('duration', 0)):.1f} s, " + ", ".join(streams)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./run demo", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reset", action="store_true", help="delete the `local` stack and the demo data first"
    )
    parser.add_argument(
        "--timeout", type=float, default=180, help="seconds to wait for the first recording (180)"
    )
    parser.add_argument(
        "--once", action="store_true", help="exit after the first recording instead of waiting for Ctrl-C"
    )
    parser.add_argument(
        "--yaml",
        action="store_true",
        help="run examples/yaml-quickstart (Pulumi YAML, the native package) instead of the quickstart",
    )
    args = parser.parse_args(argv)
    where = YAML_PROJECT if args.yaml else PYTHON_PROJECT

    stop_on_signals()

    stack = LocalStack.read(where)
    if args.reset:
        reset(where)
    where.state.mkdir(parents=True, exist_ok=True)
    clear_leftovers(where, stack)
    require_free_port(stack.ims_port, "the local IMS")
    require_free_port(stack.stream_port, "the test RTMP stream")
    since = datetime.now(timezone.utc).replace(microsecond=0)

    # Entered stream first, left IMS first: the IMS closes the open recording while the stream still plays.
    with test_stream(stack.stream_port, stack.stream_name), local_ims(stack.ims_port, where) as ready:
        if not stack_exists(where):
            say(f"creating the stack `{STACK}` (file backend in .state/backend)")
            pulumi(where, "stack", "init")
        unlock_if_stale(where, stack)
        say(f"pulumi up --refresh (stack `{STACK}`, project {stack.project}, program {where.program})")
        pulumi(where, "up", "--yes", "--refresh", "--skip-preview")
        job_id = pulumi(where, "stack", "output", where.job_output, capture=True).strip()
        say(f"job {job_id} is recording; waiting for its first file of this run (up to {args.timeout:.0f} s)")
        credentials = Credentials(*LOCAL_CREDENTIALS.values())
        with IceClient(region="cn-shanghai", endpoint=ready["endpoint"], credentials=credentials) as client:
            recorded = wait_for_first_file(
                client, job_id, since, args.timeout, STOP, where.state / "local-ims.log"
            )
        if recorded is not None:
            play_url = recorded.record_url or ""
            key = play_url.split(f"/_buckets/{stack.bucket}/", 1)[-1]
            recorded_file = where.ims_data / "buckets" / stack.bucket / key
            out()
            say(f"first recording: {recorded.format}, {recorded.duration:.1f} s, from {recorded.start_time}")
            out(f"    file:  {recorded_file}   (plays as it is: ffplay '{recorded_file}')")
            if not args.once:  # links to the local IMS, which runs until Ctrl-C
                out(f"    play:  {play_url}   (e.g. ffplay '{play_url}')")
                console = f"{ready['endpoint']}/_console/#job-{job_id}"
                out(f"    watch: {console}   (the local IMS console, in a browser)")
            out(f"    probe: {ffprobe_summary(play_url)}")
            out()
            if not args.once:
                say("recording goes on (a new file every cycle); press Ctrl-C to stop")
                STOP.wait()
    say(
        f"stopped. The stack `{STACK}` and the local IMS data stay in .state/ (the next ./run demo resumes; "
        f"./run demo{' --yaml' if args.yaml else ''} --reset starts over)"
    )
    if recorded is not None:
        # The local IMS is gone with the demo, and so are its links; the files are not.
        data = where.ims_data.relative_to(ROOT)
        say(
            f"the recordings stay in {data / 'buckets' / stack.bucket}; to browse and play them over HTTP "
            f"again: ./run local --port {stack.ims_port} --data-dir {data}, then "
            f"{ready['endpoint']}/_console/#job-{job_id}"
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except DemoError as error:
        with contextlib.suppress(OSError):  # stderr may be gone with the terminal
            print(f"demo: {error}", file=sys.stderr)
        sys.exit(1)
