/** Number formatting for the dashboard: dollars, counts, percentages, durations. Pure. */

/** Dollars as people read them: cents from $1 up, more digits below so small spend is not "$0.00". */
export function usd(value: number): string {
  const abs = Math.abs(value);
  const digits = abs === 0 ? 2 : abs < 0.01 ? 4 : abs < 1 ? 3 : 2;
  return value.toLocaleString("en-US", { style: "currency", currency: "USD", minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Dollars in three significant digits ("$0.00625", "$0.018", "$12.3", "$1.2k"): for chart axes
 * and tooltips, where cents would flatten small spend to "$0.01". */
export function usdShort(value: number): string {
  if (Math.abs(value) >= 1000) return `${value < 0 ? "-" : ""}$${short(Math.abs(value))}`;
  if (value === 0) return "$0";
  return `${value < 0 ? "-" : ""}$${Math.abs(value).toLocaleString("en-US", { maximumSignificantDigits: 3 })}`;
}

/** A cost figure: `null` (only unpriced usage) is "unpriced", never $0; a figure that leaves
 * out some unpriced usage is a lower bound ("≥ $1.20"). */
export function costLabel(value: number | null | undefined, unpricedMessages = 0): string {
  if (value === null || value === undefined) return "unpriced";
  return `${unpricedMessages > 0 ? "≥ " : ""}${usd(value)}`;
}

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return n.toLocaleString("en-US", { maximumFractionDigits: 1 });
}

/** 1234567 → "1.2M": for axis labels and tight cards; full figures go in titles and CSV. */
export function short(n: number): string {
  const abs = Math.abs(n);
  for (const [size, unit] of [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "k"],
  ] as const) {
    if (abs >= size) {
      const v = n / size;
      return `${Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1).replace(/\.0$/, "")}${unit}`;
    }
  }
  return count(n);
}

/** A share 0..1 as a percentage. */
export function pct(share: number): string {
  return `${(share * 100).toLocaleString("en-US", { maximumFractionDigits: 1 })}%`;
}

/** Seconds as "45 s", "3.5 min", "2.1 h". */
export function seconds(s: number): string {
  if (!Number.isFinite(s)) return "–";
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1).replace(/\.0$/, "")} min`;
  return `${(s / 3600).toFixed(1).replace(/\.0$/, "")} h`;
}

/** Minutes as "12 min" or "3.2 h". */
export function minutes(m: number | null | undefined): string {
  if (m === null || m === undefined || !Number.isFinite(m)) return "–";
  return m < 90 ? `${Math.round(m)} min` : `${(m / 60).toFixed(1).replace(/\.0$/, "")} h`;
}
