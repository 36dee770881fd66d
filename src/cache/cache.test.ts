// The cache's decisions against FakeCacheNode (the lease commands in memory) and FakeTime:
// no sockets, no sleeping. test/integration/cache-sdk.test.ts runs the same behaviours against
// real corral nodes. Every test runs twice: over the plain fake (getOrLoad's flow() with its
// awaits), and over a fake that can issue settling records as the client does (the hit path of
// read.ts, where the reply is decided in the reply's turn).

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCache, type LoaderContext } from './cache.js';
import { decodeEnvelope, F_EMPTY } from './envelope.js';
import { BulkheadFullError, CacheClosedError, LoaderTimeoutError } from './errors.js';
import type { CacheOptions } from './options.js';
import { FakeCacheNode, FakeTime, settle } from '../../test/support/cache-fake-node.js';
import type { SettlingCommand } from '../client/command.js';

/** A reply as the client hands it to a record read in latin1 (CacheRead): bulk strings as text. */
function asLatin1(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  return Array.isArray(v) ? v.map(asLatin1) : v;
}

/** FakeCacheNode that settles records as the client's core does (SettlingCommand). */
class SettlingFakeNode extends FakeCacheNode {
  settled = 0;

  issueSettling(cmd: SettlingCommand): Promise<unknown> {
    this.settled++;
    return this.cacheGet(cmd.args[1], cmd.args[2] as number).then(
      (v) => cmd.settle(asLatin1(v)),
      (e: Error) => cmd.settleError(e),
    );
  }
}

/** Which fake the tests of the current describe block run over (set by its before()). */
let settlingReads = false;

function newNode(time: FakeTime): FakeCacheNode {
  return settlingReads ? new SettlingFakeNode(time) : new FakeCacheNode(time);
}

function setup(extra: Partial<CacheOptions> = {}, shared?: { time: FakeTime; node: FakeCacheNode }) {
  const time = shared?.time ?? new FakeTime();
  const node = shared?.node ?? newNode(time);
  const cache = createCache({ client: node, ttl: 1000, jitter: 0, clock: time, timers: time, random: () => 0.5, ...extra });
  return { time, node, cache };
}

/** A loader that takes `ms` of fake time and counts its calls. */
function slowLoader<T>(time: FakeTime, ms: number, value: (n: number) => T) {
  const l = Object.assign(
    (ctx: LoaderContext<T>) => {
      l.calls++;
      l.contexts.push(ctx);
      const n = l.calls;
      return new Promise<T>((resolve) => time.setTimeout(() => resolve(value(n)), ms));
    },
    { calls: 0, contexts: [] as Array<LoaderContext<T>> },
  );
  return l;
}

for (const settling of [false, true]) describe(settling ? 'cache (fake node, settling reads)' : 'cache (fake node)', () => {
  before(() => {
    settlingReads = settling;
  });

  test('miss loads and stores; hit serves without loading; in-process single flight', async () => {
    const { time, node, cache } = setup();
    const load = slowLoader(time, 20, (n) => ({ n }));
    const ps = Array.from({ length: 50 }, () => cache.getOrLoad('k', load));
    await time.advance(20);
    const vs = await Promise.all(ps);
    assert.deepEqual(vs[0], { n: 1 });
    assert.ok(vs.every((v) => v === vs[0]), 'joined callers share the value');
    assert.equal(load.calls, 1);
    assert.equal(node.count('CACHE.GET'), 1);
    assert.equal(node.count('CACHE.SET'), 1);
    assert.deepEqual(await cache.getOrLoad('k', load), { n: 1 });
    assert.equal(load.calls, 1);
    assert.equal(cache.stats.hits, 1);
    assert.equal(cache.stats.misses, 1);
    assert.equal(cache.stats.joined, 49);
    assert.equal(cache.stats.loads, 1);
    if (settling) assert.equal((node as SettlingFakeNode).settled, 2, 'both CACHE.GETs took the hit path');
    const env = decodeEnvelope(node.data.get('k')!.value)!;
    assert.equal(env.delta, 20, 'load duration recorded for XFetch');
    assert.deepEqual(await cache.get('k'), { n: 1 });
    assert.equal(await cache.get('nope'), null);
  });

  test('ttl expiry reloads; jitter spreads the ttl written', async () => {
    const { time, node, cache } = setup();
    let n = 0;
    await cache.getOrLoad('k', async () => ++n);
    await time.advance(999);
    assert.equal(await cache.getOrLoad('k', async () => ++n), 1);
    await time.advance(1);
    assert.equal(await cache.getOrLoad('k', async () => ++n), 2);
    const j = setup({ jitter: 0.2, random: () => 0.999 }, { time, node });
    await j.cache.getOrLoad('j', async () => 1, { ttl: 1000 });
    assert.equal(node.data.get('j')!.expiresAt - time.now(), 1200);
  });

  test('two processes (two caches on one node): one loader call, the other waits for the value', async () => {
    const a = setup();
    const b = setup({}, a);
    const la = slowLoader(a.time, 100, () => 'from-a');
    const lb = slowLoader(a.time, 100, () => 'from-b');
    const pa = a.cache.getOrLoad('k', la);
    await settle();
    const pb = b.cache.getOrLoad('k', lb);
    await a.time.advance(200);
    assert.equal(await pa, 'from-a');
    assert.equal(await pb, 'from-a');
    assert.equal(la.calls + lb.calls, 1);
    assert.equal(b.cache.stats.leaseWaits, 1);
  });

  test('a waiter whose lease holder died takes the lease over when it expires', async () => {
    const a = setup({ leaseMs: 300 });
    const b = setup({ leaseMs: 300 }, a);
    void a.cache.getOrLoad('k', () => new Promise(() => {})); // hangs forever: a "dead" holder
    await settle();
    const lb = slowLoader(a.time, 10, () => 'b');
    const pb = b.cache.getOrLoad('k', lb);
    await a.time.advance(400);
    assert.equal(await pb, 'b');
    assert.equal(lb.calls, 1);
    assert.equal(b.cache.stats.waitTimeouts, 0, 'won the expired lease, did not time out');
    assert.equal(a.node.data.has('k'), true, 'and wrote it');
  });

  test('waitPoll.timeout: past it the waiter loads itself without writing', async () => {
    const a = setup({ leaseMs: 10_000 });
    const b = setup({ leaseMs: 10_000, waitPoll: { timeout: 200 } }, a);
    void a.cache.getOrLoad('k', () => new Promise(() => {}));
    await settle();
    const pb = b.cache.getOrLoad('k', async () => 'b');
    await a.time.advance(300);
    assert.equal(await pb, 'b');
    assert.equal(b.cache.stats.waitTimeouts, 1);
    assert.equal(a.node.data.has('k'), false);
  });

  test('negative caching: null and undefined cached for negativeTtl; 0 = not cached, lease released', async () => {
    const { time, node, cache } = setup({ negativeTtl: 100 });
    let calls = 0;
    assert.equal(await cache.getOrLoad('n', async () => (calls++, null)), null);
    assert.equal(await cache.getOrLoad('n', async () => (calls++, null)), null);
    assert.equal(calls, 1);
    assert.equal(await cache.getOrLoad('u', async () => undefined), undefined);
    assert.equal(await cache.getOrLoad('u', async () => 'x'), undefined);
    await time.advance(100);
    assert.equal(await cache.getOrLoad('n', async () => (calls++, 'found')), 'found');
    assert.equal(calls, 2);

    assert.equal(await cache.getOrLoad('z', async () => null, { negativeTtl: 0 }), null);
    const env = decodeEnvelope(node.data.get('z')!.value)!;
    assert.ok(env.flags & F_EMPTY, 'placeholder, read as a miss');
    assert.equal(node.leases.has('z'), false, 'lease released');
    assert.equal(await cache.getOrLoad('z', async () => 'later'), 'later', 'placeholder is not served');
  });

  test('version stamp: another version is a miss', async () => {
    const { cache } = setup();
    await cache.getOrLoad('k', async () => 'v1', { version: 1 });
    assert.equal(await cache.getOrLoad('k', async () => 'x', { version: 1 }), 'v1');
    assert.equal(await cache.getOrLoad('k', async () => 'v2', { version: 2 }), 'v2');
    assert.equal(await cache.get('k', { version: 1 }), null);
    assert.equal(await cache.get('k', { version: 2 }), 'v2');
  });

  test('grace: STALE_WON serves stale and refreshes once in the background; others get STALE', async () => {
    const a = setup({ grace: 5000 });
    const b = setup({ grace: 5000 }, a);
    await a.cache.getOrLoad('k', async () => 'old');
    await a.time.advance(1000);
    const l = slowLoader(a.time, 50, () => 'new');
    assert.equal(await a.cache.getOrLoad('k', l), 'old');
    assert.equal(await b.cache.getOrLoad('k', l), 'old');
    assert.equal(await a.cache.getOrLoad('k', l), 'old');
    assert.equal(l.calls, 1);
    assert.equal(l.contexts[0].background, true);
    assert.equal(l.contexts[0].stale, 'old');
    await a.time.advance(50);
    await a.cache.idle();
    assert.equal(await b.cache.getOrLoad('k', l), 'new');
    assert.equal(a.cache.stats.staleServed, 2);
    assert.equal(a.cache.stats.backgroundRefreshes, 1);
  });

  test('invalidate with grace: stale for the grace, one refresh; without: a miss', async () => {
    const { time, cache } = setup();
    await cache.getOrLoad('k', async () => 'v1');
    assert.equal(await cache.invalidate('k', { grace: 1000 }), true);
    const l = slowLoader(time, 10, () => 'v2');
    assert.equal(await cache.getOrLoad('k', l), 'v1');
    await time.advance(10);
    await cache.idle();
    assert.equal(await cache.getOrLoad('k', l), 'v2');
    assert.equal(l.calls, 1);
    assert.equal(await cache.invalidate('k'), true);
    assert.equal(await cache.get('k'), null);
    assert.equal(await cache.invalidate('k'), false);
  });

  test('softTimeout: a stale value is returned past it, the load finishes in the background', async () => {
    const { time, node, cache } = setup({ grace: 5000, softTimeout: 30 });
    await cache.getOrLoad('k', async () => 'old');
    await time.advance(1000);
    const fast = slowLoader(time, 10, () => 'fast');
    const p1 = cache.getOrLoad('k', fast);
    await time.advance(10);
    assert.equal(await p1, 'fast', 'within the soft timeout the fresh value is awaited');
    await time.advance(1000);
    const slow = slowLoader(time, 100, () => 'slow');
    const p2 = cache.getOrLoad('k', slow);
    await time.advance(30);
    assert.equal(await p2, 'fast', 'the stale copy is served at the soft timeout');
    await time.advance(70);
    await cache.idle();
    assert.equal(decodeEnvelope(node.data.get('k')!.value)!.payload.toString(), '"slow"');
    assert.equal(cache.stats.staleServed, 1);
  });

  test('hardTimeout: LoaderTimeoutError and the signal aborted', async () => {
    const { time, cache } = setup({ hardTimeout: 100 });
    let signal: AbortSignal | undefined;
    const p = cache.getOrLoad('k', (ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    });
    const check = assert.rejects(p, (e: unknown) => e instanceof LoaderTimeoutError && e.code === 'E_LOADER_TIMEOUT');
    await time.advance(100);
    await check;
    assert.equal(signal!.aborted, true);
    assert.ok(signal!.reason instanceof LoaderTimeoutError);
    assert.equal(cache.stats.loadErrors, 1);
  });

  test('loader errors surface as they are; the lease is released so another process loads at once', async () => {
    const a = setup();
    const b = setup({}, a);
    class DbError extends Error {}
    const pa = a.cache.getOrLoad('k', () => new Promise((_, rej) => a.time.setTimeout(() => rej(new DbError('db down')), 50)));
    const check = assert.rejects(pa, DbError);
    await settle();
    const pb = b.cache.getOrLoad('k', async () => 'b');
    await a.time.advance(50);
    await check;
    await a.time.advance(100);
    assert.equal(await pb, 'b');
    assert.ok(a.time.now() - 1_700_000_000_000 < 200, 'not held until the 5 s lease expiry');
  });

  test('staleOnError + errorBackoff: stale served, loader not retried during the backoff', async () => {
    const { time, cache } = setup({ grace: 10_000, softTimeout: 50, errorBackoff: 1000 });
    await cache.getOrLoad('k', async () => 'good');
    await time.advance(1000);
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('db');
    };
    assert.equal(await cache.getOrLoad('k', failing), 'good');
    assert.equal(calls, 1);
    await time.advance(600); // the lease (5 s) is still ours; STALE
    assert.equal(await cache.getOrLoad('k', failing), 'good');
    assert.equal(calls, 1);
    await time.advance(5000); // lease expired: STALE_WON, and the backoff has passed
    assert.equal(await cache.getOrLoad('k', async () => 'fresh'), 'fresh');
  });

  test('errorBackoff with no stale copy: the last error is rethrown without calling the loader', async () => {
    const { time, cache } = setup({ errorBackoff: 1000, leaseMs: 100 });
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('db ' + calls);
    };
    await assert.rejects(cache.getOrLoad('k', failing), /db 1/);
    await time.advance(150);
    await assert.rejects(cache.getOrLoad('k', failing), /db 1/);
    assert.equal(calls, 1);
    await time.advance(1000);
    await assert.rejects(cache.getOrLoad('k', failing), /db 2/);
  });

  test('stale-set race: invalidate during a slow load; the old value is refused, the next read reloads', async () => {
    const { time, cache } = setup();
    let row = 'old';
    const p = cache.getOrLoad('k', async () => {
      const read = row; // SELECT ... before the update commits
      await new Promise<void>((r) => time.setTimeout(r, 100));
      return read;
    });
    await time.advance(50);
    row = 'new';
    await cache.invalidate('k');
    await time.advance(50);
    assert.equal(await p, 'old', 'the caller gets what its load read');
    assert.equal(cache.stats.setsRefused, 1);
    assert.equal(await cache.getOrLoad('k', async () => row), 'new');
  });

  test('set() voids an in-flight lease; get() and set() with tags', async () => {
    const { time, cache } = setup();
    const p = cache.getOrLoad('k', slowLoader(time, 100, () => 'loaded'));
    await settle();
    await cache.set('k', 'written');
    await time.advance(100);
    assert.equal(await p, 'loaded');
    assert.equal(await cache.get('k'), 'written');
    assert.equal(cache.stats.setsRefused, 1);
    await cache.set('t', { a: 1 }, { tags: ['x'] });
    assert.deepEqual(await cache.get('t'), { a: 1 });
    await cache.invalidateTags(['x']);
    assert.equal(await cache.get('t'), null);
    await cache.set('g', 'graced', { grace: 500 });
    await time.advance(1000);
    assert.equal(await cache.getOrLoad('g', async () => 'x'), 'graced', 'stale within its grace');
  });

  test('tags: invalidateTags reloads; an invalidation during an in-flight load wins', async () => {
    const { time, node, cache } = setup();
    const opts = { tags: ['user:1', 'team:9'] };
    let n = 0;
    assert.equal(await cache.getOrLoad('k', async () => ++n, opts), 1);
    assert.equal(await cache.getOrLoad('k', async () => ++n, opts), 1);
    await cache.invalidateTags(['team:9']);
    assert.equal(await cache.getOrLoad('k', async () => ++n, opts), 2);
    // in flight
    const p = cache.getOrLoad('k2', slowLoader(time, 100, () => 'old'), opts);
    await time.advance(50);
    await cache.invalidateTags(['user:1']);
    await time.advance(50);
    assert.equal(await p, 'old');
    assert.equal(node.data.has('k2'), true, 'written (no lease was voided)...');
    assert.equal(await cache.getOrLoad('k2', async () => 'new', opts), 'new', '...but not served');
    // a read without the tag options still checks the stored tags
    await cache.invalidateTags(['user:1']);
    assert.equal(await cache.getOrLoad('k2', async () => 'newer'), 'newer');
    // an evicted tag key does not resurrect old entries
    await cache.getOrLoad('k3', async () => 'v', opts);
    node.data.delete('corral:tag:{user:1}');
    assert.equal(await cache.getOrLoad('k3', async () => 'v2', opts), 'v2');
  });

  test('XFetch: a hit near expiry refreshes early in the background (lease taken), the caller is not delayed', async () => {
    let r = 0.5;
    const { time, cache } = setup({ random: () => r });
    const load = slowLoader(time, 100, (n) => `v${n}`);
    const p = cache.getOrLoad('k', load);
    await time.advance(100);
    await p;
    await time.advance(500); // 500 ms left, delta 100: -100 * ln(r) >= 500 needs r <= e^-5
    r = 0.01; // -ln 0.01 = 4.6: not yet
    assert.equal(await cache.getOrLoad('k', load), 'v1');
    assert.equal(cache.stats.earlyRefreshes, 0);
    r = 0.001; // 6.9: yes
    assert.equal(await cache.getOrLoad('k', load), 'v1', 'served at once');
    assert.equal(await cache.getOrLoad('k', load), 'v1', 'one refresh at a time');
    await time.advance(100);
    await cache.idle();
    assert.equal(cache.stats.earlyRefreshes, 1);
    assert.equal(load.calls, 2);
    r = 0.5;
    assert.equal(await cache.getOrLoad('k', load), 'v2');
    const noX = setup({ beta: 0, random: () => 0 }, { time, node: newNode(time) });
    const pn = noX.cache.getOrLoad('k', load);
    await time.advance(100);
    await pn;
    await time.advance(899);
    await noX.cache.getOrLoad('k', load);
    assert.equal(noX.cache.stats.earlyRefreshes, 0);
  });

  test('hits of non-ASCII JSON, and of values written without the ASCII flag, decode exactly', async () => {
    const { node, cache } = setup();
    const value = { name: 'Crème brûlée 🍮', n: 1 };
    await cache.getOrLoad('u', async () => value);
    assert.deepEqual(await cache.getOrLoad('u', async () => ({ wrong: true })), value);
    const env = node.data.get('u')!.value;
    env[2] &= ~0x40; // as an SDK without the flag wrote it (the payload is not ASCII anyway)
    await cache.getOrLoad('a', async () => ({ plain: 'ascii' }));
    node.data.get('a')!.value[2] &= ~0x40;
    assert.deepEqual(await cache.getOrLoad('a', async () => ({ wrong: true })), { plain: 'ascii' });
    assert.deepEqual(await cache.getOrLoad('u', async () => ({ wrong: true })), value);
    assert.equal(cache.stats.hits, 3);
    assert.equal(cache.stats.loads, 2);
  });

  test('Buffers pass through; a custom serializer is used for other values', async () => {
    const { cache } = setup({
      serializer: { serialize: (v) => `S:${JSON.stringify(v)}`, deserialize: (b) => ({ custom: JSON.parse(b.toString().slice(2)) }) },
    });
    const bin = Buffer.from([0, 1, 255, 13, 10]);
    assert.deepEqual(await cache.getOrLoad('b', async () => bin), bin);
    const hit = await cache.getOrLoad('b', async () => Buffer.alloc(0));
    assert.ok(Buffer.isBuffer(hit));
    assert.deepEqual(hit, bin);
    await cache.getOrLoad('o', async () => 5);
    assert.deepEqual(await cache.getOrLoad('o', async () => 0), { custom: 5 });
  });

  test('a foreign value under the key (plain SET) is a miss, reloaded with a lease', async () => {
    const { node, cache } = setup();
    await node.send('SET', 'k', 'not an envelope');
    assert.equal(await cache.getOrLoad('k', async () => 'mine'), 'mine');
    assert.equal(await cache.getOrLoad('k', async () => 'x'), 'mine');
  });

  test('fail open: node down -> loads through the bulkhead; the breaker opens, probes, closes', async () => {
    const { time, node, cache } = setup({ breaker: { failureThreshold: 3, resetAfter: 1000 }, bulkhead: { total: 4, queue: 100 } });
    const changes: string[] = [];
    cache.on('breaker', (e) => changes.push(e.to));
    node.mode = 'down';
    let running = 0;
    let peak = 0;
    const load = (ctx: LoaderContext<string>) => {
      running++;
      peak = Math.max(peak, running);
      return new Promise<string>((r) =>
        time.setTimeout(() => {
          running--;
          r(`v:${ctx.key}`);
        }, 10),
      );
    };
    const ps = Array.from({ length: 40 }, (_, i) => cache.getOrLoad(`k${i}`, load));
    await time.advance(200);
    const vs = await Promise.all(ps);
    assert.equal(vs[7], 'v:k7');
    assert.ok(peak <= 4, `peak ${peak}`);
    assert.equal(peak, 4);
    assert.equal(cache.stats.failOpenLoads, 40);
    assert.equal(cache.breakerState, 'open');
    const before = node.log.length;
    const px = cache.getOrLoad('x', load);
    await time.advance(10);
    assert.equal(await px, 'v:x');
    assert.equal(node.log.length, before, 'open: the cache is not tried');
    node.mode = 'up';
    await time.advance(1000);
    const p = cache.getOrLoad('y', load);
    await time.advance(10);
    assert.equal(await p, 'v:y');
    assert.equal(cache.breakerState, 'closed');
    assert.deepEqual(changes, ['open', 'half-open', 'closed']);
    assert.equal(cache.stats.breakerOpened, 1);
  });

  test('fail open: beyond the bulkhead queue, BulkheadFullError', async () => {
    const { time, node, cache } = setup({ bulkhead: { total: 1, queue: 1 } });
    node.mode = 'down';
    const load = slowLoader(time, 10, () => 'v');
    const ps = ['a', 'b', 'c'].map((k) => cache.getOrLoad(k, load));
    const settled = Promise.allSettled(ps);
    await time.advance(50);
    const r = await settled;
    assert.deepEqual(r.map((x) => x.status), ['fulfilled', 'fulfilled', 'rejected']);
    const e = (r[2] as PromiseRejectedResult).reason;
    assert.ok(e instanceof BulkheadFullError && e.code === 'E_BULKHEAD_FULL');
    assert.equal(cache.stats.bulkheadRejected, 1);
  });

  test('cacheTimeout: a hanging node fails the call open after cacheTimeout', async () => {
    const { time, node, cache } = setup({ cacheTimeout: 50 });
    node.mode = 'hang';
    const p = cache.getOrLoad('k', async () => 'direct');
    await time.advance(50);
    assert.equal(await p, 'direct');
    assert.equal(cache.stats.failOpenLoads, 1);
  });

  test('error replies fail the call open without counting against the breaker', async () => {
    const { node, cache } = setup({ breaker: { failureThreshold: 1 } });
    const orig = node.sendBuffer.bind(node);
    node.sendBuffer = (cmd, ...args) => (cmd === 'CACHE.GET' ? node.send('NOPE') : orig(cmd, ...args));
    assert.equal(await cache.getOrLoad('k', async () => 'v'), 'v');
    assert.equal(cache.breakerState, 'closed');
  });

  test('close(): waiters reject CacheClosedError, loaders are aborted, later calls reject', async () => {
    const a = setup();
    const b = setup({}, a);
    let signal: AbortSignal | undefined;
    const pa = a.cache.getOrLoad('k', (ctx) => ((signal = ctx.signal), new Promise(() => {})));
    await settle();
    const pb = b.cache.getOrLoad('k', async () => 'b');
    await a.time.advance(20);
    await b.cache.close();
    await assert.rejects(pb, CacheClosedError);
    await assert.rejects(b.cache.getOrLoad('k', async () => 'b'), CacheClosedError);
    void a.cache.close();
    assert.equal(signal!.aborted, true);
    void pa;
  });

  test('options: ttl required, validation', async () => {
    const { node } = setup();
    const c = createCache({ client: node });
    await assert.rejects(c.getOrLoad('k', async () => 1), /ttl is required/);
    assert.equal(await c.getOrLoad('k', async () => 1, { ttl: 10 }), 1);
    await assert.rejects(c.getOrLoad('k', async () => 1, { ttl: 10, jitter: 1 }), TypeError);
    await assert.rejects(c.getOrLoad('k', async () => 1, { ttl: 10, leaseMs: 0 }), TypeError);
    assert.throws(() => createCache({} as CacheOptions), TypeError);
  });

  test('events are delivered to listeners; a throwing listener does not break the cache', async () => {
    const { cache } = setup();
    const seen: string[] = [];
    cache.on('miss', () => seen.push('miss')).on('hit', () => seen.push('hit')).on('load', (e) => seen.push(`load:${e.key}`));
    cache.on('hit', () => {
      throw new Error('listener bug');
    });
    await cache.getOrLoad('k', async () => 1);
    assert.equal(await cache.getOrLoad('k', async () => 2), 1);
    assert.deepEqual(seen, ['miss', 'load:k', 'hit']);
  });
});
