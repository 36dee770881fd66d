// Test support: one application process of the near-cache coherence test
// (test/system/near-cache.test.ts), forked with argv[2] = the nodes ('host:port' list, JSON).
// On {type:'run'} it opens a client with a near-cache (keys 'all'), waits for the wall-clock
// instant startAt, then for `ms` runs `loops` closed loops of random operations on the given
// keys: INCR with probability writeRatio, GET otherwise, and records each one
// (near-cache-history.ts). The loops yield to the event loop every few operations: reads served
// from the near-cache resolve without I/O, and a loop that never yields would keep this
// process from reading its invalidations at all.

import { createClient, type ClientStats } from '../../src/client/index.js';
import type { NearOp } from './near-cache-history.js';
import { machineNowMs as now } from './machine-clock.js';

export type ToNearWorker =
  | { type: 'run'; proc: number; keys: string[]; ms: number; startAt: number; writeRatio: number; loops: number }
  | { type: 'exit' };
export type FromNearWorker = { type: 'ready' } | { type: 'done'; ops: NearOp[]; stats: ClientStats; errors: string[] };

const nodes = JSON.parse(process.argv[2] ?? '[]') as string[];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const yieldToIo = (): Promise<void> => new Promise((r) => setImmediate(r));

async function run(m: Extract<ToNearWorker, { type: 'run' }>): Promise<FromNearWorker> {
  const client = createClient({ nodes, nearCache: { keys: 'all', maxBytes: 1 << 20 }, commandTimeout: 10_000 });
  await client.ready();
  for (const k of m.keys) await client.get(k); // opens the invalidation connections
  const ops: NearOp[] = [];
  const errors: string[] = [];
  const wait = m.startAt - Date.now();
  if (wait > 0) await sleep(wait);
  const end = Date.now() + m.ms;
  const loop = async (): Promise<void> => {
    for (let n = 0; Date.now() < end; n++) {
      if (n % 4 === 3) await yieldToIo();
      const key = m.keys[Math.floor(Math.random() * m.keys.length)];
      const write = Math.random() < m.writeRatio;
      const start = now();
      try {
        const v = write ? await client.incr(key) : await client.get(key);
        ops.push({ kind: write ? 'write' : 'read', key, start, end: now(), value: v === null ? 0 : Number(v), proc: m.proc });
      } catch (err) {
        if (errors.length < 5) errors.push(String((err as Error).message));
      }
    }
  };
  await Promise.all(Array.from({ length: m.loops }, loop));
  const stats = { ...client.stats };
  client.close();
  return { type: 'done', ops, stats, errors };
}

process.on('message', (m: ToNearWorker) => {
  if (m.type === 'exit') process.exit(0);
  run(m).then(
    (r) => process.send!(r),
    (err: unknown) => process.send!({ type: 'done', ops: [], stats: null, errors: [String((err as Error).stack ?? err)] }),
  );
});
process.send!({ type: 'ready' } satisfies FromNearWorker);
