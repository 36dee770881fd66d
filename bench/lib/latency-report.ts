// bench/lib/latency-report.ts — the result side of bench/latency-bench.ts: the settings and
// per-case measurement types recorded in a latency-<ts>.json results file, the per-server /
// per-size summary (medians over rounds, p99.9 ratio largest / smallest set) and its markdown
// tables, with the count and microsecond formatting they share with the console output.

import type { LogHistogram } from './log-histogram.js';
import { fmt, markdownTable, median } from './report.js';

export type ServerName = 'redis' | 'corral';

export interface Settings {
  sizes: number[];
  servers: ServerName[];
  valueSize: number;
  conns: number;
  generators: number;
  fraction: number;
  rounds: number;
  peakMs: number;
  peakWarmupMs: number;
  openMs: number;
  openWarmupMs: number;
  settleMs: number;
  corralHeap: 'auto' | 'none' | number;
  quick: boolean;
  corralCmdOverride: string | null;
  /** Pin the server to CPU 0 and the generators (and this harness) to the other CPUs (taskset). */
  pin: boolean;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  p9999: number;
  max: number;
  mean: number;
}

export interface Measurement {
  round: number;
  order: number;
  server: ServerName;
  keys: number;
  ok: boolean;
  error?: string;
  corralHeapMb: number | null;
  loadMs: number;
  dbsize: number;
  rssMb: number;
  peak: { opsPerSec: number; errors: number; misses: number } | null;
  open: {
    targetRate: number;
    achievedRate: number;
    measured: number;
    unanswered: number;
    errors: number;
    misses: number;
    maxOutstandingPerConn: number;
    /** Server CPU during the open-loop phase, as a share of one core. */
    serverCpu: number;
    latencyUs: Percentiles;
    sendLagUs: Percentiles;
    latencyHist: ReturnType<LogHistogram['toJSON']>;
  } | null;
}

// ---- report ---------------------------------------------------------------------------------

export function humanCount(n: number): string {
  return n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n % 1000 === 0 ? `${n / 1000}K` : String(n);
}

/** µs -> "123 µs" / "1.23 ms". */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return 'n/a';
  return us < 1000 ? `${Math.round(us)} µs` : `${(us / 1000).toFixed(us < 10000 ? 2 : 1)} ms`;
}

interface Row {
  server: ServerName;
  keys: number;
  n: number;
  failed: number;
  peak: number;
  target: number;
  achieved: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  lag999: number;
  cpu: number;
  unanswered: number;
  rssMb: number;
}

export function summarize(all: Measurement[], s: Settings): { rows: Row[]; ratios: { server: ServerName; small: number; large: number; ratio: number; perRound: number[] }[] } {
  const rows: Row[] = [];
  for (const server of s.servers) {
    for (const keys of s.sizes) {
      const ms = all.filter((m) => m.server === server && m.keys === keys);
      const ok = ms.filter((m) => m.ok && m.open !== null);
      const med = (f: (m: Measurement) => number): number => median(ok.map(f));
      rows.push({
        server, keys, n: ms.length, failed: ms.length - ok.length,
        peak: med((m) => m.peak!.opsPerSec), target: med((m) => m.open!.targetRate), achieved: med((m) => m.open!.achievedRate),
        p50: med((m) => m.open!.latencyUs.p50), p99: med((m) => m.open!.latencyUs.p99), p999: med((m) => m.open!.latencyUs.p999),
        max: med((m) => m.open!.latencyUs.max), lag999: med((m) => m.open!.sendLagUs.p999), cpu: med((m) => m.open!.serverCpu),
        unanswered: med((m) => m.open!.unanswered), rssMb: med((m) => m.rssMb),
      });
    }
  }
  const small = s.sizes[0]!;
  const large = s.sizes[s.sizes.length - 1]!;
  const ratios = s.servers.map((server) => {
    const perRound: number[] = [];
    for (let r = 1; r <= s.rounds; r++) {
      const a = all.find((m) => m.server === server && m.keys === small && m.round === r && m.ok);
      const b = all.find((m) => m.server === server && m.keys === large && m.round === r && m.ok);
      perRound.push(a && b ? b.open!.latencyUs.p999 / a.open!.latencyUs.p999 : NaN);
    }
    const rs = rows.find((x) => x.server === server && x.keys === small)!;
    const rl = rows.find((x) => x.server === server && x.keys === large)!;
    return { server, small: rs.p999, large: rl.p999, ratio: median(perRound), perRound };
  });
  return { rows, ratios };
}

export function tables(sum: ReturnType<typeof summarize>, s: Settings): { main: string; ratio: string } {
  const main = markdownTable(
    ['server', 'resident keys', 'RSS MB', 'peak GET/s', 'open-loop GET/s (target)', 'p50', 'p99', 'p99.9', 'max', 'gen send lag p99.9', 'server CPU', 'unanswered'],
    sum.rows.map((r) => [
      r.server + (r.failed ? ` (failed ${r.failed}/${r.n})` : ''), humanCount(r.keys), fmt(r.rssMb), fmt(r.peak),
      `${fmt(r.achieved)} (${fmt(r.target)})`, fmtUs(r.p50), fmtUs(r.p99), fmtUs(r.p999), fmtUs(r.max), fmtUs(r.lag999),
      Number.isFinite(r.cpu) ? `${fmt(r.cpu * 100)}%` : 'n/a', fmt(r.unanswered),
    ]),
  );
  const small = humanCount(s.sizes[0]!);
  const large = humanCount(s.sizes[s.sizes.length - 1]!);
  const ratio = markdownTable(
    ['server', `p99.9 @ ${small}`, `p99.9 @ ${large}`, `ratio ${large}/${small}`, 'target <= 1.5 (corral)'],
    sum.ratios.map((r) => [
      r.server, fmtUs(r.small), fmtUs(r.large),
      fmt(r.ratio, 2) + (s.rounds > 1 ? ` (rounds: ${r.perRound.map((x) => fmt(x, 2)).join(', ')})` : ''),
      r.server === 'corral' ? (Number.isFinite(r.ratio) ? (r.ratio <= 1.5 ? 'met' : 'not met') : 'n/a') : 'reference (~1.0)',
    ]),
  );
  return { main, ratio };
}
