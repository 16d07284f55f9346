"""A Pulumi language host for Python programs (`runtime: python`): `pulumi-language-python`.

The official host is a Go module the module proxy does not serve, so `./run bootstrap` installs this one in
its place. It runs the program with the Python SDK's inline-program machinery (the path the Automation API
takes), in the Python environment the project asks for, as Pulumi's own host does:

* `runtime.options.virtualenv` (relative to the project's root): the program runs in that virtual
  environment. This host then starts a copy of itself under the venv's Python and hands it the `Run` call, so
  the program imports what the venv has and nothing of this checkout's `.venv`.
* otherwise `PULUMI_PYTHON_CMD` when set, else the Python running this script.
* `pulumi install` (`InstallDependencies`): creates the virtual environment when missing, then
  `pip install -r requirements.txt` into it, streaming pip's output.
* `toolchain: pip` only; `uv` and `poetry` are refused with a message saying so.

The dynamic-provider plugin (`pulumi-resource-pulumi-python`, installed by the bootstrap beside this host)
honours the same virtualenv through `PULUMI_RUNTIME_VIRTUALENV`. Program dependencies are not reported
(`pulumi about` shows less).

The engine starts it with the engine's address as the last argument, reads the port it listens on from its
first line of stdout, then calls `Run` once per operation.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2, language_pb2_grpc

SUPPORTED_TOOLCHAINS = ("pip",)


class ProjectEnvironmentError(Exception):
    """The project's Python environment cannot be used; the message says what to do."""


def _program_path(request: Any) -> Path:
    """The file or directory to run: the project's `main`, resolved against the program directory."""
    info = request.info
    program_directory = Path(info.program_directory or request.pwd or os.getcwd())
    entry_point = info.entry_point or request.program or "."
    return (program_directory / entry_point).resolve()


def _options(info: Any) -> dict[str, Any]:
    return MessageToDict(info.options) if info.HasField("options") else {}


def _virtualenv(info: Any, fallback_directory: str) -> Path | None:
    """The project's `runtime.options.virtualenv`, absolute (relative ones are against the project root)."""
    options = _options(info)
    toolchain = str(options.get("toolchain") or "pip")
    if toolchain not in SUPPORTED_TOOLCHAINS:
        raise ProjectEnvironmentError(
            f"runtime option `toolchain: {toolchain}` is not supported by this repository's language host "
            "(scripts/language_host.py); use `toolchain: pip` with `virtualenv: <dir>`"
        )
    virtualenv = options.get("virtualenv")
    if not virtualenv:
        return None
    root = Path(info.root_directory or info.program_directory or fallback_directory)
    return (root / str(virtualenv)).absolute()


def _venv_python(virtualenv: Path) -> Path:
    return virtualenv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _same_interpreter(python: Path) -> bool:
    # Unresolved: a venv's python is a symlink to the base interpreter, and must not count as it.
    return Path(os.path.abspath(python)) == Path(os.path.abspath(sys.executable))


def _venv_environment(virtualenv: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if virtualenv is not None:
        env["VIRTUAL_ENV"] = str(virtualenv)
        env["PATH"] = f"{_venv_python(virtualenv).parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("PYTHONHOME", None)
    return env


def _copy_lines(source: Any, sink: Any) -> None:
    for line in iter(source.readline, b""):
        sink.write(line)
        sink.flush()


class PythonLanguageHost(LanguageServer):
    """`LanguageServer` (the Automation API's inline host) that runs the project's program from disk."""

    def __init__(self, engine_address: str) -> None:
        super().__init__(program=self._run_program)
        self._engine_address = engine_address
        self._program: Path | None = None

    def _run_program(self) -> None:
        assert self._program is not None
        # What `python <program>` would see: its directory first on sys.path, __name__ == "__main__".
        directory = self._program if self._program.is_dir() else self._program.parent
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))
        runpy.run_path(str(self._program), run_name="__main__")

    def _interpreter_for(self, request: Any) -> tuple[Path | None, Path | None]:
        """``(python, virtualenv)`` the program must run in, or ``(None, None)`` for this process."""
        virtualenv = _virtualenv(request.info, request.pwd or os.getcwd())
        if virtualenv is not None:
            python = _venv_python(virtualenv)
            if not python.exists():
                raise ProjectEnvironmentError(
                    f"the project's virtual environment {virtualenv} does not exist: run `pulumi install` "
                    "(it creates it and installs requirements.txt)"
                )
            return (None, None) if _same_interpreter(python) else (python, virtualenv)
        command = os.environ.get("PULUMI_PYTHON_CMD")
        if command:
            found = shutil.which(command)
            if found is None:
                raise ProjectEnvironmentError(f"PULUMI_PYTHON_CMD={command!r} is not an executable on PATH")
            if not _same_interpreter(Path(found)):
                return Path(found), None
        return None, None

    def Run(self, request: Any, context: Any) -> Any:
        try:
            python, virtualenv = self._interpreter_for(request)
        except ProjectEnvironmentError as error:
            return language_pb2.RunResponse(error=str(error))
        if python is not None:
            return self._run_in(python, virtualenv, request)
        self._program = _program_path(request)
        if request.pwd:
            os.chdir(request.pwd)
        # LanguageServer.Run reads the engine address from args[0]; the engine gave it on our command line.
        del request.args[:]
        request.args.append(self._engine_address)
        answer = super().Run(request, context)  # type: ignore[no-untyped-call]
        if answer.error:
            # The SDK's server has logged the failure already (a pulumi.RunError as its one line, anything
            # else with its traceback): bail, as the official host does, so the engine does not say it twice.
            return language_pb2.RunResponse(bail=True)
        return answer

    def _run_in(self, python: Path, virtualenv: Path | None, request: Any) -> Any:
        """Hand the `Run` call to a copy of this host running under ``python`` (the project's environment)."""
        child = subprocess.Popen(
            [str(python), "-u", os.path.abspath(__file__), self._engine_address],
            stdout=subprocess.PIPE,
            env=_venv_environment(virtualenv),
            cwd=request.pwd or None,
        )
        assert child.stdout is not None
        try:
            first = child.stdout.readline().strip()
            if not first.isdigit():
                child.wait(timeout=30)
                return language_pb2.RunResponse(
                    error=f"the program's Python ({python}) could not start the language host: is the "
                    "`pulumi` package installed in it? Run `pulumi install` (or pip install -r "
                    "requirements.txt in that environment)."
                )
            # The program's own prints follow the port line; keep the pipe drained.
            threading.Thread(target=_copy_lines, args=(child.stdout, sys.stdout.buffer), daemon=True).start()
            with grpc.insecure_channel(f"127.0.0.1:{int(first)}") as channel:
                return language_pb2_grpc.LanguageRuntimeStub(channel).Run(request)
        finally:
            child.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=10)
            if child.poll() is None:
                child.kill()

    def InstallDependencies(self, request: Any, context: Any) -> Iterator[Any]:
        directory = request.directory or request.info.root_directory or os.getcwd()
        try:
            virtualenv = _virtualenv(request.info, directory)
        except ProjectEnvironmentError as error:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
        root = Path(request.info.root_directory or directory)
        commands: list[list[str]] = []
        if virtualenv is not None:
            python = str(_venv_python(virtualenv))
            if not Path(python).exists():
                commands.append([sys.executable, "-m", "venv", str(virtualenv)])
        else:
            python = shutil.which(os.environ.get("PULUMI_PYTHON_CMD") or "") or sys.executable
        requirements = root / "requirements.txt"
        if requirements.exists():
            commands.append([python, "-m", "pip", "install", "-r", str(requirements)])
        for command in commands:
            yield language_pb2.InstallDependenciesResponse(stdout=f"$ {' '.join(command)}\n".encode())
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=root,
                env=_venv_environment(virtualenv),
            )
            assert process.stdout is not None
            for line in iter(process.stdout.readline, b""):
                yield language_pb2.InstallDependenciesResponse(stdout=line)
            if process.wait() != 0:
                context.abort(
                    grpc.StatusCode.UNKNOWN,
                    f"`{' '.join(command)}` failed with exit status {process.returncode}",
                )
        if not commands:
            yield language_pb2.InstallDependenciesResponse(
                stdout=b"nothing to install: no requirements.txt\n"
            )

    def GenerateProgram(self, request: Any, context: Any) -> Any:
        # `pulumi import` asks for the program text of what it imported (Pulumi's own host converts PCL).
        message = (
            "this Python language host (scripts/language_host.py, which stands in for Pulumi's) does not "
            "write code: run `pulumi import` with --generate-code=false and declare the imported resource in "
            "__main__.py with the inputs the import shows (`pulumi stack export` lists them)"
        )
        context.abort(grpc.StatusCode.UNIMPLEMENTED, message)

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        # Dynamic providers need no plugin besides the bundled pulumi-python; nothing to download.
        return language_pb2.GetRequiredPackagesResponse()


def _exit_when_orphaned(poll_seconds: float = 1.0) -> None:
    """End this host when the engine that started it is gone (killed with SIGKILL, it cannot stop us), so a
    killed `pulumi` leaves no idle host behind."""
    engine = os.getppid()
    while True:
        time.sleep(poll_seconds)
        if os.getppid() != engine:
            os._exit(1)


def main(argv: list[str]) -> int:
    positional = [argument for argument in argv if not argument.startswith("-")]
    if not positional:
        print("usage: pulumi-language-python [flags] ENGINE_ADDRESS", file=sys.stderr)
        return 2
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(PythonLanguageHost(positional[-1]), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    threading.Thread(target=_exit_when_orphaned, daemon=True).start()
    print(port, flush=True)
    # The engine interrupts its plugins when an operation ends: a normal exit, not a traceback.
    with contextlib.suppress(KeyboardInterrupt):
        server.wait_for_termination()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
