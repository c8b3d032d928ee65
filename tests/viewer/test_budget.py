"""Pages end by bytes: every list walks to its end in pages under the byte budget, each row once."""

from __future__ import annotations

import pytest

from tests.apps import make_session
from viewer_fn import budget
from viewer_fn.models import MinimapEntry


def test_fitting_counts_bytes_and_always_moves_forward() -> None:
    rows = [
        MinimapEntry(ordinal=i, role="user", content_length=0, has_thinking=False, has_tool_use=False)
        for i in range(10)
    ]
    one = budget.json_size(rows[0]) + 1
    assert budget.fitting(rows, 3 * one) == 3
    assert budget.fitting(rows, 3 * one - 1) == 2
    assert budget.fitting(rows, 1) == 1  # a page always holds one row
    assert budget.fitting(rows, 10**9) == 10


@pytest.mark.parametrize("path", ["/api/v1/sessions", "/api/v1/projects", "/api/v1/search"])
def test_lists_page_by_bytes(apps, monkeypatch, path) -> None:
    sessions = [
        make_session(
            f"s{i:02d}",
            messages=4,
            project=f"project-{i:02d}-" + "p" * 300,
            started=f"2026-11-{i + 1:02d}T10:00:00Z",
        )
        for i in range(12)
    ]
    assert all(r["status"] == "applied" for r in apps.push(*sessions).json()["results"])
    params = {"limit": 500, **({"q": "message"} if "search" in path else {})}
    whole = apps.view(path, **params).json()
    assert whole["next"] is None
    monkeypatch.setattr(budget, "ROWS_BUDGET_BYTES", 3 * len(str(whole["rows"][0])))  # ~3 rows a page
    seen, page, pages = [], apps.view(path, **params).json(), 1
    while True:
        seen += page["rows"]
        if not page["next_url"]:
            break
        page = apps.viewer.get(
            page["next_url"], headers={"Authorization": f"Bearer {apps.viewer_token}"}
        ).json()
        pages += 1
        assert pages < 100
    assert seen == whole["rows"] and pages >= 4
