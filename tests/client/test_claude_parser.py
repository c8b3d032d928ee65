"""Unit tests for client.sources.claude, on lines built by claude_lines."""

from __future__ import annotations

from pathlib import Path

import orjson

from client.project import project_from_encoded_dir, project_from_path_text, project_name
from client.sources.claude import claude_projects_dir, discover_claude_files, parse_claude_file
from tests.client import claude_lines as cl

SID = cl.SID


def parse_lines(tmp_path: Path, lines: list, name: str = SID, **kw):
    path = cl.write(tmp_path / "-home-demo-projects-widget" / f"{name}.jsonl", lines, **kw)
    return parse_claude_file(path)


def only(tmp_path: Path, lines: list, **kw):
    sessions, problems = parse_lines(tmp_path, lines, **kw)
    assert problems == []
    assert len(sessions) == 1
    return sessions[0]


def test_basic_session_fields(tmp_path):
    s = only(
        tmp_path,
        [
            cl.snapshot("2026-01-05T09:59:00.000Z"),
            cl.user("Fix the\nlogin bug", "2026-01-05T10:00:00.000Z"),
            cl.assistant([cl.text_block("Looking.")], "2026-01-05T10:00:05.000Z"),
        ],
    )
    assert s.session_id == SID and s.agent == "claude"
    assert s.started_at == "2026-01-05T09:59:00.000Z" == s.created_at  # snapshot timestamp counts
    assert s.ended_at == "2026-01-05T10:00:05.000Z"
    assert s.cwd == cl.CWD and s.git_branch == "main"
    assert s.first_message == "Fix the login bug"
    assert [m.ordinal for m in s.messages] == [0, 1]
    assert [m.role for m in s.messages] == ["user", "assistant"]
    assert s.messages[1].model == "claude-sonnet-4-5-20250929"
    assert s.messages[1].message_key == "msg_1"
    assert s.messages[1].timestamp == "2026-01-05T10:00:05.000Z"
    assert s.relationship == "" and s.parent_session_id is None


def test_first_message_truncated_to_300(tmp_path):
    s = only(tmp_path, [cl.user("x" * 500)])
    assert s.first_message == "x" * 300


def test_fragments_merge_and_usage_counted_once(tmp_path):
    u = cl.usage(inp=3, out=1, cache_create=100, cache_read=2000)
    final = cl.usage(inp=3, out=250, cache_create=100, cache_read=2000)
    s = only(
        tmp_path,
        [
            cl.user("go"),
            cl.assistant([cl.thinking_block("plan it")], mid="msg_A", use=u),
            cl.assistant([cl.text_block("Reading the file.")], mid="msg_A", use=u),
            cl.assistant(
                [cl.tool_use_block("toolu_1", "Read", {"file_path": "/src/app.py"})], mid="msg_A", use=final
            ),
            cl.tool_result("toolu_1", "print('hi')"),
        ],
    )
    assert len(s.messages) == 2
    m = s.messages[1]
    assert m.content == "[Thinking]\nplan it\n[/Thinking]\nReading the file.\n[Read: /src/app.py]"
    assert m.has_thinking and m.has_tool_use
    assert [b["type"] for b in m.blocks] == ["thinking", "text", "tool_use"]
    assert m.blocks[0] == {"type": "thinking", "text": "plan it"}
    assert m.blocks[2] == {"type": "tool_use", "id": "toolu_1", "name": "Read"}
    # usage from the last (cumulative) fragment, once - not 3x
    assert (m.usage.input_tokens, m.usage.output_tokens) == (3, 250)
    assert (m.usage.cache_creation_tokens, m.usage.cache_read_tokens) == (100, 2000)


def test_fragments_split_by_tool_results_still_one_message(tmp_path):
    s = only(
        tmp_path,
        [
            cl.user("go"),
            cl.assistant([cl.tool_use_block("t1", "Bash", {"command": "ls"})], mid="msg_P"),
            cl.tool_result("t1", "a.py"),
            cl.assistant([cl.tool_use_block("t2", "Grep", {"pattern": "TODO"})], mid="msg_P"),
            cl.tool_result("t2", [{"type": "text", "text": "a.py:1"}, {"type": "text", "text": "b.py:2"}]),
        ],
    )
    assert len(s.messages) == 2  # tool-result-only user lines produce no message
    calls = s.messages[1].tool_calls
    assert [(c.call_index, c.tool_name, c.category) for c in calls] == [
        (0, "Bash", "bash"),
        (1, "Grep", "search"),
    ]
    assert calls[0].result_content == "a.py"
    assert calls[1].result_content == "a.py:1\nb.py:2"
    assert s.messages[1].content == "[Bash]\n$ ls\n[Grep: TODO]"


def test_cumulative_snapshot_blocks_not_duplicated(tmp_path):
    s = only(
        tmp_path,
        [
            cl.user("go"),
            cl.assistant([cl.text_block("Hel")], mid="m"),
            cl.assistant(
                [cl.text_block("Hello world"), cl.tool_use_block("t1", "Read", {"file_path": "a"})], mid="m"
            ),
            cl.assistant(
                [cl.text_block("Hello world"), cl.tool_use_block("t1", "Read", {"file_path": "a"})], mid="m"
            ),
        ],
    )
    m = s.messages[1]
    assert m.content == "Hello world\n[Read: a]"
    assert len(m.tool_calls) == 1


def test_result_many_lines_later_and_error_flag(tmp_path):
    s = only(
        tmp_path,
        [
            cl.user("go"),
            cl.assistant(
                [cl.tool_use_block("t1", "Bash", {"command": "pytest", "description": "Run tests"})]
            ),
            cl.snapshot("2026-01-05T10:00:06.000Z"),
            cl.progress("t0", "zzz"),
            cl.user("are you there?", "2026-01-05T10:00:07.000Z"),
            cl.tool_result("t1", "1 failed", is_error=True, ts="2026-01-05T10:00:09.000Z"),
        ],
    )
    call = s.messages[1].tool_calls[0]
    assert call.result_content == "1 failed" and call.result_is_error is True
    assert s.messages[1].content == "[Bash: Run tests]\n$ pytest"
    assert orjson.loads(call.input_json) == {"command": "pytest", "description": "Run tests"}
    assert [m.role for m in s.messages] == ["user", "assistant", "user"]


def test_pending_tool_call_has_no_result(tmp_path):
    s = only(tmp_path, [cl.user("go"), cl.assistant([cl.tool_use_block("t9", "Read", {"file_path": "x"})])])
    assert s.messages[1].tool_calls[0].result_content is None


def test_categories_skill_and_mcp(tmp_path):
    s = only(
        tmp_path,
        [
            cl.user("go"),
            cl.assistant(
                [
                    cl.tool_use_block("a", "Skill", {"skill": "pdf"}),
                    cl.tool_use_block("b", "mcp__github__create_issue", {"title": "x"}),
                    cl.tool_use_block("c", "WebFetch", {"url": "https://example.com"}),
                    cl.tool_use_block(
                        "d", "TodoWrite", {"todos": [{"content": "ship", "status": "pending"}]}
                    ),
                    cl.tool_use_block("e", "Frobnicate", {}),
                    cl.tool_use_block("f", "Edit", {"file_path": "a.py"}),
                    cl.tool_use_block("g", "Write", {"file_path": "b.py"}),
                ]
            ),
        ],
    )
    calls = s.messages[1].tool_calls
    assert [c.category for c in calls] == ["skill", "mcp", "web", "todo", "other", "edit", "write"]
    assert calls[0].skill_name == "pdf" and calls[1].skill_name is None
    assert "[Skill: pdf]" in s.messages[1].content and "  ○ ship" in s.messages[1].content


def test_subagent_link_via_progress(tmp_path):
    proj = tmp_path / "-home-demo-projects-widget"
    cl.write(
        proj / f"{SID}.jsonl",
        [
            cl.user("explore"),
            cl.assistant(
                [
                    cl.tool_use_block(
                        "toolu_T",
                        "Task",
                        {"description": "Explore", "prompt": "look", "subagent_type": "Explore"},
                    )
                ]
            ),
            cl.progress("toolu_T", "a1b2c3"),
            cl.tool_result("toolu_T", "found it"),
        ],
    )
    cl.write(
        proj / SID / "subagents" / "agent-a1b2c3.jsonl",
        [
            cl.user("look", isSidechain=True, agentId="a1b2c3"),
            cl.assistant([cl.text_block("done")], mid="msg_sub"),
        ],
    )
    main, _ = parse_claude_file(proj / f"{SID}.jsonl")
    call = main[0].messages[1].tool_calls[0]
    assert call.subagent_session_id == "agent-a1b2c3" and call.category == "task"
    assert main[0].messages[1].content == "[Task: Explore (Explore)]"
    sub, problems = parse_claude_file(proj / SID / "subagents" / "agent-a1b2c3.jsonl")
    assert problems == []
    assert sub[0].session_id == "agent-a1b2c3"
    assert sub[0].relationship == "subagent" and sub[0].parent_session_id == SID
    assert sub[0].parent_tool_use_id == "toolu_T"
    assert sorted(p.name for p in discover_claude_files(tmp_path)) == [f"{SID}.jsonl", "agent-a1b2c3.jsonl"]


def test_subagent_link_via_queue_operation(tmp_path):
    s = only(
        tmp_path,
        [
            cl.user("go"),
            cl.assistant(
                [
                    cl.tool_use_block("toolu_Q", "Agent", {"description": "d"}),
                    cl.tool_use_block("toolu_X", "Task", {"description": "e"}),
                ]
            ),
            cl.queue_enqueue("toolu_Q", "q1"),
            cl.queue_enqueue("toolu_X", "x9", as_xml=True),
        ],
    )
    calls = s.messages[1].tool_calls
    assert [c.subagent_session_id for c in calls] == ["agent-q1", "agent-x9"]


def test_legacy_subagent_file_links_by_session_id(tmp_path):
    proj = tmp_path / "-home-demo-projects-widget"
    cl.write(
        proj / f"{SID}.jsonl",
        [cl.user("go"), cl.assistant([cl.tool_use_block("tt", "Task", {})]), cl.queue_enqueue("tt", "leg1")],
    )
    cl.write(proj / "agent-leg1.jsonl", [cl.user("sub task"), cl.assistant([cl.text_block("ok")])])
    sub, _ = parse_claude_file(proj / "agent-leg1.jsonl")
    assert (sub[0].relationship, sub[0].parent_session_id, sub[0].parent_tool_use_id) == (
        "subagent",
        SID,
        "tt",
    )


def test_continuation(tmp_path):
    s = only(
        tmp_path,
        [cl.user("resume", sid="older-session"), cl.assistant([cl.text_block("ok")])],
        name="newer-session",
    )
    assert s.session_id == "newer-session"
    assert (s.parent_session_id, s.relationship) == ("older-session", "continuation")


def _chain(prefix: str, parent: str, turns: int, t0: int) -> list[dict]:
    lines, prev = [], parent
    for i in range(turns):
        u, a = f"{prefix}u{i}", f"{prefix}a{i}"
        lines.append(
            cl.user(f"{prefix} question {i}", f"2026-01-05T11:{t0 + i:02d}:00.000Z", uuid=u, parent=prev)
        )
        lines.append(
            cl.assistant(
                [cl.text_block(f"{prefix} answer {i}")],
                f"2026-01-05T11:{t0 + i:02d}:30.000Z",
                mid=f"msg_{a}",
                uuid=a,
                parent=u,
            )
        )
        prev = a
    return lines


def test_fork_with_long_first_branch_splits(tmp_path):
    root = [
        cl.user("start", "2026-01-05T10:00:00.000Z", uuid="r", parent=None),
        cl.assistant([cl.text_block("hi")], "2026-01-05T10:00:01.000Z", mid="msg_r", uuid="ra", parent="r"),
    ]
    lines = root + _chain("main", "ra", 4, 0) + _chain("alt", "ra", 2, 30)
    sessions, problems = parse_lines(tmp_path, lines)
    assert problems == []
    assert [s.session_id for s in sessions] == [SID, f"{SID}-altu0"]
    main, fork = sessions
    assert len(main.messages) == 2 + 8 and "alt" not in " ".join(m.content for m in main.messages)
    assert (fork.relationship, fork.parent_session_id) == ("fork", SID)
    assert [m.content for m in fork.messages] == [
        "alt question 0",
        "alt answer 0",
        "alt question 1",
        "alt answer 1",
    ]
    assert fork.started_at == "2026-01-05T11:30:00.000Z" and fork.first_message == "alt question 0"


def test_short_first_branch_is_a_retry_latest_wins(tmp_path):
    root = [
        cl.user("start", uuid="r", parent=None),
        cl.assistant([cl.text_block("hi")], mid="msg_r", uuid="ra", parent="r"),
    ]
    lines = root + _chain("old", "ra", 2, 0) + _chain("new", "ra", 2, 30)
    s = only(tmp_path, lines)
    assert [m.content for m in s.messages][2:] == [
        "new question 0",
        "new answer 0",
        "new question 1",
        "new answer 1",
    ]


def test_parallel_tool_branching_is_not_a_fork(tmp_path):
    # Real shape: results parented on their tool_use fragment, the next fragment on the previous one.
    lines = [
        cl.user("go", uuid="u", parent=None),
        cl.assistant([cl.tool_use_block("t1", "Read", {"file_path": "a"})], mid="m", uuid="a1", parent="u"),
        cl.assistant([cl.tool_use_block("t2", "Read", {"file_path": "b"})], mid="m", uuid="a2", parent="a1"),
        cl.tool_result("t1", "A", uuid="r1", parent="a1"),
        cl.tool_result("t2", "B", uuid="r2", parent="a2"),
    ]
    prev = "r2"
    for i in range(5):
        lines.append(cl.user(f"q{i}", uuid=f"q{i}", parent=prev))
        lines.append(cl.assistant([cl.text_block(f"ans{i}")], mid=f"mm{i}", uuid=f"x{i}", parent=f"q{i}"))
        prev = f"x{i}"
    s = only(tmp_path, lines)
    assert len(s.messages) == 12
    assert [c.result_content for c in s.messages[1].tool_calls] == ["A", "B"]


def test_meta_noise_and_compaction(tmp_path):
    s = only(
        tmp_path,
        [
            cl.user("Base directory for this skill: /x", isMeta=True),
            cl.user("<command-name>/clear</command-name>"),
            cl.user([cl.text_block("[Request interrupted by user]")]),
            cl.user("<local-command-stdout>ok</local-command-stdout>"),
            cl.user("real question"),
            cl.assistant([cl.text_block("answer")]),
            cl.user(
                "This session is being continued from a previous conversation.\nSummary: did X",
                isCompactSummary=True,
                isVisibleInTranscriptOnly=True,
            ),
            cl.user("next"),
        ],
    )
    assert [(m.role, m.is_system) for m in s.messages] == [
        ("user", False),
        ("assistant", False),
        ("system", True),
        ("user", False),
    ]
    assert s.messages[2].content.endswith("Summary: did X")
    assert s.first_message == "real question"


def test_no_empty_messages(tmp_path):
    s = only(
        tmp_path,
        [
            cl.user("go"),
            cl.assistant([{"type": "thinking", "thinking": "", "signature": "s"}], mid="m_empty"),
            cl.assistant([cl.text_block("ok")], mid="m2"),
        ],
    )
    assert [m.content for m in s.messages] == ["go", "ok"]


def test_malformed_middle_line_reported_rest_kept(tmp_path):
    sessions, problems = parse_lines(
        tmp_path, [cl.user("one"), '{"type": "user", oops', "[1, 2]", cl.assistant([cl.text_block("two")])]
    )
    assert [(p.line, p.reason) for p in problems] == [
        (2, "malformed JSON line"),
        (3, "line is not a JSON object"),
    ]
    assert [m.content for m in sessions[0].messages] == ["one", "two"]


def test_truncated_last_line_tolerated(tmp_path):
    for newline in (True, False):
        sessions, problems = parse_lines(
            tmp_path,
            [
                cl.user("one"),
                cl.assistant([cl.text_block("two")]),
                '{"type":"user","message":{"content":"thr',
            ],
            trailing_newline=newline,
        )
        assert problems == []
        assert [m.content for m in sessions[0].messages] == ["one", "two"]


def test_empty_and_unreadable_files(tmp_path):
    empty = tmp_path / "p" / "e.jsonl"
    empty.parent.mkdir()
    empty.write_bytes(b"")
    assert parse_claude_file(empty) == ([], [])
    sessions, problems = parse_claude_file(tmp_path / "p" / "missing.jsonl")
    assert sessions == [] and len(problems) == 1 and problems[0].line is None


def test_odd_shapes_never_raise(tmp_path):
    sessions, problems = parse_lines(
        tmp_path,
        [
            {"type": "user", "message": "error"},
            {"type": "assistant", "message": {"content": None}},
            {"type": "user", "message": {"content": ["wow", 3, {"type": "tool_result"}]}},
            {
                "type": "assistant",
                "message": {"id": 5, "content": [{"type": "tool_use", "input": "x"}], "usage": "no"},
            },
            cl.user("fine"),
        ],
    )
    assert problems == []
    assert sessions[0].messages[-1].content == "fine"


def test_projects_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("CLAUDE_PROJECTS_DIR", str(tmp_path))
    assert claude_projects_dir() == tmp_path
    monkeypatch.delenv("CLAUDE_PROJECTS_DIR")
    assert claude_projects_dir() == Path.home() / ".claude" / "projects"


def test_project_names(tmp_path):
    assert project_from_encoded_dir("-home-marco-projects-spotter") == "spotter"
    assert project_from_encoded_dir("-home-marco-projects-spotter-worktrees-spotter-4te") == "spotter"
    assert project_from_path_text("/home/marco/projects/spotter/worktrees/spotter-4te") == "spotter"
    assert project_from_path_text("/home/u/projects/spotter-worktrees/spotter-4te") == "spotter"
    assert project_from_path_text("/home/u/code/app/.claude/worktrees/feat") == "app"
    assert project_name("/no/such/dir/myrepo") == "myrepo"
    # a real worktree on disk: .git file pointing into <main>/.git/worktrees/<x>
    main = tmp_path / "mainrepo"
    (main / ".git" / "worktrees" / "wt1").mkdir(parents=True)
    wt = tmp_path / "elsewhere" / "wt1"
    (wt / "src").mkdir(parents=True)
    (wt / ".git").write_text(f"gitdir: {main / '.git' / 'worktrees' / 'wt1'}\n")
    assert project_name(str(wt / "src")) == "mainrepo"
    assert project_name(str(main)) == "mainrepo"


def test_session_project_from_worktree_cwd(tmp_path):
    line = cl.user("go")
    line["cwd"] = "/home/marco/projects/spotter/worktrees/spotter-4te"
    s = only(tmp_path, [line])
    assert s.project == "spotter"
