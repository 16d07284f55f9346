"""The local IMS answers any signed request to any of the ten operations with its result or a 4xx: never a
5xx it could have refused (property-based). Each request starts from a valid one for its action, or from
nothing, and changes a few parameters to values that break parsers: JSON of the right shape with wrong
values inside, flattened forms, unparseable URLs, other scripts' digits, huge numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import RunningIms, SignedCall, form_body, start_in_process

FORM = "application/x-www-form-urlencoded"

HOSTILE_TEXT = [
    "ims-system-m3u8",
    "rtmp://[::1/live/x",
    "rtmp://h:99999/live/s",
    "rtmp://h:abc/live/s",
    "rtmp://127.0.0.1/live/s",
    "http://[::1/n",
    "https://example.com:70000/n",
    "outin/../x",
    "outin-1.oss-cn-shanghai.aliyuncs.com",
    "oss-cn-shanghai.aliyuncs.com:99999",
    "m3u8",
    "mp4",
    "vod",
    "oss",
    "{JobId}/{StartTime}_{EndTime}",
    "[" * 2000,
    "１０",
    "2030-01-01t00:00:00z",
    "2030-01-01T00:00:00Z",
    "9" * 40,
    "1e308",
    "-1",
    "",
]
TRICKY = st.sampled_from(HOSTILE_TEXT)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)  # no lone surrogates: not encodable
JSON_ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT | TRICKY,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
FIELD_VALUE = TRICKY | JSON_ANY


MISSING = object()


def json_of(**fields: list[Any]) -> st.SearchStrategy[str]:
    """A JSON object of ``fields``, each (two times in three) a plausible value from its list, or absent, or
    anything, as the SDK would encode the parameter: most objects get past the first checks."""
    values = {
        name: st.one_of(st.sampled_from([*plausible, MISSING]), st.sampled_from(plausible), FIELD_VALUE)
        for name, plausible in fields.items()
    }
    return st.fixed_dictionaries(values).map(
        lambda value: json.dumps({name: item for name, item in value.items() if item is not MISSING})
    )


# Hostile values first in each list: hypothesis draws early entries more often.
URLS = ["rtmp://[::1/live/x", "rtmp://h:99999/live/s", "rtmp://h:abc/live/s", "rtmp://127.0.0.1/live/s"]
PREFIXES = ["../{StartTime}_{EndTime}", "{JobId}/{StartTime}_{EndTime}", "{JobId}/{UnixTimestamp}_{Sequence}"]
PARAMETER_VALUES: dict[str, st.SearchStrategy[str]] = {
    "StreamInput": json_of(Type=["rtmp"], Url=URLS),
    "RecordOutput": json_of(
        Type=["oss", "vod"],
        Bucket=["outin/../x", "outin-1.oss-cn-shanghai.aliyuncs.com", "fuzz-bucket"],
        Endpoint=["http://[::1", "h:99999", "oss-cn-shanghai.aliyuncs.com"],
    ),
    "RecordFormat": st.lists(
        json_of(
            Format=["m3u8", "mp4", "flv"],
            OssObjectPrefix=PREFIXES,
            SliceOssObjectPrefix=PREFIXES,
            SliceDuration=["10", 1e308, -1, 5, 30],
            CycleDuration=[2**70, 0.5, 5, 21600],
        ),
        max_size=3,
    ).map(lambda items: f"[{','.join(items)}]"),
}
OTHER_VALUES = TRICKY | TEXT | JSON_ANY.map(lambda value: json.dumps(value))

VALID: dict[str, dict[str, str]] = {
    "SubmitLiveRecordJob": {
        "Name": "job",
        "StreamInput": '{"Type":"rtmp","Url":"rtmp://127.0.0.1/live/s"}',
        "RecordOutput": '{"Type":"oss","Bucket":"fuzz-bucket"}',
        "TemplateId": "ims-system-m3u8",
        "NotifyUrl": "http://127.0.0.1:9/n",
    },
    "CreateLiveRecordTemplate": {"Name": "t", "RecordFormat": '[{"Format":"mp4"}]'},
    "UpdateLiveRecordTemplate": {"TemplateId": "x", "Name": "t", "RecordFormat": '[{"Format":"mp4"}]'},
    "GetLiveRecordTemplate": {"TemplateId": "ims-system-m3u8"},
    "DeleteLiveRecordTemplate": {"TemplateId": "x"},
    "ListLiveRecordTemplates": {"Type": "system", "PageNo": "1", "PageSize": "10", "SortBy": "asc"},
    "GetLiveRecordJob": {"JobId": "x"},
    "ListLiveRecordJobs": {"Keyword": "job", "Status": "started", "StartTime": "2030-01-01T00:00:00Z"},
    "ListLiveRecordFiles": {"JobIds.1": "x", "RecordFormat": "m3u8", "PageSize": "10"},
    "DeleteLiveRecordFiles": {"RecordIds.1": "x", "RemoveFile": "true"},
}
EXTRA_NAMES = [
    "RecordFormat.1.Format",
    "RecordFormat.1.SliceDuration",
    "StreamInput.Url",
    "StreamInput.Type",
    "RecordOutput.Bucket",
    "JobIds",
    "RecordIds",
    "TemplateIds.1",
    "EndTime",
]


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, str], str]:
    action = draw(st.sampled_from(sorted(VALID)))
    params = dict(VALID[action]) if draw(st.booleans()) else {}
    names = draw(st.lists(st.sampled_from([*VALID[action], *EXTRA_NAMES]), min_size=1, max_size=3))
    for name in names:
        params[name] = draw(PARAMETER_VALUES.get(name, OTHER_VALUES) | OTHER_VALUES)
    return action, params, draw(st.sampled_from(["GET", "POST"]))


def hostile_variants(name: str, valid: str) -> list[str]:
    """Every hostile value for the parameter ``name``: the plain ones, and for a JSON object (list) parameter
    the valid object with one field at a time set to each hostile value."""
    plain = list(HOSTILE_TEXT)
    parsed = json.loads(valid) if valid[:1] in "[{" else None
    if parsed is None:
        return plain
    variants: list[str] = []
    entry = parsed[0] if isinstance(parsed, list) else parsed
    for field in [*entry, "Format", "SliceDuration", "CycleDuration", "Url", "Bucket", "Endpoint"]:
        for value in [*plain, 1e308, 2**70, -1, None, [], {}, True]:
            changed = {**entry, field: value}
            variants.append(json.dumps([changed] if isinstance(parsed, list) else changed))
    return plain + variants


CLIENT = httpx.Client(timeout=30.0)  # one keep-alive connection for thousands of requests


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIms]:
    running = start_in_process(Path(tmp_path_factory.mktemp("fuzz")) / "ims")
    yield running
    running.ims.stop()


def answer_is_not_5xx(server: RunningIms, action: str, params: dict[str, str], method: str) -> None:
    if method == "GET":
        call = SignedCall(server.port, action, query=list(params.items()))
    else:
        call = SignedCall(server.port, action, method="POST", body=form_body(params), content_type=FORM)
    response = CLIENT.request(
        call.method,
        f"http://127.0.0.1:{server.port}/",
        params=call.query,
        headers=call.headers(),
        content=call.body,
    )
    answer: Any = response.json()
    assert response.status_code < 500, (action, params, answer)
    assert response.status_code == 200 or answer["Code"], answer


@pytest.mark.parametrize("action", sorted(VALID))
def test_every_hostile_value_in_every_parameter_gets_a_4xx_at_worst(
    fuzzed_server: RunningIms, action: str
) -> None:
    for name, valid in VALID[action].items():
        for value in hostile_variants(name, valid):
            answer_is_not_5xx(fuzzed_server, action, {**VALID[action], name: value}, "POST")


def test_no_request_gets_a_5xx(fuzzed_server: RunningIms) -> None:
    @settings(max_examples=600, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    @given(request=requests())
    def send(request: tuple[str, dict[str, str], str]) -> None:
        answer_is_not_5xx(fuzzed_server, *request)

    send()
