"""A provider process ends when the Pulumi engine that started it is gone.

The CLI starts each provider plugin in a process group of its own, so a `pulumi up` killed outright (a
cancelled CI runner, `kill -9`) leaves them running: an idle native plugin has nothing that would ever end it,
and one in the middle of a deployment would go on sending calls whose answers nobody records. Both front
doors' processes (the native plugin, and the dynamic-provider host our code runs in) therefore watch their
parent: the engine starts them directly, so when it dies they are handed to another parent. Then the process
sends no new API call (``ice.stop_new_calls``), gives the calls on the wire a moment to end, and exits.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from pulumi_ims_record.ice import stop_new_calls

POLL_SECONDS = 0.5
"""How often the parent is checked: a kill is noticed within this."""
GRACE_SECONDS = 2.0
"""How long the calls on the wire may take to end after that, before the process exits anyway."""

_started = threading.Lock()
_watching = False


def watch_engine(*, poll_seconds: float = POLL_SECONDS, grace_seconds: float = GRACE_SECONDS) -> None:
    """Start, once per process, a daemon thread that ends the process when its parent (the engine) is gone."""
    global _watching
    with _started:
        if _watching:
            return
        _watching = True
    engine = os.getppid()
    thread = threading.Thread(
        target=_watch, args=(engine, poll_seconds, grace_seconds), name="ims-record-engine-watch", daemon=True
    )
    thread.start()


def _watch(engine: int, poll_seconds: float, grace_seconds: float) -> None:
    while os.getppid() == engine:
        time.sleep(poll_seconds)
    try:
        reason = f"the Pulumi engine (process {engine}) that started this provider is gone"
        still = stop_new_calls(reason, wait=grace_seconds)
        # For the engine's log, if anything still reads it: the engine read our stderr, so the pipe is
        # likely broken, and the exit must not depend on this line.
        message = f"ims-record provider: {reason}; exiting"
        print(message + (f" with {still} call(s) unanswered" if still else ""), file=sys.stderr, flush=True)
    finally:
        os._exit(1)
