"""Makes the stacks of ``yaml/`` and ``python/`` with the code of this checkout and writes their exports
(``<door>/dev.json``, the endpoint written ``IMS_ENDPOINT``): run once, before a change that must keep
existing stacks working, and commit the result with the commit it was made at in README.md.

    .venv/bin/python -m tests.e2e.stacks_before.make
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from pulumi import automation as auto

from tests.conftest import LocalIms
from tests.e2e.conftest import VENV, Engine, new_access_key, server_args

HERE = Path(__file__).parent
DOORS = ("yaml", "python")
ENDPOINT_PLACEHOLDER = "IMS_ENDPOINT"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="stacks-before-") as scratch:
        root = Path(scratch)
        access_key = new_access_key()
        ims = LocalIms.start(root / "ims", server_args(access_key))
        try:
            command = auto.PulumiCommand(root=str(VENV))
            engine = Engine(root=root, ims=ims, access_key=access_key, command=command)
            for door in DOORS:
                project = root / door
                shutil.copytree(HERE / door, project, ignore=shutil.ignore_patterns("dev.json"))
                engine.init_project_stack(project, "dev")
                engine.cli(["up", "--yes", "--skip-preview", "--stack", "dev"], cwd=project)
                exported = json.dumps(engine.export(project, "dev"), indent=1, sort_keys=True)
                exported = exported.replace(ims.endpoint, ENDPOINT_PLACEHOLDER)
                (HERE / door / "dev.json").write_text(exported + "\n")
                print(f"wrote {HERE / door / 'dev.json'}")
        finally:
            ims.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
