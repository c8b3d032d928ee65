"""Run a probe script in a fresh interpreter with a Lambda handler's environment, as the
function would start: none of this process's AV_/AWS_ settings, the placeholder DSN, production,
plus the case's own settings. The probe prints its findings as JSON on its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.openapi import PLACEHOLDER_DSN

REPO = Path(__file__).resolve().parents[2]


def probe_json(code: str, settings: dict[str, str]) -> Any:
    """The JSON the probe ``code`` printed last; fails the test with its stderr if it exited non-zero."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AV_", "AWS_"))}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "AV_DATABASE_URL": PLACEHOLDER_DSN, "AV_ENVIRONMENT": "production", **settings},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
