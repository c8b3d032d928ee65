"""docs/client.md lists every source with its name, agent, override variable and default locations."""

from __future__ import annotations

from pathlib import Path

from client.sources.registry import SOURCES

DOC = Path(__file__).resolve().parents[2] / "docs" / "client.md"


def _rows() -> dict[str, str]:
    text = DOC.read_text()
    table = text[text.index("<!-- sources-table") :].split("\n\n")[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = line
    return rows


def test_every_source_has_a_row_with_its_override_and_locations() -> None:
    rows = _rows()
    assert list(rows) == [s.name for s in SOURCES]
    for s in SOURCES:
        row = rows[s.name]
        assert f"| {s.label} |" in row and f"`{s.env_var}`" in row, s.name
        for loc in s.locations:
            assert f"`{loc.display()}`" in row, (s.name, loc.display())
