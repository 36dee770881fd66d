// bench/lib/reshard-settings.ts — the command line of the resharding benchmark (bench/reshard-bench.ts):
// its --help text, the flags parsed into Settings, the variants (systems and corral rates) a round
// runs, and corral's default move rate.

import { parseArgs } from 'node:util';
import { nonNegIntFlag, positiveIntFlag } from './report.js';
import type { JoinMode } from './reshard-clusters.js';
import { parseMemory } from '../../src/server/config.js';

export const CORRAL_DEFAULT_RATE = 64 * 1024 * 1024;

const HELP = `Usage: node dist/bench/reshard-bench.js [flags]   (npm run bench:reshard -- [flags])

Adds a 4th shard to a 3-shard cluster holding --keys keys under a steady GET/SET load, corral
(CORRAL RESHARD ADD) side by side with Redis 7 Cluster (redis-cli --cluster add-node + rebalance;
redis-server and redis-cli must be installed). A fresh cluster per run, systems alternating.
Results: bench/results/reshard-<timestamp>.json and bench/results/reshard-latest.md.

  --rounds N              rounds; each runs every system once, order reversed every round (default 2)
  --systems LIST          redis,corral (default both)
  --keys N                keys loaded (default 1000000)
  --min-size N            smallest value, bytes (default 16)
  --max-size N            largest value, bytes (default 4096); sizes uniform in between, fixed per key
  --replicas N            replicas per shard of the first 3 shards, both systems (default 0; the new
                          shard gets none)
  --rate R                corral's RATE (bytes/s per source: 16mb, 64mb, 0 = no limit); default:
                          RATE omitted, i.e. corral's default (${CORRAL_DEFAULT_RATE / 2 ** 20}mb)
  --rates LIST            corral at each of these rates, one run each per round (e.g.
                          16mb,default,0); overrides --rate
  --join MODE             how corral's 4th node joins: join (started without a coordinator, CORRAL
                          JOIN after ADD, as corral cluster add-shard does; default) or coordinator
                          (started with --coordinator: placed as a replica first and synced, then ADD)
  --set-ratio X           share of SETs in the load (default 0.1)
  --load-share X          the steady load as a share of the measured peak (default 0.5)
  --load-basis B          min: every system of a round prepared first (started, loaded, peak
                          measured), then all run at --load-share x the round's LOWEST peak
                          (default; holds every system's cluster of the round at once: with
                          --rates and 1M keys, ~2-3 GB each); per-system: each run at
                          --load-share x its own peak
  --load-rate N           a fixed steady load, requests/s, for every run (overrides --load-share)
  --peak-concurrency N    requests in flight while measuring the peak (default 64)
  --peak-s N              seconds measured for the peak, after 1 s of warm-up (default 5)
  --warmup-s N            unrecorded seconds of steady load first (default 3)
  --before-s N            the "before" window, seconds (default 10)
  --after-s N             the "after" window, seconds (default 10)
  --move-timeout-s N      give up on a move after this (default 1800)
  --redis-pipeline N      redis-cli rebalance --cluster-pipeline (keys per MIGRATE; default: redis-cli's 10)
  --command-timeout-ms N  ioredis commandTimeout of the load client (default 0: none, ioredis's default)
  --max-redirections N    ioredis maxRedirections (default: ioredis's 16)
  --help                  this text
`;

export interface Variant {
  system: 'redis' | 'corral';
  /** corral's RATE argument, null: omitted. */
  rate: string | null;
  label: string;
}

export interface Settings {
  rounds: number;
  variants: Variant[];
  keys: number;
  minSize: number;
  maxSize: number;
  replicas: number;
  join: JoinMode;
  setRatio: number;
  loadShare: number;
  loadBasis: 'min' | 'per-system';
  loadRate: number | null;
  peakConcurrency: number;
  peakS: number;
  warmupS: number;
  beforeS: number;
  afterS: number;
  moveTimeoutS: number;
  redisPipeline: number | null;
  commandTimeoutMs: number;
  maxRedirections: number | null;
}


function shareFlag(s: string | undefined, what: string, dflt: number, allowZero: boolean): number {
  if (s === undefined || s === '') return dflt;
  const n = Number(s);
  if (!(n >= 0 && n <= 1) || (!allowZero && n === 0)) throw new Error(`${what}: expected a number ${allowZero ? 'from 0' : 'above 0'} to 1, got "${s}"`);
  return n;
}

export function rateBytes(rate: string | null): number {
  return rate === null ? CORRAL_DEFAULT_RATE : parseMemory(rate)!;
}

function corralVariant(rate: string | null): Variant {
  return { system: 'corral', rate, label: rate === null ? 'corral' : `corral RATE ${rate}` };
}

export function parseSettings(): Settings | null {
  const str = { type: 'string' } as const;
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      rounds: str, systems: str, keys: str, 'min-size': str, 'max-size': str, replicas: str, rate: str, rates: str, join: str,
      'set-ratio': str, 'load-share': str, 'load-basis': str, 'load-rate': str, 'peak-concurrency': str, 'peak-s': str, 'warmup-s': str,
      'before-s': str, 'after-s': str, 'move-timeout-s': str, 'redis-pipeline': str, 'command-timeout-ms': str, 'max-redirections': str,
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return null;
  }
  const systems = (values.systems ?? 'redis,corral').split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const x of systems) if (x !== 'redis' && x !== 'corral') throw new Error(`--systems: unknown system "${x}" (redis, corral)`);
  const checkRate = (r: string): string | null => {
    if (r === 'default') return null;
    const n = parseMemory(r);
    if (n === undefined || n < 0) throw new Error(`--rate(s): "${r}" is not a number of bytes per second (e.g. 16mb, 64mb, 0, default)`);
    return r;
  };
  const rates = values.rates !== undefined
    ? values.rates.split(',').map((x) => x.trim()).filter((x) => x !== '').map(checkRate)
    : [values.rate === undefined ? null : checkRate(values.rate)];
  const variants: Variant[] = [];
  for (const x of systems) {
    if (x === 'redis') variants.push({ system: 'redis', rate: null, label: 'redis' });
    else for (const r of rates) variants.push(corralVariant(r));
  }
  const basis = values['load-basis'] ?? 'min';
  if (basis !== 'min' && basis !== 'per-system') throw new Error(`--load-basis: expected min or per-system, got "${basis}"`);
  const join = values.join ?? 'join';
  if (join !== 'join' && join !== 'coordinator') throw new Error(`--join: expected join or coordinator, got "${join}"`);
  const minSize = positiveIntFlag(values['min-size'], '--min-size', 16);
  const maxSize = positiveIntFlag(values['max-size'], '--max-size', 4096);
  if (minSize < 12 || maxSize < minSize || maxSize > 65535) throw new Error('--min-size / --max-size: need 12 <= min <= max <= 65535');
  return {
    rounds: positiveIntFlag(values.rounds, '--rounds', 2),
    variants,
    keys: positiveIntFlag(values.keys, '--keys', 1_000_000),
    minSize,
    maxSize,
    replicas: nonNegIntFlag(values.replicas, '--replicas', 0),
    join,
    setRatio: shareFlag(values['set-ratio'], '--set-ratio', 0.1, true),
    loadShare: shareFlag(values['load-share'], '--load-share', 0.5, false),
    loadBasis: basis,
    loadRate: values['load-rate'] === undefined ? null : positiveIntFlag(values['load-rate'], '--load-rate', 1),
    peakConcurrency: positiveIntFlag(values['peak-concurrency'], '--peak-concurrency', 64),
    peakS: positiveIntFlag(values['peak-s'], '--peak-s', 5),
    warmupS: nonNegIntFlag(values['warmup-s'], '--warmup-s', 3),
    beforeS: positiveIntFlag(values['before-s'], '--before-s', 10),
    afterS: positiveIntFlag(values['after-s'], '--after-s', 10),
    moveTimeoutS: positiveIntFlag(values['move-timeout-s'], '--move-timeout-s', 1800),
    redisPipeline: values['redis-pipeline'] === undefined ? null : positiveIntFlag(values['redis-pipeline'], '--redis-pipeline', 10),
    commandTimeoutMs: nonNegIntFlag(values['command-timeout-ms'], '--command-timeout-ms', 0),
    maxRedirections: values['max-redirections'] === undefined ? null : positiveIntFlag(values['max-redirections'], '--max-redirections', 16),
  };
}
