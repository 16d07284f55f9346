"""One local IMS per data directory: an OS lock on ``<data>/ims-local.lock`` held for the server's lifetime.

Two servers on one directory would both resume every job and run two ffmpeg per job into the same files, and
stopping either closes the other's recordings. The lock is ``flock`` (POSIX, like the rest of the local IMS's
process handling): the kernel releases it when the holder exits in any way, kill -9 included, so a crashed
server never blocks the next one. Python opens the file non-inheritable, so an ffmpeg left running by a killed
server does not keep holding it. The file also says who holds it (PID and endpoint) for the refusal's message;
that content is informational, the lock is what counts."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO

LOCK_FILE_NAME = "ims-local.lock"


class DataDirectoryInUse(OSError):
    """Another local IMS holds the data directory's lock."""

    def __init__(self, data_dir: Path, holder: dict[str, object]) -> None:
        pid = holder.get("pid", "unknown")
        endpoint = holder.get("endpoint", "an unknown port")
        super().__init__(
            f"the data directory {data_dir} is in use by another local IMS (PID {pid}, {endpoint}); "
            "stop that one or pass another --data-dir"
        )


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class DataDirectoryLock:
    """``acquire()`` or raise ``DataDirectoryInUse``; ``describe(...)`` records the holder; ``release()``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_FILE_NAME
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        # "a+" neither truncates (the holder's description stays readable) nor fails when the file is new.
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the server's life
        if not _try_lock(handle):
            handle.seek(0)
            text = handle.read()
            handle.close()
            try:
                holder = json.loads(text)
            except ValueError:
                holder = {}
            raise DataDirectoryInUse(self.data_dir, holder if isinstance(holder, dict) else {})
        self._handle = handle
        self.describe(endpoint=None)

    def describe(self, *, endpoint: str | None) -> None:
        """Write who holds the lock (this PID, and the endpoint once bound) into the lock file."""
        if self._handle is None:
            return
        holder: dict[str, object] = {"pid": os.getpid()}
        if endpoint:
            holder["endpoint"] = endpoint
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(json.dumps(holder) + "\n")
        self._handle.flush()

    def release(self) -> None:
        """Closing the file releases the lock; the file stays (removing it would race a starting server)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
