// The cache-aside SDK against a real three-node corral cluster (in-process nodes, real sockets,
// the node's CACHE.* lease commands): hits and misses, single flight in one process and leases
// across two caches and two OS processes, negative caching, versions, TTL jitter, grace
// (STALE_WON / STALE), invalidation with and without grace, the stale-set race, tags with an
// invalidation during an in-flight load, XFetch, soft and hard loader timeouts, loader errors,
// and failing open (dead port, stopped cluster) through the breaker and the bulkhead.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { createClient, type CorralClient } from '../../src/client/index.js';
import { createCache, LoaderTimeoutError, BulkheadFullError, type Cache, type CacheOptions } from '../../src/cache/index.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';
import { freePort } from '../support/servers.js';
import type { FromCacheWorker, ToCacheWorker } from '../support/cache-worker.js';

let cluster: CorralCluster;
let client: CorralClient;
let client2: CorralClient;
let seq = 0;
const caches: Cache[] = [];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** A fresh key per test (tests share the cluster). */
const key = (name: string) => `sdk:${++seq}:${name}`;

function cacheOn(c: CorralClient, o: Partial<CacheOptions> = {}): Cache {
  const cache = createCache({ client: c, ttl: 5000, jitter: 0, ...o });
  caches.push(cache);
  return cache;
}

/** A loader that counts calls and takes `ms`; values are produced by `value(n)`. */
function counting<T>(ms: number, value: (n: number) => T) {
  const l = Object.assign(
    async () => {
      const n = ++l.calls;
      if (ms > 0) await sleep(ms);
      return value(n);
    },
    { calls: 0 },
  );
  return l;
}

before(async () => {
  cluster = await startCorralCluster(3);
  const nodes = [`127.0.0.1:${cluster.ports[0]}`];
  client = createClient({ nodes, commandTimeout: 3000 });
  client2 = createClient({ nodes, commandTimeout: 3000 });
  await Promise.all([client.ready(), client2.ready()]);
});

after(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await client.quit();
  await client2.quit();
  await cluster.close();
});

describe('cache SDK on a corral cluster', () => {
  test('miss, hit, in-process single flight: 200 callers, one CACHE.GET flight, one load', async () => {
    const cache = cacheOn(client);
    const k = key('sf');
    const load = counting(30, () => ({ id: 1, name: 'a' }));
    const vs = await Promise.all(Array.from({ length: 200 }, () => cache.getOrLoad(k, load)));
    assert.equal(load.calls, 1);
    assert.ok(vs.every((v) => v.name === 'a'));
    assert.deepEqual(await cache.getOrLoad(k, load), { id: 1, name: 'a' });
    assert.equal(load.calls, 1);
    assert.equal(cache.stats.hits, 1);
    assert.equal(cache.stats.misses, 1);
    assert.equal(cache.stats.joined, 199);
    assert.deepEqual(await cache.get(k), { id: 1, name: 'a' });
    assert.equal(await cache.get(key('none')), null);
  });

  test('leases across two caches (two clients): one load, the other waits for its value', async () => {
    const a = cacheOn(client);
    const b = cacheOn(client2);
    const k = key('lease');
    const la = counting(100, () => 'A');
    const lb = counting(100, () => 'B');
    const pa = a.getOrLoad(k, la);
    await sleep(20);
    const pb = b.getOrLoad(k, lb);
    assert.deepEqual(await Promise.all([pa, pb]), ['A', 'A']);
    assert.equal(la.calls + lb.calls, 1);
    assert.equal(b.stats.leaseWaits, 1);
  });

  test('two OS processes x 100 concurrent callers: exactly one load, cold and right after expiry', async () => {
    const nodes = cluster.ports.map((p) => `127.0.0.1:${p}`);
    const url = new URL('../support/cache-worker.js', import.meta.url);
    const workers: ChildProcess[] = [0, 1].map(() => fork(url, [JSON.stringify(nodes)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const next = (w: ChildProcess) => new Promise<FromCacheWorker>((r) => w.once('message', (m) => r(m as FromCacheWorker)));
    try {
      await Promise.all(workers.map(next));
      const k = key('procs');
      const round = async () => {
        const msg: ToCacheWorker = { type: 'run', key: k, callers: 100, loaderMs: 80, ttl: 400, startAt: Date.now() + 100 };
        const replies = workers.map(next);
        for (const w of workers) w.send(msg);
        const rs = (await Promise.all(replies)) as Array<Extract<FromCacheWorker, { type: 'done' }>>;
        for (const r of rs) assert.deepEqual(r.errors, []);
        assert.equal(rs.reduce((s, r) => s + r.loaderCalls, 0), 1, 'one loader call across both processes');
        assert.equal(new Set(rs.flatMap((r) => r.values)).size, 1, 'every caller got the same value');
      };
      await round(); // cold
      await sleep(450); // expired
      await round();
    } finally {
      for (const w of workers) w.send({ type: 'exit' } satisfies ToCacheWorker);
      await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
    }
  });

  test('negative caching for negativeTtl; undefined round-trips', async () => {
    const cache = cacheOn(client, { negativeTtl: 150 });
    const k = key('neg');
    const load = counting(0, (n) => (n === 1 ? null : 'found'));
    assert.equal(await cache.getOrLoad(k, load), null);
    assert.equal(await cache.getOrLoad(k, load), null);
    assert.equal(load.calls, 1);
    await sleep(200);
    assert.equal(await cache.getOrLoad(k, load), 'found');
    const u = key('undef');
    assert.equal(await cache.getOrLoad(u, async () => undefined), undefined);
    assert.equal(await cache.getOrLoad(u, async () => 'x'), undefined);
  });

  test('ttl and jitter: the TTL written is within ±jitter; expiry reloads', async () => {
    const cache = cacheOn(client, { jitter: 0.2 });
    const ttls: number[] = [];
    for (let i = 0; i < 20; i++) {
      const k = key('jit');
      await cache.getOrLoad(k, async () => i, { ttl: 10_000 });
      ttls.push(await client.pttl(k));
    }
    assert.ok(ttls.every((t) => t > 7900 && t <= 12_000), String(ttls));
    assert.ok(new Set(ttls.map((t) => Math.round(t / 100))).size > 3, 'spread');
    const k = key('exp');
    const load = counting(0, (n) => n);
    await cache.getOrLoad(k, load, { ttl: 100, jitter: 0 });
    await sleep(150);
    assert.equal(await cache.getOrLoad(k, load, { ttl: 100, jitter: 0 }), 2);
  });

  test('version stamp: another version is a miss', async () => {
    const cache = cacheOn(client);
    const k = key('ver');
    await cache.getOrLoad(k, async () => 'v1', { version: 'schema-1' });
    assert.equal(await cache.getOrLoad(k, async () => 'x', { version: 'schema-1' }), 'v1');
    assert.equal(await cache.getOrLoad(k, async () => 'v2', { version: 'schema-2' }), 'v2');
  });

  test('grace: STALE_WON serves stale and refreshes once; another cache gets STALE meanwhile', async () => {
    const a = cacheOn(client, { grace: 5000 });
    const b = cacheOn(client2, { grace: 5000 });
    const k = key('grace');
    await a.getOrLoad(k, async () => 'old', { ttl: 100 });
    await sleep(150);
    const load = counting(100, () => 'new');
    assert.equal(await a.getOrLoad(k, load, { ttl: 100 }), 'old');
    assert.equal(await b.getOrLoad(k, load, { ttl: 100 }), 'old');
    assert.equal(load.calls, 1);
    await a.idle();
    assert.equal(await b.getOrLoad(k, load, { ttl: 5000 }), 'new');
    assert.equal(load.calls, 1);
    assert.equal(a.stats.staleServed + b.stats.staleServed, 2);
  });

  test('invalidate: with a grace, stale then one refresh; without, a miss', async () => {
    const cache = cacheOn(client);
    const k = key('inv');
    await cache.getOrLoad(k, async () => 'v1');
    assert.equal(await cache.invalidate(k, { grace: 2000 }), true);
    const load = counting(20, () => 'v2');
    assert.equal(await cache.getOrLoad(k, load), 'v1');
    await cache.idle();
    assert.equal(await cache.getOrLoad(k, load), 'v2');
    assert.equal(load.calls, 1);
    assert.equal(await cache.invalidate(k), true);
    assert.equal(await cache.get(k), null);
    assert.equal(await cache.invalidate(k), false);
  });

  test('stale-set race: invalidate during a slow load; its old value is never written, the next read reloads', async () => {
    const cache = cacheOn(client);
    const k = key('race');
    let row = 'old';
    const p = cache.getOrLoad(k, async () => {
      const read = row; // SELECT before the update commits
      await sleep(150);
      return read;
    });
    await sleep(50);
    row = 'new'; // UPDATE; commit
    await cache.invalidate(k); // then invalidate
    assert.equal(await p, 'old');
    assert.equal(cache.stats.setsRefused, 1);
    assert.equal(await client.exists(k), 0, 'the old value was not written');
    assert.equal(await cache.getOrLoad(k, async () => row), 'new');
  });

  test('tags: invalidateTags reloads; an invalidation during an in-flight load wins', async () => {
    const cache = cacheOn(client);
    const t1 = `user:${seq}`;
    const t2 = `team:${seq}`;
    const k = key('tags');
    const load = counting(0, (n) => n);
    assert.equal(await cache.getOrLoad(k, load, { tags: [t1, t2] }), 1);
    assert.equal(await cache.getOrLoad(k, load, { tags: [t1, t2] }), 1);
    await cache.invalidateTags([t2]);
    assert.equal(await cache.getOrLoad(k, load, { tags: [t1, t2] }), 2);

    const k2 = key('tags-inflight');
    let row = 'old';
    const p = cache.getOrLoad(
      k2,
      async () => {
        const read = row;
        await sleep(150);
        return read;
      },
      { tags: [t1] },
    );
    await sleep(50);
    row = 'new';
    await cache.invalidateTags([t1]);
    assert.equal(await p, 'old');
    assert.equal(await cache.getOrLoad(k2, async () => row, { tags: [t1] }), 'new');
    assert.equal(await cache.getOrLoad(k2, async () => 'x', { tags: [t1] }), 'new');
  });

  test('XFetch: a hit refreshes early in the background (beta large), the caller gets the current value', async () => {
    const cache = cacheOn(client);
    const k = key('xfetch');
    const load = counting(30, (n) => `v${n}`);
    assert.equal(await cache.getOrLoad(k, load, { beta: 0 }), 'v1');
    assert.equal(await cache.getOrLoad(k, load, { beta: 0 }), 'v1');
    assert.equal(cache.stats.earlyRefreshes, 0);
    assert.equal(await cache.getOrLoad(k, load, { beta: 1e6 }), 'v1', 'served at once');
    await cache.idle();
    assert.equal(cache.stats.earlyRefreshes, 1);
    assert.equal(load.calls, 2);
    assert.equal(await cache.getOrLoad(k, load, { beta: 0 }), 'v2');
  });

  test('softTimeout returns the stale copy and updates in the background; hardTimeout rejects E_LOADER_TIMEOUT', async () => {
    const cache = cacheOn(client, { grace: 5000 });
    const k = key('soft');
    await cache.getOrLoad(k, async () => 'old', { ttl: 50 });
    await sleep(80);
    let loadDone = false;
    const slowLoad = async () => {
      await sleep(600);
      loadDone = true;
      return 'slow';
    };
    assert.equal(await cache.getOrLoad(k, slowLoad, { ttl: 5000, softTimeout: 50 }), 'old');
    assert.equal(loadDone, false, 'returned at the soft timeout, before the load finished');
    await cache.idle();
    assert.equal(await cache.getOrLoad(k, async () => 'x'), 'slow');

    let signal: AbortSignal | undefined;
    await assert.rejects(
      cache.getOrLoad(key('hard'), (ctx) => ((signal = ctx.signal), new Promise(() => {})), { hardTimeout: 60 }),
      (e: unknown) => e instanceof LoaderTimeoutError && e.code === 'E_LOADER_TIMEOUT',
    );
    assert.equal(signal?.aborted, true);
  });

  test('loader errors surface as they are; the lease is released for the next caller', async () => {
    const a = cacheOn(client);
    const b = cacheOn(client2);
    const k = key('err');
    class DbError extends Error {}
    const pa = a.getOrLoad(k, async () => {
      await sleep(50);
      throw new DbError('db down');
    });
    await sleep(10);
    const t0 = Date.now();
    const pb = b.getOrLoad(k, async () => 'b');
    await assert.rejects(pa, DbError);
    assert.equal(await pb, 'b');
    assert.ok(Date.now() - t0 < 1000, 'not held until the lease expired');
  });

  test('freeze: hits share one frozen object until another cache writes the key', async () => {
    const a = cacheOn(client, { freeze: true });
    const b = cacheOn(client2);
    const k = key('frozen');
    const row = { id: 7, name: 'Crème', sizes: [40, 41] };
    assert.equal(await a.getOrLoad(k, async () => row), row);
    const h1 = await a.getOrLoad<typeof row>(k, async () => assert.fail('a hit'));
    const h2 = await a.getOrLoad<typeof row>(k, async () => assert.fail('a hit'));
    assert.deepEqual(h1, row);
    assert.equal(h2, h1);
    assert.ok(Object.isFrozen(h1.sizes));
    await b.set(k, { id: 7, name: 'changed', sizes: [] });
    const h3 = await a.getOrLoad<typeof row>(k, async () => assert.fail('a hit'));
    assert.deepEqual(h3, { id: 7, name: 'changed', sizes: [] }, 'the other process wrote new bytes');
    assert.ok(Object.isFrozen(h3));
  });
});

describe('cache SDK failing open', () => {
  test('dead port: loads go through the breaker and the bulkhead (peak concurrency <= total)', async () => {
    const port = await freePort();
    const dead = createClient({ nodes: [`127.0.0.1:${port}`], commandTimeout: 150, connectTimeout: 100, retry: { attempts: 0 } });
    const cache = cacheOn(dead, { breaker: { failureThreshold: 3, resetAfter: 60_000 }, bulkhead: { total: 3, queue: 100 } });
    const states: string[] = [];
    cache.on('breaker', (e) => states.push(e.to));
    let running = 0;
    let peak = 0;
    const load = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(20);
      running--;
      return 'db';
    };
    const vs = await Promise.all(Array.from({ length: 30 }, (_, i) => cache.getOrLoad(`k${i}`, load)));
    assert.ok(vs.every((v) => v === 'db'));
    assert.ok(peak <= 3, `peak ${peak}`);
    assert.equal(cache.stats.failOpenLoads, 30);
    assert.deepEqual(states, ['open']);
    const timeouts = dead.stats.timeouts;
    assert.equal(await cache.getOrLoad('later', load), 'db');
    assert.equal(dead.stats.timeouts, timeouts, 'breaker open: the cache is not tried');
    // beyond the queue
    const small = cacheOn(dead, { breaker: { failureThreshold: 1, resetAfter: 60_000 }, bulkhead: { total: 1, queue: 1 } });
    await small.getOrLoad('warm', load); // opens the breaker
    const rs = await Promise.allSettled(['a', 'b', 'c'].map((k) => small.getOrLoad(k, load)));
    assert.deepEqual(rs.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected']);
    assert.ok((rs[2] as PromiseRejectedResult).reason instanceof BulkheadFullError);
    dead.close();
  });

  test('stopped cluster: calls fail open after the command timeout, then the breaker skips the cache', async () => {
    const c2 = await startCorralCluster(3);
    const cl = createClient({ nodes: [`127.0.0.1:${c2.ports[0]}`], commandTimeout: 200, connectTimeout: 100, retry: { attempts: 0 } });
    await cl.ready();
    const cache = cacheOn(cl, { breaker: { failureThreshold: 2, resetAfter: 60_000 }, bulkhead: { total: 2 } });
    assert.equal(await cache.getOrLoad('warm', async () => 'cached'), 'cached');
    assert.equal(await cache.getOrLoad('warm', async () => 'x'), 'cached');
    await c2.close();
    let running = 0;
    let peak = 0;
    const load = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(10);
      running--;
      return 'db';
    };
    const vs = await Promise.all(Array.from({ length: 10 }, (_, i) => cache.getOrLoad(`s${i}`, load)));
    assert.ok(vs.every((v) => v === 'db'));
    assert.ok(peak <= 2);
    assert.equal(cache.breakerState, 'open');
    cl.close();
  });
});
