"""Pulumi language hosts for programs that run as a process of their own: Node.js (`runtime: nodejs`,
installed by the bootstrap as `pulumi-language-nodejs`) and Go (`runtime: go`, as `pulumi-language-go`).

Pulumi's own hosts are Go modules the module proxy does not serve, so `./run bootstrap` installs this one in
their place. It runs ordinary programs the way they do:

* nodejs: the run harness of the `@pulumi/pulumi` the program itself installed (`node_modules`), which
  compiles TypeScript with its bundled ts-node (`runtime.options.typescript: false` turns that off,
  `runtime.options.tsconfig` names another tsconfig.json); `pulumi install` runs `npm ci` (`npm install`
  without a lock file).
* go: `go build` of the program directory (the binary is kept between runs in `$PULUMI_HOME/go-programs`,
  so an unchanged program is not linked again), or `runtime.options.binary` (relative to the program
  directory) when the project ships a built one; the Go SDK reads what it needs from `PULUMI_*` variables.
  `pulumi install` runs `go mod download`.

The program runs in its own process group: `Cancel`, or the engine's death (this host then exits), stops it.
Exit status 32 means the program has already reported its failure to the engine (the harnesses' convention):
the host answers `bail` so the engine does not report it twice.

The engine starts a host with the engine's address as the last argument, reads the port it listens on from
its first line of stdout, then calls `Run` once per operation.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2
from google.protobuf.json_format import MessageToDict
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

RUNTIMES = ("nodejs", "go")
BAIL_EXIT_STATUS = 32
"""The exit status with which Pulumi's program harnesses say "already reported"."""


class ProgramError(Exception):
    """The program cannot be started; the message says why and what to do."""


def _options(request: Any) -> dict[str, Any]:
    info = request.info
    return MessageToDict(info.options) if info.HasField("options") else {}


def _program_directory(request: Any) -> Path:
    return Path(request.info.program_directory or request.pwd or os.getcwd())


def _engine_environment(request: Any, engine_address: str) -> dict[str, str]:
    """What Pulumi's Go SDK reads from the environment (the Node.js harness takes the same as flags)."""
    env = dict(os.environ)
    env.update(
        {
            "PULUMI_MONITOR": request.monitor_address,
            "PULUMI_ENGINE": engine_address,
            "PULUMI_PROJECT": request.project,
            "PULUMI_STACK": request.stack,
            "PULUMI_ORGANIZATION": request.organization,
            "PULUMI_ROOT_DIRECTORY": request.info.root_directory,
            "PULUMI_DRY_RUN": "true" if request.dryRun else "false",
            "PULUMI_PARALLEL": str(request.parallel),
            "PULUMI_CONFIG": json.dumps(dict(request.config)),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(list(request.configSecretKeys)),
        }
    )
    return env


def nodejs_command(request: Any, engine_address: str) -> tuple[list[str], dict[str, str]]:
    directory = _program_directory(request)
    found = subprocess.run(
        ["node", "-e", "console.log(require.resolve('@pulumi/pulumi/cmd/run'))"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        raise ProgramError(
            f"the program in {directory} has no @pulumi/pulumi installed (node_modules): run "
            "`pulumi install` (npm ci) there first"
        )
    harness = found.stdout.strip()
    command = ["node", harness]
    flags = {
        "--monitor": request.monitor_address,
        "--engine": engine_address,
        "--organization": request.organization,
        "--project": request.project,
        "--root-directory": request.info.root_directory,
        "--stack": request.stack,
        "--pwd": request.pwd or str(directory),
    }
    for flag, value in flags.items():
        if value:
            command += [flag, value]
    if request.dryRun:
        command.append("--dry-run")
    command += ["--parallel", str(request.parallel)]
    command.append(request.info.entry_point or request.program or ".")
    command += list(request.args)
    options = _options(request)
    env = _engine_environment(request, engine_address)
    # The Node.js SDK reads config keys as <package>:config:<key>; the engine sends <package>:<key>.
    config = {}
    for key, value in request.config.items():
        package, _, name = key.partition(":")
        config[f"{package}:config:{name}" if name and ":config:" not in key else key] = value
    env["PULUMI_CONFIG"] = json.dumps(config)
    env["PULUMI_NODEJS_TYPESCRIPT"] = "false" if options.get("typescript") is False else "true"
    if options.get("tsconfig"):
        env["PULUMI_NODEJS_TSCONFIG_PATH"] = str(options["tsconfig"])
    return command, env


def go_command(request: Any, engine_address: str, scratch: Path) -> tuple[list[str], dict[str, str]]:
    directory = _program_directory(request)
    env = _engine_environment(request, engine_address)
    binary = _options(request).get("binary")
    if binary:
        program = directory / str(binary)
        if not os.access(program, os.X_OK):
            raise ProgramError(f"runtime option `binary: {binary}`: {program} is not an executable file")
        return [str(program), *request.args], env
    # Built where the next run finds it, one place per program directory under Pulumi's home: `go build` then
    # skips linking when nothing changed (seconds each run). The run gets a copy, so another may rebuild.
    pulumi_home = Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    program_key = hashlib.sha256(bytes(directory.resolve())).hexdigest()[:16]
    build_dir = pulumi_home / "go-programs" / program_key
    build_dir.mkdir(parents=True, exist_ok=True)
    with (build_dir / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = subprocess.run(
            ["go", "build", "-o", str(build_dir / "program"), "."],
            cwd=directory,
            capture_output=True,
            text=True,
            check=False,
        )
        if built.returncode != 0:
            raise ProgramError(f"`go build` of the program in {directory} failed:\n{built.stderr.strip()}")
        program = shutil.copy2(build_dir / "program", scratch / "program")
    return [str(program), *request.args], env


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the program's process group, SIGKILL what is left after 5 s."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait)


class ProcessLanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, runtime: str, engine_address: str) -> None:
        self._runtime = runtime
        self._engine_address = engine_address
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        # The engine refuses a host without it ("Method not implemented!"); a version is optional.
        return plugin_pb2.PluginInfo()

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:
        # The engine starts the plugins a program's resources name when they are first used.
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPackagesResponse()

    def Run(self, request: Any, context: Any) -> Any:
        with tempfile.TemporaryDirectory(prefix=f"pulumi-{self._runtime}-") as scratch:
            try:
                if self._runtime == "nodejs":
                    command, env = nodejs_command(request, self._engine_address)
                else:
                    command, env = go_command(request, self._engine_address, Path(scratch))
            except ProgramError as error:
                return language_pb2.RunResponse(error=str(error))
            process = subprocess.Popen(
                command, cwd=request.pwd or _program_directory(request), env=env, start_new_session=True
            )
            with self._lock:
                self._running.add(process)
            try:
                status = process.wait()
            finally:
                _stop_group(process)
                with self._lock:
                    self._running.discard(process)
        if status == 0:
            return language_pb2.RunResponse()
        if status == BAIL_EXIT_STATUS:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"Program exited with non-zero exit code: {status}")

    def Cancel(self, request: Any, context: Any) -> Any:
        self.stop_programs()
        return empty_pb2.Empty()

    def stop_programs(self) -> None:
        with self._lock:
            running = list(self._running)
        for process in running:
            _stop_group(process)

    def InstallDependencies(self, request: Any, context: Any) -> Iterator[Any]:
        directory = Path(request.directory or request.info.program_directory or os.getcwd())
        if self._runtime == "nodejs":
            command = ["npm", "ci" if (directory / "package-lock.json").exists() else "install"]
        else:
            command = ["go", "mod", "download"]
        yield language_pb2.InstallDependenciesResponse(stdout=f"$ {' '.join(command)}\n".encode())
        process = subprocess.Popen(command, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert process.stdout is not None
        for line in iter(process.stdout.readline, b""):
            yield language_pb2.InstallDependenciesResponse(stdout=line)
        if process.wait() != 0:
            failed = f"`{' '.join(command)}` failed with exit status {process.returncode}"
            context.abort(grpc.StatusCode.UNKNOWN, failed)


def _exit_when_orphaned(host: ProcessLanguageHost, poll_seconds: float = 1.0) -> None:
    """When the engine that started this host is gone (a SIGKILL cannot be caught), stop the program and exit,
    so a killed `pulumi` leaves nothing of ours behind."""
    engine = os.getppid()
    while True:
        time.sleep(poll_seconds)
        if os.getppid() != engine:
            host.stop_programs()
            os._exit(1)


def main(argv: list[str]) -> int:
    positional = [argument for argument in argv if not argument.startswith("-")]
    if len(positional) < 2 or positional[0] not in RUNTIMES:
        usage = f"usage: process_language_host.py {{{','.join(RUNTIMES)}}} [flags] ENGINE_ADDRESS"
        print(usage, file=sys.stderr)
        return 2
    host = ProcessLanguageHost(positional[0], positional[-1])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    threading.Thread(target=_exit_when_orphaned, args=(host,), daemon=True).start()
    print(port, flush=True)
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:  # the engine interrupts its plugins when an operation ends
        pass
    finally:
        host.stop_programs()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
