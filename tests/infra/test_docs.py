"""Docs that cannot drift: every setting is documented."""

from __future__ import annotations

from pathlib import Path

from avcore.settings import IngestSettings, ViewerSettings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    fields = set(IngestSettings.model_fields) | set(ViewerSettings.model_fields)
    missing = [f"AV_{name.upper()}" for name in sorted(fields) if f"`AV_{name.upper()}`" not in text]
    assert not missing, f"docs/settings.md lacks {missing}"
