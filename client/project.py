"""Project name for a session, from its working directory.

Mirrors agentsview's ``GetProjectName``: the project is the name of the git
repository root that contains ``cwd``, worktree-aware (a ``.git`` *file* that
points at ``<main>/.git/worktrees/<x>`` belongs to ``<main>``'s project). When
``cwd`` does not exist on this machine (logs copied from elsewhere, deleted
checkouts) the name is inferred from the path text alone, and when there is no
cwd at all, from Claude's encoded project directory name
(``-home-marco-projects-spotter`` -> ``spotter``).

Worktree layouts recognised from path text (no filesystem access needed):
``<repo>/worktrees/<x>``, ``<repo>/.worktrees/<x>``, ``<repo>-worktrees/<x>``,
``<repo>.worktrees/<x>`` and Claude Code's own ``<repo>/.claude/worktrees/<x>``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path, PurePosixPath

# Directory names that usually *contain* projects; the path component after the
# last of these is the project when the encoded dir name is all we have.
_CONTAINERS = frozenset(
    {
        "projects",
        "project",
        "code",
        "src",
        "dev",
        "repos",
        "repo",
        "work",
        "git",
        "github",
        "workspace",
        "workspaces",
        "Documents",
        "Developer",
        "Projects",
        "Code",
        "sources",
    }
)
_WORKTREE_DIRS = frozenset({"worktrees", ".worktrees"})


def project_name(cwd: str | None, encoded_dir: str | None = None) -> str:
    """Best project name for ``cwd``; ``encoded_dir`` is the Claude projects sub-dir name."""
    if cwd:
        return _project_from_cwd(cwd)
    if encoded_dir:
        return project_from_encoded_dir(encoded_dir)
    return ""


@lru_cache(maxsize=1024)
def _project_from_cwd(cwd: str) -> str:
    # Cached: a machine has few distinct cwds and every session asks.
    path = Path(cwd)
    try:
        if path.exists():
            name = _git_root_name(path)
            if name:
                return name
    except OSError:
        pass
    return project_from_path_text(cwd)


def _git_root_name(start: Path) -> str | None:
    for directory in (start, *start.parents):
        git = directory / ".git"
        if git.is_dir():
            return directory.name
        if git.is_file():
            return _main_repo_from_gitfile(git) or directory.name
    return None


def _main_repo_from_gitfile(gitfile: Path) -> str | None:
    """``gitdir: /x/main/.git/worktrees/wt`` -> ``main``."""
    try:
        text = gitfile.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    gitdir = Path(text[len("gitdir:") :].strip())
    if not gitdir.is_absolute():
        gitdir = (gitfile.parent / gitdir).resolve()
    parts = gitdir.parts
    if "worktrees" in parts:
        idx = len(parts) - 1 - parts[::-1].index("worktrees")
        git_dir = Path(*parts[:idx])  # <main>/.git
        if git_dir.name == ".git":
            return git_dir.parent.name
        return git_dir.name.removesuffix(".git") or None  # bare repo "main.git"
    return None


def project_from_path_text(cwd: str) -> str:
    """Infer the project from the cwd string only (the directory may not exist here)."""
    parts = [p for p in PurePosixPath(cwd.replace("\\", "/")).parts if p not in ("/", "")]
    for i, part in enumerate(parts):
        if part in _WORKTREE_DIRS and i > 0 and i + 1 < len(parts):
            prev = parts[i - 1]
            if prev == ".claude" and i > 1:  # <repo>/.claude/worktrees/<x>
                return parts[i - 2]
            return prev
        for suffix in ("-worktrees", ".worktrees", "_worktrees"):
            if part.endswith(suffix) and len(part) > len(suffix) and i + 1 < len(parts):
                return part[: -len(suffix)]
    return parts[-1] if parts else ""


def project_from_encoded_dir(name: str) -> str:
    """``-home-marco-projects-spotter-worktrees-spotter-4te`` -> ``spotter``.

    The encoding turns every ``/`` (and ``.``) into ``-``, so hyphens inside a
    project name are ambiguous; everything after the last container directory
    (``projects``, ``code``...) is taken as the name, stopping at a worktrees marker.
    """
    tokens = [t for t in name.strip("-").split("-") if t]
    if not tokens:
        return ""
    start = 0
    for i, tok in enumerate(tokens):
        if tok in _CONTAINERS and i + 1 < len(tokens):
            start = i + 1
            break
    else:
        # /home/<user>/<proj> or /Users/<user>/<proj>: skip the two home tokens.
        if tokens[0] in ("home", "Users") and len(tokens) > 2:
            start = 2
    rest = tokens[start:]
    if "worktrees" in rest:
        head = rest[: rest.index("worktrees")]
        if head and head[-1] == "claude":  # "<repo>/.claude/worktrees" encodes as "-claude-"
            head = head[:-1]
        if head:
            return "-".join(head)
    return "-".join(rest)
