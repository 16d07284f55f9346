"""Recording live RTMP streams with ffmpeg: one supervisor thread per job.

How a job records (details and the reasons in ``docs/recording.md``):

* ffmpeg pulls the stream with ``-c copy`` (no re-encoding) and cuts it into short MPEG-TS *segments* in
  ``<work_dir>/segments`` (segment length: the smallest m3u8 SliceDuration, else 10 s, never above a
  CycleDuration). Every ffmpeg invocation is a *run*; the segment muxer's CSV list lists finished segments.
* Every format consumes every finished segment into its open *cycle*. m3u8 publishes each segment at once as a
  TS slice (``SliceOssObjectPrefix`` + ``.ts``). A cycle closes at the first segment boundary where it has
  recorded CycleDuration minus half a segment: a VOD playlist (m3u8), or the segments joined with ffmpeg's
  concat demuxer (mp4, flv), is written atomically under ``OssObjectPrefix`` + extension and reported once
  through ``on_file``.
* The 3-minute rule: when the stream stops (no data for ``stall_timeout``) or cannot be pulled, ffmpeg is
  retried with a short backoff and the job reports ``paused``; data that comes back within ``pull_timeout``
  continues the same cycle. After ``pull_timeout`` without data the open cycle is closed and ``on_gave_up`` is
  called.
* While a job has no data (its stream not there yet, interrupted, or refused) its supervisor knows why, since
  when, when it tries again and when it gives up: ``Recorder.waiting``, read by ``ims-local jobs``, the
  console and ``/_health``. The reason comes from ffmpeg's own log of the failed pull, with URLs masked.
* Everything the supervisor decides is in ``<work_dir>/state.json``; after ``kill -9`` and a restart,
  ``start()`` takes in the segments ffmpeg finished (a truncated last segment is trimmed and probed, or
  dropped) and continues the interrupted cycle.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import os
import posixpath
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Protocol
from urllib.parse import urlsplit, urlunsplit

from pulumi_ims_record.api import rules
from pulumi_ims_record.local import media, storage
from pulumi_ims_record.local._rec_state import (
    STATE_FILE_NAME,
    FormatState,
    JobState,
    PendingFile,
    RunState,
    Segment,
    Slice,
    render_playlist,
)

log = logging.getLogger("pulumi_ims_record.local.recorder")

DEFAULT_PULL_TIMEOUT = 180.0
DEFAULT_STALL_TIMEOUT = 3.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_SEGMENT_SECONDS = 10
STOP_JOIN_TIMEOUT = 15.0
POLL_INTERVAL = 0.2
MIN_TAIL_SECONDS = 0.1
TS_PACKET = 188
FORMATS = ("m3u8", "mp4", "flv")


# ----------------------------------------------------------------------------------------------------------
# the contract with the backend (docs/architecture.md)


@dataclass(frozen=True)
class FormatSpec:
    """One RecordFormat of the job's template snapshot, defaults already applied."""

    format: str  # "m3u8" | "mp4" | "flv"
    oss_object_prefix: str | None
    slice_oss_object_prefix: str | None
    slice_duration: int  # seconds (m3u8)
    cycle_duration: int  # seconds


@dataclass(frozen=True)
class RecordingSpec:
    job_id: str
    stream_url: str
    bucket_dir: Path  # <data-dir>/buckets/<Bucket>; the bucket name was validated by the backend
    work_dir: Path  # <data-dir>/work/<JobId>; recorder-private, survives restarts
    formats: tuple[FormatSpec, ...]


@dataclass(frozen=True)
class RecordedFile:
    """A finished, closed, valid file."""

    job_id: str
    format: str
    object_key: str  # path inside the bucket, "/"-separated
    start_time: datetime  # UTC
    end_time: datetime
    duration: float  # ffprobe
    width: int
    height: int


@dataclass(frozen=True)
class Waiting:
    """Why a job is not recording right now, as its supervisor knows it."""

    reason: str  # one sentence, stream URL masked: "no stream at rtmp://host/live/x: nothing listens …"
    since: datetime  # when data last came, or when the job began waiting for its first
    retry_at: datetime | None  # the next pull; None while one is being tried
    give_up_at: datetime  # the recording ends then unless data comes (the 3-minute rule)


class RecorderEvents(Protocol):
    def on_status(self, job_id: str, status: str) -> None: ...  # "started" (pulling) | "paused" (interrupted)

    def on_file(self, file: RecordedFile) -> None: ...  # called once per finished file

    def on_gave_up(self, job_id: str) -> None: ...  # nothing pulled for pull_timeout: recording over


class Recorder:
    """Runs one supervisor thread (and ffmpeg) per job. Events are called from those threads.

    ``stall_timeout``: seconds without new data after which a running pull counts as interrupted.
    ``connect_timeout``: ffmpeg's I/O timeout while connecting or reading (``-rw_timeout``).
    """

    def __init__(
        self,
        events: RecorderEvents,
        *,
        pull_timeout: float = DEFAULT_PULL_TIMEOUT,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        if pull_timeout <= 0 or stall_timeout <= 0 or connect_timeout <= 0:
            raise ValueError("pull_timeout, stall_timeout and connect_timeout must be positive")
        self._events = events
        self._pull_timeout = pull_timeout
        self._stall_timeout = stall_timeout
        self._connect_timeout = connect_timeout
        self._jobs: dict[str, _JobSupervisor] = {}
        self._lock = threading.Lock()

    def start(self, spec: RecordingSpec) -> None:
        """Start recording ``spec`` in the background; a no-op while that job records. Resumes from
        ``work_dir``.
        """
        _check_spec(spec)
        with self._lock:
            running = self._jobs.get(spec.job_id)
            if running is not None and running.is_alive():
                return
            supervisor = _JobSupervisor(
                spec,
                self._events,
                pull_timeout=self._pull_timeout,
                stall_timeout=self._stall_timeout,
                connect_timeout=self._connect_timeout,
            )
            self._jobs[spec.job_id] = supervisor
            supervisor.start()

    def stop(self, job_id: str) -> None:
        """Stop recording ``job_id``: close the open files so they are valid and report them. Unknown ids are
        ignored.
        """
        with self._lock:
            supervisor = self._jobs.pop(job_id, None)
        if supervisor is not None:
            supervisor.request_stop()
            supervisor.join(STOP_JOIN_TIMEOUT)

    def stop_all(self) -> None:
        """Stop every job (in parallel)."""
        with self._lock:
            supervisors = list(self._jobs.values())
            self._jobs.clear()
        for supervisor in supervisors:
            supervisor.request_stop()
        deadline = time.monotonic() + STOP_JOIN_TIMEOUT
        for supervisor in supervisors:
            supervisor.join(max(0.0, deadline - time.monotonic()))

    def is_recording(self, job_id: str) -> bool:
        """True while the job's supervisor runs (pulling, or waiting for the stream)."""
        with self._lock:
            supervisor = self._jobs.get(job_id)
        return supervisor is not None and supervisor.is_alive()

    def waiting(self, job_id: str) -> Waiting | None:
        """Why a job's supervisor has no data now; None while it records, or when it does not run."""
        with self._lock:
            supervisor = self._jobs.get(job_id)
        return supervisor.waiting if supervisor is not None and supervisor.is_alive() else None


def _check_spec(spec: RecordingSpec) -> None:
    if not spec.formats:
        raise ValueError(f"job {spec.job_id}: a recording needs at least one format")
    for item in spec.formats:
        if item.format not in FORMATS:
            raise ValueError(f"job {spec.job_id}: unknown format {item.format!r}; expected one of {FORMATS}")
        if item.cycle_duration <= 0 or (item.format == "m3u8" and item.slice_duration <= 0):
            raise ValueError(f"job {spec.job_id}: CycleDuration and SliceDuration must be positive")


def segment_seconds(formats: tuple[FormatSpec, ...]) -> int:
    """The one segment length serving every format of a job."""
    slices = [item.slice_duration for item in formats if item.format == "m3u8"]
    length = min(slices) if slices else DEFAULT_SEGMENT_SECONDS
    return max(1, min([length, *(item.cycle_duration for item in formats)]))


# ----------------------------------------------------------------------------------------------------------
# one job


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _wall_clock(monotonic: float) -> datetime:
    return _utc(time.time() - (time.monotonic() - monotonic))


def masked_url(url: str) -> str:
    """A stream URL without what may be a credential: user info and the query (stream tokens) are masked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if parts.username or parts.password:
        host = f"…@{host}"
    return urlunsplit((parts.scheme, host, parts.path, "…" if parts.query else "", ""))


_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s]+?(?=:?(\s|$))", re.IGNORECASE)
_LOG_TAIL_BYTES = 4096


def reason_without_data(stream_url: str, ffmpeg_log: str, *, tried_for: float, connect_timeout: float) -> str:
    """Why a pull got no data, in one sentence, from ffmpeg's log of it (``-loglevel warning``)."""
    shown = masked_url(stream_url)
    lines = [line.strip() for line in ffmpeg_log.splitlines() if line.strip()]
    said = " ".join(lines[-3:])
    parts = urlsplit(stream_url)
    if "Failed to resolve hostname" in said or "Name or service not known" in said:
        return f"no stream at {shown}: the host name {parts.hostname} does not resolve"
    if "Connection refused" in said:
        address = parts.netloc.rpartition("@")[2]
        return f"no stream at {shown}: nothing listens at {address} (connection refused)"
    if tried_for >= connect_timeout:
        return (
            f"no stream at {shown}: the server sent nothing for {connect_timeout:.0f} s "
            "(nothing is publishing to it yet?)"
        )
    if not lines:
        return f"no stream at {shown}: ffmpeg ended after {tried_for:.1f} s without a word"
    last = _URL_IN_TEXT.sub(lambda found: masked_url(found.group(0)), lines[-1])
    return f"no stream at {shown}: the server refused it (ffmpeg: {last})"


# If the server dies, even by kill -9, its ffmpeg must stop instead of recording on as an orphan. The kernel's
# parent-death signal does that, but it fires once per exiting thread of a multi-threaded parent, and a second
# SIGTERM makes ffmpeg abandon the segment it is closing. So a single-threaded sh receives it and passes
# exactly one SIGTERM on (stdin stays connected, for the 'q' that stops ffmpeg gracefully).
_FORWARD_ONE_SIGTERM = (
    'trap \'trap "" TERM INT; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null\' TERM INT; '
    '"$@" <&0 & child=$!; '
    'while :; do wait "$child"; status=$?; kill -0 "$child" 2>/dev/null || exit "$status"; done'
)


def _parent_death_prefix() -> list[str]:
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    shell = shutil.which("sh")
    if setpriv is None or shell is None:
        return []  # without it, a restarted server still ends a stale ffmpeg (see _kill_stale_ffmpeg)
    return [setpriv, "--pdeathsig", "TERM", "--", shell, "-c", _FORWARD_ONE_SIGTERM, "ffmpeg-supervised"]


class _JobSupervisor(threading.Thread):
    def __init__(
        self,
        spec: RecordingSpec,
        events: RecorderEvents,
        *,
        pull_timeout: float,
        stall_timeout: float,
        connect_timeout: float,
    ) -> None:
        super().__init__(name=f"recorder-{spec.job_id}", daemon=True)
        self.spec = spec
        self.events = events
        self.pull_timeout = pull_timeout
        self.stall_timeout = stall_timeout
        self.connect_timeout = connect_timeout
        self.segment_seconds = segment_seconds(spec.formats)
        self.segments_dir = spec.work_dir / "segments"
        self.output_dir = spec.work_dir / "output"
        self.state_path = spec.work_dir / STATE_FILE_NAME
        self.state = JobState(job_id=spec.job_id)
        self._stop_requested = threading.Event()
        self._progress_lock = threading.Lock()
        self._out_time_us = 0
        self._announced_started = False
        self.waiting: Waiting | None = None  # replaced whole, never changed in place: readers need no lock

    def request_stop(self) -> None:
        self._stop_requested.set()

    # -- main loop -------------------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._supervise()
        except NoSpaceLeft as error:
            log.error(
                "job %s: no space left for its files (%s); recording paused (its finished files are "
                "kept). Free space (ims-local reset, a smaller --max-data-size) and restart the server to "
                "record again",
                self.spec.job_id,
                error,
            )
            self._call(self.events.on_status, self.spec.job_id, "paused")
        except Exception:  # a supervisor must never take the server down; the reason goes to the log
            log.exception("job %s: the recorder stopped because of an unexpected error", self.spec.job_id)
            self._call(self.events.on_status, self.spec.job_id, "paused")  # not recording: say so

    def _supervise(self) -> None:
        job_id = self.spec.job_id
        self.segments_dir.mkdir(parents=True, exist_ok=True)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.state = JobState.load(self.state_path, job_id, [item.format for item in self.spec.formats])
        if self.state.gave_up:
            log.info("job %s gave up earlier; not recording again", job_id)
            return
        self._recover()
        last_data = time.monotonic()  # a resumed job gets a whole pull_timeout, like a new one
        self.waiting = Waiting(
            reason=f"connecting to {masked_url(self.spec.stream_url)}",
            since=_wall_clock(last_data),
            retry_at=None,
            give_up_at=_wall_clock(last_data + self.pull_timeout),
        )
        backoff = 0.5
        while not self._stop_requested.is_set():
            tried_at = time.monotonic()
            got_data_at = self._pull_once(give_up_at=last_data + self.pull_timeout)
            if got_data_at is not None:
                last_data = got_data_at
                backoff = 0.5
            if self._stop_requested.is_set():
                break
            if time.monotonic() - last_data >= self.pull_timeout:
                log.info(
                    "job %s: no stream for %.0f s; closing its files and giving up", job_id, self.pull_timeout
                )
                self._close_all_cycles()
                self.state.gave_up = True
                self._save()
                self._call(self.events.on_gave_up, job_id)
                return
            if self.state.last_status == "started":
                self._set_status("paused")
            remaining = last_data + self.pull_timeout - time.monotonic()
            pause = max(0.0, min(backoff, remaining))
            self._explain_no_data(
                got_data_at, last_data=last_data, tried_for=time.monotonic() - tried_at, retry_in=pause
            )
            self._stop_requested.wait(pause)
            if self.waiting is not None:
                self.waiting = dataclasses.replace(self.waiting, retry_at=None)
            backoff = min(backoff * 2, 2.0)
        self._close_all_cycles()
        self._save()

    def _explain_no_data(
        self, got_data_at: float | None, *, last_data: float, tried_for: float, retry_in: float
    ) -> None:
        """After a pull that ended: say why there is no data, since when, and when the next pull is."""
        if got_data_at is not None:
            reason = f"the stream at {masked_url(self.spec.stream_url)} stopped sending data"
            since = _wall_clock(got_data_at)
        else:
            log_path = self.segments_dir / f"r{self.state.run:05d}.log"
            reason = reason_without_data(
                self.spec.stream_url,
                _tail(log_path, _LOG_TAIL_BYTES),
                tried_for=tried_for,
                connect_timeout=self.connect_timeout,
            )
            since = self.waiting.since if self.waiting is not None else _wall_clock(time.monotonic())
        first_time = self.waiting is None or self.waiting.reason != reason
        self.waiting = Waiting(
            reason=reason,
            since=since,
            retry_at=_utc(time.time() + retry_in),
            give_up_at=_wall_clock(last_data + self.pull_timeout),
        )
        if first_time:
            log.info("job %s is not recording: %s", self.spec.job_id, reason)

    def _pull_once(self, *, give_up_at: float) -> float | None:
        """Run ffmpeg once; returns the monotonic time data last arrived, or None if none did."""
        self.state.run += 1
        run = self.state.run
        self.state.runs[run] = RunState()
        self._save()
        process = self._start_ffmpeg(run)
        self.state.ffmpeg_pid = process.pid
        self._save()
        last_out_time = 0
        last_data: float | None = None
        try:
            while True:
                self._ingest_run(run, final=False)
                with self._progress_lock:
                    out_time = self._out_time_us
                now = time.monotonic()
                if out_time > last_out_time:
                    last_out_time = out_time
                    last_data = now
                    self.waiting = None
                    if self.state.last_status != "started" or not self._announced_started:
                        # Also once after a restart, so the backend hears the truth from this process.
                        self._announced_started = True
                        self._set_status("started")
                if process.poll() is not None:
                    break
                if self._stop_requested.is_set():
                    break
                if last_data is not None and now - last_data > self.stall_timeout:
                    log.info(
                        "job %s: no data for %.1f s; the stream is interrupted",
                        self.spec.job_id,
                        now - last_data,
                    )
                    break
                if last_data is None and now >= give_up_at:
                    break
                time.sleep(POLL_INTERVAL)
        finally:
            _stop_ffmpeg(process)
            self.state.ffmpeg_pid = None
            self._ingest_run(run, final=True)
        return last_data

    def _start_ffmpeg(self, run: int) -> subprocess.Popen[bytes]:
        pattern = self.segments_dir / f"r{run:05d}_%06d.ts"
        command = [
            *_parent_death_prefix(),
            media.require_tool("ffmpeg"),
            "-hide_banner",
            "-nostats",
            "-loglevel",
            "warning",
            "-progress",
            "pipe:1",
            "-rw_timeout",
            str(int(self.connect_timeout * 1_000_000)),
            "-i",
            self.spec.stream_url,
            "-map",
            "0:v?",
            "-map",
            "0:a?",
            "-c",
            "copy",
            "-f",
            "segment",
            "-segment_time",
            str(self.segment_seconds),
            "-segment_format",
            "mpegts",
            "-segment_list",
            str(self._run_list(run)),
            "-segment_list_type",
            "csv",
            str(pattern),
        ]
        with self._progress_lock:
            self._out_time_us = 0
        with open(self.segments_dir / f"r{run:05d}.log", "ab") as log_file:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
                # Ctrl-C in the server's terminal is for the server to handle, not for ffmpeg.
                start_new_session=True,
            )
        assert process.stdout is not None
        threading.Thread(
            target=self._read_progress,
            args=(process.stdout,),
            name=f"progress-{self.spec.job_id}",
            daemon=True,
        ).start()
        return process

    def _read_progress(self, stream: IO[bytes]) -> None:
        for raw in stream:
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            if key == "out_time_us" and value.isdigit():
                with self._progress_lock:
                    self._out_time_us = max(self._out_time_us, int(value))

    # -- segments --------------------------------------------------------------------------------------------

    def _run_list(self, run: int) -> Path:
        return self.segments_dir / f"r{run:05d}.csv"

    def _segment_path(self, run: int, index: int) -> Path:
        return self.segments_dir / f"r{run:05d}_{index:06d}.ts"

    def _finished_entries(self, run: int) -> list[tuple[str, float]]:
        try:
            text = self._run_list(run).read_text(errors="replace")
        except FileNotFoundError:
            return []
        entries: list[tuple[str, float]] = []
        for line in text.splitlines(keepends=True):
            if not line.endswith("\n"):
                break  # ffmpeg is still writing this line
            name, _, times = line.strip().partition(",")
            start, _, end = times.partition(",")
            try:
                entries.append((name, max(0.0, float(end) - float(start))))
            except ValueError:
                log.warning("job %s: ignoring a malformed segment list line %r", self.spec.job_id, line)
                entries.append((name, -1.0))
        return entries

    def _ingest_run(self, run: int, *, final: bool) -> None:
        """Take in the run's newly finished segments; with ``final`` (ffmpeg is gone) also a truncated last
        one.
        """
        run_state = self.state.runs.setdefault(run, RunState())
        if run_state.closed:
            return
        entries = self._finished_entries(run)
        # The position advances in the same save that records what the segment changed, so a crash in between
        # takes the segment in again identically (same names, same times) rather than twice or never.
        for name, duration in entries[run_state.consumed :]:
            path = self.segments_dir / name
            run_state.consumed += 1
            if duration >= 0 and path.exists():
                self._ingest(Segment(name=name, run=run, duration=duration, wall_end=path.stat().st_mtime))
            else:
                self._save()
        if final:
            tail = self._segment_path(run, run_state.consumed)
            run_state.closed = True
            if tail.exists():
                segment = self._repair_tail(tail, run)
                run_state.consumed += 1
                if segment is not None:
                    self._ingest(segment)
            self._save()
            self._release_segments()

    def _repair_tail(self, path: Path, run: int) -> Segment | None:
        """A segment ffmpeg did not finish (it was killed): cut a partial TS packet, keep it if it plays."""
        size = path.stat().st_size
        with contextlib.suppress(OSError):
            if size % TS_PACKET:
                os.truncate(path, size - size % TS_PACKET)
        try:
            duration, _, _ = media.probe(path)
        except media.MediaError as error:
            log.info(
                "job %s: dropping the unreadable unfinished segment %s: %s",
                self.spec.job_id,
                path.name,
                error,
            )
            return None
        if duration < MIN_TAIL_SECONDS:
            return None
        return Segment(name=path.name, run=run, duration=duration, wall_end=path.stat().st_mtime)

    def _ingest(self, segment: Segment) -> None:
        for spec, fmt in zip(self.spec.formats, self.state.formats, strict=True):
            if segment.name in {known.name for known in fmt.segments}:
                continue  # taken in before a crash, the state just did not record the list position
            fmt.segments.append(segment)
            if spec.format == "m3u8":
                self._publish_slice(spec, fmt, segment)
            if fmt.recorded_seconds >= spec.cycle_duration - self.segment_seconds / 2:
                self._close_cycle(spec, fmt)
        self._save()

    def _publish_slice(self, spec: FormatSpec, fmt: FormatState, segment: Segment) -> None:
        prefix = spec.slice_oss_object_prefix or rules.DEFAULT_SLICE_OSS_OBJECT_PREFIX
        values = storage.slice_variables(
            job_id=self.spec.job_id, sequence=fmt.slice_sequence, start=_utc(segment.wall_start)
        )
        key = storage.object_key(storage.expand_prefix(prefix, values), "ts")
        try:
            target = storage.safe_object_path(self.spec.bucket_dir, key)
            storage.install_file(self.segments_dir / segment.name, target, keep_source=True)
        except (OSError, storage.UnsafeObjectKeyError) as error:
            _raise_when_out_of_space(error)
            log.error("job %s: could not write the slice %s: %s", self.spec.job_id, key, error)
            return
        fmt.slices.append(
            Slice(key=key, duration=segment.duration, run=segment.run, sequence=fmt.slice_sequence)
        )
        fmt.slice_sequence += 1

    def _release_segments(self) -> None:
        """Delete segments of closed runs that no open cycle needs any more, and the runs' lists and logs."""
        in_use = {segment.name for fmt in self.state.formats for segment in fmt.segments}
        for run, run_state in list(self.state.runs.items()):
            if not run_state.closed or any(name.startswith(f"r{run:05d}_") for name in in_use):
                continue
            for path in self.segments_dir.glob(f"r{run:05d}_*.ts"):
                path.unlink(missing_ok=True)
            self._run_list(run).unlink(missing_ok=True)
            keep_logs = 3  # the last few ffmpeg logs help debugging
            if run <= self.state.run - keep_logs:
                (self.segments_dir / f"r{run:05d}.log").unlink(missing_ok=True)
            del self.state.runs[run]
        self._save()

    # -- cycles ----------------------------------------------------------------------------------------------

    def _close_all_cycles(self) -> None:
        for spec, fmt in zip(self.spec.formats, self.state.formats, strict=True):
            self._close_cycle(spec, fmt)
        self._release_segments()

    def _close_cycle(self, spec: FormatSpec, fmt: FormatState) -> None:
        """Write the cycle's file into the bucket, note it as pending, start a new cycle, report the file."""
        if not fmt.segments:
            return
        start = fmt.segments[0].wall_start
        end = fmt.segments[-1].wall_end
        prefix = spec.oss_object_prefix or rules.DEFAULT_OSS_OBJECT_PREFIX
        values = storage.file_variables(
            job_id=self.spec.job_id, sequence=fmt.cycle_sequence, start=_utc(start), end=_utc(end)
        )
        key = storage.object_key(storage.expand_prefix(prefix, values), spec.format)
        pending: PendingFile | None = None
        if key not in self.state.emitted:
            try:
                pending = self._write_cycle_file(spec, fmt, key, start, end)
            except (OSError, media.MediaError, storage.UnsafeObjectKeyError) as error:
                _raise_when_out_of_space(error)
                log.error("job %s: could not write %s: %s", self.spec.job_id, key, error)
        if pending is not None:
            fmt.pending.append(pending)
        fmt.cycle_sequence += 1
        fmt.segments = []
        fmt.slices = []
        self._save()
        self._deliver_pending(fmt)

    def _write_cycle_file(
        self, spec: FormatSpec, fmt: FormatState, key: str, start: float, end: float
    ) -> PendingFile:
        target = storage.safe_object_path(self.spec.bucket_dir, key)
        if spec.format == "m3u8":
            if not fmt.slices:
                raise media.MediaError("no slice of this cycle reached the bucket")
            storage.atomic_write_bytes(target, _playlist(key, fmt.slices).encode())
            info = media.probe_info(target)
        else:
            joined = self.output_dir / f"{spec.format}-{fmt.cycle_sequence}.{spec.format}"
            paths = [self.segments_dir / segment.name for segment in fmt.segments]
            try:
                media.concat_segments(paths, joined, container=spec.format)
            except media.MediaError:
                readable = [path for path in paths if _playable(path)]
                if not readable or len(readable) == len(paths):
                    raise
                log.warning(
                    "job %s: joining without %d unreadable segments",
                    self.spec.job_id,
                    len(paths) - len(readable),
                )
                media.concat_segments(readable, joined, container=spec.format)
            info = media.probe_info(joined)
            storage.install_file(joined, target)
        return PendingFile(
            format=spec.format,
            object_key=key,
            start_time=start,
            end_time=end,
            duration=info.duration,
            width=info.width,
            height=info.height,
        )

    def _deliver_pending(self, fmt: FormatState) -> None:
        # At least once: a crash between on_file and the save below reports the file again after the restart.
        while fmt.pending:
            pending = fmt.pending[0]
            if pending.object_key not in self.state.emitted:
                recorded = RecordedFile(
                    job_id=self.spec.job_id,
                    format=pending.format,
                    object_key=pending.object_key,
                    start_time=_utc(pending.start_time),
                    end_time=_utc(pending.end_time),
                    duration=pending.duration,
                    width=pending.width,
                    height=pending.height,
                )
                self._call(self.events.on_file, recorded)
                self.state.remember_emitted(pending.object_key)
            fmt.pending.pop(0)
            self._save()

    # -- recovery after a restart ----------------------------------------------------------------------------

    def _recover(self) -> None:
        if self.state.ffmpeg_pid is not None:
            _kill_stale_ffmpeg(self.state.ffmpeg_pid, self.spec.work_dir)
            self.state.ffmpeg_pid = None
        for run in sorted(self.state.runs):
            self._ingest_run(run, final=True)
        for fmt in self.state.formats:
            self._deliver_pending(fmt)
        # Slices of the open cycle whose segment vanished can no longer be joined; playlists keep them.
        for fmt in self.state.formats:
            fmt.segments = [seg for seg in fmt.segments if (self.segments_dir / seg.name).exists()]
        self._release_segments()
        self._save()

    # -- helpers ---------------------------------------------------------------------------------------------

    def _set_status(self, status: str) -> None:
        self.state.last_status = status
        self._save()
        self._call(self.events.on_status, self.spec.job_id, status)

    def _save(self) -> None:
        try:
            self.state.save(self.state_path)
        except OSError as error:
            _raise_when_out_of_space(error)
            raise

    def _call(self, callback: object, *args: object) -> None:
        try:
            callback(*args)  # type: ignore[operator]
        except Exception:  # the backend's problem must not stop the recording
            log.exception("job %s: recorder event handler failed", self.spec.job_id)


def _tail(path: Path, size: int) -> str:
    """The last ``size`` bytes of a text file ("" when it is gone)."""
    try:
        with open(path, "rb") as stream:
            stream.seek(max(0, path.stat().st_size - size))
            return stream.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _playable(path: Path) -> bool:
    try:
        duration, _, _ = media.probe(path)
    except media.MediaError:
        return False
    return duration > 0


class NoSpaceLeft(Exception):
    """The device (or the user's quota) has no room for a job's files: the job pauses instead of failing
    file by file."""


def _raise_when_out_of_space(error: BaseException) -> None:
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        raise NoSpaceLeft(str(error)) from error


def _playlist(playlist_key: str, slices: list[Slice]) -> str:
    """A VOD playlist whose slice URIs are relative to the playlist, so it plays from any bucket URL."""
    directory = posixpath.dirname(playlist_key) or "."
    return render_playlist(
        slices, lambda item: urllib.parse.quote(posixpath.relpath(item.key, directory), safe="/-_.~")
    )


def _stop_ffmpeg(process: subprocess.Popen[bytes]) -> None:
    """Ask ffmpeg to finish its segment ('q'), then SIGTERM, then SIGKILL; never waits more than ~3 s."""
    if process.poll() is None and process.stdin is not None:
        with contextlib.suppress(OSError, ValueError):
            process.stdin.write(b"q")
            process.stdin.flush()
    for escalation, grace in ((None, 1.0), (signal.SIGTERM, 1.5), (signal.SIGKILL, 5.0)):
        if escalation is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if escalation == signal.SIGKILL:  # the whole group: ffmpeg and the sh that may wrap it
                    os.killpg(process.pid, escalation)
                else:
                    process.send_signal(escalation)
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def _kill_stale_ffmpeg(pid: int, work_dir: Path) -> None:
    """An ffmpeg left behind by a killed server still writes into work_dir: end it (only if it is that
    ffmpeg).
    """
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
    except OSError:
        return  # gone already (or no /proc: then we cannot tell it is ours, and leave it alone)
    if "ffmpeg" not in command_line or str(work_dir) not in command_line:
        return
    # It normally got SIGTERM when the server died (parent-death signal) and is finishing its segment: give it
    # time, since a second signal would make ffmpeg abandon that segment half-written.
    for signum in (None, signal.SIGTERM, signal.SIGKILL):
        if signum is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signum)  # its own process group (start_new_session): the sh wrapper and ffmpeg
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
                return
            time.sleep(0.05)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return True
