"""The package's floors (docs/architecture.md): each imports only the ones below it. ``api`` is standard
library only, so the local IMS runs where httpx cannot be imported; nothing outside ``ice`` reaches into a
private ``ice._*`` module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "pulumi_ims_record"

# floor -> the package's floors it may import (besides itself)
ALLOWED = {
    "api": set(),
    "ice": {"api"},
    "local": {"api"},
    "provider": {"api", "ice"},
    "resources": {"api", "ice", "provider"},
}


def imports_of(path: Path) -> list[str]:
    """Every module ``path`` imports (absolute names; relative imports resolved against its package)."""
    package = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts[:-1])
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return found


# Inside provider/: module -> the provider modules it may import (besides itself). Every property is declared
# in _properties, which imports none; the lifecycle modules of the two job resources share _jobs and never
# import each other; only the native adapter sees them all.
PROVIDER_MODULES = {
    "_properties": set(),
    "_checks": {"_properties"},
    "schema": {"_properties"},
    "_settings": set(),
    "_engine_watch": set(),
    "_base": {"_checks", "_engine_watch", "_properties", "_settings"},
    "_jobs": {"_base", "_checks", "_properties"},
    "template": {"_base", "_checks", "_properties", "_settings"},
    "job": {"_base", "_checks", "_jobs", "_properties", "_settings"},
    "job_set": {"_base", "_checks", "_jobs", "_properties", "_settings"},
    "_native_values": {"_base", "_properties"},
    "lookups": {"_base", "_checks", "_jobs", "template"},
    "native": {
        "_base",
        "_engine_watch",
        "_native_values",
        "_properties",
        "_settings",
        "schema",
        "template",
        "job",
        "job_set",
        "lookups",
    },
}


def floor_files(floor: str) -> list[Path]:
    return sorted((PACKAGE / floor).rglob("*.py"))


def test_each_floor_imports_only_the_floors_below_it() -> None:
    wrong: list[str] = []
    for floor, allowed in ALLOWED.items():
        for path in floor_files(floor):
            for name in imports_of(path):
                parts = name.split(".")
                other = parts[1] if parts[0] == "pulumi_ims_record" and len(parts) > 1 else None
                if other in ALLOWED and other != floor and other not in allowed:
                    wrong.append(f"{path.relative_to(REPO_ROOT)} imports {name}")
    assert wrong == []


def test_the_provider_modules_import_only_what_they_build_on() -> None:
    wrong: list[str] = []
    for module, allowed in PROVIDER_MODULES.items():
        path = PACKAGE / "provider" / f"{module}.py"
        for name in imports_of(path):
            parts = name.split(".")
            if parts[:2] == ["pulumi_ims_record", "provider"] and len(parts) > 2:
                other = parts[2]
                if other in PROVIDER_MODULES and other != module and other not in allowed:
                    wrong.append(f"provider/{module}.py imports {name}")
    assert wrong == []


def test_the_native_adapter_assigns_nothing_onto_other_objects() -> None:
    """The cores get what they need when made (words, diagnostics, connections); no method is swapped."""
    tree = ast.parse((PACKAGE / "provider" / "native.py").read_text())
    assigned = [
        f"line {node.lineno}: {ast.unparse(target)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute)
        and not (isinstance(target.value, ast.Name) and target.value.id == "self")
    ]
    assert assigned == []


def test_api_uses_the_standard_library_only() -> None:
    outside = [
        f"{path.name}: {name}"
        for path in floor_files("api")
        for name in imports_of(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and not name.startswith(("pulumi_ims_record.api", "__future__"))
    ]
    assert outside == []


def test_nothing_outside_ice_imports_a_private_ice_module() -> None:
    private = [
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "ice" not in path.relative_to(PACKAGE).parts[:1]
        for name in imports_of(path)
        if name.startswith("pulumi_ims_record.ice._")
    ]
    assert private == []


def test_api_and_the_local_ims_import_where_httpx_cannot() -> None:
    code = (
        "import sys\n"
        "sys.modules['httpx'] = None  # any 'import httpx' now raises ImportError\n"
        "import pulumi_ims_record.api, pulumi_ims_record.api.rules, pulumi_ims_record.api.signing\n"
        "import pulumi_ims_record.local, pulumi_ims_record.local.__main__\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
