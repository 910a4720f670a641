"""No cyclic garbage collection while a large model is read or assessed. No Sphinx import."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a large model is read or assessed.

    Reading 50,000 needs creates millions of dicts, lists and objects; CPython collects
    every 700 new ones, and its full collections walk every live object: half of the
    time ``json.loads`` takes on such a file, and more in the model. Nothing made here
    holds a reference cycle, so reference counting frees all of it just the same.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            # what survives (the model) moves to the oldest generation, where it would
            # have gone after two collections that each walk all of it (0.15 s at
            # 50,000 needs): freeze() then unfreeze() moves it there without a walk
            gc.freeze()
            gc.unfreeze()
        gc.enable()
