import { describe, expect, it, vi } from "vitest";
import { ShortcutRegistry, keyLabel } from "../src/lib/shortcuts.svelte";

function press(registry: ShortcutRegistry, init: KeyboardEventInit, target?: HTMLElement): KeyboardEvent {
  const event = new KeyboardEvent("keydown", { cancelable: true, ...init });
  if (target) Object.defineProperty(event, "target", { value: target });
  registry.handle(event);
  return event;
}

describe("Mod chords", () => {
  it("Ctrl+K and Cmd+K run a Mod+k shortcut, even while typing in a field", () => {
    const registry = new ShortcutRegistry();
    const run = vi.fn();
    registry.register({ keys: "Mod+k", group: "General", description: "Search", run });
    const input = document.createElement("input");
    expect(press(registry, { key: "k", ctrlKey: true }, input).defaultPrevented).toBe(true);
    press(registry, { key: "K", metaKey: true });
    expect(run).toHaveBeenCalledTimes(2);
  });

  it("leaves other chords to the browser and does not run plain-key shortcuts on Ctrl", () => {
    const registry = new ShortcutRegistry();
    const plain = vi.fn();
    registry.register({ keys: "k", group: "Session", description: "Previous", run: plain });
    registry.register({ keys: "Mod+k", group: "General", description: "Search", run: () => {} });
    expect(press(registry, { key: "c", ctrlKey: true }).defaultPrevented).toBe(false);
    expect(press(registry, { key: "k", ctrlKey: true, shiftKey: true }).defaultPrevented).toBe(false);
    press(registry, { key: "k", ctrlKey: true });
    expect(plain).not.toHaveBeenCalled();
  });

  it("labels keys for the help", () => {
    expect(keyLabel("Mod+k", false)).toBe("Ctrl+K");
    expect(keyLabel("Mod+k", true)).toBe("⌘K");
    expect(keyLabel("Escape")).toBe("Esc");
    expect(keyLabel("j")).toBe("j");
  });
});
