"""A workaround for the Pulumi Python SDK (3.272.0), applied around every dynamic resource we construct.

``pulumi.dynamic.serialize_provider`` wraps ``pickle._Pickler._batch_setitems`` in a sorting wrapper on every
call and never restores it, so each dynamic resource adds one more wrapper level; around the 980th resource in
one program, pickling the next provider fails with ``RecursionError``. Restoring the original before each
construction keeps the wrapper one level deep, and the sorted (deterministic) pickles are unchanged.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager

_ORIGINAL_BATCH_SETITEMS = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]


@contextmanager
def unnested_provider_pickling() -> Iterator[None]:
    pickle._Pickler._batch_setitems = _ORIGINAL_BATCH_SETITEMS  # type: ignore[attr-defined]
    try:
        yield
    finally:
        pickle._Pickler._batch_setitems = _ORIGINAL_BATCH_SETITEMS  # type: ignore[attr-defined]
