"""ffprobe and ffmpeg helpers: what a recorded file really contains, and joining TS segments into one file."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FFPROBE_TIMEOUT = 30.0


class MediaError(RuntimeError):
    """ffprobe/ffmpeg is missing or could not read or write a media file."""


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    width: int
    height: int
    format_name: str
    codecs: tuple[str, ...]


def require_tool(name: str) -> str:
    """The absolute path of ``name`` (ffmpeg, ffprobe) or a :class:`MediaError` that says what to install."""
    path = shutil.which(name)
    if path is None:
        raise MediaError(f"{name} was not found on PATH; install it (Debian/Ubuntu: apt-get install ffmpeg)")
    return path


def probe_info(path: Path, *, timeout: float = FFPROBE_TIMEOUT) -> MediaInfo:
    """Duration (seconds), the first video stream's size (0x0 without video), container and codec names."""
    command = [
        require_tool("ffprobe"),
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        str(path),
    ]
    try:
        completed = subprocess.run(
            command, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as error:
        raise MediaError(f"ffprobe did not finish within {timeout:.0f} s on {path}") from error
    if completed.returncode != 0:
        detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MediaError(
            f"ffprobe could not read {path}: {detail[-1] if detail else 'exit ' + str(completed.returncode)}"
        )
    try:
        report: dict[str, Any] = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise MediaError(f"ffprobe printed no JSON for {path}") from error
    container = report.get("format") or {}
    streams: list[dict[str, Any]] = list(report.get("streams") or [])
    video = next((stream for stream in streams if stream.get("codec_type") == "video"), None)
    duration = _float(container.get("duration"))
    if duration is None:
        durations = [_float(stream.get("duration")) for stream in streams]
        duration = max((value for value in durations if value is not None), default=0.0)
    return MediaInfo(
        duration=duration,
        width=int(video.get("width") or 0) if video else 0,
        height=int(video.get("height") or 0) if video else 0,
        format_name=str(container.get("format_name") or ""),
        codecs=tuple(str(stream.get("codec_name") or "") for stream in streams),
    )


def probe(path: Path) -> tuple[float, int, int]:
    """``(duration seconds, width, height)`` of a media file (ffprobe); :class:`MediaError` if unreadable."""
    info = probe_info(path)
    return info.duration, info.width, info.height


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def concat_segments(segments: list[Path], output: Path, *, container: str, timeout: float = 600.0) -> None:
    """Join TS ``segments`` into ``output`` (``mp4`` or ``flv``): concat demuxer, no re-encoding."""
    if not segments:
        raise MediaError("no segments to join")
    listing = output.with_name(output.name + ".concat.txt")
    listing.write_text("".join(f"file '{_concat_quote(segment.resolve())}'\n" for segment in segments))
    command = [
        require_tool("ffmpeg"),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        str(listing),
        "-map",
        "0",
        "-c",
        "copy",
    ]
    if container == "mp4":
        command += ["-movflags", "+faststart", "-f", "mp4"]
    elif container == "flv":
        command += ["-f", "flv"]
    else:
        raise ValueError(f"cannot join segments into {container!r}")
    command.append(str(output))
    try:
        completed = subprocess.run(
            command, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as error:
        raise MediaError(f"ffmpeg did not join {len(segments)} segments within {timeout:.0f} s") from error
    finally:
        listing.unlink(missing_ok=True)
    if completed.returncode != 0 or not output.exists():
        detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MediaError(
            f"ffmpeg could not join segments into {output.name}: {detail[-1] if detail else 'no output'}"
        )


def _concat_quote(path: Path) -> str:
    # The concat demuxer's quoting: a single quote is written as '\'' inside a quoted string.
    return str(path).replace("'", "'\\''")
