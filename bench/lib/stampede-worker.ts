// bench/lib/stampede-worker.ts — one worker process of bench/stampede-bench.ts (forked; argv[2]
// is the cluster's 'host:port' list as JSON). It stands for one application process with its
// own cluster client and SDK cache, and runs what the parent asks over IPC:
//
// - burst: at a shared wall-clock instant, `callers` concurrent reads of one key, through
//   getOrLoad or naive cache-aside (GET, on a miss load + SET). The loader counts its calls and
//   takes `loaderMs`, so every caller arrives while the first load is still running: the
//   counts summed over the processes are the loader calls that one stampede costs.
// - hammer: `loops` concurrent getOrLoad loops over `keys` keys for `ms` (the cache may be down:
//   the outage test); the loader tracks how many of its calls run at once in this process and
//   sends start/end marks so the parent can see the concurrency across processes too.
//
// Node 20 built-ins only besides corral itself.

import { createClient } from '../../src/client/index.js';
import { createCache, type Cache } from '../../src/cache/index.js';
import { Histogram } from '../../src/demo/histogram.js';

export type BurstMode = 'sdk' | 'naive';

export type ToStampedeWorker =
  | { type: 'burst'; id: number; mode: BurstMode; key: string; callers: number; loaderMs: number; ttl: number; grace: number; startAt: number }
  | { type: 'hammer'; id: number; keys: number; loops: number; ms: number; loaderMs: number; prefix: string; startAt: number; naive: boolean }
  | { type: 'exit' };

export interface BurstResult {
  loaderCalls: number;
  errors: number;
  /** Distinct values the callers got (1 when all shared one load). */
  distinctValues: number;
  p50Ms: number;
  maxMs: number;
}

export interface HammerResult {
  calls: number;
  loaderCalls: number;
  peakConcurrentLoads: number;
  rejected: number;
  otherErrors: number;
  firstError: string | null;
  p50Ms: number;
  p99Ms: number;
  breakerState: string;
  failOpenLoads: number;
}

export type FromStampedeWorker =
  | { type: 'ready' }
  | { type: 'burst-done'; id: number; result: BurstResult }
  | { type: 'hammer-done'; id: number; result: HammerResult }
  | { type: 'load-mark'; delta: 1 | -1 }
  | { type: 'fatal'; error: string };

const nodes = JSON.parse(process.argv[2] ?? '[]') as string[];
const send = (m: FromStampedeWorker): void => void process.send?.(m);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const untilInstant = async (t: number): Promise<void> => {
  const d = t - Date.now();
  if (d > 0) await sleep(d);
};

// A short command timeout and few retries, so the outage test's cache calls fail in tens of ms
// (the breaker then opens and calls go straight to the bulkhead).
const client = createClient({ nodes, commandTimeout: 1000, connectTimeout: 500, retry: { attempts: 1, baseDelayMs: 20 } });
const cache: Cache = createCache({ client, ttl: 10_000, jitter: 0, bulkhead: { total: 16, perKey: 1, queue: 256 } });

async function burst(m: Extract<ToStampedeWorker, { type: 'burst' }>): Promise<BurstResult> {
  let loaderCalls = 0;
  const loader = async (): Promise<string> => {
    loaderCalls++;
    await sleep(m.loaderMs);
    return `value-${process.pid}-${loaderCalls}-${Date.now()}`;
  };
  const hist = new Histogram();
  const values = new Set<string>();
  let errors = 0;
  const one = async (): Promise<void> => {
    const t = performance.now();
    try {
      if (m.mode === 'sdk') {
        values.add(await cache.getOrLoad(m.key, loader, { ttl: m.ttl, grace: m.grace, jitter: 0 }));
      } else {
        // Naive cache-aside: no coordination at all.
        let v = await client.get(m.key);
        if (v === null) {
          v = await loader();
          await client.set(m.key, v, { px: m.ttl });
        }
        values.add(v);
      }
    } catch {
      errors++;
    }
    hist.record((performance.now() - t) * 1000);
  };
  await untilInstant(m.startAt);
  await Promise.all(Array.from({ length: m.callers }, one));
  await cache.idle(); // a background refresh (grace) counts too
  return { loaderCalls, errors, distinctValues: values.size, p50Ms: hist.quantile(0.5) / 1000, maxMs: hist.max / 1000 };
}

async function hammer(m: Extract<ToStampedeWorker, { type: 'hammer' }>): Promise<HammerResult> {
  let loaderCalls = 0;
  let running = 0;
  let peak = 0;
  let rejected = 0;
  let otherErrors = 0;
  let firstError: string | null = null;
  let calls = 0;
  const hist = new Histogram();
  const loader = async (): Promise<string> => {
    loaderCalls++;
    running++;
    if (running > peak) peak = running;
    send({ type: 'load-mark', delta: 1 });
    try {
      await sleep(m.loaderMs);
      return 'row';
    } finally {
      running--;
      send({ type: 'load-mark', delta: -1 });
    }
  };
  const failOpenBefore = cache.stats.failOpenLoads;
  await untilInstant(m.startAt);
  const end = Date.now() + m.ms;
  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      const key = `${m.prefix}${Math.floor(Math.random() * m.keys)}`;
      const t = performance.now();
      try {
        if (m.naive) {
          // Naive cache-aside that "fails open" by hand: any cache error -> straight to the loader.
          let v: string | null = null;
          try {
            v = await client.get(key);
          } catch {
            /* cache down */
          }
          if (v === null) await loader();
        } else {
          await cache.getOrLoad(key, loader, { ttl: 10_000 });
        }
      } catch (err) {
        if ((err as { code?: string }).code === 'E_BULKHEAD_FULL') rejected++;
        else {
          otherErrors++;
          firstError ??= (err as Error).message;
        }
        // A rejected call returns at once; pause so the loop does not spin on rejections.
        await sleep(5);
      }
      calls++;
      hist.record((performance.now() - t) * 1000);
    }
  };
  await Promise.all(Array.from({ length: m.loops }, loop));
  return {
    calls,
    loaderCalls,
    peakConcurrentLoads: peak,
    rejected,
    otherErrors,
    firstError,
    p50Ms: hist.quantile(0.5) / 1000,
    p99Ms: hist.quantile(0.99) / 1000,
    breakerState: cache.breakerState,
    failOpenLoads: cache.stats.failOpenLoads - failOpenBefore,
  };
}

process.on('message', (m: ToStampedeWorker) => {
  if (m.type === 'burst') burst(m).then((result) => send({ type: 'burst-done', id: m.id, result }), fatal);
  else if (m.type === 'hammer') hammer(m).then((result) => send({ type: 'hammer-done', id: m.id, result }), fatal);
  else if (m.type === 'exit') void cache.close().finally(() => {
    client.close();
    process.exit(0);
  });
});
process.on('disconnect', () => process.exit(0));

function fatal(err: Error): void {
  send({ type: 'fatal', error: err.stack ?? err.message });
}

client.ready().then(() => send({ type: 'ready' }), fatal);
