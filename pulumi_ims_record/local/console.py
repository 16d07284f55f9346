"""The local IMS console: a read-only web page over the same state the API serves.

``/_console/`` is a static page (HTML, JS and CSS from this package, the HLS player vendored from npm: no
network needed) that reads ``/_console/api/state`` and plays recordings from ``/_buckets/``, and a recording
job's open cycle from ``/_console/live/<JobId>.m3u8`` (its slices so far, growing). It is served to
loopback clients only, like the admin API, and changes nothing. Everything the page shows comes from the
JSON as data; the page puts it in the DOM as text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pulumi_ims_record.local._bucket_files import record_size
from pulumi_ims_record.local._rec_state import Slice, open_cycle_slices, render_playlist
from pulumi_ims_record.local._records import Job, Template
from pulumi_ims_record.local.models import Backend, render_waiting
from pulumi_ims_record.local.recorder import masked_url

PREFIX = "/_console"
STATE_PATH = f"{PREFIX}/api/state"
LIVE_PREFIX = f"{PREFIX}/live/"
LIVE_SUFFIX = ".m3u8"
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
STATIC_DIR = Path(__file__).with_name("console")


@dataclass(frozen=True)
class Asset:
    file: str
    content_type: str


# Every file the console serves, by URL path: a fixed table, so no request path ever reaches the filesystem.
ASSETS: dict[str, Asset] = {
    f"{PREFIX}/": Asset("index.html", "text/html; charset=utf-8"),
    f"{PREFIX}/console.js": Asset("console.js", "text/javascript; charset=utf-8"),
    f"{PREFIX}/console.css": Asset("console.css", "text/css; charset=utf-8"),
    f"{PREFIX}/vendor/hls.light.min.js": Asset("vendor/hls.light.min.js", "text/javascript; charset=utf-8"),
    f"{PREFIX}/vendor/hls.js.LICENSE": Asset("vendor/hls.js.LICENSE", "text/plain; charset=utf-8"),
}

SECURITY_HEADERS = {
    # Scripts and styles from this server only (no inline script: a name that slipped into markup could not
    # run); media from this server and the player's blob: URLs.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self' blob:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def asset(path: str) -> tuple[bytes, str] | None:
    """The body and content type of a console file, or None when ``path`` is not one."""
    found = ASSETS.get(f"{PREFIX}/" if path == PREFIX else path)
    if found is None:
        return None
    return (STATIC_DIR / found.file).read_bytes(), found.content_type


def file_url(bucket: str, object_key: str) -> str:
    return f"/_buckets/{quote(bucket, safe='')}/{quote(object_key, safe='/')}"


def _template(template: Template) -> dict[str, Any]:
    return {
        "id": template.template_id,
        "name": template.name,
        "type": template.type,
        "createTime": template.create_time,
        "lastModified": template.last_modified,
        "formats": [
            {
                "format": entry.format,
                "ossObjectPrefix": entry.oss_object_prefix,
                "sliceOssObjectPrefix": entry.slice_oss_object_prefix,
                "sliceDuration": entry.slice_duration,
                "cycleDuration": entry.cycle_duration,
            }
            for entry in template.formats
        ],
    }


def _open_slices(backend: Backend, job: Job) -> list[Slice]:
    """What is recorded of the job's open HLS cycle so far (nothing once the job gave up)."""
    if job.gave_up:
        return []
    formats = [entry.format for entry in job.template_snapshot.formats]
    return open_cycle_slices(backend.work_dir(job.job_id), job.job_id, formats)


def live_playlist(backend: Backend, job_id: str) -> str | None:
    """The open cycle of a recording job as a live (EVENT) playlist of its slices in the bucket, which the
    player polls as it grows; None for an unknown job or one with nothing recorded in its open cycle."""
    job = backend.db.get_job(job_id)
    slices = _open_slices(backend, job) if job is not None else []
    if job is None or not slices:
        return None
    return render_playlist(slices, lambda item: file_url(job.bucket, item.key), live=True)


FILES_SHOWN = 20
"""Recordings listed per job, newest first: a job recording 20-second cycles for a day has thousands
(ListLiveRecordFiles, and the bucket, have them all)."""


def _job(backend: Backend, job: Job, file_counts: dict[str, int]) -> dict[str, Any]:
    bucket_dir = backend.bucket_dir(job.bucket)
    open_slices = _open_slices(backend, job)
    return {
        "id": job.job_id,
        "name": job.name,
        "status": job.status,
        "gaveUp": job.gave_up,
        "waiting": render_waiting(backend.recorder.waiting(job.job_id)),
        "stream": masked_url(job.stream_url),
        "bucket": job.bucket,
        "endpoint": job.endpoint,
        "templateId": job.template_id,
        "templateName": job.template_name,
        "createTime": job.create_time,
        "live": (
            {
                "url": f"{LIVE_PREFIX}{quote(job.job_id, safe='')}{LIVE_SUFFIX}",
                "slices": len(open_slices),
                "seconds": sum(item.duration for item in open_slices),
            }
            if open_slices
            else None
        ),
        "events": [
            {"time": event.time, "status": event.status, "gaveUp": event.gave_up}
            for event in backend.db.job_events(job.job_id)
        ],
        "files": [
            {
                "recordId": record.record_id,
                "format": record.format,
                "objectKey": record.object_key,
                "url": file_url(record.bucket, record.object_key),
                "size": record_size(bucket_dir, record),
                "duration": record.duration,
                "width": record.width,
                "height": record.height,
                "startTime": record.start_time,
                "endTime": record.end_time,
            }
            for record in backend.db.newest_files_of_job(job.job_id, FILES_SHOWN)
        ],
        "filesTotal": file_counts.get(job.job_id, 0),
    }


def state(backend: Backend) -> dict[str, Any]:
    """Everything the page shows: templates, then jobs (newest first) with their events and their newest
    files (``FILES_SHOWN`` at most, newest first; ``filesTotal`` says how many there are)."""
    file_counts = backend.db.file_counts()
    return {
        "templates": [_template(template) for template in backend.db.every_template()],
        "jobs": [_job(backend, job, file_counts) for job in backend.db.every_job()],
    }
