/** Colours for series: the Okabe–Ito palette (distinguishable with the common colour-vision
 * deficiencies), yellow left out as too faint on white; the theme's accent first. Chart text and
 * grid colours come from the page's CSS variables, read when a chart is drawn. */
export const SERIES = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8c6d31", "#999999"];

export function seriesColor(i: number): string {
  return SERIES[i % SERIES.length] ?? "#999999";
}

export interface ThemeColors {
  text: string;
  grid: string;
  accent: string;
}

export function themeColors(el: Element): ThemeColors {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return { text: v("--fg-muted", "#545b66"), grid: v("--border", "#d9dde3"), accent: v("--accent", "#4338ca") };
}

/** One line or set of bars. */
export interface Series {
  label: string;
  /** null: no value (a gap, told apart from 0 in tooltips) */
  data: (number | null)[];
  color?: string;
}
