"""A minimal Pulumi language host for Python programs (`runtime: python`): `pulumi-language-python`.

The official host is a Go module the module proxy does not serve, so `./run bootstrap` installs this one in
its place. It runs the program in its own process with the Python SDK's inline-program machinery (the path
the Automation API takes), which is enough for `pulumi preview/up/refresh/destroy` of a project whose program
and dependencies are installed in the venv running this script. It does not install dependencies, read
`runtime.options`, or report program dependencies (`pulumi about` shows less).

The engine starts it with the engine's address as the last argument, reads the port it listens on from its
first line of stdout, then calls `Run` once per operation.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
import threading
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2, language_pb2_grpc


def _program_path(request: Any) -> Path:
    """The file or directory to run: the project's `main`, resolved against the program directory."""
    info = request.info
    program_directory = Path(info.program_directory or request.pwd or os.getcwd())
    entry_point = info.entry_point or request.program or "."
    return (program_directory / entry_point).resolve()


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

    def Run(self, request: Any, context: Any) -> Any:
        self._program = _program_path(request)
        if request.pwd:
            os.chdir(request.pwd)
        # LanguageServer.Run reads the engine address from args[0]; the engine gave it on our command line.
        del request.args[:]
        request.args.append(self._engine_address)
        return super().Run(request, context)  # type: ignore[no-untyped-call]

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
