// bench/lib/hit-cost.ts — the cost of a cache hit, for bench/stampede-bench.ts: in this one
// process, closed loops each awaiting one read at a time for a fixed time per round, through:
//   - corral's client GET (the floor: one round trip, a utf8 string),
//   - corral's client GET + JSON.parse (what a hand-written cache-aside hit does),
//   - the SDK's getOrLoad on a hit (CACHE.GET, envelope decode, JSON.parse),
//   - the same with createCache({ freeze: true }) (src/cache/decoded.ts: a hit of unchanged
//     bytes returns the frozen object decoded before, no JSON.parse),
//   - ioredis Cluster GET (bentocache's transport, to separate its cost from the library's),
//   - bentocache getOrSet with only its Redis L2 (ioredis Cluster on the same corral cluster),
//   - bentocache getOrSet with its memory L1 in front (an in-process hit: for reference).
// Rounds rotate the order; the report is each target's median ops/s and µs per op.
//
// Shapes: 1 loop on one key; 50 loops on one key (the SDK's in-process single flight makes
// concurrent calls for one key share one CACHE.GET, so it is not a like-for-like per-op cost);
// 50 loops on 50 keys (one each: no sharing); and 50 loops on 50 other keys whose values are a
// ~3.6 KB object (the product with 50 variants), where JSON.parse costs several GETs.

import { Cluster } from 'ioredis';
import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createClient } from '../../src/client/index.js';
import { createCache } from '../../src/cache/index.js';
import { median } from './report.js';

export interface HitShape {
  name: string;
  loops: number;
  keys: number;
  /** Key index of the shape's first key: the large-value keys are LARGE_FROM on. */
  from: number;
}

const LARGE_FROM = 1000;

export const SHAPES: HitShape[] = [
  { name: '1 loop, 1 key', loops: 1, keys: 1, from: 0 },
  { name: '50 loops, 1 key', loops: 50, keys: 1, from: 0 },
  { name: '50 loops, 50 keys', loops: 50, keys: 50, from: 0 },
  { name: '50 loops, 50 keys, 3.6 KB values', loops: 50, keys: 50, from: LARGE_FROM },
];

export interface HitRow {
  shape: string;
  target: string;
  opsPerSec: number[];
  medianOpsPerSec: number;
  medianUsPerOp: number;
}

interface Target {
  name: string;
  /** Reads key i (a hit). */
  read(i: number): Promise<unknown>;
}

const PRODUCT = { id: 1, name: 'Flash-sale sneakers', price: '59.99', stock: 1000, tags: ['shoes', 'sale'] };
const LARGE = {
  ...PRODUCT,
  variants: Array.from({ length: 50 }, (_, i) => ({ sku: `SKU-${i}`, size: 36 + (i % 12), color: ['red', 'blue', 'black'][i % 3], stock: i * 7, price: '59.99' })),
};

export async function hitCost(nodes: string[], rounds: number, roundMs: number, log: (l: string) => void): Promise<HitRow[]> {
  const client = createClient({ nodes });
  await client.ready();
  const cache = createCache({ client, ttl: 3_600_000 });
  const frozen = createCache({ client, ttl: 3_600_000, freeze: true });
  const seeds = nodes.map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) }));
  const io = new Cluster(seeds);
  const ioForBento = new Cluster(seeds);
  const bento = new BentoCache({
    default: 'l2',
    stores: {
      l2: bentostore().useL2Layer(redisDriver({ connection: ioForBento })),
      both: bentostore()
        .useL1Layer(memoryDriver({ maxSize: '10mb' }))
        .useL2Layer(redisDriver({ connection: ioForBento })),
    },
  });
  const l2 = bento.use('l2');
  const both = bento.use('both');
  const raw = (i: number): string => `hit:raw:${i}`;
  const sdk = (i: number): string => `hit:sdk:${i}`;
  const frz = (i: number): string => `hit:frozen:${i}`;
  const bk = (i: number): string => `hit:bento:${i}`;
  const factory = (): typeof PRODUCT => PRODUCT;
  for (const shape of SHAPES) {
    const value = shape.from >= LARGE_FROM ? LARGE : PRODUCT;
    const load = (): typeof PRODUCT => value;
    for (let i = shape.from; i < shape.from + shape.keys; i++) {
      await client.set(raw(i), JSON.stringify(value));
      await cache.getOrLoad(sdk(i), load);
      await frozen.getOrLoad(frz(i), load);
      await l2.getOrSet({ key: bk(i), factory: load, ttl: '1h' });
      await both.getOrSet({ key: bk(i), factory: load, ttl: '1h' });
    }
  }
  const loaderCalled = (): never => {
    throw new Error('getOrLoad called its loader: not a hit');
  };
  const targets: Target[] = [
    { name: 'corral client GET', read: (i) => client.get(raw(i)) },
    { name: 'corral client GET + JSON.parse', read: async (i) => JSON.parse((await client.get(raw(i)))!) as unknown },
    { name: 'SDK getOrLoad (hit)', read: (i) => cache.getOrLoad(sdk(i), loaderCalled) },
    { name: 'SDK getOrLoad (hit), freeze: true', read: (i) => frozen.getOrLoad(frz(i), loaderCalled) },
    { name: 'ioredis Cluster GET', read: (i) => io.get(raw(i)) },
    { name: 'bentocache getOrSet (Redis L2 only)', read: (i) => l2.getOrSet({ key: bk(i), factory, ttl: '1h' }) },
    { name: 'bentocache getOrSet (memory L1 + Redis L2)', read: (i) => both.getOrSet({ key: bk(i), factory, ttl: '1h' }) },
  ];
  const rows: HitRow[] = [];
  try {
    for (const shape of SHAPES) {
      const runs = new Map<string, number[]>(targets.map((t) => [t.name, []]));
      for (let r = 0; r < rounds; r++) {
        // Rotate the order each round so no target always runs first (or right after another).
        const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
        for (const t of order) runs.get(t.name)!.push(await measure(t, shape, roundMs));
      }
      for (const t of targets) {
        const ops = runs.get(t.name)!;
        const m = median(ops);
        rows.push({ shape: shape.name, target: t.name, opsPerSec: ops.map(Math.round), medianOpsPerSec: Math.round(m), medianUsPerOp: (1e6 * shape.loops) / m });
        log(`  ${shape.name.padEnd(18)} ${t.name.padEnd(42)} ${Math.round(m).toLocaleString('en-US').padStart(9)} ops/s`);
      }
    }
  } finally {
    await cache.close();
    await frozen.close();
    await client.quit();
    await bento.disconnectAll().catch(() => undefined);
    io.disconnect();
    ioForBento.disconnect();
  }
  return rows;
}

/** ops/s of `shape.loops` closed loops on `t` for `ms` (after 100 ms of warm-up). */
async function measure(t: Target, shape: HitShape, ms: number): Promise<number> {
  const run = async (duration: number): Promise<number> => {
    let ops = 0;
    const end = performance.now() + duration;
    await Promise.all(
      Array.from({ length: shape.loops }, async (_, loop) => {
        const key = shape.from + (loop % shape.keys);
        while (performance.now() < end) {
          await t.read(key);
          ops++;
        }
      }),
    );
    return ops;
  };
  await run(100);
  const t0 = performance.now();
  const ops = await run(ms);
  return (ops * 1000) / (performance.now() - t0);
}
