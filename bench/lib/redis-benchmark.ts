// bench/lib/redis-benchmark.ts — reading redis-benchmark's output, for the corral benchmark
// harnesses that drive it (server, cluster). Node 20 built-ins only.

/** The numbers of one redis-benchmark 7.0 `--csv` row (latencies in ms). */
export interface BenchmarkCsvRow {
  test: string;
  rps: number;
  avgMs: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

const cells = (l: string): string[] => l.split('","').map((c) => c.replace(/^"|"$/g, ''));

/**
 * Parse redis-benchmark 7.0 --csv output: a header line then one quoted row per test (other
 * lines, such as `--cluster`'s "Cluster has 3 master nodes:" preamble, are ignored).
 * Returns the first data row; throws if there is none.
 */
export function parseBenchmarkCsv(out: string): BenchmarkCsvRow {
  const lines = out.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('"'));
  const header = lines.find((l) => l.startsWith('"test"'));
  const row = lines.find((l) => !l.startsWith('"test"'));
  if (header === undefined || row === undefined) throw new Error('no CSV row in redis-benchmark output');
  const h = cells(header);
  const r = cells(row);
  const num = (k: string): number => {
    const i = h.indexOf(k);
    return i < 0 ? NaN : Number(r[i]);
  };
  return {
    test: r[h.indexOf('test')] ?? '',
    rps: num('rps'),
    avgMs: num('avg_latency_ms'),
    minMs: num('min_latency_ms'),
    p50Ms: num('p50_latency_ms'),
    p95Ms: num('p95_latency_ms'),
    p99Ms: num('p99_latency_ms'),
    maxMs: num('max_latency_ms'),
  };
}

/**
 * The lines of redis-benchmark output that are neither CSV nor its `--cluster` preamble
 * (errors, warnings such as "Error from server ...: MOVED ..."), at most `max` of them.
 */
export function benchmarkNoise(out: string, max = 10): string[] {
  const noise = out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('"') && !/^Cluster has \d+ master nodes:$|^Master \d+: /.test(l));
  return noise.length > max ? [...noise.slice(0, max), `... (${noise.length - max} more lines)`] : noise;
}
