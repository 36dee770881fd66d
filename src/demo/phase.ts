// One phase's figures: merges what the workers measured per time slot (requests, loads,
// latency histograms) with what the database counted (reads per slot, hot-product reads), into
// the per-slot series the charts draw and the summary the table prints.
//
// Hit ratio is "requests answered without a database read of their own": 1 - loads/requests,
// where a load is a naive miss's SELECT or a run of the SDK's loader. A caller that waited for
// another caller's load (the SDK's MISS_WAIT) did not read the database, so it counts as a hit:
// the ratio is what the database sees.

import { Histogram } from './histogram.js';
import type { Mode, WorkerBin } from './workload.js';

export interface Series {
  /** Start of each slot, seconds from the phase start. */
  t: number[];
  requestsPerSec: number[];
  dbQueriesPerSec: number[];
  /** Database reads of the hot product in the slot (not a rate). */
  hotQueries: number[];
  hitRatio: number[];
  p50Ms: number[];
  p99Ms: number[];
}

export interface PhaseSummary {
  requests: number;
  requestsPerSec: number;
  dbQueries: number;
  hotQueries: number;
  /** Hot-product reads in the busiest slot: the size of a stampede. */
  peakHotQueriesPerSlot: number;
  /** Most database reads in flight (running or queued for a connection) at once. */
  peakDbInFlight: number;
  hitRatio: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  errors: number;
  firstError: string | null;
}

export interface PhaseResult {
  mode: Mode;
  label: string;
  binMs: number;
  durationMs: number;
  series: Series;
  summary: PhaseSummary;
}

/** Database reads binned by the slot they started in (the main process's side of a phase). */
export class QueryBins {
  readonly all: number[] = [];
  readonly hot: number[] = [];
  constructor(
    private readonly startAt: number,
    private readonly binMs: number,
    private readonly hotId: number,
  ) {}

  record(id: number, now = Date.now()): void {
    const i = Math.max(0, Math.floor((now - this.startAt) / this.binMs));
    while (this.all.length <= i) {
      this.all.push(0);
      this.hot.push(0);
    }
    this.all[i]!++;
    if (id === this.hotId) this.hot[i]!++;
  }
}

const round = (x: number, d = 2): number => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : NaN);

export function buildPhase(
  mode: Mode,
  label: string,
  durationMs: number,
  binMs: number,
  workers: Array<{ bins: WorkerBin[]; firstError: string | null }>,
  queries: QueryBins,
  peakDbInFlight: number,
): PhaseResult {
  // Slots past the end hold only the tail of requests in flight at the deadline: dropped from
  // the series (kept in the totals).
  const slots = Math.ceil(durationMs / binMs);
  const perSlot = Array.from({ length: slots }, () => ({ requests: 0, loads: 0, errors: 0, hist: new Histogram() }));
  const total = { requests: 0, loads: 0, errors: 0, hist: new Histogram() };
  for (const w of workers) {
    w.bins.forEach((b, i) => {
      const h = Histogram.fromJSON(b.latencyUs);
      for (const acc of i < slots ? [perSlot[i]!, total] : [total]) {
        acc.requests += b.requests;
        acc.loads += b.loads;
        acc.errors += b.errors;
        acc.hist.add(h);
      }
    });
  }
  const perSec = 1000 / binMs;
  const series: Series = { t: [], requestsPerSec: [], dbQueriesPerSec: [], hotQueries: [], hitRatio: [], p50Ms: [], p99Ms: [] };
  for (let i = 0; i < slots; i++) {
    const s = perSlot[i]!;
    series.t.push(round((i * binMs) / 1000, 3));
    series.requestsPerSec.push(Math.round(s.requests * perSec));
    series.dbQueriesPerSec.push(Math.round((queries.all[i] ?? 0) * perSec));
    series.hotQueries.push(queries.hot[i] ?? 0);
    series.hitRatio.push(s.requests === 0 ? NaN : round(1 - s.loads / s.requests, 4));
    series.p50Ms.push(round(s.hist.quantile(0.5) / 1000));
    series.p99Ms.push(round(s.hist.quantile(0.99) / 1000));
  }
  const dbQueries = queries.all.reduce((a, b) => a + b, 0);
  const hotQueries = queries.hot.reduce((a, b) => a + b, 0);
  return {
    mode,
    label,
    binMs,
    durationMs,
    series,
    summary: {
      requests: total.requests,
      requestsPerSec: Math.round((total.requests * 1000) / durationMs),
      dbQueries,
      hotQueries,
      peakHotQueriesPerSlot: Math.max(0, ...queries.hot),
      peakDbInFlight,
      hitRatio: total.requests === 0 ? NaN : round(1 - total.loads / total.requests, 4),
      p50Ms: round(total.hist.quantile(0.5) / 1000),
      p99Ms: round(total.hist.quantile(0.99) / 1000),
      p999Ms: round(total.hist.quantile(0.999) / 1000),
      maxMs: round(total.hist.max / 1000),
      errors: total.errors,
      firstError: workers.map((w) => w.firstError).find((e) => e !== null) ?? null,
    },
  };
}
