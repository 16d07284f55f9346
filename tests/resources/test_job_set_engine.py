"""``LiveRecordJobSet`` under the real engine (Automation API, file backend, local IMS): preview without API
calls, up, an in-place update that touches only the changed entries, no-op up and refresh, secrets kept
encrypted in state, destroy with its warning."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest

from pulumi_ims_record import LiveRecordJobSet, LiveRecordTemplate
from tests.e2e.conftest import Engine
from tests.e2e.conftest import engine as engine
from tests.e2e.conftest import make_engine as make_engine
from tests.e2e.conftest import pulumi_command as pulumi_command

pytestmark = pytest.mark.e2e

SET_TYPE = "pulumi-python:dynamic/ims:LiveRecordJobSet"
SECRET_TOKEN = "tok-9f3c1e77"


@dataclass
class SetProgram:
    """A template and one set whose entries are ``keys``; the ``secret`` key's stream URL is a secret."""

    keys: list[str] = field(default_factory=list)
    changed_url: set[str] = field(default_factory=set)

    def __call__(self) -> None:
        template = LiveRecordTemplate("template", record_formats=[{"format": "mp4"}])
        entries: list[Any] = []
        for key in self.keys:
            url: Any = f"rtmp://127.0.0.1:1/live/{key}" + ("-v2" if key in self.changed_url else "")
            if key == "secret":
                url = pulumi.Output.secret(f"{url}?token={SECRET_TOKEN}")
            entries.append({"key": key, "stream_input": {"url": url}})
        job_set = LiveRecordJobSet(
            "cams", template_id=template.id, record_output={"bucket": "recordings"}, jobs=entries
        )
        pulumi.export("job_ids", job_set.job_ids)


def set_resource(engine: Engine, stack: Any) -> dict[str, Any]:
    deployment = stack.export_stack().deployment
    [resource] = [item for item in deployment["resources"] if item["type"] == SET_TYPE]
    return dict(resource)


def backend_holds(engine: Engine, text: str) -> bool:
    return any(
        text in path.read_text(errors="replace") for path in engine.backend_dir.rglob("*") if path.is_file()
    )


def test_a_set_goes_up_updates_per_entry_refreshes_and_is_destroyed(engine: Engine) -> None:
    program = SetProgram(keys=["a", "b", "secret"])
    stack = engine.stack(program)

    engine.ims.reset_stats()
    stack.preview()
    assert engine.ims.total_calls() == 0, engine.ims.stats()

    first = stack.up().outputs["job_ids"].value
    assert set(first) == {"a", "b", "secret"}
    assert engine.jobs_per_name() == {"cams-a": 1, "cams-b": 1, "cams-secret": 1}
    resource = set_resource(engine, stack)
    assert resource["outputs"]["jobs"].get("4dabf18193072939515e22adb298388d")  # a secret value
    assert backend_holds(engine, first["a"])  # the state is readable there: the next check is not vacuous
    assert not backend_holds(engine, SECRET_TOKEN)

    # Add c, remove b, change a's stream: one update of the set, two submits, the others untouched.
    program.keys, program.changed_url = ["a", "secret", "c"], {"a"}
    engine.ims.reset_stats()
    preview = stack.preview()
    assert engine.ims.total_calls() == 0
    assert preview.change_summary.get(pulumi.automation.OpType.UPDATE) == 1
    assert not preview.change_summary.get(pulumi.automation.OpType.REPLACE)
    up = stack.up()
    second = up.outputs["job_ids"].value
    assert engine.ims.stats().get("SubmitLiveRecordJob") == 2
    assert second["secret"] == first["secret"] and second["a"] != first["a"] and "b" not in second
    assert "2 job(s) were removed from the stack" in up.stdout

    engine.ims.reset_stats()
    assert stack.up().summary.resource_changes == {"same": 3}
    assert "SubmitLiveRecordJob" not in engine.ims.stats()
    assert stack.refresh().summary.resource_changes == {"same": 3}
    assert not backend_holds(engine, SECRET_TOKEN)

    destroy = stack.destroy()
    assert "3 job(s) were removed from the stack" in destroy.stdout
    assert "keeps recording until its stream ends" in destroy.stdout
