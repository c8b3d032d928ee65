import { describe, expect, it } from "vitest";
import { bars, costByDayTable, costByModelTable, costByNameTable, costSessionsTable, costTotalsTable, filledCost, priceSource, type Cost, type CostRow } from "../src/routes/analytics/costTables";
import { toCsv } from "../src/routes/analytics/csv";
import { usdShort } from "../src/routes/analytics/numbers";

const row = (usd: number | null, messages: number, unpriced: number, tokens: [number, number, number, number]): CostRow => ({
  usd,
  messages,
  unpriced_messages: unpriced,
  input_tokens: tokens[0],
  output_tokens: tokens[1],
  cache_creation_tokens: tokens[2],
  cache_read_tokens: tokens[3],
});

const COST: Cost = {
  ok: true,
  from: "2026-03-01",
  to: "2026-03-04",
  timezone: "UTC",
  currency: "USD",
  prices: { source: "genai-prices", version: "0.2.5", as_of: "2026-11-03" },
  totals: row(0.018, 3, 1, [2200, 370, 2000, 5000]),
  by_model: [
    { model: "claude-sonnet-4-5", priced: true, ...row(0.018, 2, 0, [1500, 300, 2000, 5000]) },
    { model: "=HYPERLINK(1)", priced: false, ...row(null, 1, 1, [700, 70, 0, 0]) },
  ],
  by_day: [
    { date: "2026-03-02", ...row(0.018, 2, 0, [1500, 300, 2000, 5000]) },
    { date: "2026-03-04", ...row(null, 1, 1, [700, 70, 0, 0]) },
  ],
  by_project: [{ name: "alpha", ...row(0.018, 3, 1, [2200, 370, 2000, 5000]) }],
  by_machine: [
    { name: "laptop", ...row(0.018, 2, 0, [1500, 300, 2000, 5000]) },
    { name: "desktop", ...row(null, 1, 1, [700, 70, 0, 0]) },
  ],
  top_sessions: [{ id: "laptop:a", project: "alpha", first_message: "hi, there", ...row(0.018, 2, 0, [1500, 300, 2000, 5000]) }],
  unpriced: [{ model: "=HYPERLINK(1)", messages: 1, input_tokens: 700, output_tokens: 70, cache_creation_tokens: 0, cache_read_tokens: 0 }],
};

const HEAD = "usd,responses,unpriced responses,input tokens,output tokens,cache write tokens,cache read tokens";

describe("usdShort", () => {
  it("keeps three significant digits so small spend stays readable", () => {
    expect([usdShort(0), usdShort(0.00625), usdShort(0.018), usdShort(0.005), usdShort(12.345), usdShort(1234.5)]).toEqual(["$0", "$0.00625", "$0.018", "$0.005", "$12.3", "$1.2k"]);
  });
});

describe("cost tables", () => {
  it("write an unknown price as 'unpriced', never 0, and neutralise formula-like names", () => {
    expect(toCsv(costByModelTable(COST).header, costByModelTable(COST).rows)).toBe(
      `model,${HEAD}\r\nclaude-sonnet-4-5,0.018,2,0,1500,300,2000,5000\r\n'=HYPERLINK(1),unpriced,1,1,700,70,0,0\r\n`,
    );
    const machines = costByNameTable("machine", COST.by_machine);
    expect(machines.rows.map((r) => r[1])).toEqual([0.018, "unpriced"]);
    expect(bars(COST.by_machine)).toEqual([0.018, null]);
  });

  it("list the totals with each unpriced model's tokens", () => {
    const t = costTotalsTable(COST);
    expect(t.rows).toEqual([
      ["all", 0.018, 3, 1, 2200, 370, 2000, 5000],
      ["unpriced model: =HYPERLINK(1)", "unpriced", 1, 1, 700, 70, 0, 0],
    ]);
  });

  it("give every day of the range, a day without usage at $0", () => {
    const days = filledCost(COST, "2026-03-01", "2026-03-04").by_day;
    expect(days.map((d) => [d.date, d.usd])).toEqual([
      ["2026-03-01", 0],
      ["2026-03-02", 0.018],
      ["2026-03-03", 0],
      ["2026-03-04", null],
    ]);
    expect(costByDayTable({ ...COST, by_day: days }).rows[3]?.[1]).toBe("unpriced");
  });

  it("keep sessions' ids and titles, and name the price table and its date", () => {
    expect(toCsv(costSessionsTable(COST).header, costSessionsTable(COST).rows)).toBe(`session,project,first message,${HEAD}\r\nlaptop:a,alpha,"hi, there",0.018,2,0,1500,300,2000,5000\r\n`);
    expect(priceSource(COST)).toBe("Prices: genai-prices 0.2.5, table checked up to 2026-11-03");
    expect(priceSource({ ...COST, prices: { ...COST.prices, as_of: null } })).toBe("Prices: genai-prices 0.2.5, table date unknown");
  });
});
