import { describe, expect, it } from "vitest";
import { addDays, apiQuery, autoGranularity, presetRange, readAnalytics, slotLabel, spanDays, today } from "../src/routes/analytics/analyticsState";
import { csvCell, csvName, toCsv } from "../src/routes/analytics/csv";
import { levelsOf, monthLabels, weekColumns, weekday } from "../src/routes/analytics/charts/heat";
import { costLabel, count, minutes, pct, seconds, short, usd } from "../src/routes/analytics/numbers";
import { activityTable, filledTokens, hourOfWeekTable, namedTable, periods, summaryTable, tokensByModelTable, type Activity, type HourOfWeek, type Summary, type Tokens } from "../src/routes/analytics/tables";

const NOW = new Date("2026-03-10T23:30:00Z");

describe("readAnalytics", () => {
  it("defaults to the last 30 days ending today in the time zone", () => {
    const s = readAnalytics(new URLSearchParams(""), NOW, "UTC");
    expect([s.from, s.to, s.tz, s.defaultRange]).toEqual(["2026-02-09", "2026-03-10", "UTC", true]);
    // 23:30 UTC is already the 11th in Tokyo
    const tokyo = readAnalytics(new URLSearchParams("tz=Asia/Tokyo"), NOW, "UTC");
    expect([tokyo.from, tokyo.to]).toEqual(["2026-02-10", "2026-03-11"]);
  });

  it("reads range, filters and the hour-of-week slot; refuses junk", () => {
    const s = readAnalytics(new URLSearchParams("from=2026-03-31&to=2026-03-01&tz=Not/AZone&project=a,b&dow=0&hour=14&include_one_shot=1"), NOW, "Europe/Paris");
    expect(s).toMatchObject({ from: "2026-03-01", to: "2026-03-31", tz: "Europe/Paris", project: ["a", "b"], dow: 0, hour: 14, includeOneShot: true, defaultRange: false });
    const bad = readAnalytics(new URLSearchParams("dow=7&hour=24&from=yesterday"), NOW, "UTC");
    expect([bad.dow, bad.hour, bad.from]).toEqual([null, null, "2026-02-09"]);
    expect(apiQuery(s)).toEqual({ from: "2026-03-01", to: "2026-03-31", timezone: "Europe/Paris", project: ["a", "b"], machine: [], agent: [], dow: 0, hour: 14, include_one_shot: true });
    expect(apiQuery({ ...s, includeOneShot: false }).include_one_shot).toBeNull();
  });

  it("does calendar arithmetic and picks the timeline's period", () => {
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2026-01-01", -1)).toBe("2025-12-31");
    expect(spanDays("2026-03-01", "2026-03-31")).toBe(31);
    expect(today("America/Los_Angeles", NOW)).toBe("2026-03-10");
    expect(presetRange(7, "UTC", NOW)).toEqual({ from: "2026-03-04", to: "2026-03-10" });
    expect(autoGranularity("2026-01-01", "2026-03-31")).toBe("day");
    expect(autoGranularity("2025-01-01", "2026-03-31")).toBe("week");
    expect(autoGranularity("2020-01-01", "2026-03-31")).toBe("month");
    expect(slotLabel(0, 14)).toBe("Mondays 14:00–15:00");
    expect(slotLabel(null, 23)).toBe("23:00–00:00");
    expect(slotLabel(6, null)).toBe("Sundays");
  });
});

describe("csv", () => {
  it("quotes per RFC 4180 and ends lines with CRLF", () => {
    expect(toCsv(["a", "b"], [["x,y", 'say "hi"'], ["line\nbreak", 3.5], [null, undefined]])).toBe('a,b\r\n"x,y","say ""hi"""\r\n"line\nbreak",3.5\r\n,\r\n');
  });

  it("defuses spreadsheet formulas in text but keeps negative numbers", () => {
    expect(csvCell("=HYPERLINK(\"https://evil\")")).toBe(`"'=HYPERLINK(""https://evil"")"`);
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-rm")).toBe("'-rm");
    expect(csvCell("@cmd")).toBe("'@cmd");
    expect(csvCell(-3)).toBe("-3");
    expect(csvCell(Number.NaN)).toBe("");
    expect(csvCell(true)).toBe("true");
  });

  it("names files after the chart and the range", () => {
    expect(csvName("Tokens by model", "2026-03-01", "2026-03-31")).toBe("av-tokens-by-model-2026-03-01-2026-03-31.csv");
    expect(csvName("Hour of week!", "a", "b")).toBe("av-hour-of-week-a-b.csv");
  });
});

describe("numbers", () => {
  it("formats dollars so small spend is not $0.00, and unpriced is never $0", () => {
    expect(usd(1234.5)).toBe("$1,234.50");
    expect(usd(0.5)).toBe("$0.500");
    expect(usd(0.00123)).toBe("$0.0012");
    expect(usd(0)).toBe("$0.00");
    expect(costLabel(null)).toBe("unpriced");
    expect(costLabel(undefined)).toBe("unpriced");
    expect(costLabel(2.5, 3)).toBe("≥ $2.50");
    expect(costLabel(2.5)).toBe("$2.50");
  });

  it("formats counts, shares and durations", () => {
    expect(count(1234567.89)).toBe("1,234,567.9");
    expect(count(null)).toBe("–");
    expect(short(999)).toBe("999");
    expect(short(1500)).toBe("1.5k");
    expect(short(2_000_000)).toBe("2M");
    expect(short(123_456_789)).toBe("123M");
    expect(pct(0.4567)).toBe("45.7%");
    expect(seconds(45)).toBe("45 s");
    expect(seconds(210)).toBe("3.5 min");
    expect(seconds(7200)).toBe("2 h");
    expect(minutes(12.4)).toBe("12 min");
    expect(minutes(150)).toBe("2.5 h");
    expect(minutes(null)).toBe("–");
  });
});

describe("heat", () => {
  it("levels values by quartiles of the non-zero ones", () => {
    expect(levelsOf([0, 1, 2, 3, 4, 0])).toEqual([0, 1, 2, 3, 4, 0]);
    expect(levelsOf([0, 0])).toEqual([0, 0]);
    expect(levelsOf([5, 5, 5])).toEqual([1, 1, 1]);
  });

  it("lays days out in Monday-first week columns with month labels", () => {
    expect(weekday("2026-03-02")).toBe(0); // a Monday
    expect(weekday("2026-03-01")).toBe(6); // a Sunday
    const days = ["2026-02-28", "2026-03-01", "2026-03-02"].map((date) => ({ date }));
    const cols = weekColumns(days);
    expect(cols).toHaveLength(2);
    expect(cols[0]?.slice(0, 5)).toEqual([null, null, null, null, null]);
    expect(cols[0]?.[5]?.date).toBe("2026-02-28");
    expect(cols[1]?.[0]?.date).toBe("2026-03-02");
    expect(monthLabels(cols)).toEqual(["Mar", null]);
  });
});

describe("tables", () => {
  const ranged = { ok: true as const, from: "2026-03-01", to: "2026-03-31", timezone: "UTC" };

  it("summary and named totals", () => {
    const summary: Summary = {
      ...ranged,
      total_sessions: 2,
      total_messages: 10,
      active_projects: 1,
      active_days: 2,
      avg_messages: 5,
      median_messages: 5,
      p90_messages: 6,
      most_active_project: "=evil",
      concentration: 1,
      agents: { codex: { sessions: 1, messages: 4 }, claude: { sessions: 1, messages: 6 } },
      machines: {},
    };
    const t = summaryTable(summary);
    expect(t.rows[0]).toEqual(["sessions", 2]);
    expect(toCsv(t.header, t.rows)).toContain("most active project,'=evil\r\n");
    expect(namedTable("agent", summary.agents).rows).toEqual([
      ["claude", 1, 6],
      ["codex", 1, 4],
    ]);
  });

  it("activity with one column per agent, busiest first", () => {
    const activity: Activity = {
      ...ranged,
      granularity: "day",
      series: [
        { date: "2026-03-01", sessions: 1, messages: 3, user_messages: 1, assistant_messages: 2, tool_calls: 0, thinking_messages: 0, by_agent: { codex: 3 } },
        { date: "2026-03-02", sessions: 1, messages: 5, user_messages: 2, assistant_messages: 3, tool_calls: 1, thinking_messages: 1, by_agent: { claude: 5 } },
      ],
    };
    const t = activityTable(activity);
    expect(t.header.slice(-2)).toEqual(["messages: claude", "messages: codex"]);
    expect(t.rows[0]).toEqual(["2026-03-01", 1, 3, 1, 2, 0, 0, 0, 3]);
  });

  it("hour of week in weekday and hour order; tokens by model name the unknown model", () => {
    const how: HourOfWeek = { ...ranged, cells: [{ day_of_week: 1, hour: 0, messages: 2 }, { day_of_week: 0, hour: 5, messages: 1 }] };
    expect(hourOfWeekTable(how).rows).toEqual([
      ["Monday", 5, 1],
      ["Tuesday", 0, 2],
    ]);
    const zero = { input_tokens: 1, output_tokens: 2, cache_creation_tokens: 3, cache_read_tokens: 4, messages: 1 };
    const tokens: Tokens = { ...ranged, totals: zero, by_model: [{ ...zero, model: "" }], by_day: [] };
    expect(tokensByModelTable(tokens).rows).toEqual([["(unknown)", 1, 2, 3, 4, 1]]);
  });
});

describe("periods and gaps", () => {
  it("lists every day, Monday or month start of a range", () => {
    expect(periods("2026-03-30", "2026-04-02", "day")).toEqual(["2026-03-30", "2026-03-31", "2026-04-01", "2026-04-02"]);
    expect(periods("2026-03-04", "2026-03-20", "week")).toEqual(["2026-03-02", "2026-03-09", "2026-03-16"]);
    expect(periods("2025-11-15", "2026-02-01", "month")).toEqual(["2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"]);
  });

  it("fills the days the API left out with zeros and keeps undated rows last", () => {
    const zero = { input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, messages: 0 };
    const tokens: Tokens = {
      ok: true,
      from: "2026-03-01",
      to: "2026-03-03",
      timezone: "UTC",
      totals: zero,
      by_model: [],
      by_day: [
        { ...zero, date: "2026-03-02", messages: 2 },
        { ...zero, date: null, messages: 1 },
      ],
    };
    expect(filledTokens(tokens, "2026-03-01", "2026-03-03").by_day.map((d) => [d.date, d.messages])).toEqual([
      ["2026-03-01", 0],
      ["2026-03-02", 2],
      ["2026-03-03", 0],
      [null, 1],
    ]);
  });
});
