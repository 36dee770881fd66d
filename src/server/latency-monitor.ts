// The latency monitor, as Redis 7.0's (latency.c): when latency-monitor-threshold (ms) is not 0,
// events that took at least that long are recorded per event name ("command" and
// "fast-command" from dispatch.call, "expire-cycle" from the node's cron). Each event keeps its
// all-time maximum and a ring of its last LATENCY_TS_LEN samples, one per second: a sample in
// the same second as the previous one only raises it. Times are wall-clock seconds, as Redis's
// time(NULL). Also holds the node's latency-tracking settings (the per-command histograms are
// latency-histogram.ts's), which dispatch reads on every command.

/** A parameter's value, as config.ts holds it. */
type ConfigValue = string | number | boolean;

/** The parameters LatencyMonitor.configure applies (at the node's start and on CONFIG SET). */
export const LATENCY_PARAMS: readonly string[] = ['latency-monitor-threshold', 'latency-tracking', 'latency-tracking-info-percentiles'];

/** Redis's LATENCY_TS_LEN: samples kept per event. */
export const LATENCY_TS_LEN = 160;

/** One event's history (latencyTimeSeries): a ring of (time, ms) samples and the maximum. */
export class LatencyTimeSeries {
  /** Where the next sample goes. */
  idx = 0;
  /** The highest latency seen since the event was created (or reset). */
  max = 0;
  /** Seconds (0: an unused slot) and milliseconds, per slot. */
  readonly times = new Float64Array(LATENCY_TS_LEN);
  readonly latencies = new Float64Array(LATENCY_TS_LEN);

  /** The slot of the latest sample. */
  get last(): number {
    return (this.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
  }

  /** The samples, oldest first, as [time, ms] pairs. */
  samples(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let j = 0; j < LATENCY_TS_LEN; j++) {
      const i = (this.idx + j) % LATENCY_TS_LEN;
      if (this.times[i] !== 0) out.push([this.times[i], this.latencies[i]]);
    }
    return out;
  }
}

/** analyzeLatencyForEvent's figures (latencyStats). */
export interface LatencyStats {
  allTimeHigh: number;
  /** Average, minimum and maximum of the kept samples, ms (integer division as Redis). */
  avg: number;
  min: number;
  max: number;
  /** Mean absolute deviation from avg, ms. */
  mad: number;
  samples: number;
  /** Seconds from the oldest kept sample to now (at least 1 with samples). */
  period: number;
}

export class LatencyMonitor {
  /** latency-monitor-threshold in ms; 0: the monitor is off. */
  thresholdMs = 0;
  /** The same in microseconds, for dispatch's test on the command's duration. */
  thresholdMicros = 0;
  /** latency-tracking: whether commands' durations go into their histograms. */
  tracking = true;
  /** latency-tracking-info-percentiles. */
  percentiles: number[] = [50, 99, 99.9];
  /** Events by name, in the order they first happened. */
  readonly events = new Map<string, LatencyTimeSeries>();

  /** `nowSeconds`: the wall clock in whole seconds (Redis's time(NULL)). */
  constructor(private readonly nowSeconds: () => number) {}

  /** Applies one of the latency parameters (others are ignored). */
  configure(name: string, value: ConfigValue): void {
    switch (name) {
      case 'latency-monitor-threshold':
        this.thresholdMs = value as number;
        this.thresholdMicros = this.thresholdMs * 1000;
        break;
      case 'latency-tracking':
        this.tracking = value as boolean;
        break;
      case 'latency-tracking-info-percentiles':
        this.percentiles = parsePercentiles(value as string);
        break;
    }
  }

  /** latencyAddSampleIfNeeded: records `ms` for `event` if the monitor is on and it reaches the threshold. */
  addSampleIfNeeded(event: string, ms: number): void {
    if (this.thresholdMs !== 0 && ms >= this.thresholdMs) this.addSample(event, ms);
  }

  /** latencyAddSample: one sample for `event` (created on its first sample). */
  addSample(event: string, ms: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = new LatencyTimeSeries();
      this.events.set(event, ts);
    }
    const now = this.nowSeconds();
    if (ms > ts.max) ts.max = ms;
    const prev = ts.last;
    if (ts.times[prev] === now) {
      if (ms > ts.latencies[prev]) ts.latencies[prev] = ms;
      return;
    }
    ts.times[ts.idx] = now;
    ts.latencies[ts.idx] = ms;
    ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
  }

  /** latencyResetEvent: forgets `event` (compared case-insensitively), or every event; returns how many. */
  reset(event?: string): number {
    let resets = 0;
    const wanted = event?.toLowerCase();
    for (const name of [...this.events.keys()]) {
      if (wanted === undefined || name.toLowerCase() === wanted) {
        this.events.delete(name);
        resets++;
      }
    }
    return resets;
  }

  /** analyzeLatencyForEvent. */
  analyze(event: string): LatencyStats {
    const ts = this.events.get(event);
    const stats: LatencyStats = { allTimeHigh: ts?.max ?? 0, avg: 0, min: 0, max: 0, mad: 0, samples: 0, period: 0 };
    if (ts === undefined) return stats;
    let sum = 0;
    for (let j = 0; j < LATENCY_TS_LEN; j++) {
      if (ts.times[j] === 0) continue;
      const latency = ts.latencies[j];
      stats.samples++;
      if (stats.samples === 1) stats.min = stats.max = latency;
      else {
        if (stats.min > latency) stats.min = latency;
        if (stats.max < latency) stats.max = latency;
      }
      sum += latency;
      if (stats.period === 0 || ts.times[j] < stats.period) stats.period = ts.times[j];
    }
    if (stats.samples !== 0) {
      stats.avg = Math.floor(sum / stats.samples);
      stats.period = this.nowSeconds() - stats.period;
      if (stats.period === 0) stats.period = 1;
    }
    sum = 0;
    for (let j = 0; j < LATENCY_TS_LEN; j++) {
      if (ts.times[j] === 0) continue;
      sum += Math.abs(stats.avg - ts.latencies[j]);
    }
    if (stats.samples !== 0) stats.mad = Math.floor(sum / stats.samples);
    return stats;
  }

  now(): number {
    return this.nowSeconds();
  }
}

/** Redis's configerr texts for latency-tracking-info-percentiles. */
export const ERR_PERCENTILES_INVALID = 'Invalid latency-tracking-info-percentiles parameters';
export const ERR_PERCENTILES_RANGE = 'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]';

/**
 * C's strtod over a whole word as Redis's string2d takes it: decimal or hex floats, inf,
 * infinity; no leading space, nothing after, not NaN. undefined: not a number.
 */
export function string2d(word: string): number | undefined {
  if (word === '' || /^\s/.test(word)) return undefined;
  const m = /^[+-]?(?:(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)|(inf(?:inity)?))$/i.exec(word);
  if (m === null) return undefined;
  if (m[2] !== undefined) return word.startsWith('-') ? -Infinity : Infinity;
  return Number(word);
}

/**
 * latency-tracking-info-percentiles' words (Redis splits the value as sdssplitargs: a lone
 * empty word means none) as numbers; throws the Redis error text when one is not a percentile.
 */
export function parsePercentiles(raw: string): number[] {
  const words = raw.trim() === '' ? [] : raw.trim().split(/\s+/);
  const out: number[] = [];
  for (const w of words) {
    const p = string2d(w);
    if (p === undefined) throw new Error(ERR_PERCENTILES_INVALID);
    if (p > 100 || p < 0) throw new Error(ERR_PERCENTILES_RANGE);
    out.push(p);
  }
  return out;
}
