"""The recorder's crash-safe progress file, ``<work_dir>/state.json``.

It holds what is needed to pick a job up after ``kill -9``: which ffmpeg runs exist and how many of their
segments
were taken in, each format's open cycle (its segments and, for m3u8, the slices already in the bucket), the
sequence counters, the last status reported, and the object keys already reported through ``on_file``.
It is rewritten atomically (temp file + fsync + rename) after every change.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pulumi_ims_record.local.storage import atomic_write_bytes

STATE_VERSION = 1
STATE_FILE_NAME = "state.json"
MAX_REMEMBERED_KEYS = 10_000

log = logging.getLogger("pulumi_ims_record.local.recorder")


@dataclass
class Segment:
    """A finished TS segment in ``<work_dir>/segments``; wall times are UTC seconds since the epoch."""

    name: str
    run: int
    duration: float
    wall_end: float

    @property
    def wall_start(self) -> float:
        return self.wall_end - self.duration


@dataclass
class Slice:
    """An m3u8 slice already written into the bucket."""

    key: str
    duration: float
    run: int
    sequence: int


@dataclass
class PendingFile:
    """A cycle file written into the bucket whose ``on_file`` may not have been delivered yet."""

    format: str
    object_key: str
    start_time: float
    end_time: float
    duration: float
    width: int
    height: int


@dataclass
class FormatState:
    """One RecordFormat: its open cycle and counters."""

    format: str
    cycle_sequence: int = 0
    slice_sequence: int = 0
    segments: list[Segment] = field(default_factory=list)
    slices: list[Slice] = field(default_factory=list)
    pending: list[PendingFile] = field(default_factory=list)

    @property
    def recorded_seconds(self) -> float:
        return sum(segment.duration for segment in self.segments)


@dataclass
class RunState:
    """One ffmpeg invocation: ``consumed`` segment-list entries were taken in; ``closed`` once it is over."""

    consumed: int = 0
    closed: bool = False


@dataclass
class JobState:
    job_id: str
    run: int = 0
    ffmpeg_pid: int | None = None
    last_status: str = "initial"
    gave_up: bool = False
    runs: dict[int, RunState] = field(default_factory=dict)
    formats: list[FormatState] = field(default_factory=list)
    emitted: list[str] = field(default_factory=list)

    def remember_emitted(self, key: str) -> None:
        self.emitted.append(key)
        del self.emitted[:-MAX_REMEMBERED_KEYS]

    # -- persistence -----------------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        document = asdict(self)
        document["version"] = STATE_VERSION
        document["runs"] = {str(number): asdict(run) for number, run in self.runs.items()}
        atomic_write_bytes(path, json.dumps(document, indent=1, sort_keys=True).encode())

    @classmethod
    def load(cls, path: Path, job_id: str, formats: list[str]) -> JobState:
        """The saved state; a fresh one when there is none, it is unreadable or it is for other formats."""
        fresh = cls(job_id=job_id, formats=[FormatState(format=name) for name in formats])
        try:
            document: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            return fresh
        except (OSError, ValueError) as error:
            log.warning("job %s: ignoring unreadable recorder state %s: %s", job_id, path, error)
            return fresh
        try:
            state = cls._from_document(document)
        except (KeyError, TypeError, ValueError) as error:
            log.warning("job %s: ignoring recorder state %s of an unknown shape: %s", job_id, path, error)
            return fresh
        if state.job_id != job_id or [item.format for item in state.formats] != formats:
            log.warning(
                "job %s: recorder state %s belongs to another job or template; starting afresh", job_id, path
            )
            return fresh
        return state

    @classmethod
    def _from_document(cls, document: dict[str, Any]) -> JobState:
        if document.get("version") != STATE_VERSION:
            raise ValueError(f"version {document.get('version')!r}")
        formats = [
            FormatState(
                format=str(item["format"]),
                cycle_sequence=int(item["cycle_sequence"]),
                slice_sequence=int(item["slice_sequence"]),
                segments=[Segment(**segment) for segment in item["segments"]],
                slices=[Slice(**slice_) for slice_ in item["slices"]],
                pending=[PendingFile(**pending) for pending in item["pending"]],
            )
            for item in document["formats"]
        ]
        return cls(
            job_id=str(document["job_id"]),
            run=int(document["run"]),
            ffmpeg_pid=None if document.get("ffmpeg_pid") is None else int(document["ffmpeg_pid"]),
            last_status=str(document["last_status"]),
            gave_up=bool(document["gave_up"]),
            runs={int(number): RunState(**run) for number, run in document["runs"].items()},
            formats=formats,
            emitted=[str(key) for key in document["emitted"]],
        )


def render_playlist(slices: Sequence[Slice], uri: Callable[[Slice], str], *, live: bool = False) -> str:
    """An HLS playlist of ``slices`` (at least one): a closed cycle's VOD playlist, or with ``live`` the open
    cycle so far (an EVENT playlist without an end, which players poll for the slices that follow)."""
    target = max(1, math.ceil(max(item.duration for item in slices)))
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-PLAYLIST-TYPE:{'EVENT' if live else 'VOD'}",
        f"#EXT-X-TARGETDURATION:{target}",
        f"#EXT-X-MEDIA-SEQUENCE:{slices[0].sequence}",
    ]
    previous_run = slices[0].run
    for item in slices:
        if item.run != previous_run:
            lines.append("#EXT-X-DISCONTINUITY")  # a new ffmpeg run: timestamps restart
            previous_run = item.run
        lines += [f"#EXTINF:{item.duration:.3f},", uri(item)]
    if not live:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def open_cycle_slices(work_dir: Path, job_id: str, formats: list[str]) -> list[Slice]:
    """The slices already in the bucket of the job's first m3u8 format's open cycle, as the recorder last
    saved them (a reader's view: the file is replaced atomically, never half written)."""
    if not (work_dir / STATE_FILE_NAME).exists():
        return []
    state = JobState.load(work_dir / STATE_FILE_NAME, job_id, formats)
    return next((list(item.slices) for item in state.formats if item.format == "m3u8"), [])
