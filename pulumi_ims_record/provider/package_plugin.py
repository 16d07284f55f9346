"""The ``ims-record`` plugin as Pulumi installs plugins: one directory, and a ``.tar.gz`` of it, holding the
launcher ``pulumi-resource-ims-record`` and, in ``lib/``, this package with the Python packages the plugin
runs on. Nothing in it points back at the environment it was built from, so that environment may go::

    python -m pulumi_ims_record.provider.package_plugin --out DIR
    pulumi plugin install resource ims-record VERSION \\
        --file DIR/pulumi-resource-ims-record-vVERSION-OS-ARCH.tar.gz

The launcher runs the Python minor version the plugin was built with (its compiled packages, such as grpcio,
are built for it): ``python3.X`` on ``PATH``, else the interpreter that built it. ``pulumi-alicloud`` is left
out: the plugin never imports it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pulumi_ims_record

DISTRIBUTION = "pulumi-ims-record"
PLUGIN = "ims-record"
EXECUTABLE = f"pulumi-resource-{PLUGIN}"
NOT_NEEDED_BY_THE_PLUGIN = frozenset({"pulumi-alicloud"})
_ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def plugin_requirements() -> list[str]:
    """The package's own requirements (pyproject.toml, as installed), less extras and what the plugin never
    imports."""
    wanted = []
    for requirement in importlib.metadata.requires(DISTRIBUTION) or []:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        if "extra ==" in requirement or name is None:
            continue
        if name.group(0).lower().replace("_", "-") not in NOT_NEEDED_BY_THE_PLUGIN:
            wanted.append(requirement.split(";")[0].strip())
    return wanted


def archive_name(version: str) -> str:
    """Pulumi's own naming: ``pulumi-resource-<name>-v<version>-<os>-<arch>``."""
    machine = platform.machine().lower()
    return f"{EXECUTABLE}-v{version}-{sys.platform}-{_ARCHITECTURES.get(machine, machine)}"


def launcher(version: str) -> str:
    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    built_with = getattr(sys, "_base_executable", sys.executable)
    return f"""#!/bin/sh
# The Pulumi plugin {PLUGIN} {version} ({DISTRIBUTION}): its Python packages are in lib/ beside this file.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
python=""
for candidate in {minor} "{built_with}"; do
    if command -v "$candidate" >/dev/null 2>&1; then python=$candidate; break; fi
done
if [ -z "$python" ]; then
    echo "{EXECUTABLE}: needs {minor} (the Python it was built for) on PATH" >&2
    exit 1
fi
PYTHONPATH="$here/lib" exec "$python" -s -m pulumi_ims_record.provider.native "$@"
"""


def build(out: Path, version: str, *, pip_args: tuple[str, ...] = ()) -> Path:
    """Build the plugin directory and its archive under ``out`` (the package at ``version``); the archive."""
    name = archive_name(version)
    directory = out / name
    shutil.rmtree(directory, ignore_errors=True)
    lib = directory / "lib"
    lib.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--target", str(lib), *pip_args, *plugin_requirements()], check=True)
    # This package as it is installed here (an editable checkout included), with the metadata that tells the
    # plugin its version.
    source = Path(pulumi_ims_record.__file__).resolve().parent
    shutil.copytree(source, lib / "pulumi_ims_record", ignore=shutil.ignore_patterns("__pycache__"))
    metadata = lib / f"pulumi_ims_record-{version}.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DISTRIBUTION}\nVersion: {version}\n")
    (metadata / "RECORD").write_text("")
    executable = directory / EXECUTABLE
    executable.write_text(launcher(version))
    executable.chmod(0o755)
    archive = out / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(directory.iterdir()):
            tar.add(path, arcname=path.name)
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_ims_record.provider.package_plugin",
        description=f"Build the {PLUGIN} plugin (a directory and its .tar.gz) for `pulumi plugin install`.",
    )
    parser.add_argument("--out", type=Path, default=Path("."), help="where to write them (default: here)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    version = importlib.metadata.version(DISTRIBUTION)
    archive = build(args.out.resolve(), version)
    print(f"built {archive}; install it with:")
    print(f"    pulumi plugin install resource {PLUGIN} {version} --file {archive}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
