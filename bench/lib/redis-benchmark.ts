// bench/lib/redis-benchmark.ts — what the corral benchmark harnesses that drive redis-benchmark
// (server, cluster) share: reading its output, the --keyspaces flag (which -r each run gets and how
// the warm-up fills that keyspace), and the hit/miss counts of INFO stats. Node 20 built-ins only.

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

// ---- keyspaces ------------------------------------------------------------------------------

/** Both harnesses' default: the 100,000-key figures users will see, and redis-benchmark's one key. */
export const DEFAULT_KEYSPACES = '1,100000';

/**
 * The keyspaces to run, from --keyspaces LIST (default DEFAULT_KEYSPACES) or its single-entry
 * synonym --keyspace N. 1 means redis-benchmark's default single key (no -r); N > 1 adds -r N.
 * Deduplicated, largest first (the order of the report's tables).
 */
export function parseKeyspaces(list: string | undefined, single: string | undefined): number[] {
  if (list !== undefined && single !== undefined) throw new Error('--keyspace N is a synonym for --keyspaces N: give one of them');
  const text = single ?? list ?? DEFAULT_KEYSPACES;
  const ks = text.split(',').map((k) => k.trim()).filter((k) => k !== '').map((k) => {
    const n = Number(k);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--keyspaces: expected positive integers, got "${k}"`);
    return n;
  });
  if (ks.length === 0) throw new Error('--keyspaces: empty list');
  return [...new Set(ks)].sort((a, b) => b - a);
}

/** redis-benchmark's arguments for a keyspace: none for 1 (its single key), else -r N. */
export function keyspaceArgs(keyspace: number): string[] {
  return keyspace > 1 ? ['-r', String(keyspace)] : [];
}

/** A keyspace for people, e.g. "100,000 keys (-r 100000)". */
export function keyspaceLabel(keyspace: number, singleKey = 'redis-benchmark\'s default single key, no -r'): string {
  return keyspace > 1 ? `${keyspace.toLocaleString('en-US')} keys (-r ${keyspace})` : `1 key (${singleKey})`;
}

/**
 * SETs for the warm-up of a keyspace of `keys` random keys, at least `minimum`. redis-benchmark
 * draws keys with random() % N, so it cannot fill N keys exactly: after `draws` x N draws a key
 * is still missing with probability e^-draws (10: ~5 of 100,000, so GETs hit > 99.99%). In
 * --cluster mode each node has its own N keys but serves an uneven share of the requests (20-45%
 * on 2 cores), hence more draws there. The hit % columns of the reports show what each run saw.
 */
export function warmupRequests(keys: number, minimum: number, draws = 10): number {
  return keys > 1 ? Math.max(minimum, keys * draws) : minimum;
}

/**
 * The key the getmiss test reads: a prefix no test writes, so every GET misses; `tag` is
 * "{tag}:" in --cluster mode (redis-benchmark puts each node's hash tag there). Without -r,
 * __rand_int__ stays literal: one key, never set.
 */
export function missKey(tag = ''): string {
  return `miss:${tag}__rand_int__`;
}

// ---- hits and misses ------------------------------------------------------------------------

/** Lookups counted by INFO stats (keyspace_hits / keyspace_misses). */
export interface LookupCounts {
  hits: number;
  misses: number;
}

/** keyspace_hits / keyspace_misses from INFO stats text (NaN if absent). */
export function lookupCounts(infoText: string): LookupCounts {
  const field = (k: string): number => {
    const m = new RegExp(`^${k}:(\\d+)`, 'm').exec(infoText);
    return m ? Number(m[1]) : NaN;
  };
  return { hits: field('keyspace_hits'), misses: field('keyspace_misses') };
}

/** The share of lookups that hit between two readings, in %; NaN when there were none. */
export function hitPercent(before: LookupCounts, after: LookupCounts): number {
  const hits = after.hits - before.hits;
  const lookups = hits + after.misses - before.misses;
  return lookups > 0 ? (hits / lookups) * 100 : NaN;
}
