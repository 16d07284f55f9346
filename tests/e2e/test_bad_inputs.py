"""Bad inputs fail at preview, in the provider's check: the property is named and nothing reaches the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ims_record import (
    LiveRecordJob,
    LiveRecordTemplate,
    RecordFormatArgs,
    RecordOutputArgs,
    StreamInputArgs,
)

from .conftest import Engine
from .programs import BUCKET, HLS_PREFIX, SLICE_PREFIX


def program(template: dict[str, Any] | None = None, job: dict[str, Any] | None = None) -> Callable[[], None]:
    """A valid template + job, with the given keyword arguments overriding the valid ones."""

    def run() -> None:
        template_args: dict[str, Any] = {
            "name": "bad-input-hls",
            "record_formats": [hls(slice_duration=30)],
            **(template or {}),
        }
        created = LiveRecordTemplate("template", **template_args)
        job_args: dict[str, Any] = {
            "stream_input": StreamInputArgs(url="rtmp://127.0.0.1:1/live/bad-input"),
            "record_output": RecordOutputArgs(bucket=BUCKET),
            "template_id": created.id,
            **(job or {}),
        }
        LiveRecordJob("job", **job_args)
        pulumi.export("ok", True)

    return run


def hls(**overrides: Any) -> RecordFormatArgs:
    """A valid m3u8 record format, with some arguments replaced."""
    args: dict[str, Any] = {
        "format": "m3u8",
        "oss_object_prefix": HLS_PREFIX,
        "slice_oss_object_prefix": SLICE_PREFIX,
    }
    return RecordFormatArgs(**{**args, **overrides})


BAD_INPUTS = {
    "unknown format": (
        program(template={"record_formats": [hls(format="avi")]}),
        "record_formats[0].format",
    ),
    "slice too short": (
        program(template={"record_formats": [hls(slice_duration=2)]}),
        "record_formats[0].slice_duration",
    ),
    "object prefix without time variables": (
        program(
            template={"record_formats": [RecordFormatArgs(format="mp4", oss_object_prefix="record/{JobId}")]}
        ),
        "record_formats[0].oss_object_prefix",
    ),
    "no formats": (program(template={"record_formats": []}), "record_formats"),
    "stream is not rtmp": (
        program(job={"stream_input": StreamInputArgs(url="http://127.0.0.1/live/stream.flv")}),
        "stream_input.url",
    ),
    "invalid bucket name": (
        program(job={"record_output": RecordOutputArgs(bucket="Not_A_Bucket")}),
        "record_output.bucket",
    ),
    "notify URL is not a URL": (program(job={"notify_url": "not a url"}), "notify_url"),
}
SAID_IN_FULL = {
    "slice too short": (
        "resource 'template' has a problem: record_formats[0].slice_duration: must be 5–30 seconds (got 2)"
    ),
    "no formats": "resource 'template' has a problem: record_formats: must be a non-empty list",
}
"""What the engine prints, word for word, in some cases: the path, the rule and the value where it has one."""


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_at_preview_naming_the_property_with_no_api_call(engine: Engine, case: str) -> None:
    bad_program, property_path = BAD_INPUTS[case]
    stack = engine.stack(bad_program)
    engine.ims.reset_stats()

    with pytest.raises(auto.CommandError) as failure:
        stack.preview()

    said = str(failure.value)
    assert f"{property_path}: " in said, said
    assert "<nil>" not in said, said
    assert SAID_IN_FULL.get(case, "") in said, said
    assert engine.ims.total_calls() == 0, engine.ims.stats()


def test_the_valid_baseline_of_these_cases_previews_cleanly(engine: Engine) -> None:
    """The control: without an override the same program previews, so each case fails for its one input."""
    stack = engine.stack(program())
    engine.ims.reset_stats()

    result = stack.preview()

    assert result.change_summary.get(auto.OpType.CREATE) == 3
    assert engine.ims.total_calls() == 0, engine.ims.stats()
