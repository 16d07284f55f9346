"""preview, up, update, replace, refresh under the real engine, counted at the local IMS."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation import events as auto_events

from pulumi_ims_record.ice import RecordFormat

from .conftest import Engine
from .programs import Deployment, Format, stream_urls

JOB_TYPE = "pulumi-python:dynamic/ims:LiveRecordJob"
TEMPLATE_TYPE = "pulumi-python:dynamic/ims:LiveRecordTemplate"


class EventLog:
    """Collects the engine's resource pre-events (the plan: op, type, replace keys) of one operation."""

    def __init__(self) -> None:
        self.steps: list[auto_events.StepEventMetadata] = []

    def __call__(self, event: auto_events.EngineEvent) -> None:
        if event.resource_pre_event is not None:
            self.steps.append(event.resource_pre_event.metadata)

    def ops(self, type_token: str) -> list[str]:
        return sorted(
            str(getattr(step.op, "value", step.op)) for step in self.steps if step.type == type_token
        )


def resources_of(deployment: auto.Deployment, type_token: str) -> list[dict[str, Any]]:
    assert deployment.deployment is not None
    return [item for item in deployment.deployment.get("resources", []) if item["type"] == type_token]


def test_preview_makes_no_api_call_and_shows_the_planned_creates(engine: Engine) -> None:
    stack = engine.stack(Deployment(jobs=stream_urls("preview", 3)).program())
    engine.ims.reset_stats()
    plan = EventLog()

    result = stack.preview(on_event=plan)

    assert engine.ims.total_calls() == 0, engine.ims.stats()
    assert plan.ops(TEMPLATE_TYPE) == ["create"]
    assert plan.ops(JOB_TYPE) == ["create"] * 3
    assert result.change_summary.get(auto.OpType.CREATE) == 5  # the stack, the template, three jobs


def test_up_creates_one_template_and_one_job_per_resource_and_no_credential_reaches_state(
    make_engine: Callable[..., Engine],
) -> None:
    engine = make_engine(sts=True)  # STS credentials: both the AccessKey secret and the token must stay out
    stack = engine.stack(Deployment(jobs=stream_urls("up", 3)).program())
    engine.ims.reset_stats()

    result = stack.up()

    calls = engine.ims.stats()
    assert calls.get("CreateLiveRecordTemplate") == 1, calls
    assert calls.get("SubmitLiveRecordJob") == 3, calls
    job_ids = result.outputs["job_ids"].value
    assert set(job_ids) == {"up-0", "up-1", "up-2"}
    assert engine.jobs_per_name() == {"up-0": 1, "up-1": 1, "up-2": 1}
    assert sorted(job_ids.values()) == sorted(job.job_id for job in engine.jobs())
    template_id = result.outputs["template_id"].value
    with engine.client() as client:
        assert client.get_live_record_template(template_id=template_id).record_template.name == "e2e-hls"

    exported = stack.export_stack()  # --show-secrets: every secret decrypted
    text = json.dumps(exported.deployment)
    providers = [
        base64.b64decode(value)
        for resource in exported.deployment["resources"]  # type: ignore[index]
        for props in (resource.get("inputs", {}), resource.get("outputs", {}))
        for value in [_plain(props.get("__provider"))]
        if value
    ]
    assert len(providers) >= 2 * 4, "every dynamic resource stores its pickled provider in inputs and outputs"
    on_disk = b"".join(path.read_bytes() for path in _files(engine.root) if path.is_file())
    for secret in (engine.access_key.secret, engine.access_key.token):
        assert secret
        assert secret not in text
        assert all(secret.encode() not in provider for provider in providers)
        assert secret.encode() not in on_disk


def test_changing_formats_updates_the_template_in_place_and_a_new_stream_url_replaces_the_job(
    engine: Engine,
) -> None:
    deployment = Deployment(jobs={"stage": "rtmp://127.0.0.1:1/live/first"})
    stack = engine.stack(deployment.program())
    first = stack.up().outputs

    stack.workspace.program = Deployment(
        jobs=deployment.jobs, formats=(Format(slice_duration=10), Format(format="mp4"))
    ).program()
    engine.ims.reset_stats()
    updated = stack.up(on_event=(plan := EventLog()))

    assert plan.ops(TEMPLATE_TYPE) == ["update"]
    assert plan.ops(JOB_TYPE) == ["same"]
    assert updated.outputs["template_id"].value == first["template_id"].value
    calls = engine.ims.stats()
    assert calls.get("UpdateLiveRecordTemplate") == 1 and "CreateLiveRecordTemplate" not in calls, calls
    with engine.client() as client:
        formats = client.get_live_record_template(template_id=first["template_id"].value).record_template
    assert [(item.format, item.slice_duration) for item in formats.record_formats] == [
        ("m3u8", 10),
        ("mp4", None),
    ]

    stack.workspace.program = Deployment(
        jobs={"stage": "rtmp://127.0.0.1:1/live/second"},
        formats=(Format(slice_duration=10), Format(format="mp4")),
    ).program()
    preview = stack.preview(on_event=(planned := EventLog()), diff=True)
    assert planned.ops(JOB_TYPE) == ["create-replacement", "delete-replaced", "replace"]
    (job_step,) = [step for step in planned.steps if step.type == JOB_TYPE and step.op == auto.OpType.REPLACE]
    assert job_step.keys is not None and "stream_input" in job_step.keys, job_step.keys
    assert "stream_input" in preview.stdout and "replace" in preview.stdout

    replaced = stack.up().outputs
    new_job_id = replaced["job_ids"].value["stage"]
    assert new_job_id != first["job_ids"].value["stage"]
    with engine.client() as client:
        assert client.get_live_record_job(job_id=new_job_id).record_job.stream_input.url.endswith("/second")


def test_refresh_shows_template_drift_and_drops_a_vanished_job(engine: Engine) -> None:
    deployment = Deployment(
        jobs={"kept": "rtmp://127.0.0.1:1/live/kept", "gone": "rtmp://127.0.0.1:1/live/gone"}
    )
    stack = engine.stack(deployment.program())
    outputs = stack.up().outputs
    template_id = outputs["template_id"].value
    with engine.client() as client:
        client.update_live_record_template(
            template_id=template_id,
            name="edited-out-of-band",
            record_formats=[
                RecordFormat(format="flv", oss_object_prefix="oob/{JobId}/{StartTime}_{EndTime}")
            ],
        )
    engine.ims.delete_job(outputs["job_ids"].value["gone"])

    refresh = stack.refresh()

    summary = {
        str(getattr(op, "value", op)): count for op, count in (refresh.summary.resource_changes or {}).items()
    }
    assert summary.get("update") == 1 and summary.get("delete") == 1, summary
    state = stack.export_stack()
    (template,) = resources_of(state, TEMPLATE_TYPE)
    assert template["outputs"]["name"] == "edited-out-of-band"
    assert [item["format"] for item in template["outputs"]["record_formats"]] == ["flv"]
    assert sorted(job["urn"].rsplit("::", 1)[1] for job in resources_of(state, JOB_TYPE)) == ["kept"]

    # The next preview puts the declared template back and submits the vanished job again.
    plan = EventLog()
    stack.preview(on_event=plan)
    assert plan.ops(TEMPLATE_TYPE) == ["update"]
    assert plan.ops(JOB_TYPE) == ["create", "same"]


def _plain(value: Any) -> str | None:
    """A state property as a string: plain, or the plaintext of a decrypted secret."""
    if isinstance(value, dict) and "plaintext" in value:
        return json.loads(value["plaintext"])  # type: ignore[no-any-return]
    return value if isinstance(value, str) else None


def _files(root: Path) -> list[Path]:
    return sorted(root.rglob("*"))
