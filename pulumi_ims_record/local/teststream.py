"""A live RTMP test source: nginx with the RTMP module on a loopback port, ffmpeg publishing a test pattern.

Library use (tests, the demo)::

    with TestStream(name="stream1") as stream:
        print(stream.url)            # rtmp://127.0.0.1:PORT/live/stream1
        stream.stop_publisher()      # simulate the encoder going away (the RTMP server stays up)
        stream.restart_publisher()   # ...and coming back

Command line (runs until Ctrl-C)::

    python -m pulumi_ims_record.local.teststream --port 1935 --name stream1

Needs ``nginx``, its RTMP module and ``ffmpeg``
(Debian/Ubuntu: ``apt-get install nginx libnginx-mod-rtmp ffmpeg``).
The pattern is ``testsrc2`` with a 440 Hz tone, H.264 with a keyframe every 2 seconds so recordings slice
cleanly.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

MODULE_CANDIDATES = (
    "/usr/lib/nginx/modules/ngx_rtmp_module.so",
    "/usr/share/nginx/modules/ngx_rtmp_module.so",
    "/usr/lib64/nginx/modules/ngx_rtmp_module.so",
    "/usr/local/nginx/modules/ngx_rtmp_module.so",
    "/usr/local/lib/nginx/modules/ngx_rtmp_module.so",
)
PACKAGES_HINT = "install the Debian/Ubuntu packages: apt-get install nginx libnginx-mod-rtmp ffmpeg"
START_TIMEOUT = 10.0


class TestStreamUnavailable(RuntimeError):
    """nginx, its RTMP module or ffmpeg is missing, or nginx would not start."""

    __test__ = False  # not a pytest test class


def find_rtmp_module() -> Path:
    """The nginx RTMP module shared object, from ``NGINX_RTMP_MODULE`` or the usual distribution paths."""
    override = os.environ.get("NGINX_RTMP_MODULE")
    candidates = ([override] if override else []) + list(MODULE_CANDIDATES)
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    raise TestStreamUnavailable(
        f"the nginx RTMP module (ngx_rtmp_module.so) was not found in {', '.join(candidates)}; "
        f"{PACKAGES_HINT} (or set NGINX_RTMP_MODULE to its path)"
    )


def _require(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise TestStreamUnavailable(f"{binary} was not found on PATH; {PACKAGES_HINT}")
    return path


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _dies_with_this_process() -> list[str]:
    """A command prefix that kills the child when the thread that started it dies, even by SIGKILL, so a
    killed demo or test run leaves no nginx or publisher behind (Linux ``setpriv``; nothing elsewhere)."""
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def _stop_process(process: subprocess.Popen[bytes] | None, *, grace: float = 5.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


class TestStream:
    """nginx-rtmp plus an ffmpeg publisher; a context manager that stops both on exit."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        name: str = "stream1",
        *,
        size: str = "640x360",
        rate: int = 25,
        port: int = 0,
        host: str = "127.0.0.1",
        application: str = "live",
        keyframe_seconds: float = 2.0,
        work_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.size = size
        self.rate = rate
        self.host = host
        self.application = application
        self.keyframe_seconds = keyframe_seconds
        self._requested_port = port
        self.port = port
        self._work_dir_given = work_dir
        self._work_dir: Path | None = None
        self._nginx: subprocess.Popen[bytes] | None = None
        self._publisher: subprocess.Popen[bytes] | None = None
        self._published_microseconds = 0
        self._progress_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The RTMP URL a recorder pulls (and the publisher pushes to)."""
        return f"rtmp://{self.host}:{self.port}/{self.application}/{self.name}"

    def __enter__(self) -> TestStream:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start nginx and the publisher; returns once the publisher is sending data."""
        self.start_server()
        try:
            self.restart_publisher()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the publisher and nginx, remove the temporary directory."""
        _stop_process(self._publisher)
        self._publisher = None
        _stop_process(self._nginx)
        self._nginx = None
        if self._work_dir is not None and self._work_dir_given is None:
            shutil.rmtree(self._work_dir, ignore_errors=True)
        self._work_dir = None

    # -- the RTMP server -------------------------------------------------------------------------------------

    def start_server(self) -> None:
        """Start nginx with the RTMP module on ``port`` (a free loopback port when 0)."""
        if self._nginx is not None and self._nginx.poll() is None:
            return
        nginx = _require("nginx")
        module = find_rtmp_module()
        _require("ffmpeg")
        if self._work_dir_given is not None:
            self._work_dir = Path(self._work_dir_given)
            self._work_dir.mkdir(parents=True, exist_ok=True)
        else:
            self._work_dir = Path(tempfile.mkdtemp(prefix="ims-teststream-"))
        attempts = 1 if self._requested_port else 3  # a picked free port can be taken meanwhile: pick again
        last_error = ""
        for _ in range(attempts):
            self.port = self._requested_port or _free_port(self.host)
            config = self._work_dir / "nginx.conf"
            config.write_text(self._nginx_config(module))
            error_log = self._work_dir / "error.log"
            self._nginx = subprocess.Popen(
                [
                    *_dies_with_this_process(),
                    nginx,
                    "-p",
                    f"{self._work_dir}/",
                    "-c",
                    str(config),
                    "-e",
                    str(error_log),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self._nginx.poll() is None:
                if _accepts(self.host, self.port):
                    return
                time.sleep(0.05)
            _stop_process(self._nginx)
            stderr = self._nginx.stderr.read().decode("utf-8", "replace") if self._nginx.stderr else ""
            log = error_log.read_text(errors="replace") if error_log.exists() else ""
            lines = (stderr + log).strip().splitlines()
            last_error = lines[-1] if lines else f"nginx exited with {self._nginx.returncode}"
            self._nginx = None
        raise TestStreamUnavailable(
            f"nginx with the RTMP module did not start on {self.host}:{self.port}: {last_error}"
        )

    def _nginx_config(self, module: Path) -> str:
        assert self._work_dir is not None
        # Single process in the foreground, every path in the temporary directory; as root nginx would
        # otherwise
        # switch to the unprivileged "nobody" user, which is pointless for a loopback test server.
        user = "user root;\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
        return (
            f"load_module {module};\n"
            "daemon off;\n"
            "master_process off;\n"
            f"{user}"
            "worker_processes 1;\n"
            f"pid {self._work_dir}/nginx.pid;\n"
            f"error_log {self._work_dir}/error.log warn;\n"
            "events { worker_connections 256; }\n"
            "rtmp {\n"
            "  server {\n"
            f"    listen {self.host}:{self.port};\n"
            f"    application {self.application} {{\n"
            "      live on;\n"
            "      wait_key on;\n"  # players start on a keyframe: the first slice is decodable
            "    }\n"
            "  }\n"
            "}\n"
        )

    # -- the publisher ---------------------------------------------------------------------------------------

    def stop_publisher(self) -> None:
        """Stop only the ffmpeg publisher (the stream goes away; nginx keeps running)."""
        _stop_process(self._publisher)
        self._publisher = None

    def restart_publisher(self, *, timeout: float = START_TIMEOUT) -> None:
        """(Re)start the publisher and wait until it is sending data."""
        if self._nginx is None or self._nginx.poll() is not None:
            raise TestStreamUnavailable("the RTMP server is not running; call start() first")
        self.stop_publisher()
        keyframe_interval = max(1, round(self.rate * self.keyframe_seconds))
        command = [
            _require("ffmpeg"),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-nostats",
            "-progress",
            "pipe:1",
            "-re",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={self.size}:rate={self.rate}",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
            "-pix_fmt",
            "yuv420p",
            "-g",
            str(keyframe_interval),
            "-keyint_min",
            str(keyframe_interval),
            "-sc_threshold",
            "0",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-f",
            "flv",
            self.url,
        ]
        with self._progress_lock:
            self._published_microseconds = 0
        assert self._work_dir is not None
        log = open(self._work_dir / "publisher.log", "ab")  # noqa: SIM115 - owned by the child process
        try:
            self._publisher = subprocess.Popen(
                [*_dies_with_this_process(), *command],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        finally:
            log.close()
        threading.Thread(target=self._read_progress, args=(self._publisher,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._publisher.poll() is not None:
                raise TestStreamUnavailable(
                    f"the ffmpeg publisher exited with {self._publisher.returncode}; "
                    f"see {self._work_dir}/publisher.log"
                )
            with self._progress_lock:
                if self._published_microseconds > 0:
                    return
            time.sleep(0.05)
        raise TestStreamUnavailable(f"the ffmpeg publisher sent nothing within {timeout:.0f} s")

    def _read_progress(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            if key == "out_time_us" and value.isdigit():
                with self._progress_lock:
                    self._published_microseconds = int(value)

    @property
    def publishing(self) -> bool:
        """True while the publisher runs and has sent data."""
        with self._progress_lock:
            sent = self._published_microseconds > 0
        return sent and self._publisher is not None and self._publisher.poll() is None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_ims_record.local.teststream",
        description="Publish a test pattern over RTMP on a loopback port until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=0, help="RTMP port (default: a free port)")
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--name", default="stream1", help="stream name (default stream1)")
    parser.add_argument("--size", default="640x360", help="picture size (default 640x360)")
    parser.add_argument("--rate", type=int, default=25, help="frames per second (default 25)")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stream = TestStream(name=args.name, size=args.size, rate=args.rate, port=args.port, host=args.host)
        stream.start()
    except TestStreamUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        print(stream.url, flush=True)
        while not stop.wait(1.0):
            if not stream.publishing:
                with contextlib.suppress(TestStreamUnavailable):
                    stream.restart_publisher()
    finally:
        stream.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
