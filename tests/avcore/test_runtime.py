"""A served app's start-up heap goes to the GC's permanent generation."""

from __future__ import annotations

import gc

from avcore.runtime import built_and_settled


def test_the_built_app_is_returned_and_everything_alive_is_frozen() -> None:
    # Lists, not bare object()s: those are not tracked by the collector and never count. An
    # earlier test may have frozen the heap already, so only what is new here must be added.
    built = {"routes": [[] for _ in range(1000)]}
    before = gc.get_freeze_count()
    try:
        app = built_and_settled(lambda: built)
        assert app is built
        assert gc.get_freeze_count() >= before + 1000  # at least the app's own objects
        assert all(o is not built for o in gc.get_objects(generation=2))  # collections no longer walk it
    finally:
        gc.unfreeze()
