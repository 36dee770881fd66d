// The demo's `--html report.html`: one self-contained page (inline CSS and SVG, no script, no
// external request) with a line chart per metric (both runs on one scale), the summary table,
// and the invalidation step's timeline.

import { METRICS, scaleOf, summaryTable, type ChartMetric } from './chart.js';
import type { PhaseResult } from './phase.js';

const COLORS = ['#d1495b', '#2e86ab'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A step line (each slot held for its width, as the figures are per slot) per run. */
function svgChart(m: ChartMetric, runs: PhaseResult[]): string {
  const { title, pick, format } = m;
  const W = 760;
  const H = 230;
  const L = 64;
  const R = 16;
  const T = 28;
  const B = 34;
  const slots = Math.max(...runs.map((r) => pick(r).length));
  const binMs = runs[0]!.binMs;
  const [min, max] = scaleOf(m, runs);
  const x = (i: number): number => Math.round(10 * (L + ((W - L - R) * i) / Math.max(1, slots))) / 10;
  const y = (v: number): number => Math.round(10 * (T + (H - T - B) * (1 - (Math.max(min, Math.min(v, max)) - min) / (max - min)))) / 10;
  const parts: string[] = [];
  parts.push(`<text x="${L}" y="18" class="title">${esc(title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = min + ((max - min) * k) / 4;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`);
    parts.push(`<text x="${L - 6}" y="${y(v) + 4}" class="ylab">${esc(format(v))}</text>`);
  }
  const perSec = Math.max(1, Math.round(1000 / binMs));
  for (let i = 0; i <= slots; i += perSec) {
    parts.push(`<line x1="${x(i)}" x2="${x(i)}" y1="${H - B}" y2="${H - B + 4}" class="axis"/>`);
    parts.push(`<text x="${x(i)}" y="${H - B + 16}" class="xlab">${i / perSec}s</text>`);
  }
  parts.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" class="axis"/>`);
  runs.forEach((r, k) => {
    const vs = pick(r);
    const pts: string[] = [];
    vs.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      pts.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`, `${x(i + 1).toFixed(1)},${y(v).toFixed(1)}`);
    });
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="2"/>`);
    parts.push(`<rect x="${W - R - 220 + k * 110}" y="8" width="10" height="10" fill="${COLORS[k % COLORS.length]}"/>`);
    parts.push(`<text x="${W - R - 206 + k * 110}" y="17" class="legend">${esc(r.label)}</text>`);
  });
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

export interface HtmlReportInput {
  title: string;
  settings: string[];
  runs: PhaseResult[];
  expiries: number;
  invalidation: string[];
}

export function htmlReport(r: HtmlReportInput): string {
  const charts = METRICS.map((m) => svgChart(m, r.runs)).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
 body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 800px; color: #222; }
 h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
 pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 12.5px; }
 svg { display: block; margin: 10px 0; }
 .title { font-weight: 600; font-size: 13px; } .legend { font-size: 12px; }
 .ylab { font-size: 11px; text-anchor: end; fill: #555; } .xlab { font-size: 11px; text-anchor: middle; fill: #555; }
 .grid { stroke: #e4e4e4; } .axis { stroke: #888; }
</style></head><body>
<h1>${esc(r.title)}</h1>
<ul>${r.settings.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
<h2>Per time slot</h2>
${charts}
<h2>Summary</h2>
<pre>${esc(summaryTable(r.runs, r.expiries))}</pre>
<h2>Row update and invalidation</h2>
<pre>${esc(r.invalidation.join('\n'))}</pre>
</body></html>
`;
}
