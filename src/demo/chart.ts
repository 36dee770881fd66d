// Terminal charts for the demo, in plain text (no dependency): bar charts drawn with the eight
// Unicode block heights, so a chart of H rows resolves 8·H levels. Both runs of a metric are
// drawn on the same scale one above the other, so the stampede's spikes and the SDK's flat line
// compare at a glance. Also the summary table both runs print.

import type { PhaseResult } from './phase.js';

const BLOCKS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

export interface BarOptions {
  height: number;
  /** Values of an empty and a full column (the shared scale). */
  min: number;
  max: number;
  /** Characters per value. */
  colWidth: number;
  label: string;
  format: (v: number) => string;
}

/** One bar chart: a y-axis gutter with the scale's top and 0, the bars, and the label. */
export function barChart(values: number[], o: BarOptions): string[] {
  const levels = o.height * 8;
  const top = o.format(o.max);
  const bottom = o.format(o.min);
  const gutter = Math.max(top.length, bottom.length) + 1;
  const lines: string[] = [];
  for (let row = 0; row < o.height; row++) {
    const floor = (o.height - 1 - row) * 8;
    let line = '';
    for (const v of values) {
      const span = o.max - o.min;
      const filled = Number.isFinite(v) && span > 0 ? Math.round(((Math.min(v, o.max) - o.min) / span) * levels) : 0;
      // A value above the scale's bottom always shows at least the lowest block (one query).
      const f = filled <= 0 ? (Number.isFinite(v) && v > o.min ? 1 : 0) : filled;
      line += BLOCKS[Math.max(0, Math.min(8, f - floor))]!.repeat(o.colWidth);
    }
    const axis = row === 0 ? top : row === o.height - 1 ? bottom : '';
    lines.push(`${axis.padStart(gutter - 1)} ┤${line}`);
  }
  lines[lines.length - 1] += `  ${o.label}`;
  return lines;
}

/** An x axis under charts of `slots` columns: a tick and the second at every whole second. */
function timeAxis(slots: number, binMs: number, colWidth: number, gutter: number): string {
  let marks = '';
  let labels = '';
  const perSec = Math.max(1, Math.round(1000 / binMs));
  for (let i = 0; i < slots; i++) {
    const whole = i % perSec === 0;
    marks += (whole ? '┬' : '─') + '─'.repeat(colWidth - 1);
    const text = whole ? String(i / perSec) : '';
    if (labels.length <= i * colWidth) labels = labels.padEnd(i * colWidth) + text;
  }
  return `${' '.repeat(gutter)}└${marks}\n${' '.repeat(gutter + 1)}${labels}  s`;
}

export interface ChartMetric {
  title: string;
  pick: (p: PhaseResult) => number[];
  format: (v: number) => string;
  /** Fixed scale top (e.g. 1 for a ratio); else the larger run's max. */
  max?: number;
  /** The scale's bottom from every run's values (default 0). */
  min?: (values: number[]) => number;
}

/** The scale of a metric over every run: [min, max]. */
export function scaleOf(m: ChartMetric, runs: PhaseResult[]): [number, number] {
  const values = runs.flatMap((r) => m.pick(r).filter(Number.isFinite));
  const max = m.max ?? niceMax(Math.max(0, ...values));
  const min = m.min === undefined ? 0 : Math.min(m.min(values), max - 1e-9);
  return [min, max];
}

export const METRICS: ChartMetric[] = [
  { title: 'database queries per second', pick: (p) => p.series.dbQueriesPerSec, format: (v) => String(Math.round(v)) },
  // Hit ratios sit near 100%: the scale starts at the lowest one, floored to a multiple of 5%.
  {
    title: 'hit ratio',
    pick: (p) => p.series.hitRatio,
    format: (v) => `${Number.isInteger(Math.round(v * 1000) / 10) ? Math.round(v * 100) : (v * 100).toFixed(1)}%`,
    max: 1,
    min: (vs) => Math.max(0, Math.floor(Math.min(1, ...vs) * 20 - 1e-9) / 20),
  },
  { title: 'p50 latency (ms)', pick: (p) => p.series.p50Ms, format: (v) => fmtMs(v) },
  { title: 'p99 latency (ms)', pick: (p) => p.series.p99Ms, format: (v) => fmtMs(v) },
];

function fmtMs(v: number): string {
  return v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** Every metric: the runs stacked on a shared scale, one time axis under each pair. */
export function terminalCharts(runs: PhaseResult[], termWidth = 100): string {
  const slots = Math.max(...runs.map((r) => r.series.t.length));
  const binMs = runs[0]!.binMs;
  const colWidth = Math.max(1, Math.min(3, Math.floor((termWidth - 30) / slots)));
  const out: string[] = [];
  for (const m of METRICS) {
    const [min, max] = scaleOf(m, runs);
    const gutter = Math.max(m.format(max).length, m.format(min).length) + 1;
    out.push('', `── ${m.title} ${'─'.repeat(Math.max(0, slots * colWidth + gutter - m.title.length - 3))}`);
    for (const r of runs) out.push(...barChart(m.pick(r), { height: 4, min, max, colWidth, label: r.label, format: m.format }));
    out.push(timeAxis(slots, binMs, colWidth, gutter));
  }
  return out.join('\n');
}

/** 1, 2 or 5 times a power of ten, at least x. */
export function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export function fmtInt(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a';
}

/** The summary table of both runs, plain text. */
export function summaryTable(runs: PhaseResult[], expiries: number): string {
  const rows: Array<[string, (p: PhaseResult) => string]> = [
    ['requests/s', (p) => fmtInt(p.summary.requestsPerSec)],
    ['database queries (total)', (p) => fmtInt(p.summary.dbQueries)],
    ['hot-product queries (total)', (p) => fmtInt(p.summary.hotQueries)],
    [`hot-product queries per expiry (~${expiries})`, (p) => (p.summary.hotQueries / Math.max(1, expiries)).toFixed(1)],
    ['most hot queries in one slot', (p) => fmtInt(p.summary.peakHotQueriesPerSlot)],
    ['peak database reads in flight', (p) => fmtInt(p.summary.peakDbInFlight)],
    ['hit ratio', (p) => `${(p.summary.hitRatio * 100).toFixed(2)}%`],
    ['p50 latency', (p) => `${fmtMs(p.summary.p50Ms)} ms`],
    ['p99 latency', (p) => `${fmtMs(p.summary.p99Ms)} ms`],
    ['p99.9 latency', (p) => `${fmtMs(p.summary.p999Ms)} ms`],
    ['max latency', (p) => `${fmtMs(p.summary.maxMs)} ms`],
    ['errors', (p) => fmtInt(p.summary.errors)],
  ];
  const header = ['', ...runs.map((r) => r.label)];
  const body = rows.map(([name, f]) => [name, ...runs.map(f)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
