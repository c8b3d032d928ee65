/** The cost section's numbers (its table views and CSVs) from /analytics/cost. Pure.
 *
 * A dollar cell is a number, or the word "unpriced" when every response behind it is of a model
 * the price table does not know: an unknown price is never written as 0. A number next to a
 * non-zero "unpriced responses" count is the priced part only (a lower bound).
 */
import type { components } from "../../lib/api/schema";
import type { Cell, Table } from "./csv";
import { filled, periods } from "./tables";

type S = components["schemas"];
export type Cost = S["Cost"];
export type CostRow = S["CostRow"];
export type ModelCost = S["ModelCost"];
export type DayCost = S["DayCost"];
export type NameCost = S["NameCost"];
export type SessionCost = S["SessionCost"];

export const UNPRICED = "unpriced";

const FIGURES = ["usd", "responses", "unpriced responses", "input tokens", "output tokens", "cache write tokens", "cache read tokens"];

export function dollars(usd: number | null): Cell {
  return usd === null ? UNPRICED : usd;
}

function figures(r: CostRow): Cell[] {
  return [dollars(r.usd), r.messages, r.unpriced_messages, r.input_tokens, r.output_tokens, r.cache_creation_tokens, r.cache_read_tokens];
}

/** The totals, then each unpriced model with its tokens, then where the prices come from. */
export function costTotalsTable(c: Cost): Table {
  const rows: Cell[][] = [["all", ...figures(c.totals)]];
  for (const u of c.unpriced) rows.push([`unpriced model: ${u.model || "(unknown)"}`, UNPRICED, u.messages, u.messages, u.input_tokens, u.output_tokens, u.cache_creation_tokens, u.cache_read_tokens]);
  return { header: ["what", ...FIGURES], rows };
}

export function costByModelTable(c: Cost): Table {
  return { header: ["model", ...FIGURES], rows: c.by_model.map((m) => [m.model || "(unknown)", ...figures(m)]) };
}

export function costByDayTable(c: Cost): Table {
  return { header: ["date", ...FIGURES], rows: c.by_day.map((d) => [d.date ?? "(no time)", ...figures(d)]) };
}

export function costByNameTable(kind: string, rows: readonly NameCost[]): Table {
  return { header: [kind, ...FIGURES], rows: rows.map((r) => [r.name, ...figures(r)]) };
}

export function costSessionsTable(c: Cost): Table {
  return { header: ["session", "project", "first message", ...FIGURES], rows: c.top_sessions.map((s) => [s.id, s.project, s.first_message ?? "", ...figures(s)]) };
}

/** A day for every day of the range: a day without usage cost $0 (there was nothing to price). */
export function filledCost(c: Cost, from: string, to: string): Cost {
  const zero = (date: string): DayCost => ({ date, usd: 0, messages: 0, unpriced_messages: 0, input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0 });
  return { ...c, by_day: filled(c.by_day, periods(from, to, "day"), zero) };
}

/** Bars for a chart: null where only unpriced usage is (a gap, not a $0 bar). */
export function bars(rows: readonly CostRow[]): (number | null)[] {
  return rows.map((r) => r.usd);
}

/** "prices of genai-prices 0.2.5, checked up to 2026-11-03" */
export function priceSource(c: Cost): string {
  const p = c.prices;
  return `Prices: ${p.source} ${p.version}${p.as_of ? `, table checked up to ${p.as_of}` : ", table date unknown"}`;
}
