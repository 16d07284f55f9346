"""The console in a real browser: headless Chromium (Debian's ``chromium``, installed by the bootstrap)
against a local IMS recording a live test stream. The browser finds the job, plays its recording through the
vendored player, and shows a hostile job name as text; no request leaves the machine (a proxy that refuses
everything stands for the network, loopback is reached directly). The screenshot is kept under
``.state/artifacts/``."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from alibabacloud_ice20201109 import models as m

from pulumi_ims_record.local.teststream import TestStream
from tests.conftest import REPO_ROOT, wait_until
from tests.local.conftest_recording import SHORT_HLS, recording_tools_missing

from .conftest import sdk_client, sdk_record_formats

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / ".state" / "artifacts"
HOSTILE_NAME = '<img src=x onerror=alert(1)><script>alert("job")</script>'


def chromium_missing() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return "chromium is not installed (./run bootstrap installs it as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (the dev extra)"
    return None


pytestmark = [
    pytest.mark.recording,
    pytest.mark.skipif(recording_tools_missing() is not None, reason=str(recording_tools_missing())),
    # In CI a missing browser is a failure, not a skip: the test must run there.
    pytest.mark.skipif(
        chromium_missing() is not None and os.environ.get("CI") != "true", reason=str(chromium_missing())
    ),
]

FORMAT = SHORT_HLS
LONG_CYCLE = {**FORMAT, "CycleDuration": 600}  # a cycle that stays open: watched live
PLAYED = "() => { const v = document.getElementById('player'); return v.currentTime > 0.5 || v.error; }"
PLAYER = (
    "() => { const v = document.getElementById('player');"
    " return {time: v.currentTime, error: v.error && v.error.code, width: v.videoWidth,"
    " hls: !!window.currentHls}; }"
)


@pytest.fixture
def stream() -> Iterator[TestStream]:
    with TestStream(name="console", size="320x180", rate=25, keyframe_seconds=2.0) as test_stream:
        yield test_stream


@pytest.fixture
def browser() -> Iterator[Any]:
    assert chromium_missing() is None, chromium_missing()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--autoplay-policy=no-user-gesture-required",
                # The network is off: everything not loopback goes to a proxy that is not there.
                "--proxy-server=http://127.0.0.1:9",
            ],
        )  # fmt: skip
        try:
            yield launched
        finally:
            launched.close()


def submit(client: Any, name: str, template_id: str, url: str) -> str:
    return str(
        client.submit_live_record_job(
            m.SubmitLiveRecordJobRequest(
                name=name,
                stream_input=m.SubmitLiveRecordJobRequestStreamInput(type="rtmp", url=url),
                record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket="console"),
                template_id=template_id,
            )
        ).body.job_id
    )


def test_the_console_plays_a_recording_offline_and_shows_hostile_names_as_text(
    start_local_ims: Any, stream: TestStream, browser: Any
) -> None:
    ims = start_local_ims(["--pull-timeout", "60"])
    client = sdk_client(int(urlsplit(ims.endpoint).port or 0))
    template_id = client.create_live_record_template(
        m.CreateLiveRecordTemplateRequest(name="console-hls", record_format=sdk_record_formats(FORMAT))
    ).body.template_id
    job_id = submit(client, "console job", template_id, stream.url)
    hostile_id = submit(client, HOSTILE_NAME, template_id, "rtmp://127.0.0.1:1/live/none?token=s3cret")
    long_template_id = client.create_live_record_template(
        m.CreateLiveRecordTemplateRequest(name="console-live", record_format=sdk_record_formats(LONG_CYCLE))
    ).body.template_id
    live_id = submit(client, "live job", long_template_id, stream.url)
    unpublished = stream.url.rsplit("/", 1)[0] + "/nobody?token=s3cret"  # the server answers; no publisher
    waiting_id = submit(client, "waiting job", template_id, unpublished)
    wait_until(
        lambda: client.list_live_record_files(m.ListLiveRecordFilesRequest(job_ids=[job_id])).body.files,
        timeout=90,
        interval=0.5,
        message="a finished playlist",
    )

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(ims.endpoint + "/")  # a browser at the endpoint lands on the console
    page.wait_for_selector("body[data-loaded=true]")

    # The live job's open cycle: its slices so far, as a playlist the player polls.
    page.locator(f'[data-job-id="{live_id}"] button.live').click()
    page.wait_for_function(PLAYED, timeout=60_000)
    state = page.evaluate(PLAYER)
    assert state["error"] is None and state["width"] == 320 and state["hls"], state  # the vendored player

    card = page.locator(f'[data-job-id="{job_id}"]')
    card.locator("button.play").first.click()
    page.wait_for_function(  # the recorded file now, not the live cycle
        f"() => !document.getElementById('player-title').textContent.includes('open cycle') && ({PLAYED})()",
        timeout=60_000,
    )
    state = page.evaluate(PLAYER)
    assert state["error"] is None and state["time"] > 0.5 and state["width"] == 320 and state["hls"], state

    health = page.locator("#health").text_content() or ""
    # Four recorders: two record, two wait (nothing listens at the hostile job's port; nothing is published at
    # the waiting job's).
    assert re.fullmatch(
        r"4 recorders running \(2 waiting for a stream\) · data [\d.]+ [KMG]?i?B of 20\.0 GiB · v\S+", health
    ), health
    updated = page.locator("#updated").text_content() or ""
    assert re.fullmatch(r"updated \d\d:\d\d:\d\d UTC", updated), updated  # as every time on the page

    # The recorder's reason for the job whose stream has no publisher (the page refreshes every 3 s).
    waiting = f'[data-job-id="{waiting_id}"] .waiting'
    page.wait_for_function(
        f"() => (document.querySelector('{waiting}')?.textContent || '').includes('the server sent nothing')",
        timeout=60_000,
    )
    said = page.locator(waiting).text_content() or ""
    assert re.fullmatch(
        rf"Not recording: no stream at rtmp://127\.0\.0\.1:{stream.port}/live/nobody\?…: "
        r"the server sent nothing for 5 s \(nothing is publishing to it yet\?\)\. "
        r"Since \S+Z; (next try at \S+Z|trying now); gives up at \S+Z\.",
        said,
    ), said
    assert page.locator(f'[data-job-id="{job_id}"] .waiting').count() == 0  # the recording job has none

    hostile = page.locator(f'[data-job-id="{hostile_id}"] .job-name')
    assert hostile.text_content() == HOSTILE_NAME  # shown as text
    assert page.locator("main img").count() == 0 and dialogs == []  # not as markup: nothing ran
    assert "s3cret" not in page.content()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console.png"), full_page=True)
    origin = ims.endpoint.rstrip("/")
    outside = [url for url in requests if not (url.startswith(origin) or url.startswith("blob:"))]
    assert outside == [], outside  # the page and its player came from the local IMS alone
