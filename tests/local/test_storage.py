"""Buckets, safe object paths, prefix variables and validation (pure / filesystem only: fast)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_ims_record.api import rules
from pulumi_ims_record.local import storage
from pulumi_ims_record.local.storage import UnsafeObjectKeyError

START = datetime(2022, 7, 20, 2, 48, 58, tzinfo=timezone.utc)
END = START + timedelta(minutes=6)


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    path = tmp_path / "buckets" / "bucket-1"
    path.mkdir(parents=True)
    return path


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../escape.mp4",
        "record/../../escape.mp4",
        "record/..",
        "./record.mp4",
        "/etc/passwd",
        "record\\..\\escape.mp4",
        "record/\x00.mp4",
        "record/\n.mp4",
        "record//a.mp4",
        "record/",
        "a" * 1024,
    ],
)
def test_unsafe_keys_are_refused_with_the_reason(bucket: Path, key: str) -> None:
    with pytest.raises(UnsafeObjectKeyError, match="unsafe object key"):
        storage.safe_object_path(bucket, key)
    assert storage.validate_object_key(key) is not None


@pytest.mark.parametrize(
    "key", ["a.mp4", "record/job/0_2022-07-20T02:48:58Z.mp4", "x/y/z/..a.ts", "中文/名.m3u8"]
)
def test_safe_keys_stay_inside_the_bucket(bucket: Path, key: str) -> None:
    path = storage.safe_object_path(bucket, key)
    assert path == bucket.resolve().joinpath(*key.split("/"))


def test_a_symlinked_directory_leading_outside_is_refused(bucket: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (bucket / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafeObjectKeyError, match="outside its bucket"):
        storage.safe_object_path(bucket, "link/file.mp4")


def test_a_symlinked_file_leading_outside_is_refused(bucket: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    (bucket / "file.mp4").symlink_to(secret)
    with pytest.raises(UnsafeObjectKeyError):
        storage.safe_object_path(bucket, "file.mp4")


def test_a_symlink_within_the_bucket_is_fine(bucket: Path) -> None:
    (bucket / "real").mkdir()
    (bucket / "alias").symlink_to(bucket / "real", target_is_directory=True)
    assert storage.safe_object_path(bucket, "alias/a.ts").name == "a.ts"


@settings(max_examples=300, deadline=None)
@given(key=st.text(max_size=40))
def test_any_key_is_refused_or_lands_inside_the_bucket(
    tmp_path_factory: pytest.TempPathFactory, key: str
) -> None:
    root = tmp_path_factory.getbasetemp() / "hypothesis-bucket"
    root.mkdir(exist_ok=True)
    try:
        path = storage.safe_object_path(root, key)
    except UnsafeObjectKeyError:
        return
    resolved = path.resolve()
    assert root.resolve() in resolved.parents


@pytest.mark.parametrize(
    ("name", "valid"),
    [("bucket-1", True), ("abc", True), ("ab", False), ("Bucket", False), ("-abc", False), ("../x", False)],
)
def test_bucket_names(name: str, valid: bool) -> None:
    assert (storage.validate_bucket_name(name) is None) is valid


def test_file_variables_use_utc_and_the_documented_formats() -> None:
    shanghai = timezone(timedelta(hours=8))
    values = storage.file_variables(job_id="j1", sequence=3, start=START.astimezone(shanghai), end=END)
    assert values == {
        "JobId": "j1",
        "Sequence": "3",
        "StartTime": "2022-07-20T02:48:58Z",
        "EndTime": "2022-07-20T02:54:58Z",
        "EscapedStartTime": "2022-07-20-02-48-58",
        "EscapedEndTime": "2022-07-20-02-54-58",
        "UnixTimestamp": "1658285338",
    }
    prefix = "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}"
    expanded = storage.expand_prefix(prefix, values)
    assert storage.object_key(expanded, "m3u8") == "record/j1/3_2022-07-20-02-48-58_2022-07-20-02-54-58.m3u8"


def test_slice_variables_and_extensions() -> None:
    values = storage.slice_variables(job_id="j1", sequence=12, start=START)
    key = storage.object_key(storage.expand_prefix("record/{JobId}/{UnixTimestamp}_{Sequence}", values), "ts")
    assert key == "record/j1/1658285338_12.ts"
    assert storage.object_key("a", "mp4") == "a.mp4" and storage.object_key("a.flv", "flv") == "a.flv.flv"
    with pytest.raises(ValueError, match="unknown recording extension"):
        storage.object_key("a", "avi")
    with pytest.raises(KeyError, match="StartTime"):
        storage.expand_prefix("{StartTime}", values)
    with pytest.raises(ValueError, match="timezone-aware"):
        storage.format_time(datetime(2022, 1, 1))  # naive: refused


@pytest.mark.parametrize(
    ("prefix", "error"),
    [
        (rules.DEFAULT_OSS_OBJECT_PREFIX, None),
        ("record/{JobId}/{Sequence}{EscapedStartTime}{EscapedEndTime}", None),
        ("{StartTime}-{EndTime}", None),
        ("{EscapedStartTime}-{EndTime}", None),
        ("record/{JobId}/{EscapedStartTime}", "must contain {EndTime} or {EscapedEndTime}"),
        ("record/{JobId}/{EndTime}", "must contain {StartTime} or {EscapedStartTime}"),
        ("{StartTime}{EndTime}{UnixTimestamp}", "unsupported variable {UnixTimestamp}"),
        ("{StartTime}{EndTime}{AppName}", "unsupported variable {AppName}"),
        ("{StartTime}{EndTime}{", "unmatched"),
        ("{StartTime}{EndTime}}", "unmatched"),
        ("", "non-empty"),
        ("../{StartTime}{EndTime}", "safe object"),
        ("/abs/{StartTime}{EndTime}", "safe object"),
        ("a\\{StartTime}{EndTime}", "safe object"),
        ("{StartTime}{EndTime}" + "a" * 235, None),  # 255 bytes
        ("{StartTime}{EndTime}" + "a" * 236, "shorter than 256 bytes"),  # 256 bytes
        ("{StartTime}{EndTime}" + "é" * 118, "shorter than 256 bytes"),  # 256 bytes, 138 characters
    ],
)
def test_oss_object_prefix_validation(prefix: str, error: str | None) -> None:
    result = rules.oss_object_prefix_rule(prefix)
    assert result is None if error is None else (result is not None and error in result)


@pytest.mark.parametrize(
    ("prefix", "error"),
    [
        (rules.DEFAULT_SLICE_OSS_OBJECT_PREFIX, None),
        ("{UnixTimestamp}_{Sequence}", None),
        ("record/{JobId}/{Sequence}", "must contain {UnixTimestamp}"),
        ("record/{JobId}/{UnixTimestamp}", "must contain {Sequence}"),
        ("{UnixTimestamp}_{Sequence}_{StartTime}", "unsupported variable {StartTime}"),
        ("../{UnixTimestamp}_{Sequence}", "safe object"),
        ("{UnixTimestamp}{Sequence}" + "a" * 231, "shorter than 256 bytes"),
    ],
)
def test_slice_prefix_validation(prefix: str, error: str | None) -> None:
    result = rules.slice_prefix_rule(prefix)
    assert result is None if error is None else (result is not None and error in result)


def test_atomic_write_leaves_no_temporary_files(bucket: Path) -> None:
    target = storage.safe_object_path(bucket, "a/b/playlist.m3u8")
    storage.atomic_write_bytes(target, b"one")
    storage.atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(path.name for path in target.parent.iterdir()) == ["playlist.m3u8"]


def test_install_file_moves_or_links(bucket: Path, tmp_path: Path) -> None:
    source = tmp_path / "segment.ts"
    source.write_bytes(b"ts")
    kept = storage.safe_object_path(bucket, "slices/1.ts")
    storage.install_file(source, kept, keep_source=True)
    assert source.exists() and kept.read_bytes() == b"ts"
    moved = storage.safe_object_path(bucket, "files/1.mp4")
    storage.install_file(source, moved)
    assert not source.exists() and moved.read_bytes() == b"ts"
    assert not [path for path in bucket.rglob(".*")]


def test_remove_object_deletes_the_file_and_empty_directories(bucket: Path) -> None:
    storage.atomic_write_bytes(storage.safe_object_path(bucket, "record/job/a.mp4"), b"x")
    storage.atomic_write_bytes(storage.safe_object_path(bucket, "record/other/b.mp4"), b"y")
    assert storage.remove_object(bucket, "record/job/a.mp4") is True
    assert storage.remove_object(bucket, "record/job/a.mp4") is False
    assert not (bucket / "record" / "job").exists()
    assert (bucket / "record" / "other" / "b.mp4").exists() and bucket.exists()
    with pytest.raises(UnsafeObjectKeyError):
        storage.remove_object(bucket, "../../etc/passwd")
    assert os.path.exists(bucket)


def test_directory_size_counts_a_file_with_two_names_once_as_du_does(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "bucket").mkdir()
    (tmp_path / "work" / "slice.ts").write_bytes(b"\0" * 100_000)
    os.link(tmp_path / "work" / "slice.ts", tmp_path / "bucket" / "slice.ts")  # as the recorder publishes
    (tmp_path / "bucket" / "index.m3u8").write_bytes(b"\0" * 1_000)
    os.symlink(tmp_path / "work" / "slice.ts", tmp_path / "bucket" / "link.ts")  # not followed
    assert storage.directory_size(tmp_path) == 101_000
