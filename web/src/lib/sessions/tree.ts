/** Sessions as rows for the virtual list: grouped, with children (subagents, forks,
 * continuations) under their parent, collapsible. Pure, so it is unit-tested.
 */
import type { Session } from "../api/types";
import type { GroupBy } from "./filters";

export type Row =
  | { kind: "group"; key: string; label: string; count: number; collapsed: boolean }
  | { kind: "session"; key: string; session: Session; depth: number; childCount: number; expanded: boolean; orphan: boolean };

export function parentKey(s: Session): string | null {
  return s.parent_session_id ? `${s.machine}:${s.parent_session_id}` : null;
}

function groupValue(s: Session, by: GroupBy): string {
  if (by === "project") return s.project || "(no project)";
  if (by === "agent") return s.agent || "(unknown agent)";
  if (by === "machine") return s.machine;
  return "";
}

/** True when following parents from ``s`` comes back to it (hostile or broken data). */
function inCycle(s: Session, byId: ReadonlyMap<string, Session>): boolean {
  const seen = new Set<string>([s.id]);
  let parent = parentKey(s);
  while (parent) {
    if (seen.has(parent)) return true;
    seen.add(parent);
    const next = byId.get(parent);
    parent = next ? parentKey(next) : null;
  }
  return false;
}

/**
 * @param sessions newest activity first, as the API lists them
 * @param expanded ids whose children are shown
 * @param collapsedGroups group labels that are folded
 */
export function buildRows(
  sessions: readonly Session[],
  by: GroupBy,
  expanded: ReadonlySet<string>,
  collapsedGroups: ReadonlySet<string> = new Set(),
): Row[] {
  const byId = new Map(sessions.map((s) => [s.id, s]));
  const kids = new Map<string, Session[]>();
  const roots: Session[] = [];
  for (const s of sessions) {
    const parent = parentKey(s);
    if (parent && byId.has(parent) && !inCycle(s, byId)) {
      const list = kids.get(parent) ?? [];
      list.push(s);
      kids.set(parent, list);
    } else {
      roots.push(s);
    }
  }
  // Children read in the order they happened.
  for (const list of kids.values()) {
    list.sort((a, b) => (a.started_at ?? a.created_at ?? "").localeCompare(b.started_at ?? b.created_at ?? ""));
  }

  const rows: Row[] = [];
  const seen = new Set<string>();
  const emit = (s: Session, depth: number): void => {
    if (seen.has(s.id)) return; // a cycle in hostile data must not loop
    seen.add(s.id);
    const children = kids.get(s.id) ?? [];
    const isOpen = expanded.has(s.id);
    rows.push({
      kind: "session",
      key: s.id,
      session: s,
      depth,
      childCount: children.length,
      expanded: isOpen,
      orphan: depth === 0 && parentKey(s) !== null,
    });
    if (isOpen) for (const c of children) emit(c, depth + 1);
  };

  if (by === "none") {
    for (const s of roots) emit(s, 0);
    return rows;
  }
  const groups = new Map<string, Session[]>();
  for (const s of roots) {
    const label = groupValue(s, by);
    groups.set(label, [...(groups.get(label) ?? []), s]);
  }
  for (const [label, members] of groups) {
    const collapsed = collapsedGroups.has(label);
    rows.push({ kind: "group", key: `group:${label}`, label, count: members.length, collapsed });
    if (!collapsed) for (const s of members) emit(s, 0);
  }
  return rows;
}
