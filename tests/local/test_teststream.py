"""The RTMP test-stream helper: a clear error without nginx-rtmp, and the command line publishes a real
stream.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest

from pulumi_ims_record.local import teststream
from pulumi_ims_record.local.teststream import TestStream, TestStreamUnavailable
from tests.local.conftest_recording import REPO_ROOT, recording_tools_missing, wait_for


def test_a_missing_rtmp_module_names_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teststream, "MODULE_CANDIDATES", ("/nonexistent/ngx_rtmp_module.so",))
    monkeypatch.delenv("NGINX_RTMP_MODULE", raising=False)
    with pytest.raises(TestStreamUnavailable, match="nginx libnginx-mod-rtmp ffmpeg"):
        teststream.find_rtmp_module()


def test_a_missing_nginx_names_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(TestStreamUnavailable, match=r"nginx was not found.*libnginx-mod-rtmp"):
        TestStream().start()


@pytest.mark.recording
@pytest.mark.skipif(recording_tools_missing() is not None, reason=str(recording_tools_missing()))
def test_the_command_line_publishes_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi_ims_record.local.teststream", "--name", "cli", "--size", "320x180"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"rtmp://127\.0\.0\.1:\d+/live/cli", url), url

        def probed() -> str:
            result = subprocess.run(
                ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width", "-of", "csv=p=0", url],
                capture_output=True,
                text=True,
                timeout=30,
            )
            return result.stdout

        streams = wait_for(probed, timeout=30, message="the stream to be playable")
        assert "h264,320" in streams and "aac" in streams
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
