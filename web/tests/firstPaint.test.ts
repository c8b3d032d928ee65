import { afterEach, describe, expect, it, vi } from "vitest";
import { FirstPaint } from "../src/lib/firstPaint.svelte";

/** jsdom has no IntersectionObserver: this one records what the page does with it, and never
 * reports the row in view (a deep link's target that never shows: the reader left first). */
class RecordingObserver {
  static live = new Set<RecordingObserver>();
  observed: Element[] = [];
  constructor(readonly callback: IntersectionObserverCallback) {}
  observe(target: Element): void {
    this.observed.push(target);
    RecordingObserver.live.add(this);
  }
  unobserve(): void {}
  disconnect(): void {
    RecordingObserver.live.delete(this);
  }
  takeRecords(): IntersectionObserverEntry[] {
    return [];
  }
}

afterEach(() => {
  RecordingObserver.live.clear();
  vi.unstubAllGlobals();
});

describe("FirstPaint.placed", () => {
  it("disconnects the target row's observer when the view leaves before the row showed", () => {
    vi.stubGlobal("IntersectionObserver", RecordingObserver);
    const paint = new FirstPaint("#/s/laptop%3Aa/m/40");
    const row = document.createElement("div");
    paint.placed(row);
    expect(RecordingObserver.live.size).toBe(1);
    // The session view's destroy: it gives up waiting, and nothing may keep watching the row.
    paint.markShown();
    expect(RecordingObserver.live.size).toBe(0);
    expect(paint.waiting).toBe(false);
  });

  it("keeps one observer when the view places its target again (a new page of messages)", () => {
    vi.stubGlobal("IntersectionObserver", RecordingObserver);
    const paint = new FirstPaint("#/s/laptop%3Aa/m/40");
    paint.placed(document.createElement("div"));
    paint.placed(document.createElement("div"));
    expect(RecordingObserver.live.size).toBe(1);
    paint.markShown();
    expect(RecordingObserver.live.size).toBe(0);
  });
});
