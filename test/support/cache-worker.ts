// Test support: one "application process" for the cross-process lease test in
// test/integration/cache-sdk.test.ts (forked; argv[2] = the cluster's 'host:port' list as JSON).
// On {type:'run'} it starts `callers` concurrent getOrLoad of one key at the wall-clock instant
// `startAt`, with a loader that counts its calls and takes `loaderMs`, and reports the count.

import { createClient } from '../../src/client/index.js';
import { createCache } from '../../src/cache/index.js';

export type ToCacheWorker = { type: 'run'; key: string; callers: number; loaderMs: number; ttl: number; startAt: number } | { type: 'exit' };
export type FromCacheWorker = { type: 'ready' } | { type: 'done'; loaderCalls: number; values: string[]; errors: string[] };

const nodes = JSON.parse(process.argv[2] ?? '[]') as string[];
const client = createClient({ nodes });
const cache = createCache({ client, ttl: 1000, jitter: 0, beta: 0 });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

process.on('message', async (m: ToCacheWorker) => {
  if (m.type === 'exit') {
    await cache.close();
    client.close();
    process.exit(0);
  }
  let loaderCalls = 0;
  const loader = async (): Promise<string> => {
    loaderCalls++;
    await sleep(m.loaderMs);
    return `v-${process.pid}-${Date.now()}`;
  };
  const wait = m.startAt - Date.now();
  if (wait > 0) await sleep(wait);
  const values = new Set<string>();
  const errors: string[] = [];
  await Promise.all(
    Array.from({ length: m.callers }, () =>
      cache.getOrLoad(m.key, loader, { ttl: m.ttl }).then(
        (v) => void values.add(v),
        (e: Error) => void errors.push(String(e.message)),
      ),
    ),
  );
  process.send!({ type: 'done', loaderCalls, values: [...values], errors } satisfies FromCacheWorker);
});

await client.ready();
process.send!({ type: 'ready' } satisfies FromCacheWorker);
