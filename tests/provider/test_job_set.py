"""``LiveRecordJobSetProvider`` against a local IMS: check (paths, unique keys), create (N jobs, no
duplicates, adoption after a crash, ambiguous submits, partial failure), read (drift), diff/update per entry,
delete."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pulumi_ims_record.ice import Credentials, IceClient, RecordOutput, StreamInput
from pulumi_ims_record.provider import ProviderError, ProviderSettings
from pulumi_ims_record.provider._base import AFTER_AN_INTERRUPTED_UP
from pulumi_ims_record.provider._properties import UNKNOWN_SENTINEL
from pulumi_ims_record.provider.job_set import LiveRecordJobSetProvider
from tests.conftest import LocalIms

from .conftest import checked, failure_pairs

BUCKET = "recordings"


def entry(key: str, **overrides: Any) -> dict[str, Any]:
    """An entry as a front door hands it to check: named (here by its key; the doors' rule: test_native)."""
    values: dict[str, Any] = {
        "key": key,
        "name": key,
        "stream_input": {"url": f"rtmp://127.0.0.1:1935/live/{key}"},
    }
    values.update(overrides)
    return values


def set_inputs(template_id: str, entries: Any, **overrides: Any) -> dict[str, Any]:
    news: dict[str, Any] = {"jobs": entries, "template_id": template_id, "record_output": {"bucket": BUCKET}}
    news.update(overrides)
    return news


@pytest.fixture
def set_provider(make_provider: Callable[..., Any]) -> LiveRecordJobSetProvider:
    provider: LiveRecordJobSetProvider = make_provider(LiveRecordJobSetProvider)
    provider.poll_interval = 0.1
    provider.reconcile_seconds = 2.0
    return provider


def create(provider: LiveRecordJobSetProvider, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    inputs = checked(provider, news)
    result = provider.create({**inputs, "__provider": "pickle"})
    return result.id, outs_of(result)


def outs_of(result: Any) -> dict[str, Any]:
    outs: dict[str, Any] | None = result.outs
    assert outs is not None
    return outs


def all_jobs(local_ims: LocalIms) -> list[Any]:
    with local_ims.client() as client:
        return list(client.iter_live_record_jobs(page_size=100))


class CountingProvider(LiveRecordJobSetProvider):
    """A set provider whose client goes through the given transport, without retries."""

    def __init__(self, endpoint: str, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__()
        self.endpoint = endpoint
        self.transport = transport

    def new_client(self, settings: ProviderSettings) -> IceClient:
        return IceClient(
            endpoint=self.endpoint,
            credentials=Credentials("ims-local-key", "ims-local-secret"),
            transport=self.transport,
            max_retries=0,
        )


class ConcurrencyProbe(httpx.BaseTransport):
    """Forwards to the server and records the most submits in flight at once."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        submit = request.headers.get("x-acs-action") == "SubmitLiveRecordJob"
        if submit:
            with self.lock:
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
        try:
            response = self.inner.handle_request(request)
            response.read()
            return response
        finally:
            if submit:
                with self.lock:
                    self.in_flight -= 1

    def close(self) -> None:
        self.inner.close()


class FaultyTransport(httpx.BaseTransport):
    """Forwards to the server, except for submits of the named streams: ``lost`` ones are applied and their
    answer lost (an ambiguous outcome); ``refused`` ones fail with a connection error before being sent."""

    def __init__(self, *, lost: tuple[str, ...] = (), refused: tuple[str, ...] = ()) -> None:
        self.inner = httpx.HTTPTransport()
        self.lost, self.refused = lost, refused

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("x-acs-action") == "SubmitLiveRecordJob":
            body = request.read().decode()
            if any(f"%2F{stream}" in body or f"/{stream}" in body for stream in self.refused):
                raise httpx.ConnectError("refused", request=request)
            if any(f"%2F{stream}" in body or f"/{stream}" in body for stream in self.lost):
                self.inner.handle_request(request).read()
                raise httpx.ReadTimeout("the answer was lost", request=request)
        response = self.inner.handle_request(request)
        response.read()
        return response

    def close(self) -> None:
        self.inner.close()


# --- check ---


def test_check_fills_defaults_and_names_each_failure_with_its_entry_path(
    set_provider: LiveRecordJobSetProvider,
) -> None:
    ok = checked(set_provider, set_inputs("tpl-1", [entry("a"), entry("b", name="job b")]))
    assert ok["concurrency"] == 16 and ok["delete_recordings_on_destroy"] is False
    assert ok["jobs"][0] == {
        "key": "a",
        "name": "a",
        "stream_input": {"type": "rtmp", "url": "rtmp://127.0.0.1:1935/live/a"},
        "record_output": {"type": "oss", "bucket": BUCKET},
    }
    assert ok["jobs"][1]["name"] == "job b"
    # The front doors name every entry (default_entry_name); one they did not is named, not guessed.
    unnamed = {key: item for key, item in entry("a").items() if key != "name"}
    said = failure_pairs(set_provider.check({}, set_inputs("tpl-1", [unnamed])).failures)
    assert [(path, reason.split(" (")[0]) for path, reason in said] == [("jobs[0].name", "is required")]
    later = checked(set_provider, set_inputs("tpl-1", [{**unnamed, "key": UNKNOWN_SENTINEL}]))
    assert later["jobs"][0]["name"] == UNKNOWN_SENTINEL  # named once the key is known

    bad = set_provider.check(
        {},
        set_inputs(
            "tpl-1",
            [
                entry("a"),
                entry("b"),
                entry("c", notify_url="ftp://x"),
                entry("d", stream_input={"url": "http://not-rtmp/x"}),
                entry("a"),
                {"stream_input": {"url": "rtmp://h/a/s"}, "colour": "red"},
                entry("B"),  # its default name "B" and job "b" would be one name to the service's search
            ],
            concurrency=0,
        ),
    )
    failures = {(path, reason.split(" (")[0]) for path, reason in failure_pairs(bad.failures)}
    paths = {path for path, _ in failures}
    assert "jobs[2].notify_url" in paths
    assert "jobs[3].stream_input.url" in paths
    assert ("jobs[4].key", "duplicates jobs[0].key: keys must be unique, ignoring case") in failures
    reasons = dict(failure_pairs(bad.failures))
    assert reasons["jobs[6].key"] == (
        "duplicates jobs[1].key ('b') but for letter case: keys must be unique, ignoring case"
    )
    assert ("jobs[5].key", "is required") in failures
    assert "jobs[5].colour" in paths
    assert "concurrency" in paths
    assert not any(path.startswith(("jobs[0]", "jobs[1]")) for path in paths)


def test_check_requires_a_record_output_on_the_entry_or_the_set(
    set_provider: LiveRecordJobSetProvider,
) -> None:
    news = {"jobs": [entry("a"), entry("b", record_output={"bucket": "other-bucket"})], "template_id": "t"}
    result = set_provider.check({}, news)
    assert [(path, reason.split(" (")[0]) for path, reason in failure_pairs(result.failures)] == [
        ("jobs[0].record_output", "is required")
    ]


def test_check_passes_unknown_values_during_preview(set_provider: LiveRecordJobSetProvider) -> None:
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    result = set_provider.check({}, set_inputs(unknown, [entry("a", stream_input=unknown)]))
    assert result.failures == []
    result = set_provider.check({}, set_inputs("t", unknown))
    assert result.failures == [] and result.inputs["jobs"] == unknown


# --- create ---


def test_create_submits_exactly_one_job_per_entry_with_bounded_concurrency(
    local_ims: LocalIms, template_id: str
) -> None:
    probe = ConcurrencyProbe()
    provider = CountingProvider(local_ims.endpoint, probe)
    local_ims.reset_stats()
    entries = [entry(f"cam{i}") for i in range(12)]
    set_id, outs = create(provider, set_inputs(template_id, entries, concurrency=4))
    stats = local_ims.stats()
    assert stats.get("SubmitLiveRecordJob") == 12
    assert stats.get("GetLiveRecordJob", 0) == 0  # the states come from one listing after the submits
    assert stats.get("ListLiveRecordJobs") == 2
    assert 1 < probe.most <= 4
    jobs = all_jobs(local_ims)
    assert len(jobs) == 12
    assert set(outs["job_ids"]) == {f"cam{i}" for i in range(12)}
    assert sorted(outs["job_ids"].values()) == sorted(job.job_id for job in jobs)
    assert set_id == f"jobset-{outs['job_ids']['cam0']}"
    cam3 = outs["jobs"]["cam3"]
    assert cam3["job_id"] == outs["job_ids"]["cam3"]
    assert cam3["name"] == "cam3" and cam3["status"] == "initial" and cam3["origin"] == "submitted"
    assert cam3["stream_input"] == {"type": "rtmp", "url": "rtmp://127.0.0.1:1935/live/cam3"}
    assert cam3["record_output"] == {"type": "oss", "bucket": BUCKET}
    assert cam3["template_id"] == template_id and cam3["template_name"] == "fixture-hls"
    assert cam3["create_time"]
    assert outs["concurrency"] == 4 and "__provider" not in outs


def test_create_after_a_crash_adopts_the_jobs_already_submitted(
    set_provider: LiveRecordJobSetProvider,
    template_id: str,
    local_ims: LocalIms,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # An earlier `up` died after submitting two of the four jobs, before saving state.
    with local_ims.client() as client:
        earlier = {
            key: client.submit_live_record_job(
                name=key,
                stream_input=StreamInput(url=f"rtmp://127.0.0.1:1935/live/{key}"),
                record_output=RecordOutput(bucket=BUCKET),
                template_id=template_id,
            ).job_id
            for key in ("a", "c")
        }
    local_ims.reset_stats()
    _, outs = create(set_provider, set_inputs(template_id, [entry(key) for key in "abcd"]))
    assert local_ims.stats().get("SubmitLiveRecordJob") == 2
    assert len(all_jobs(local_ims)) == 4
    for key, job_id in earlier.items():
        assert outs["job_ids"][key] == job_id and outs["jobs"][key]["origin"] == "adopted_recent"
    assert outs["jobs"]["b"]["origin"] == "submitted"
    warning = capsys.readouterr().err
    assert "adopted 2 job(s)" in warning and AFTER_AN_INTERRUPTED_UP in warning


def test_an_ambiguous_submit_that_was_applied_is_adopted_not_repeated(
    local_ims: LocalIms, template_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    provider = CountingProvider(local_ims.endpoint, FaultyTransport(lost=("b",)))
    provider.poll_interval, provider.reconcile_seconds = 0.1, 2.0
    _, outs = create(provider, set_inputs(template_id, [entry(key) for key in "abc"]))
    assert outs["jobs"]["b"]["origin"] == "adopted_after_ambiguous_submit"
    assert len(all_jobs(local_ims)) == 3
    assert f"unknown outcome for 1 job(s); they were submitted and are adopted: b={outs['job_ids']['b']}" in (
        capsys.readouterr().err
    )


def test_partial_failure_lists_the_submitted_jobs_and_the_next_create_adopts_them(
    local_ims: LocalIms, template_id: str, set_provider: LiveRecordJobSetProvider
) -> None:
    failing = CountingProvider(local_ims.endpoint, FaultyTransport(refused=("c",)))
    news = set_inputs(
        template_id, [entry(key, stream_input={"url": f"rtmp://h/live/{key}?tok=s3cr3t"}) for key in "abcd"]
    )
    with pytest.raises(ProviderError) as caught:
        create(failing, news)
    message = str(caught.value)
    submitted = {job.name: job.job_id for job in all_jobs(local_ims)}
    assert set(submitted) == {"a", "b", "d"}
    assert message.startswith("LiveRecordJobSet create: 1 of 4 job(s) could not be submitted: c: ")
    for key, job_id in submitted.items():
        assert f"{key}={job_id}" in message
    assert "s3cr3t" not in message and "\n" not in message

    local_ims.reset_stats()
    _, outs = create(set_provider, news)
    assert local_ims.stats().get("SubmitLiveRecordJob") == 1  # only the one that failed
    assert {key: outs["job_ids"][key] for key in submitted} == submitted
    assert len(all_jobs(local_ims)) == 4


def test_an_api_error_names_the_entry(set_provider: LiveRecordJobSetProvider, local_ims: LocalIms) -> None:
    with pytest.raises(ProviderError) as caught:
        create(set_provider, set_inputs("no-such-template", [entry("a")]))
    message = str(caught.value)
    assert "a: SubmitLiveRecordJob failed: Code " in message and "NotFound" in message
    assert "ims-local-secret" not in message


def test_an_empty_set_is_created_without_api_calls(
    set_provider: LiveRecordJobSetProvider, local_ims: LocalIms
) -> None:
    local_ims.reset_stats()
    set_id, outs = create(set_provider, set_inputs("t", []))
    assert set_id.startswith("jobset-") and outs["jobs"] == {} and outs["job_ids"] == {}
    assert local_ims.total_calls() == 0


# --- read ---


def test_read_drops_vanished_jobs_and_reads_back_the_others(
    set_provider: LiveRecordJobSetProvider, template_id: str, local_ims: LocalIms
) -> None:
    set_id, outs = create(set_provider, set_inputs(template_id, [entry(key) for key in "abc"]))
    local_ims.delete_job(outs["job_ids"]["b"])
    result = set_provider.read(set_id, {**outs, "__provider": "pickle"})
    assert result.id == set_id
    read_outs, read_inputs = outs_of(result), result.inputs or {}
    assert set(read_outs["job_ids"]) == {"a", "c"} and set(read_outs["jobs"]) == {"a", "c"}
    assert read_outs["jobs"]["a"] == outs["jobs"]["a"]
    assert [item["key"] for item in read_inputs["jobs"]] == ["a", "c"]
    assert read_inputs["template_id"] == template_id
    # The next diff sees the vanished entry as missing: an update submits it again.
    news = checked(set_provider, set_inputs(template_id, [entry(k) for k in "abc"]))
    assert set_provider.diff(set_id, read_outs, news).changes


# --- diff and update ---


def test_diff_is_per_entry_and_never_replaces_the_set(
    set_provider: LiveRecordJobSetProvider, template_id: str
) -> None:
    set_id, outs = create(set_provider, set_inputs(template_id, [entry(key) for key in "ab"]))

    def diff(news: dict[str, Any]) -> Any:
        return set_provider.diff(set_id, {**outs, "__provider": "old"}, checked(set_provider, news))

    same = diff(set_inputs(template_id, [entry("a"), entry("b")]))
    assert same.changes is False
    for news in (
        set_inputs(template_id, [entry("a"), entry("b"), entry("c")]),
        set_inputs(template_id, [entry("a")]),
        set_inputs(template_id, [entry("a"), entry("b", notify_url="https://example.com/hook")]),
        set_inputs("other-template", [entry("a"), entry("b")]),
        set_inputs(template_id, [entry("a"), entry("b")], concurrency=2),
    ):
        result = diff(news)
        assert result.changes is True and result.replaces == []
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert diff(set_inputs(template_id, [entry("a", stream_input=unknown)])).changes is True


def test_diff_names_the_entries_whose_jobs_leave_the_set(
    set_provider: LiveRecordJobSetProvider, template_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    set_id, outs = create(set_provider, set_inputs(template_id, [entry(key) for key in "abc"]))
    capsys.readouterr()
    news = set_inputs(
        template_id, [entry("a"), entry("b", notify_url="https://example.com/hook"), entry("d")]
    )
    set_provider.diff(set_id, outs, checked(set_provider, news))
    warning = capsys.readouterr().err
    assert "the jobs of entries b, c leave the set (changed entries get a new job)" in warning, warning
    assert "keeps recording until its stream ends" in warning
    set_provider.diff(
        set_id, outs, checked(set_provider, set_inputs(template_id, [entry(k) for k in "abcd"]))
    )
    assert capsys.readouterr().err == ""  # an added entry takes no job away


def test_update_adds_removes_and_changes_only_the_affected_entries(
    set_provider: LiveRecordJobSetProvider,
    template_id: str,
    local_ims: LocalIms,
    capsys: pytest.CaptureFixture[str],
) -> None:
    set_id, outs = create(set_provider, set_inputs(template_id, [entry(key) for key in "abc"]))
    capsys.readouterr()
    local_ims.reset_stats()
    news = checked(
        set_provider,
        set_inputs(
            template_id,
            [entry("a"), entry("b", stream_input={"url": "rtmp://127.0.0.1:1935/live/b2"}), entry("d")],
        ),
    )
    result = set_provider.update(set_id, {**outs, "__provider": "old"}, {**news, "__provider": "new"})
    new = outs_of(result)
    assert local_ims.stats().get("SubmitLiveRecordJob") == 2  # b (changed) and d (added)
    assert set(new["job_ids"]) == {"a", "b", "d"}
    assert new["job_ids"]["a"] == outs["job_ids"]["a"]  # untouched
    assert new["job_ids"]["b"] != outs["job_ids"]["b"]
    assert new["jobs"]["b"]["stream_input"]["url"] == "rtmp://127.0.0.1:1935/live/b2"
    warning = capsys.readouterr().err
    assert "2 job(s) were removed from the stack" in warning
    assert f"b={outs['job_ids']['b']}" in warning and f"c={outs['job_ids']['c']}" in warning
    assert "keeps recording until its stream ends" in warning
    assert len(all_jobs(local_ims)) == 5  # the forgotten ones still exist


def test_update_with_a_new_template_submits_every_entry_again(
    set_provider: LiveRecordJobSetProvider, template_id: str, local_ims: LocalIms
) -> None:
    set_id, outs = create(set_provider, set_inputs(template_id, [entry(key) for key in "ab"]))
    with local_ims.client() as client:
        from pulumi_ims_record.ice import RecordFormat

        other = client.create_live_record_template(
            name="other", record_formats=[RecordFormat(format="flv")]
        ).template_id
    local_ims.reset_stats()
    news = checked(set_provider, set_inputs(other, [entry(key) for key in "ab"]))
    new = outs_of(set_provider.update(set_id, outs, news))
    assert local_ims.stats().get("SubmitLiveRecordJob") == 2
    assert all(new["jobs"][key]["template_id"] == other for key in "ab")


def test_update_of_settings_only_makes_no_api_call(
    set_provider: LiveRecordJobSetProvider, template_id: str, local_ims: LocalIms
) -> None:
    set_id, outs = create(set_provider, set_inputs(template_id, [entry("a")]))
    local_ims.reset_stats()
    news = checked(set_provider, set_inputs(template_id, [entry("a")], concurrency=3))
    new = outs_of(set_provider.update(set_id, outs, news))
    assert local_ims.total_calls() == 0
    assert new["concurrency"] == 3 and new["jobs"] == outs["jobs"]


# --- delete ---


def test_delete_forgets_every_job_with_one_warning(
    set_provider: LiveRecordJobSetProvider,
    template_id: str,
    local_ims: LocalIms,
    capsys: pytest.CaptureFixture[str],
) -> None:
    set_id, outs = create(set_provider, set_inputs(template_id, [entry(key) for key in "ab"]))
    capsys.readouterr()
    local_ims.reset_stats()
    set_provider.delete(set_id, {**outs, "__provider": "pickle"})
    assert local_ims.total_calls() == 0
    warning = capsys.readouterr().err
    assert "2 job(s) were removed from the stack" in warning and "no API to stop" in warning


def test_delete_with_recordings_on_destroy_lists_files_of_all_jobs_at_once(
    set_provider: LiveRecordJobSetProvider, template_id: str, local_ims: LocalIms
) -> None:
    set_id, outs = create(
        set_provider, set_inputs(template_id, [entry(key) for key in "ab"], delete_recordings_on_destroy=True)
    )
    local_ims.reset_stats()
    set_provider.delete(set_id, outs)
    stats = local_ims.stats()
    # No recordings exist (no stream was pushed): one listing per 4-day window, nothing to delete.
    assert stats.get("ListLiveRecordFiles", 0) >= 1 and "DeleteLiveRecordFiles" not in stats


class ReadBackFailsTransport(httpx.BaseTransport):
    """Forwards to the server until the first submit; from then on every listing and Get is refused."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.submitted = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        action = request.headers.get("x-acs-action")
        if action == "SubmitLiveRecordJob":
            self.submitted = True
        elif self.submitted and action in ("ListLiveRecordJobs", "GetLiveRecordJob"):
            raise httpx.ConnectError("refused", request=request)
        response = self.inner.handle_request(request)
        response.read()
        return response

    def close(self) -> None:
        self.inner.close()


def test_jobs_that_cannot_be_read_back_still_reach_the_state(local_ims: LocalIms, template_id: str) -> None:
    provider = CountingProvider(local_ims.endpoint, ReadBackFailsTransport())
    _, outs = create(provider, set_inputs(template_id, [entry(key) for key in "ab"]))
    on_server = {job.name: job.job_id for job in all_jobs(local_ims)}
    assert outs["job_ids"] == on_server
    assert outs["jobs"]["a"]["status"] == "initial" and "create_time" not in outs["jobs"]["a"]
    assert outs["jobs"]["a"]["stream_input"] == {"type": "rtmp", "url": "rtmp://127.0.0.1:1935/live/a"}
