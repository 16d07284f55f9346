"""The native plugin's adapter (``provider/native.py``) driven as the engine drives it, against a local IMS:
camelCase ``PropertyValue`` maps in and out, the same core underneath."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Coroutine, Iterator, Mapping
from typing import Any, TypeVar

import pytest
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from pulumi_ims_record.provider import ProviderSettings, _native_values, native
from tests.conftest import LOCAL_ACCESS_KEY_ID, LOCAL_ACCESS_KEY_SECRET, LocalIms
from tests.provider.conftest import HLS_FORMAT, failure_pairs

STREAM = "rtmp://127.0.0.1:1935/live/stage-a"
T = TypeVar("T")


def run(call: Coroutine[Any, Any, T]) -> T:
    """One provider call on a private event loop: ``asyncio.run`` would leave the thread without a current
    loop, which the Pulumi mocks of later tests rely on."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(call)
    finally:
        loop.close()


def urn(resource: str, name: str) -> str:
    return f"urn:pulumi:dev::proj::ims-record:index:{resource}::{name}"


def value(plain: Any, *, secret: bool = False) -> PropertyValue:
    return _native_values.from_plain(plain).with_secret(secret)


def props(**plain: Any) -> dict[str, PropertyValue]:
    return {key: value(item) for key, item in plain.items()}


def raw(item: PropertyValue) -> Any:
    """The value as the engine holds it: names untouched."""
    inner = item.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {key: raw(part) for key, part in inner.items()}
    if isinstance(inner, tuple):
        return [raw(part) for part in inner]
    return inner


def plain(properties: dict[str, PropertyValue]) -> dict[str, Any]:
    return {key: raw(item) for key, item in properties.items()}


@contextlib.contextmanager
def configured(local_ims: LocalIms) -> Iterator[native.ImsRecordProvider]:
    """A plugin process's provider, configured for the local IMS, as the engine starts one per deployment."""
    made = native.ImsRecordProvider()
    variables = {
        "ims-record:config:endpoint": local_ims.endpoint,
        "ims-record:config:accessKey": LOCAL_ACCESS_KEY_ID,
        "ims-record:config:secretKey": LOCAL_ACCESS_KEY_SECRET,
    }
    run(made.configure(rpc.ConfigureRequest(variables, {}, True, False)))
    try:
        yield made
    finally:
        for core in [*made.cores.values(), *made.lookups.values()]:
            if core._client is not None:
                core._client.close()


@pytest.fixture
def provider(local_ims: LocalIms) -> Iterator[native.ImsRecordProvider]:
    with configured(local_ims) as made:
        yield made


HLS = {
    "format": "m3u8",
    "ossObjectPrefix": "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
    "sliceOssObjectPrefix": "record/{JobId}/{UnixTimestamp}_{Sequence}",
    "sliceDuration": 10.0,
}


def check(provider: native.ImsRecordProvider, resource: str, name: str, **inputs: Any) -> rpc.CheckResponse:
    return run(provider.check(rpc.CheckRequest(urn(resource, name), {}, props(**inputs), b"")))


def create_template(provider: native.ImsRecordProvider, **inputs: Any) -> rpc.CreateResponse:
    checked = check(provider, "LiveRecordTemplate", "hls", recordFormats=[HLS], **inputs)
    assert not checked.failures
    request = rpc.CreateRequest(urn("LiveRecordTemplate", "hls"), checked.inputs or {}, 0.0, False)
    return run(provider.create(request))


def job_inputs(template_id: str, **overrides: Any) -> dict[str, PropertyValue]:
    inputs = {
        "streamInput": value({"url": STREAM}, secret=True),
        "recordOutput": value({"bucket": "recordings", "endpoint": "oss-cn-shanghai.aliyuncs.com"}),
        "templateId": value(template_id),
        **{key: value(item) for key, item in overrides.items()},
    }
    return inputs


def test_check_names_camel_case_properties_and_calls_nothing(
    provider: native.ImsRecordProvider, local_ims: LocalIms
) -> None:
    local_ims.reset_stats()
    bad = {**HLS, "sliceDuration": 99.0}
    answer = check(
        provider, "LiveRecordTemplate", "hls", recordFormats=[bad, {"format": "mp4", "sliceDuration": 5.0}]
    )
    failures = failure_pairs(answer.failures)
    assert ("recordFormats[0].sliceDuration", "must be 5–30 seconds (got 99)") in failures
    assert any(prop == "recordFormats[1].sliceDuration" and "m3u8" in reason for prop, reason in failures)
    assert local_ims.total_calls() == 0


def test_check_defaults_the_name_to_the_resource_name_and_fills_defaults(
    provider: native.ImsRecordProvider,
) -> None:
    answer = check(
        provider,
        "LiveRecordTemplate",
        "hls-30s",
        recordFormats=[{k: v for k, v in HLS.items() if k != "sliceDuration"}],
    )
    assert not answer.failures
    inputs = plain(answer.inputs or {})
    assert inputs["name"] == "hls-30s"
    assert inputs["recordFormats"][0]["sliceDuration"] == 30.0
    assert inputs["recordFormats"][0]["cycleDuration"] == 21600.0


def test_check_lets_unknown_values_through_at_preview(provider: native.ImsRecordProvider) -> None:
    inputs = {
        "streamInput": PropertyValue({"url": PropertyValue(Computed())}),
        "recordOutput": value({"bucket": "recordings"}),
        "templateId": PropertyValue(UNKNOWN),
    }
    answer = run(provider.check(rpc.CheckRequest(urn("LiveRecordJob", "a"), {}, inputs, b"")))
    assert not answer.failures
    assert plain(answer.inputs or {})["templateId"] == UNKNOWN


def test_create_during_preview_calls_nothing_and_leaves_outputs_unknown(
    provider: native.ImsRecordProvider, local_ims: LocalIms
) -> None:
    local_ims.reset_stats()
    checked = check(provider, "LiveRecordTemplate", "hls", recordFormats=[HLS])
    request = rpc.CreateRequest(urn("LiveRecordTemplate", "hls"), checked.inputs or {}, 0.0, True)
    answer = run(provider.create(request))
    assert answer.resource_id is None
    outputs = plain(answer.properties)
    assert outputs["templateId"] == UNKNOWN and outputs["name"] == "hls"
    assert local_ims.total_calls() == 0


def test_template_lifecycle_through_the_adapter(
    provider: native.ImsRecordProvider, local_ims: LocalIms
) -> None:
    local_ims.reset_stats()
    created = create_template(provider)
    template_id = created.resource_id
    assert template_id and plain(created.properties)["templateId"] == template_id
    assert local_ims.stats().get("CreateLiveRecordTemplate") == 1
    state = created.properties

    changed = (
        check(provider, "LiveRecordTemplate", "hls", recordFormats=[{**HLS, "sliceDuration": 20.0}]).inputs
        or {}
    )
    diff = run(
        provider.diff(rpc.DiffRequest(urn("LiveRecordTemplate", "hls"), template_id, state, changed, []))
    )
    assert diff.changes and diff.replaces == []
    updated = run(
        provider.update(
            rpc.UpdateRequest(urn("LiveRecordTemplate", "hls"), template_id, state, changed, 0.0, [], False)
        )
    )
    assert plain(updated.properties)["recordFormats"][0]["sliceDuration"] == 20.0

    read = run(
        provider.read(
            rpc.ReadRequest(urn("LiveRecordTemplate", "hls"), template_id, updated.properties, changed)
        )
    )
    assert read.resource_id == template_id
    assert plain(read.inputs)["recordFormats"][0]["sliceDuration"] == 20.0

    run(
        provider.delete(
            rpc.DeleteRequest(urn("LiveRecordTemplate", "hls"), template_id, read.properties, 0.0)
        )
    )
    assert local_ims.stats().get("DeleteLiveRecordTemplate") == 1


def test_job_create_keeps_the_secret_and_a_changed_url_replaces(
    provider: native.ImsRecordProvider, local_ims: LocalIms
) -> None:
    template_id = str(create_template(provider).resource_id)
    checked = run(
        provider.check(rpc.CheckRequest(urn("LiveRecordJob", "stage-a"), {}, job_inputs(template_id), b""))
    )
    assert not checked.failures
    local_ims.reset_stats()
    created = run(
        provider.create(rpc.CreateRequest(urn("LiveRecordJob", "stage-a"), checked.inputs or {}, 0.0, False))
    )
    assert local_ims.stats().get("SubmitLiveRecordJob") == 1
    outputs = plain(created.properties)
    assert outputs["jobId"] == created.resource_id and outputs["name"] == "stage-a"
    assert created.properties["streamInput"].is_secret and not created.properties["templateId"].is_secret

    moved = job_inputs(template_id) | {"streamInput": value({"url": STREAM + "-b"}, secret=True)}
    moved_checked = run(provider.check(rpc.CheckRequest(urn("LiveRecordJob", "stage-a"), {}, moved, b"")))
    diff = run(
        provider.diff(
            rpc.DiffRequest(
                urn("LiveRecordJob", "stage-a"),
                str(created.resource_id),
                created.properties,
                moved_checked.inputs or {},
                [],
            )
        )
    )
    assert diff.changes and diff.replaces == ["streamInput"]


def test_an_unknown_resource_type_is_refused(provider: native.ImsRecordProvider) -> None:
    with pytest.raises(native.ProviderError, match="unknown resource type"):
        run(provider.check(rpc.CheckRequest("urn:pulumi:dev::proj::ims-record:index:Nope::x", {}, {}, b"")))


@pytest.mark.parametrize(
    ("camel", "snake"),
    [("sliceOssObjectPrefix", "slice_oss_object_prefix"), ("templateId", "template_id"), ("url", "url")],
)
def test_names_convert_both_ways(camel: str, snake: str) -> None:
    assert _native_values.snake_case(camel) == snake and _native_values.camel_path(snake) == camel


def test_a_value_quoted_in_a_message_is_not_re_cased() -> None:
    message = "must be one of m3u8, mp4, flv (got 'my_format')"
    assert (
        _native_values.camel_path(f"record_formats[0].format: {message}")
        == f"recordFormats[0].format: {message}"
    )


def test_core_calls_run_off_the_event_loop(provider: native.ImsRecordProvider) -> None:
    """Two checks that can only finish together (a barrier of two): with the core on the event loop's own
    thread the first would wait for ever and the barrier would break."""
    barrier = threading.Barrier(2, timeout=10)
    core = provider.cores[native.schema.token("LiveRecordTemplate")]
    real_check = core.check

    def meeting_check(olds: dict[str, Any], news: dict[str, Any]) -> Any:
        barrier.wait()
        return real_check(olds, news)

    core.check = meeting_check  # type: ignore[method-assign]

    async def both() -> list[rpc.CheckResponse]:
        requests = [
            rpc.CheckRequest(urn("LiveRecordTemplate", name), {}, props(recordFormats=[HLS]), b"")
            for name in ("a", "b")
        ]
        return list(await asyncio.gather(*(provider.check(request) for request in requests)))

    answers = run(both())
    assert [plain(answer.inputs or {})["name"] for answer in answers] == ["a", "b"]
    assert not barrier.broken


def test_config_comes_from_the_package_keys_in_the_dynamic_providers_order() -> None:
    """The package's own keys stand in for the dynamic provider's ``alicloud:*`` ones (region, credentials);
    the structured args win over the legacy ``pkg:config:key`` variables."""
    request = rpc.ConfigureRequest(
        {"ims-record:config:region": "cn-beijing", "ims-record:config:accessKey": "old-id"},
        {
            "accessKey": value("id"),
            "secretKey": value("secret", secret=True),
            "endpoint": value("http://127.0.0.1:1"),
        },
        True,
        False,
    )
    settings = ProviderSettings.from_config(native.NativeConfig(request), environ={})
    assert settings.region == "cn-beijing" and settings.endpoint == "http://127.0.0.1:1"
    assert settings.config_credentials is not None
    assert (settings.config_credentials.access_key_id, settings.config_credentials.access_key_secret) == (
        "id",
        "secret",
    )
    assert native.NativeConfig(request).get("other:region") is None


def test_set_entries_are_named_by_the_one_rule_unless_the_stack_named_them_by_their_key(
    provider: native.ImsRecordProvider,
) -> None:
    """``<set resource name>-<key>``, as the Python resources name them; an entry the stack already has under
    ``<key>`` (the native package's name before the rule) keeps it, so no job is replaced."""
    entries = [
        {"key": "cam-a", "name": "cam-a-named", "streamInput": {"url": STREAM}},
        {"key": "cam-b", "streamInput": {"url": STREAM + "-b"}},
        {"key": "cam-c", "streamInput": {"url": STREAM + "-c"}},
    ]
    inputs = {
        "jobs": value(entries),
        "templateId": value("tpl"),
        "recordOutput": value({"bucket": "recordings"}),
    }
    new = run(provider.check(rpc.CheckRequest(urn("LiveRecordJobSet", "cams"), {}, inputs, b"")))
    assert [entry["name"] for entry in plain(new.inputs)["jobs"]] == [
        "cam-a-named",
        "cams-cam-b",
        "cams-cam-c",
    ]

    made_before = {**inputs, "jobs": value([{**entry, "name": entry["key"]} for entry in entries[:2]])}
    again = run(provider.check(rpc.CheckRequest(urn("LiveRecordJobSet", "cams"), made_before, inputs, b"")))
    assert [entry["name"] for entry in plain(again.inputs)["jobs"]] == ["cam-a-named", "cam-b", "cams-cam-c"]


def test_a_job_set_keeps_its_entry_keys_as_written(
    provider: native.ImsRecordProvider, local_ims: LocalIms
) -> None:
    """``jobs`` is a list in and a map by key out; the keys are the user's and must not be re-cased."""
    template_id = str(create_template(provider).resource_id)
    entries = [
        {"key": "stage_a", "streamInput": {"url": STREAM}},
        {"key": "stageB", "streamInput": {"url": STREAM + "-b"}, "notifyUrl": "https://example.com/n"},
    ]
    inputs = {
        "jobs": value(entries),
        "templateId": value(template_id),
        "recordOutput": value({"bucket": "recordings"}),
    }
    checked = run(provider.check(rpc.CheckRequest(urn("LiveRecordJobSet", "set"), {}, inputs, b"")))
    assert not checked.failures
    local_ims.reset_stats()
    created = run(
        provider.create(rpc.CreateRequest(urn("LiveRecordJobSet", "set"), checked.inputs or {}, 0.0, False))
    )
    assert local_ims.stats().get("SubmitLiveRecordJob") == 2
    outputs = plain(created.properties)
    assert sorted(outputs["jobIds"]) == ["stageB", "stage_a"]
    assert outputs["jobs"]["stage_a"]["streamInput"]["url"] == STREAM
    assert outputs["jobs"]["stageB"]["notifyUrl"] == "https://example.com/n"
    assert outputs["jobs"]["stageB"]["jobId"] == outputs["jobIds"]["stageB"]

    read = run(
        provider.read(
            rpc.ReadRequest(
                urn("LiveRecordJobSet", "set"),
                str(created.resource_id),
                created.properties,
                checked.inputs or {},
            )
        )
    )
    assert sorted(plain(read.properties)["jobIds"]) == ["stageB", "stage_a"]
    assert [entry["key"] for entry in plain(read.inputs)["jobs"]] == ["stage_a", "stageB"]
    diff = run(
        provider.diff(
            rpc.DiffRequest(
                urn("LiveRecordJobSet", "set"),
                str(created.resource_id),
                read.properties,
                checked.inputs or {},
                [],
            )
        )
    )
    assert not diff.changes


def test_import_reads_inputs_that_the_next_preview_finds_unchanged(
    provider: native.ImsRecordProvider, local_ims: LocalIms
) -> None:
    """``pulumi import``: read with nothing but the id answers inputs and outputs; checked again (as the
    generated program would be) and diffed, they change nothing."""
    template_id = str(create_template(provider).resource_id)
    with local_ims.client() as client:
        from pulumi_ims_record.ice import RecordOutput, StreamInput

        job_id = client.submit_live_record_job(
            name="made-elsewhere",
            stream_input=StreamInput(url=STREAM),
            record_output=RecordOutput(bucket="recordings"),
            template_id=template_id,
        ).job_id
    for resource, resource_id in (("LiveRecordJob", job_id), ("LiveRecordTemplate", template_id)):
        read = run(provider.read(rpc.ReadRequest(urn(resource, "imported"), resource_id, {}, {})))
        assert read.resource_id == resource_id
        inputs = plain(read.inputs)
        checked = run(provider.check(rpc.CheckRequest(urn(resource, "imported"), {}, read.inputs, b"")))
        assert not checked.failures
        diff = run(
            provider.diff(
                rpc.DiffRequest(
                    urn(resource, "imported"), resource_id, read.properties, checked.inputs or {}, []
                )
            )
        )
        assert not diff.changes, (resource, inputs)


def test_diffs_name_each_changed_leaf_and_warn_the_reviewer_but_not_on_refresh(
    provider: native.ImsRecordProvider, local_ims: LocalIms, capsys: pytest.CaptureFixture[str]
) -> None:
    template_id = str(create_template(provider).resource_id)
    entries = [
        {"key": "cam7", "streamInput": {"url": STREAM}},
        {"key": "cam8", "streamInput": {"url": STREAM}},
    ]
    inputs = {
        "jobs": value(entries),
        "templateId": value(template_id),
        "recordOutput": value({"bucket": "recordings"}),
    }
    checked = run(provider.check(rpc.CheckRequest(urn("LiveRecordJobSet", "set"), {}, inputs, b"")))
    created = run(
        provider.create(rpc.CreateRequest(urn("LiveRecordJobSet", "set"), checked.inputs or {}, 0.0, False))
    )
    capsys.readouterr()

    moved = [
        entries[0],
        {"key": "cam8", "streamInput": {"url": STREAM + "-moved"}},
        {"key": "cam9", "streamInput": {"url": STREAM}},
    ]
    new_inputs = run(
        provider.check(
            rpc.CheckRequest(urn("LiveRecordJobSet", "set"), {}, {**inputs, "jobs": value(moved)}, b"")
        )
    ).inputs
    diff = run(
        provider.diff(
            rpc.DiffRequest(
                urn("LiveRecordJobSet", "set"),
                str(created.resource_id),
                created.properties,
                new_inputs or {},
                [],
            )
        )
    )

    assert diff.changes and diff.replaces == [] and diff.diffs == ["jobs"]
    assert {path: item.kind for path, item in diff.detailed_diff.items()} == {
        "jobs[1].streamInput.url": rpc.PropertyDiffKind.UPDATE,
        "jobs[2]": rpc.PropertyDiffKind.ADD,
    }
    warning = capsys.readouterr().err
    assert "the jobs of entries cam8 leave the set" in warning and "keeps recording" in warning

    # A refresh diffs what it read against the recorded inputs with no check first: the same difference is
    # reported, but it updates nothing, so nothing is said about an update.
    with configured(local_ims) as refreshing:
        request = rpc.DiffRequest(
            urn("LiveRecordJobSet", "set"), str(created.resource_id), created.properties, new_inputs or {}, []
        )
        refreshed = run(refreshing.diff(request))
    assert refreshed.changes and refreshed.detailed_diff.keys() == diff.detailed_diff.keys()
    assert "leave the set" not in capsys.readouterr().err


def test_each_cores_connection_pool_is_as_wide_as_the_thread_pool(provider: native.ImsRecordProvider) -> None:
    for core in provider.cores.values():
        transport = core.client()._transport
        assert transport is not None and transport._pool._max_connections == native.MAX_PARALLEL_CALLS


def test_custom_timeouts_bound_the_api_calls_and_their_retries(
    provider: native.ImsRecordProvider, local_ims: LocalIms
) -> None:
    """The engine passes customTimeouts without enforcing them: a create whose Submit is throttled again and
    again stops retrying when its create timeout runs out (the client alone would go on for 60 s), and says
    which timeout ran out; the throttled Submit never created a job."""
    template_id = str(create_template(provider).resource_id)
    checked = check(provider, "LiveRecordJob", "stage-a", **plain(job_inputs(template_id)))
    local_ims.set_faults({"error_rate": {"SubmitLiveRecordJob": 1.0}, "error_kind": "throttling"})
    try:
        request = rpc.CreateRequest(urn("LiveRecordJob", "stage-a"), checked.inputs or {}, 2.0, False)
        with pytest.raises(native.ProviderError) as raised:
            run(provider.create(request))
    finally:
        local_ims.clear_faults()
    message = str(raised.value)
    assert message.startswith("LiveRecordJob 'stage-a': SubmitLiveRecordJob: no usable answer in "), message
    assert "Throttling" in message and message.endswith(
        "(the create timeout of customTimeouts (2 s) ran out)"
    )
    assert local_ims.stats()["SubmitLiveRecordJob"] >= 2  # retried while time was left
    core = provider.cores[native.schema.token("LiveRecordJob")]
    assert core.client().list_live_record_jobs().live_record_jobs == ()


def test_a_submit_cut_short_by_custom_timeouts_is_adopted_by_the_next_up(
    provider: native.ImsRecordProvider, local_ims: LocalIms
) -> None:
    """The Submit's answer does not come before the create timeout: its outcome is unknown, no time is left
    to look, the message says so; the job the service did create is adopted by the next deployment."""
    template_id = str(create_template(provider).resource_id)
    first = check(provider, "LiveRecordJob", "stage-a", **plain(job_inputs(template_id)))
    run(provider.create(rpc.CreateRequest(urn("LiveRecordJob", "stage-a"), first.inputs or {}, 0.0, False)))
    inputs = job_inputs(template_id) | {"streamInput": value({"url": STREAM + "-b"}, secret=True)}
    second = check(provider, "LiveRecordJob", "stage-b", **plain(inputs))
    request = rpc.CreateRequest(urn("LiveRecordJob", "stage-b"), second.inputs or {}, 1.0, False)
    local_ims.set_faults({"latency_ms": 2500})  # the service applies the Submit after 2.5 s
    try:
        with pytest.raises(native.ProviderError) as raised:
            run(provider.create(request))  # the adoption listing was taken by the first create
        local_ims.wait_for_calls("SubmitLiveRecordJob", 2)
    finally:
        local_ims.clear_faults()
    message = str(raised.value)
    assert message.startswith("LiveRecordJob 'stage-b': SubmitLiveRecordJob may or may not have been applied")
    said = "There was no time left to look for the job: the create timeout of customTimeouts (1 s) ran out"
    assert said in message, message

    local_ims.reset_stats()
    with configured(local_ims) as next_up:
        retried = rpc.CreateRequest(request.urn, request.properties, 0.0, False)
        created = plain(run(next_up.create(retried)).properties)
    assert created["origin"] == "adopted_recent" and "SubmitLiveRecordJob" not in local_ims.stats()


def test_a_sets_submit_cut_short_by_custom_timeouts_says_what_a_jobs_does(
    provider: native.ImsRecordProvider, local_ims: LocalIms
) -> None:
    """The same unknown outcome, through a set: the entry's error is the single job's sentence (no time left
    to look, which timeout ran out, the next `pulumi up` adopts it), and the next up adopts the job."""

    def set_inputs(key: str) -> dict[str, PropertyValue]:
        entry = {"key": key, "streamInput": {"url": f"{STREAM}-{key}"}}
        return {
            "jobs": value([entry]),
            "templateId": value(template_id),
            "recordOutput": value({"bucket": "recordings"}),
        }

    def cut_short(resource: str, name: str, inputs: dict[str, PropertyValue]) -> str:
        checked = run(provider.check(rpc.CheckRequest(urn(resource, name), {}, inputs, b"")))
        local_ims.set_faults({"latency_ms": 2500})  # the service applies the Submit after 2.5 s
        try:
            with pytest.raises(native.ProviderError) as raised:
                run(provider.create(rpc.CreateRequest(urn(resource, name), checked.inputs or {}, 1.0, False)))
            local_ims.wait_for_calls("SubmitLiveRecordJob", 1)
        finally:
            local_ims.clear_faults()
        return str(raised.value)

    template_id = str(create_template(provider).resource_id)
    for resource, inputs in (
        ("LiveRecordJob", job_inputs(template_id)),
        ("LiveRecordJobSet", set_inputs("a")),
    ):
        checked = run(provider.check(rpc.CheckRequest(urn(resource, "first"), {}, inputs, b"")))
        run(provider.create(rpc.CreateRequest(urn(resource, "first"), checked.inputs or {}, 0.0, False)))
    local_ims.reset_stats()
    job_said = cut_short("LiveRecordJob", "second", job_inputs(template_id, name="second-job"))
    local_ims.reset_stats()
    set_said = cut_short("LiveRecordJobSet", "cams", set_inputs("b"))

    sentence = re.compile(
        r"SubmitLiveRecordJob may or may not have been applied.*adopts it if it was submitted"
    )
    found_in_job, found_in_set = sentence.search(job_said), sentence.search(set_said)
    assert found_in_job and found_in_set, (job_said, set_said)
    assert found_in_set[0] == found_in_job[0], (job_said, set_said)
    assert "the create timeout of customTimeouts (1 s) ran out" in found_in_set[0]
    assert set_said.startswith("LiveRecordJobSet create: 1 of 1 job(s) could not be submitted: b: "), set_said

    local_ims.reset_stats()
    with configured(local_ims) as next_up:
        checked = run(
            next_up.check(rpc.CheckRequest(urn("LiveRecordJobSet", "cams"), {}, set_inputs("b"), b""))
        )
        request = rpc.CreateRequest(urn("LiveRecordJobSet", "cams"), checked.inputs or {}, 0.0, False)
        created = plain(run(next_up.create(request)).properties)
    assert (
        created["jobs"]["b"]["origin"] == "adopted_recent" and "SubmitLiveRecordJob" not in local_ims.stats()
    )


def test_advice_names_the_package_keys_never_the_python_doors_alicloud_keys(local_ims: LocalIms) -> None:
    """The plugin reads only ``ims-record:*`` config, so its advice names those keys: telling a YAML user to
    set ``alicloud:region`` would change nothing."""

    def client_error(variables: dict[str, str]) -> str:
        made = native.ImsRecordProvider()
        run(made.configure(rpc.ConfigureRequest(variables, {}, True, False)))
        core = made.cores["ims-record:index:LiveRecordTemplate"]
        inputs = core.check({}, {"name": "t", "record_formats": [dict(HLS_FORMAT)]}).inputs
        with pytest.raises(native.ProviderError) as caught:
            core.create(inputs)
        return str(caught.value)

    no_region = client_error({})
    assert "no region: set it with `pulumi config set ims-record:region cn-shanghai`" in no_region
    no_credentials = client_error({"ims-record:config:endpoint": local_ims.endpoint})
    assert "`pulumi config set ims-record:accessKey <id>`" in no_credentials, no_credentials
    assert "`pulumi config set --secret ims-record:secretKey <secret>`" in no_credentials, no_credentials
    for said in (no_region, no_credentials):
        assert "alicloud:" not in said, said
