// bench/lib/reshard-summary.ts — the summary of the resharding benchmark (bench/reshard-bench.ts):
// medians per variant over the runs, the markdown tables, the targets met or missed, and the
// ms / MB formats its output uses.

import { fmt, markdownTable, median } from './report.js';
import { CORRAL_DEFAULT_RATE, rateBytes, type Variant } from './reshard-settings.js';
import type { RunRecord, WindowStats } from './reshard-records.js';

const TARGET_P99_RATIO = 2;

export const ms = (us: number): string => fmt(us / 1000, 2);
export const mb = (bytes: number): string => fmt(bytes / 2 ** 20, 1);

export interface Summary {
  label: string;
  system: 'redis' | 'corral';
  rate: string | null;
  rounds: number;
  failed: number;
  peak: number;
  loadRate: number;
  moveS: number;
  rebalanceS: number;
  payloadMBps: number;
  reportedMBps: number;
  shareMoved: number;
  shareOnNewNode: number;
  /** Sum over the rounds. */
  clientErrors: number;
  misses: number;
  p50: [number, number, number];
  p99: [number, number, number];
  p999: [number, number, number];
  p99Ratio: number;
  /**
   * The p99 of service (completion - send) and of the load's send lag (send - schedule): the
   * nodes' part of the latency and the load generator's own, which shares the machine's cores.
   */
  serviceP99: [number, number, number];
  sendLagP99: [number, number, number];
}

export function summarize(runs: RunRecord[], variants: Variant[]): Summary[] {
  return variants.map((v) => {
    const all = runs.filter((r) => r.label === v.label);
    const ok = all.filter((r) => r.ok);
    const m = (f: (r: RunRecord) => number): number => median(ok.map(f));
    const tri = (f: (w: WindowStats) => number): [number, number, number] => [m((r) => f(r.windows!.before)), m((r) => f(r.windows!.during)), m((r) => f(r.windows!.after))];
    return {
      label: v.label, system: v.system, rate: v.rate, rounds: ok.length, failed: all.length - ok.length,
      peak: m((r) => r.peak!.opsPerSec), loadRate: m((r) => r.loadRate!),
      moveS: m((r) => r.moveMs! / 1000), rebalanceS: m((r) => (r.rebalanceMs ?? NaN) / 1000), payloadMBps: m((r) => r.payloadBytesPerSec! / 2 ** 20),
      reportedMBps: m((r) => (r.reportedBytesPerSec ?? NaN) / 2 ** 20),
      shareMoved: m((r) => r.shareMoved!), shareOnNewNode: m((r) => r.shareOnNewNode!),
      clientErrors: ok.reduce((a, r) => a + r.clientErrors!, 0), misses: ok.reduce((a, r) => a + r.misses!, 0),
      p50: tri((w) => w.p50Us), p99: tri((w) => w.p99Us), p999: tri((w) => w.p999Us), p99Ratio: m((r) => r.p99Ratio!),
      serviceP99: tri((w) => w.serviceP99Us), sendLagP99: tri((w) => w.sendLagP99Us),
    };
  });
}

export function tables(sum: Summary[]): string {
  const moveTable = markdownTable(
    ['system', 'ok runs', 'peak req/s', 'load req/s', 'move s', 'moved MB/s', 'RESHARD STATUS MB/s', 'keys moved', 'keys on new node', 'client errors', 'GET misses'],
    sum.map((r) => [
      r.label, `${r.rounds}${r.failed > 0 ? ` (+${r.failed} failed)` : ''}`, fmt(r.peak), fmt(r.loadRate), fmt(r.moveS, 2) + (Number.isFinite(r.rebalanceS) ? ` (rebalance ${fmt(r.rebalanceS, 2)})` : ''), fmt(r.payloadMBps, 1),
      fmt(r.reportedMBps, 1), `${fmt(r.shareMoved * 100, 1)}%`, `${fmt(r.shareOnNewNode * 100, 1)}%`, fmt(r.clientErrors), fmt(r.misses),
    ]),
  );
  const tri = (x: [number, number, number]): string => x.map(ms).join(' / ');
  const latTable = markdownTable(
    ['system', 'p50 ms before / during / after', 'p99 ms before / during / after', 'p99.9 ms before / during / after', 'p99 during/before', 'p99 service ms before / during', 'p99 load send lag ms before / during'],
    sum.map((r) => [r.label, tri(r.p50), tri(r.p99), tri(r.p999), fmt(r.p99Ratio, 2), `${ms(r.serviceP99[0])} / ${ms(r.serviceP99[1])}`, `${ms(r.sendLagP99[0])} / ${ms(r.sendLagP99[1])}`]),
  );
  return `${moveTable}\n\n${latTable}`;
}

export function targets(sum: Summary[]): string[] {
  const out: string[] = [];
  const corral = sum.filter((r) => r.system === 'corral' && r.rounds > 0);
  const redis = sum.find((r) => r.system === 'redis' && r.rounds > 0);
  for (const c of corral) out.push(`- ${c.label}: client errors ${c.clientErrors} (target 0): ${c.clientErrors === 0 ? 'met' : 'MISSED'}`);
  if (redis !== undefined) out.push(`- redis: client errors ${redis.clientErrors} (counted, no target)`);
  const dflt = corral.find((c) => rateBytes(c.rate) === CORRAL_DEFAULT_RATE);
  if (dflt !== undefined) {
    out.push(`- ${dflt.label} (the default rate): p99 during/before x${fmt(dflt.p99Ratio, 2)} (target <= ${TARGET_P99_RATIO}x): ${dflt.p99Ratio <= TARGET_P99_RATIO ? 'met' : 'MISSED'}`);
  } else if (corral.length > 0) {
    out.push(`- p99 during/before at the default rate: not run (no corral run at ${CORRAL_DEFAULT_RATE / 2 ** 20}mb)`);
  }
  if (redis !== undefined && corral.length > 0) {
    const eq = corral.filter((c) => c.p99[1] <= redis.p99[1]);
    if (eq.length === 0) {
      const best = corral.reduce((a, b) => (b.p99[1] < a.p99[1] ? b : a));
      out.push(`- as fast as Redis at equal p99: no corral run had a p99 during the move at or below Redis's (${ms(redis.p99[1])} ms; lowest corral ${ms(best.p99[1])} ms, ${best.label}): ` +
        `not comparable at equal p99; ${corral.map((c) => `${c.label} ${fmt(c.moveS, 1)} s`).join(', ')} vs redis ${fmt(redis.moveS, 1)} s`);
    } else {
      const fastest = eq.reduce((a, b) => (b.moveS < a.moveS ? b : a));
      out.push(`- as fast as Redis at equal p99: ${fastest.label} moved in ${fmt(fastest.moveS, 2)} s at p99 ${ms(fastest.p99[1])} ms vs redis ${fmt(redis.moveS, 2)} s at p99 ${ms(redis.p99[1])} ms: ` +
        `${fastest.moveS <= redis.moveS ? 'met' : 'MISSED'}`);
    }
  }
  return out;
}
