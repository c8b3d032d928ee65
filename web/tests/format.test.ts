import { afterEach, describe, expect, it, vi } from "vitest";
import { absoluteTime, exactTime, grouped, plural } from "../src/lib/format";

describe("grouped", () => {
  it("groups integers exactly as Intl's en-US format does", () => {
    const intl = new Intl.NumberFormat("en-US");
    const samples = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 9999, 10000, 123456, 1000000, 4000, 5000, 987654321, Number.MAX_SAFE_INTEGER];
    for (let n = 0; n < 200; n++) samples.push(Math.floor(Math.random() * 10 ** (1 + (n % 15))));
    for (const n of samples) {
      expect(grouped(n)).toBe(intl.format(n));
      expect(grouped(-n)).toBe(intl.format(-n).replace("-0", "0"));
    }
  });

  it("writes what is not a safe integer as String does", () => {
    expect(grouped(1.5)).toBe("1.5");
    expect(grouped(Number.NaN)).toBe("NaN");
    expect(grouped(1e21)).toBe("1e+21");
  });

  it("makes plurals with grouped counts", () => {
    expect(plural(1, "message")).toBe("1 message");
    expect(plural(5000, "message")).toBe("5,000 messages");
    expect(plural(2, "child", "children")).toBe("2 children");
  });
});

describe("times", () => {
  // Node reads TZ again whenever it is set: the same page, in another time zone.
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("shows a time on the reader's clock as YYYY-MM-DD HH:MM", () => {
    vi.stubEnv("TZ", "America/New_York");
    expect(absoluteTime("2026-12-07T03:04:05Z")).toBe("2026-12-06 22:04");
    vi.stubEnv("TZ", "Asia/Kolkata");
    expect(absoluteTime("2026-12-07T03:04:05Z")).toBe("2026-12-07 08:34");
    vi.stubEnv("TZ", "UTC");
    expect(absoluteTime("2026-01-02T00:00:00.999Z")).toBe("2026-01-02 00:00");
  });

  it("gives the tooltip's exact time with its offset from UTC", () => {
    vi.stubEnv("TZ", "Asia/Kolkata");
    expect(exactTime("2026-12-07T03:04:05Z")).toBe("2026-12-07 08:34:05 UTC+05:30");
    vi.stubEnv("TZ", "America/New_York");
    expect(exactTime("2026-07-01T12:00:09Z")).toBe("2026-07-01 08:00:09 UTC-04:00");
  });

  it("shows nothing for a missing or unreadable time", () => {
    expect(absoluteTime(null)).toBe("");
    expect(absoluteTime("")).toBe("");
    expect(absoluteTime("not a time")).toBe("");
    expect(exactTime("not a time")).toBe("");
  });
});
