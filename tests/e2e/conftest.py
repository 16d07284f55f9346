"""The end-to-end harness: the real Pulumi CLI (built by ./run bootstrap), a local IMS, a file backend.

Every test gets its own local IMS (port 0, data under tmp_path), its own backend directory and PULUMI_HOME,
and stacks named uniquely. Programs are either Automation API inline programs (``Engine.stack``) or project
directories run by the CLI itself (``Engine.project`` + ``Engine.cli``/``Engine.spawn``), through the
language host ./run bootstrap installs.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import subprocess
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_ims_record.ice import Credentials, IceClient, LiveRecordJob
from tests.conftest import REPO_ROOT, LocalIms

VENV = REPO_ROOT / ".venv"
PULUMI = VENV / "bin" / "pulumi"
REQUIRED_BINARIES = ("pulumi", "pulumi-resource-pulumi-python", "pulumi-language-python")
REGION = "cn-shanghai"
PASSPHRASE = "e2e-passphrase"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def pulumi_command() -> auto.PulumiCommand:
    """The CLI in .venv/bin; missing means ./run bootstrap did not run (a failure under ./run test)."""
    missing = [name for name in REQUIRED_BINARIES if not os.access(VENV / "bin" / name, os.X_OK)]
    if missing:
        reason = f"{', '.join(missing)} not in {VENV / 'bin'}: run ./run bootstrap"
        if os.environ.get("IMS_RECORD_REQUIRE_E2E") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return auto.PulumiCommand(root=str(VENV))


@dataclass(frozen=True)
class AccessKey:
    id: str
    secret: str
    token: str | None = None

    def env(self) -> dict[str, str]:
        values = {"ALIBABA_CLOUD_ACCESS_KEY_ID": self.id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": self.secret}
        if self.token:
            values["ALIBABA_CLOUD_SECURITY_TOKEN"] = self.token
        return values


@dataclass
class Engine:
    """One test's Pulumi environment against one local IMS."""

    root: Path
    ims: LocalIms
    access_key: AccessKey
    command: auto.PulumiCommand
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def backend_dir(self) -> Path:
        return self.root / "backend"

    @property
    def env(self) -> dict[str, str]:
        """Everything the CLI and the plugins it starts need; nothing reaches ~/.pulumi or the network."""
        self.backend_dir.mkdir(parents=True, exist_ok=True)
        return {
            "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            # No ".attrs" sidecars: a SIGKILL while one is written breaks the stack (see scripts/env.sh).
            "PULUMI_BACKEND_URL": self.backend_dir.as_uri() + "?metadata=skip",
            "PULUMI_HOME": str(self.root / "pulumi-home"),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            # Each test has its own PULUMI_HOME with an empty plugin cache: the plugin is the one on PATH (the
            # checkout's), even under ./run test, whose scripts/env.sh ignores plugins on PATH.
            "PULUMI_IGNORE_AMBIENT_PLUGINS": "false",
            "PULUMI_PYTHON_CMD": str(VENV / "bin" / "python"),
            # Belt and braces: even without the stack config the provider never leaves the loopback server.
            "ALIBABA_CLOUD_ICE_ENDPOINT": self.ims.endpoint,
            "ALIBABA_CLOUD_REGION": REGION,
            **self.access_key.env(),
        }

    def config(self) -> dict[str, str]:
        return {"ims-record:endpoint": self.ims.endpoint, "alicloud:region": REGION}

    def unique_name(self, prefix: str = "s") -> str:
        return f"{prefix}{next(self._names)}"

    # --- Automation API, inline programs ---

    def stack(
        self, program: Callable[[], None], *, name: str | None = None, project: str = "ims-e2e"
    ) -> auto.Stack:
        name = name or self.unique_name()
        work_dir = self.root / "workspaces" / project / name
        work_dir.mkdir(parents=True, exist_ok=True)
        options = auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            pulumi_command=self.command,
            env_vars=self.env,
            project_settings=auto.ProjectSettings(name=project, runtime="python"),
        )
        stack = auto.create_or_select_stack(
            stack_name=name, project_name=project, program=program, opts=options
        )
        stack.set_all_config({key: auto.ConfigValue(value) for key, value in self.config().items()})
        return stack

    # --- the CLI on a project directory ---

    def project(self, name: str, program_source: str, config: Mapping[str, str] | None = None) -> Path:
        """A project directory with ``__main__.py`` = ``program_source``; returns it."""
        directory = self.root / "projects" / name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
        (directory / "__main__.py").write_text(textwrap.dedent(program_source))
        return directory

    def cli(
        self, args: Sequence[str], *, cwd: Path, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(PULUMI), *args, "--non-interactive"],
            cwd=cwd,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} exited with {result.returncode}\n"
                f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
            )
        return result

    def spawn(self, args: Sequence[str], *, cwd: Path, log: Path) -> subprocess.Popen[bytes]:
        """Start the CLI in its own process group (so the test can SIGKILL it with its plugins)."""
        with log.open("ab") as output:
            return subprocess.Popen(
                [str(PULUMI), *args, "--non-interactive"],
                cwd=cwd,
                env={**os.environ, **self.env},
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def init_project_stack(
        self, project_dir: Path, name: str, config: Mapping[str, str] | None = None
    ) -> None:
        self.cli(["stack", "init", name], cwd=project_dir)
        for key, value in {**self.config(), **(config or {})}.items():
            self.cli(["config", "set", "--stack", name, key, value], cwd=project_dir)

    def export(self, project_dir: Path, stack: str, *, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "export", "--stack", stack] + (["--show-secrets"] if show_secrets else [])
        exported: dict[str, Any] = json.loads(self.cli(args, cwd=project_dir).stdout)
        return exported

    # --- what the local IMS holds ---

    def client(self) -> IceClient:
        """An IceClient for the local IMS with this engine's credentials (its calls count in the stats)."""
        key = self.access_key
        client: IceClient = self.ims.client(credentials=Credentials(key.id, key.secret, key.token))
        return client

    def jobs(self) -> list[LiveRecordJob]:
        """Every job on the local IMS."""
        with self.client() as client:
            return list(client.iter_live_record_jobs(page_size=50))

    def jobs_per_name(self) -> Counter[str]:
        return Counter(job.name for job in self.jobs())


def bash(
    script: str, *, cwd: Path, env: Mapping[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``script`` in ``bash -euxc`` (each line echoed, the first failure stops it), as a README reads."""
    result = subprocess.run(
        ["bash", "-euxc", script],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert not check or result.returncode == 0, (
        f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
    )
    return result


def copy_example(name: str, root: Path) -> Path:
    """``examples/<name>`` copied to ``root/examples/<name>`` without its stack files, as a user's checkout
    would be: ``root/sdk`` leads to the generated SDKs (a Go example's ``replace`` reaches ``../../sdk/go``),
    and installed ``node_modules`` are linked, not copied. Returns the copy."""
    source = REPO_ROOT / "examples" / name
    directory = root / "examples" / name
    ignore = shutil.ignore_patterns("Pulumi.*.yaml", "__pycache__", "node_modules")
    shutil.copytree(source, directory, ignore=ignore)
    if (source / "node_modules").is_dir():
        (directory / "node_modules").symlink_to(source / "node_modules")
    if not (root / "sdk").exists():
        (root / "sdk").symlink_to(REPO_ROOT / "sdk")
    return directory


def pip_settings() -> dict[str, str]:
    """What a user's own ``pip install`` would have from this shell: index, cache, no version check."""
    settings = {"PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_CACHE_DIR"):
        if name in os.environ:
            settings[name] = os.environ[name]
    if "XDG_CACHE_HOME" in os.environ:
        settings["XDG_CACHE_HOME"] = os.environ["XDG_CACHE_HOME"]
    return settings


def new_access_key(*, sts: bool = False) -> AccessKey:
    return AccessKey(
        id=f"e2e{'sts' if sts else ''}{secrets.token_hex(6)}",
        secret=secrets.token_urlsafe(24),
        token=secrets.token_urlsafe(40) if sts else None,
    )


def server_args(access_key: AccessKey) -> list[str]:
    if access_key.token:
        return ["--sts", f"{access_key.id}:{access_key.secret}:{access_key.token}"]
    return ["--access-key", f"{access_key.id}:{access_key.secret}"]


@pytest.fixture
def make_engine(
    tmp_path: Path, start_local_ims: Callable[..., LocalIms], pulumi_command: auto.PulumiCommand
) -> Callable[..., Engine]:
    """``make_engine(sts=False, name="engine")``: a new local IMS with fresh random credentials + Engine."""

    def make(*, sts: bool = False, name: str = "engine") -> Engine:
        access_key = new_access_key(sts=sts)
        ims = start_local_ims(server_args(access_key), name=f"{name}-ims")
        return Engine(root=tmp_path / name, ims=ims, access_key=access_key, command=pulumi_command)

    return make


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine()


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (children, grandchildren, ...), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command name (field 2) may contain spaces; the parent pid follows its closing ')'.
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found: list[int] = []
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def command_line(pid: int) -> str:
    """The process's command line, arguments separated by spaces ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
