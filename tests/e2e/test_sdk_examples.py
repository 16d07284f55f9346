"""The examples on the generated SDKs, under the engine against the local IMS: preview, up, a preview that
must show no change, destroy. Each runs through this repository's language host for its runtime
(scripts/process_language_host.py for Node.js and Go, scripts/language_host.py for Python), with the native
plugin doing the work."""

from __future__ import annotations

import json

import pytest

from .conftest import Engine
from .test_examples import LOCAL_CONFIG, copy_example

SDK_EXAMPLES = {
    "ts-quickstart": ("templateId", "jobId", "ts-quickstart-hls"),
    "python-sdk-quickstart": ("templateId", "jobId", "python-sdk-quickstart-hls"),
    "go-quickstart": ("templateId", "jobId", "go-quickstart-hls"),
}
"""Per example: its outputs holding the template's and the job's ids, and the template's name."""


@pytest.mark.parametrize("name", sorted(SDK_EXAMPLES))
def test_the_example_goes_up_and_comes_down_with_no_change_in_between(engine: Engine, name: str) -> None:
    template_output, job_output, template_name = SDK_EXAMPLES[name]
    directory = copy_example(engine, name, "dev")

    preview = engine.cli(["preview", "--stack", "dev"], cwd=directory)
    assert "+ 3 to create" in preview.stdout, preview.stdout
    assert engine.ims.total_calls() == 0, engine.ims.stats()

    engine.cli(["up", "--yes", "--skip-preview", "--stack", "dev"], cwd=directory)
    outputs = json.loads(engine.cli(["stack", "output", "--json", "--stack", "dev"], cwd=directory).stdout)
    assert [job.job_id for job in engine.jobs()] == [outputs[job_output]]
    with engine.client() as client:
        template = client.get_live_record_template(template_id=outputs[template_output]).record_template
    assert template.name == template_name
    assert (
        template.record_formats[0].cycle_duration == LOCAL_CONFIG[name]["cycleDuration"]
    )  # the stack's config

    engine.ims.reset_stats()
    unchanged = engine.cli(["preview", "--expect-no-changes", "--stack", "dev"], cwd=directory)
    assert "3 unchanged" in unchanged.stdout, unchanged.stdout

    engine.cli(["destroy", "--yes", "--skip-preview", "--stack", "dev"], cwd=directory)
    assert engine.export(directory, "dev")["deployment"].get("resources") in (None, [])
    with engine.client() as client:
        templates = [item.template_id for item in client.iter_live_record_templates(type="custom")]
    assert outputs[template_output] not in templates
