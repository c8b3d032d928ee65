"""OpenCode reader against ../shared/corpus/opencode (agentsview's samples, format truth).

Every case folder is its own data root; SQLite cases are built from their
``build.sql`` into a copy under tmp_path. Counts were read from the SQL inserts
and JSON files: user/assistant messages with text or a tool part (system roles
and empty texts dropped), tool parts, ``state.output`` results, and the
assistant ``tokens`` (step-finish parts when present; output includes reasoning).
"""

from __future__ import annotations

import shutil

import pytest

from client.sources.opencode import SOURCE
from tests.conformance.corpus import CORPUS, Counts, build_databases, corpus_marks, summary, well_formed

ROOT = CORPUS / "opencode"
pytestmark = corpus_marks("opencode")

C = Counts
# case -> {session id: counts}
EXPECTED = {
    "sqlite-standard": {"opencode:ses_abc": C("opencode:ses_abc", 2, 1, 0, 0, 0)},
    "sqlite-token-usage": {
        "opencode:ses_usage": C("opencode:ses_usage", 3, 1, 0, 0, 0, 10370 + 1, 35 + 102, 500, 11969)
    },
    "sqlite-title-fallback": {
        "opencode:ses_empty": C("opencode:ses_empty", 1, 1, 0, 0, 0),
        "opencode:ses_default": C("opencode:ses_default", 1, 1, 0, 0, 0),
    },
    "sqlite-parent-child": {
        "opencode:ses_parent": C("opencode:ses_parent", 1, 1, 0, 0, 0),
        "opencode:ses_child": C("opencode:ses_child", 1, 1, 0, 0, 0),
    },
    "sqlite-ordinal": {"opencode:ses_ord": C("opencode:ses_ord", 3, 2, 0, 0, 0)},
    "sqlite-global-project": {"opencode:ses_global": C("opencode:ses_global", 1, 1, 0, 0, 0)},
    "sqlite-legacy-schema": {"opencode:ses_legacy": C("opencode:ses_legacy", 1, 1, 0, 0, 0)},
    "sqlite-invalid-tool": {"opencode:ses_inv": C("opencode:ses_inv", 2, 1, 1, 0, 0)},
    "sqlite-skill-tool": {"opencode:ses_skill": C("opencode:ses_skill", 2, 1, 1, 0, 0)},
    "sqlite-zero-tokens": {"opencode:ses_zero": C("opencode:ses_zero", 2, 1, 0, 0, 0)},
    "sqlite-no-tokens": {"opencode:ses_err": C("opencode:ses_err", 2, 1, 0, 0, 0)},
    "sqlite-bash-exit-1": {"opencode:ses_bexit": C("opencode:ses_bexit", 2, 1, 1, 1, 0)},
    "sqlite-bash-exit-2": {"opencode:ses_bexit": C("opencode:ses_bexit", 2, 1, 1, 1, 0)},
    "storage-session": {"opencode:ses_storage": C("opencode:ses_storage", 2, 1, 1, 0, 0, 11, 7, 3, 2)},
    "storage-step-finish": {"opencode:ses_storage": C("opencode:ses_storage", 1, 0, 0, 0, 0, 11, 7, 3, 2)},
    "storage-part-order": {"opencode:ses_storage": C("opencode:ses_storage", 1, 0, 0, 0, 0)},
    "storage-legacy-project": {"opencode:ses_legacy": C("opencode:ses_legacy", 1, 1, 0, 0, 0)},
    # Two truncated files (a message, a part) are reported and skipped; the rest is kept.
    "storage-invalid-child": {"opencode:ses_storage": C("opencode:ses_storage", 1, 1, 0, 0, 0)},
}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    root = tmp_path_factory.mktemp("opencode")
    shutil.copytree(ROOT, root, dirs_exist_ok=True)
    build_databases(root)
    out = {}
    for case in sorted(p.name for p in ROOT.iterdir() if p.is_dir()):
        sessions, problems = SOURCE.collect(root / case)
        out[case] = ({s.session_id: s for s in sessions}, problems)
    return out


def test_every_case_is_covered(parsed):
    assert sorted(parsed) == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_counts_and_tokens(parsed, case):
    sessions, problems = parsed[case]
    assert {sid: summary(s) for sid, s in sessions.items()} == EXPECTED[case]
    for s in sessions.values():
        well_formed(s)
    bad = {"storage-invalid-child": ["malformed message file", "malformed part file"]}
    assert sorted(p.reason for p in problems) == bad.get(case, [])


def test_links_titles_projects(parsed):
    child = parsed["sqlite-parent-child"][0]["opencode:ses_child"]
    assert (child.parent_session_id, child.relationship) == ("opencode:ses_parent", "subagent")
    fallback = parsed["sqlite-title-fallback"][0]
    assert fallback["opencode:ses_default"].display_name is None  # "New session - …" is a placeholder
    assert fallback["opencode:ses_default"].first_message == "Refactor the auth module"
    assert parsed["sqlite-standard"][0]["opencode:ses_abc"].display_name == "Test Session"
    glob = parsed["sqlite-global-project"][0]["opencode:ses_global"]
    assert (glob.cwd, glob.project) == ("/home/user/code/lonely-app", "lonely-app")
    legacy = parsed["storage-legacy-project"][0]["opencode:ses_legacy"]
    assert legacy.cwd == "/home/user/code/legacy-app"  # from storage/project/<id>.json


def test_tool_outcomes(parsed):
    def call(case, sid):
        (c,) = [c for m in parsed[case][0][sid].messages for c in m.tool_calls]
        return c

    assert call("sqlite-bash-exit-1", "opencode:ses_bexit").result_is_error
    assert not call("sqlite-bash-exit-2", "opencode:ses_bexit").result_is_error
    assert call("sqlite-invalid-tool", "opencode:ses_inv").result_is_error
    skill = call("sqlite-skill-tool", "opencode:ses_skill")
    assert (skill.skill_name, skill.category) == ("doc-writer", "skill")
    read = call("storage-session", "opencode:ses_storage")
    assert (read.tool_name, read.category, read.input_json) == ("read", "read", '{"file_path":"main.go"}')


def test_parts_in_time_order_and_zero_usage_is_known(parsed):
    (m,) = parsed["storage-part-order"][0]["opencode:ses_storage"].messages
    assert m.content == "first\nsecond"
    zero = parsed["sqlite-zero-tokens"][0]["opencode:ses_zero"].messages[1]
    assert zero.usage is not None and zero.usage.output_tokens == 0
    assert parsed["sqlite-no-tokens"][0]["opencode:ses_err"].messages[1].usage is None
