#!/usr/bin/env bash
# The second half of `make demo`: push this machine's Claude Code sessions (or a
# generated demo corpus when there are none) to the running local stack.
set -euo pipefail
eval "$(av-admin local env)"
projects="${CLAUDE_PROJECTS_DIR:-$HOME/.claude/projects}"
if [ -d "$projects" ] && find "$projects" -name '*.jsonl' -print -quit | grep -q .; then
    echo "Pushing your Claude Code sessions from $projects"
else
    data="${AV_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/av-cloud}"
    projects="$data/demo-corpus"
    echo "No Claude Code sessions on this machine; generating a demo corpus in $projects"
    python -m infra.local.demo_corpus "$projects"
fi
CLAUDE_PROJECTS_DIR="$projects" av-client push
cat <<MSG

  av-cloud is running. Open the viewer:

      $AV_VIEWER_URL

  Your browser will warn about the certificate: it comes from the local CA at
      $AV_CA_BUNDLE
  (import it into your browser to trust it, or accept the warning for localhost; Chrome then
  caches nothing from it, so every load fetches the whole page again).
  Log in with this viewer token:

      $AV_VIEWER_TOKEN

  Scripts can use it as a bearer token:
      curl --cacert "\$AV_CA_BUNDLE" -H "Authorization: Bearer \$AV_VIEWER_TOKEN" "\${AV_VIEWER_URL}api/v1/sessions"
  after: eval "\$(.venv/bin/av-admin local env)"

  Stop everything with: make down   (or .venv/bin/av-admin local down)
MSG
