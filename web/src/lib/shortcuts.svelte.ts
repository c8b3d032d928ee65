/** The keyboard shortcut registry: every shortcut is registered with a description, so the `?`
 * help lists exactly what works. Keys are single keys ("j", "?", "Escape", "/"), two-key
 * sequences ("g a"), or a chord with Ctrl (Cmd on a Mac) written "Mod+k". Shortcuts are ignored
 * while typing in a field, except Escape and Mod chords (commands meant to work from anywhere).
 */

export interface Shortcut {
  keys: string;
  description: string;
  group: string;
  run: (event: KeyboardEvent) => void;
  /** Only active while this returns true (e.g. a session is open). */
  when?: () => boolean;
}

const SEQUENCE_TIMEOUT_MS = 1200;

export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  const type = (target as HTMLInputElement).type;
  return !["checkbox", "radio", "button", "submit", "reset", "range", "color"].includes(type);
}

export class ShortcutRegistry {
  list = $state<Shortcut[]>([]);
  private pending: string | null = null;
  private pendingAt = 0;

  register(shortcut: Shortcut): () => void {
    this.list = [...this.list, shortcut];
    return () => {
      this.list = this.list.filter((s) => s !== shortcut);
    };
  }

  /** The active shortcuts, grouped for the help dialog. */
  groups(): [string, Shortcut[]][] {
    const groups = new Map<string, Shortcut[]>();
    for (const s of this.list) {
      if (s.when && !s.when()) continue;
      groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
    }
    return [...groups.entries()];
  }

  handle(event: KeyboardEvent): boolean {
    if (event.defaultPrevented || event.altKey) return false;
    if (event.ctrlKey || event.metaKey) return this.chord(event);
    const key = event.key;
    if (key !== "Escape" && isTyping(event.target)) return false;
    const now = Date.now();
    const candidates = this.list.filter((s) => !s.when || s.when());
    if (this.pending && now - this.pendingAt < SEQUENCE_TIMEOUT_MS) {
      const sequence = `${this.pending} ${key}`;
      this.pending = null;
      const match = candidates.find((s) => s.keys === sequence);
      if (match) {
        event.preventDefault();
        match.run(event);
        return true;
      }
    }
    this.pending = null;
    const exact = candidates.find((s) => s.keys === key);
    if (exact) {
      event.preventDefault();
      exact.run(event);
      return true;
    }
    if (candidates.some((s) => s.keys.startsWith(`${key} `))) {
      this.pending = key;
      this.pendingAt = now;
      event.preventDefault();
      return true;
    }
    return false;
  }

  /** Ctrl+key or Cmd+key: only registered "Mod+…" chords are taken, the browser keeps the rest. */
  private chord(event: KeyboardEvent): boolean {
    if (event.shiftKey || event.key.length !== 1) return false;
    const keys = `Mod+${event.key.toLowerCase()}`;
    const match = this.list.find((s) => s.keys === keys && (!s.when || s.when()));
    if (!match) return false;
    this.pending = null;
    event.preventDefault();
    match.run(event);
    return true;
  }
}

/** How a key is shown in the help: "Mod+k" is "Ctrl+K", or "⌘K" on a Mac. */
export function keyLabel(key: string, mac = isMac()): string {
  if (key === "Escape") return "Esc";
  if (!key.startsWith("Mod+")) return key;
  const letter = key.slice(4).toUpperCase();
  return mac ? `⌘${letter}` : `Ctrl+${letter}`;
}

function isMac(): boolean {
  return typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

export const shortcuts = new ShortcutRegistry();
