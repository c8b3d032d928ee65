"""``web_bench.py --against SITE``: this tree's viewer app serving another built page.

The server process imports this module as its app factory (bench/web_servers.py swaps it for
``viewer_fn.app:serving_app`` in the local stack's command): the same app, whose page files are
read from ``AV_BENCH_SITE`` (a copy of another commit's ``viewer_fn/site``) instead of its own.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from viewer_fn import app, static_files


def serving_app() -> FastAPI:
    site = Path(os.environ["AV_BENCH_SITE"])
    static_files._site = lambda: site  # a Path is a Traversable
    static_files.static_asset.cache_clear()
    static_files.index_page.cache_clear()
    return app.serving_app()
