"""Removing a recorded file's objects for DeleteLiveRecordFiles with RemoveFile (on top of ``storage``).

An m3u8 record is a playlist; removing it also removes the TS slices it references (relative URIs inside the
same bucket only), so nothing orphaned stays behind. Anything already gone counts as removed."""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote

from pulumi_ims_record.local import storage
from pulumi_ims_record.local._records import RecordFile


def playlist_segment_keys(bucket_dir: Path, playlist_key: str) -> list[str]:
    """Object keys of the media segments a playlist references, resolved against the playlist's folder."""
    try:
        text = storage.safe_object_path(bucket_dir, playlist_key).read_text(
            encoding="utf-8", errors="replace"
        )
    except (FileNotFoundError, storage.UnsafeObjectKeyError):
        return []
    folder = posixpath.dirname(playlist_key)
    keys: list[str] = []
    for line in text.splitlines():
        # The recorder percent-encodes slice URIs (':' from a time variable, spaces, non-ASCII); keys are not.
        uri = unquote(line.strip())
        if not uri or uri.startswith("#") or "://" in uri or uri.startswith("/"):
            continue
        key = posixpath.normpath(posixpath.join(folder, uri))
        if storage.validate_object_key(key) is None:
            keys.append(key)
    return keys


def remove_record_objects(bucket_dir: Path, object_key: str, record_format: str) -> None:
    """Remove a record's object (and a playlist's slices). Raises OSError when the filesystem refuses."""
    if record_format == "m3u8":
        for segment_key in playlist_segment_keys(bucket_dir, object_key):
            storage.remove_object(bucket_dir, segment_key)
    storage.remove_object(bucket_dir, object_key)


def record_size(bucket_dir: Path, record: RecordFile) -> int | None:
    """Bytes of a recorded file, a playlist with its slices; None when it is gone (deleted out of band)."""
    keys = [record.object_key]
    if record.format == "m3u8":
        keys += playlist_segment_keys(bucket_dir, record.object_key)
    total = 0
    for key in keys:
        try:
            total += storage.safe_object_path(bucket_dir, key).stat().st_size
        except (OSError, storage.UnsafeObjectKeyError):
            if key == record.object_key:
                return None
    return total
