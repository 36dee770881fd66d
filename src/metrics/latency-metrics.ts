// The per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM) as one Prometheus
// histogram family, corral_command_latency_seconds{cmd}, built at scrape time from the counts
// the request path already keeps (server/latency-histogram.ts): nothing here runs per command.
//
// prom-client's Histogram can only observe() values one by one, so the family is a small
// metric object of prom-client's shape (name, help, type, get(), reset()) registered with
// registerMetric: get() reads each command's counts and writes its cumulative _bucket samples,
// _sum (INFO commandstats usec) and _count (calls), which is what the registry prints.
//
// Buckets: le = 2^k ns for k = 10..30 (1.024 us to 1.074 s, in seconds), the reporting levels
// of LATENCY HISTOGRAM; powers of two from 256 ns on are slot boundaries of the histogram, so
// each bucket counts exactly the calls faster than its le. +Inf and _count are the calls
// (which also counts calls made while latency-tracking was off, so +Inf >= every bucket).

import type { Metric, Registry } from 'prom-client';
import type { Command } from '../commands/table.js';
import { countsIndex } from '../server/latency-histogram.js';

/** What the family reads: the node's command table (CorralNode satisfies it). */
export interface LatencyMetricsSource {
  readonly table: { all(): Iterable<Command> };
}

export const LATENCY_METRIC_NAME = 'corral_command_latency_seconds';

/** The bucket bounds, nanoseconds: 2^10 .. 2^30. */
const BOUNDS_NS: readonly number[] = Array.from({ length: 21 }, (_, k) => 2 ** (10 + k));
/** The same as le label values (seconds). */
const BOUNDS_LE: readonly string[] = BOUNDS_NS.map((ns) => String(ns / 1e9));
/** For each bound, the first histogram slot at or above it: counts below it are under the bound. */
const BOUND_SLOTS: readonly number[] = BOUNDS_NS.map((ns) => countsIndex(ns));

interface Sample {
  metricName: string;
  labels: Record<string, string>;
  value: number;
}

/** Every command and subcommand that has a histogram. */
function commandsWithHistograms(source: LatencyMetricsSource): Command[] {
  const out: Command[] = [];
  const visit = (cmd: Command): void => {
    if (cmd.latencyCounts !== null) out.push(cmd);
    if (cmd.subcommands !== null) for (const s of cmd.subcommands.values()) visit(s);
  };
  for (const cmd of source.table.all()) visit(cmd);
  return out;
}

/** One command's _bucket, _sum and _count samples. */
function commandSamples(cmd: Command, out: Sample[]): void {
  const counts = cmd.latencyCounts!;
  const bucketName = `${LATENCY_METRIC_NAME}_bucket`;
  let cumulative = 0;
  let slot = 0;
  for (let b = 0; b < BOUND_SLOTS.length; b++) {
    const end = BOUND_SLOTS[b];
    for (; slot < end; slot++) cumulative += counts[slot];
    out.push({ metricName: bucketName, labels: { cmd: cmd.fullName, le: BOUNDS_LE[b] }, value: cumulative });
  }
  for (; slot < counts.length; slot++) cumulative += counts[slot];
  const count = Math.max(cmd.calls, cumulative);
  out.push({ metricName: bucketName, labels: { cmd: cmd.fullName, le: '+Inf' }, value: count });
  out.push({ metricName: `${LATENCY_METRIC_NAME}_sum`, labels: { cmd: cmd.fullName }, value: cmd.usec / 1e6 });
  out.push({ metricName: `${LATENCY_METRIC_NAME}_count`, labels: { cmd: cmd.fullName }, value: count });
}

/** The samples of corral_command_latency_seconds now. */
export function latencySamples(source: LatencyMetricsSource): Sample[] {
  const out: Sample[] = [];
  for (const cmd of commandsWithHistograms(source)) commandSamples(cmd, out);
  return out;
}

/** Registers corral_command_latency_seconds{cmd} (a histogram read at scrape time) in `registry`. */
export function registerLatencyMetrics(registry: Registry, source: LatencyMetricsSource): void {
  const metric = {
    name: LATENCY_METRIC_NAME,
    help: 'Command execution time per command, in seconds (INFO latencystats / LATENCY HISTOGRAM; calls faster than each le).',
    type: 'histogram',
    aggregator: 'sum',
    get: () => Promise.resolve({ name: LATENCY_METRIC_NAME, help: metric.help, type: 'histogram', aggregator: 'sum', values: latencySamples(source) }),
    reset: (): void => {},
  };
  registry.registerMetric(metric as unknown as Metric);
}
