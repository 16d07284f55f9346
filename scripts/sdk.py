"""`./run sdk`: write what is generated from the provider's property tables, as Pulumi's providers commit it.

1. ``schema.json`` (``pulumi_ims_record.provider.schema``);
2. ``sdk/nodejs``, ``sdk/python``, ``sdk/go``: Pulumi's own code generators, run by ``ims-record-sdkgen``
   (``tools/pulumi-cli/sdkgen``, built by the bootstrap against the CLI's own module versions, since the
   language hosts behind ``pulumi package gen-sdk`` are not reachable here);
3. ``docs/api``: the API reference, a page per resource and function (``scripts/api_docs.py``);
4. ``sdk/nodejs/package-lock.json`` when ``package.json``'s dependencies changed (``npm install
   --package-lock-only``: needs the npm registry).

``--check`` writes nothing: it names each stale file and exits 1 (a test runs it).
"""

from __future__ import annotations

import argparse
import filecmp
import fnmatch
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema.json"
SDK = ROOT / "sdk"
GENERATOR = ROOT / ".tools" / "bin" / "ims-record-sdkgen"
TARGETS = ("sdk/nodejs", "sdk/python", "sdk/go", "docs/api")
"""What is generated, as directories relative to the repository (and to a fresh generation's directory)."""
NOT_GENERATED = ("node_modules", "bin", "package-lock.json", "__pycache__", "*.egg-info", "build", "dist")
"""What the generator does not write and a run neither compares nor removes: any file with one of these names
(patterns) in its path: what installing or building an SDK leaves, and the lock file ``npm`` writes."""


sys.path.insert(0, str(Path(__file__).parent))  # its sibling api_docs, also when loaded from its file
import api_docs  # noqa: E402


def schema_text() -> str:
    from pulumi_ims_record.provider.schema import schema_text as render

    return render()


def generated(schema: str, into: Path) -> Path:
    """Generates every target from ``schema`` (schema.json's text) below ``into``; returns ``into``."""
    if not GENERATOR.is_file():
        sys.exit(f"sdk: {GENERATOR.relative_to(ROOT)} is missing: ./run bootstrap builds it")
    into.mkdir(parents=True, exist_ok=True)
    schema_file = into / "schema.json"
    schema_file.write_text(schema)
    command = [str(GENERATOR), str(schema_file), str(into / "sdk")]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"sdk: the generator failed: {result.stderr.strip()}")
    (into / "docs" / "api").mkdir(parents=True)
    for name, text in api_docs.render(json.loads(schema)).items():
        (into / "docs" / "api" / name).write_text(text)
    return into


def files_under(directory: Path) -> set[str]:
    """The generated files below one target directory, relative to it."""
    if not directory.is_dir():
        return set()
    return {
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file()
        and not any(
            fnmatch.fnmatch(part, pattern)
            for part in path.relative_to(directory).parts
            for pattern in NOT_GENERATED
        )
    }


def stale(fresh: Path, committed: Path = ROOT) -> list[str]:
    """What differs between a fresh generation and ``committed`` (the repository): each file, by its path."""
    differences = []
    for target in TARGETS:
        new, old = fresh / target, committed / target
        new_files, old_files = files_under(new), files_under(old)
        for name in sorted(new_files | old_files):
            if name not in old_files:
                differences.append(f"{target}/{name} (new)")
            elif name not in new_files:
                differences.append(f"{target}/{name} (no longer generated)")
            elif not filecmp.cmp(new / name, old / name, shallow=False):
                differences.append(f"{target}/{name}")
    return differences


def lock_matches(package_dir: Path) -> bool:
    """True when package-lock.json was made for package.json's dependencies (what `npm ci` checks)."""
    lock_file = package_dir / "package-lock.json"
    if not lock_file.is_file():
        return False
    package = json.loads((package_dir / "package.json").read_text())
    root = json.loads(lock_file.read_text()).get("packages", {}).get("", {})
    return all(
        root.get(kind, {}) == package.get(kind, {}) for kind in ("dependencies", "devDependencies")
    ) and root.get("version") == package.get("version")


def write(fresh: Path) -> None:
    for target in TARGETS:
        new, old = fresh / target, ROOT / target
        for name in files_under(old) - files_under(new):
            (old / name).unlink()
        for name in files_under(new):
            (old / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(new / name, old / name)
        for directory in sorted((p for p in old.rglob("*") if p.is_dir()), reverse=True):
            if not any(directory.iterdir()):
                directory.rmdir()


def main() -> int:
    parser = argparse.ArgumentParser(prog="./run sdk", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; name each stale file and exit 1")
    args = parser.parse_args()
    schema = schema_text()
    with tempfile.TemporaryDirectory(prefix="ims-record-sdk-") as scratch:
        fresh = generated(schema, Path(scratch))
        differences = ([] if SCHEMA.read_text() == schema else ["schema.json"]) + stale(fresh)
        nodejs = SDK / "nodejs"
        if args.check:
            if nodejs.is_dir() and not lock_matches(nodejs):
                differences.append("sdk/nodejs/package-lock.json (not made for package.json)")
            for difference in differences:
                print(f"stale: {difference}")
            if differences:
                print("sdk: run ./run sdk and commit what it writes", file=sys.stderr)
            return 1 if differences else 0
        SCHEMA.write_text(schema)
        write(fresh)
    if not lock_matches(nodejs):
        subprocess.run(
            ["npm", "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=nodejs,
            check=True,
        )
    for difference in differences:
        print(f"wrote {difference}")
    print(f"sdk: {len(differences)} file(s) changed" if differences else "sdk: everything was up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
