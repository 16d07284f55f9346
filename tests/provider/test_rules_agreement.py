"""The provider's ``check`` and the local IMS refuse exactly the same values: both apply ``api.rules``.

Each value goes through ``check`` (preview) and through the local IMS backend (the service side, no HTTP).
A value one side accepts and the other refuses would pass preview and then fail at ``pulumi up``, or be
refused at preview although the service takes it. These cases are the ones where the two sides used to
disagree, plus one accepted and one refused value of every other rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_ims_record.local.db import Database
from pulumi_ims_record.local.exceptions import ImsApiError
from pulumi_ims_record.local.models import Backend
from pulumi_ims_record.provider._checks import check_job, check_template
from tests.local.conftest import FakeRecorder

from .conftest import HLS_FORMAT

M3U8_SLICE = "r/{UnixTimestamp}_{Sequence}"


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    db = Database(tmp_path / "ims.sqlite3")
    service = Backend(db, tmp_path)
    service.attach_recorder(FakeRecorder(service))
    yield service
    db.close()


def api_format(entry: dict[str, Any]) -> dict[str, Any]:
    names = {
        "format": "Format",
        "oss_object_prefix": "OssObjectPrefix",
        "slice_oss_object_prefix": "SliceOssObjectPrefix",
        "slice_duration": "SliceDuration",
        "cycle_duration": "CycleDuration",
    }
    return {names[key]: value for key, value in entry.items()}


def service_accepts(call: Any, **arguments: Any) -> bool:
    try:
        call(**arguments)
    except ImsApiError as refused:
        assert refused.status == 400, refused.message
        return False
    return True


@pytest.mark.parametrize(
    "entry",
    [
        {"oss_object_prefix": "a\\b/{StartTime}_{EndTime}"},  # backslash inside: was accepted at preview
        {"oss_object_prefix": "a//b/{StartTime}_{EndTime}"},  # empty path segment: was accepted at preview
        {"oss_object_prefix": "/a/{StartTime}_{EndTime}"},
        {"oss_object_prefix": "a/../{StartTime}_{EndTime}"},
        {"oss_object_prefix": "r/{Date}/{StartTime}_{EndTime}"},
        {"oss_object_prefix": "r/{StartTime}_{EndTime}{"},
        {"oss_object_prefix": "r/{EscapedStartTime}"},
        {"oss_object_prefix": "r/" + "x" * 250 + "{StartTime}{EndTime}"},
        {"oss_object_prefix": "中文/{StartTime}_{EndTime}"},
        {"slice_oss_object_prefix": "r/{UnixTimestamp}"},
        {"slice_oss_object_prefix": "r/{UnixTimestamp}_{Sequence}_{StartTime}"},
        {"slice_oss_object_prefix": "r/a b/{UnixTimestamp}_{Sequence}"},
        {"slice_duration": 4},
        {"slice_duration": 30},
        {"slice_duration": 31},
        {"cycle_duration": 5},
        {"cycle_duration": 21601},
        {"format": "avi"},
    ],
    ids=repr,
)
def test_template_values(backend: Backend, entry: dict[str, Any]) -> None:
    record_format = {**HLS_FORMAT, "slice_oss_object_prefix": M3U8_SLICE, **entry}
    _, failures = check_template({"name": "t", "record_formats": [record_format]})
    accepted = service_accepts(backend.create_template, name="t", record_formats=[api_format(record_format)])
    assert (not failures) == accepted, failures


@pytest.mark.parametrize("name", ["ok", "   ", "a\tb", "n" * 128, "n" * 129, "名前"])
def test_names(backend: Backend, name: str) -> None:
    _, failures = check_template({"name": name, "record_formats": [dict(HLS_FORMAT)]})
    accepted = service_accepts(backend.create_template, name=name, record_formats=[api_format(HLS_FORMAT)])
    assert (not failures) == accepted, failures


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", "rtmp://example.com"),  # no application/stream: was accepted by the local IMS
        ("url", "rtmp://example.com/live/s"),
        ("url", "rtmp://example.com/live/a b"),
        ("url", "http://example.com/live/s"),
        ("bucket", "my-recordings"),
        ("bucket", "My_Bucket"),
        ("bucket", "ab"),
        ("endpoint", "oss-cn-shanghai.aliyuncs.com"),
        ("endpoint", "https://oss-cn-shanghai.aliyuncs.com"),
        ("endpoint", "ftp://h"),  # was accepted by the local IMS
        ("endpoint", "oss-cn-shanghai.aliyuncs.com/x"),  # was accepted by the local IMS
        ("notify_url", "https://example.com/notify"),
        ("notify_url", "file:///etc/passwd"),
    ],
)
def test_job_values(backend: Backend, field: str, value: str) -> None:
    stream = {"type": "rtmp", "url": value if field == "url" else "rtmp://example.com/live/s"}
    output = {"type": "oss", "bucket": "my-recordings"}
    if field in ("bucket", "endpoint"):
        output[field] = value
    notify_url = value if field == "notify_url" else None
    news = {"name": "j", "stream_input": stream, "record_output": output, "template_id": "ims-system-m3u8"}
    _, failures = check_job({**news, "notify_url": notify_url} if notify_url else news)
    accepted = service_accepts(
        backend.submit_job,
        name="j",
        stream_input={"Type": "rtmp", "Url": stream["url"]},
        record_output={key.capitalize(): item for key, item in output.items()},
        template_id="ims-system-m3u8",
        notify_url=notify_url,
    )
    assert (not failures) == accepted, failures
