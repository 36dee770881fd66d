// Popular npm libraries built on Redis, unchanged, on corral: against one corral node, against a
// 3-shard corral cluster (ioredis `Cluster` / node-redis `createCluster`), and against a real
// redis-server as the control that proves each spec itself is right.
//
// - rate-limiter-flexible (RateLimiterRedis): its atomic counter is a Lua script. With ioredis it is
//   a defineCommand (EVAL on a connection's first call, EVALSHA after, EVAL again on NOSCRIPT);
//   with node-redis (useRedisPackage) a plain EVAL every time. Points are consumed, the limit
//   rejects with msBeforeNext, and the counter key expires with the duration.
// - redis-semaphore (with ioredis), the Lua-based lock in place of redlock v5, whose beta's package
//   exports hide its types from TypeScript's NodeNext resolution: a Mutex is taken with SET NX PX;
//   extend/refresh and release are Lua scripts sent as EVALSHA, then EVAL when the server answers
//   NOSCRIPT; a Semaphore's acquire is a script over a sorted set (release is ZREM). A held lock
//   can't be taken again, another identifier can neither extend nor release it, locks expire,
//   auto-refresh keeps one alive and reports its loss, a semaphore admits its limit and no more.
// - connect-redis + express-session (node-redis): a real express app on an ephemeral port, driven
//   with fetch and its cookie; the session persists across requests and lives in the store as a key
//   with a TTL (SET EX, GET, EXPIRE on touch, DEL, SCAN for ids/length).
// - cache-manager v7 over Keyv and @keyv/redis (node-redis): set/get/mset/mget/wrap/del/ttl, values
//   stored with PX and expiring.
//
// connect-redis and @keyv/redis send no scripts; they are here so the whole set of libraries a
// corral user plugs in is proven on the same three targets.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { LostLockError, Mutex, Semaphore, TimeoutError, type LockOptions } from 'redis-semaphore';
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import KeyvRedis, { createCluster as keyvCreateCluster } from '@keyv/redis';
import { startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';

declare module 'express-session' {
  interface SessionData {
    visits: number;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

type NodeRedis = ReturnType<typeof createClient> | ReturnType<typeof createCluster>;

/** Where a spec runs: new clients of both kinds, as an application would make them. */
interface Target {
  /** A new ioredis client: `Redis` on a single server, `Cluster` on a cluster. */
  ioredis(): Redis | Cluster;
  /** A new, not yet connected node-redis client: `createClient` or `createCluster`. */
  nodeRedis(): NodeRedis;
  /** redis:// URLs: the server's, or the cluster's seed nodes. */
  urls: string[];
}

function singleServer(port: number): Target {
  return {
    ioredis: () => new Redis(port, '127.0.0.1'),
    nodeRedis: () => createClient({ url: `redis://127.0.0.1:${port}` }),
    urls: [`redis://127.0.0.1:${port}`],
  };
}

function clusterOf(ports: number[]): Target {
  return {
    ioredis: () => new Cluster([{ host: '127.0.0.1', port: ports[0] }]),
    nodeRedis: () => createCluster({ rootNodes: ports.map((p) => ({ url: `redis://127.0.0.1:${p}` })) }),
    urls: ports.map((p) => `redis://127.0.0.1:${p}`),
  };
}

// ---------------------------------------------------------------------------------------------
// 1. rate-limiter-flexible

async function rateLimiterSpec(t: Target, client: 'ioredis' | 'node-redis'): Promise<void> {
  const raw = t.ioredis();
  const nr = client === 'node-redis' ? t.nodeRedis() : null;
  const io = client === 'ioredis' ? t.ioredis() : null;
  const key = (k: string): string => `rl-${client}:${k}`;
  try {
    if (nr) await nr.connect();
    const limiter = new RateLimiterRedis({
      storeClient: nr ?? io,
      useRedisPackage: nr !== null, // its switch for the `redis` package (v4+) instead of ioredis
      keyPrefix: `rl-${client}`,
      points: 3,
      duration: 2, // seconds
    });
    const first = await limiter.consume('alice');
    assert.equal(first.consumedPoints, 1);
    assert.equal(first.remainingPoints, 2);
    assert.equal(first.isFirstInDuration, true);
    assert.ok(first.msBeforeNext > 0 && first.msBeforeNext <= 2000, `msBeforeNext ${first.msBeforeNext}`);

    assert.equal((await limiter.consume('alice')).remainingPoints, 1);
    const third = await limiter.consume('alice');
    assert.equal(third.consumedPoints, 3);
    assert.equal(third.remainingPoints, 0);
    assert.equal(third.isFirstInDuration, false);

    // Over the limit: rejected with a RateLimiterRes (not an Error) saying how long to wait.
    const rejected: unknown = await limiter.consume('alice').then(
      () => assert.fail('the 4th point within the duration must be rejected'),
      (e: unknown) => e,
    );
    assert.ok(rejected instanceof RateLimiterRes, `rejected with ${String(rejected)}`);
    assert.equal(rejected.consumedPoints, 4);
    assert.equal(rejected.remainingPoints, 0);
    assert.ok(rejected.msBeforeNext > 0 && rejected.msBeforeNext <= 2000, `msBeforeNext ${rejected.msBeforeNext}`);

    // The state read back (MULTI GET + PTTL), and as it is in the server.
    const state = await limiter.get('alice');
    assert.ok(state !== null);
    assert.equal(state.consumedPoints, 4);
    assert.equal(await raw.get(key('alice')), '4');
    const pttl = await raw.pttl(key('alice'));
    assert.ok(pttl > 0 && pttl <= 2000, `PTTL ${pttl}`);

    // Several points at once, on another key (another slot in a cluster).
    const bob = await limiter.consume('bob', 2);
    assert.equal(bob.consumedPoints, 2);
    assert.equal(bob.remainingPoints, 1);
    await assert.rejects(limiter.consume('bob', 2), (e: unknown) => e instanceof RateLimiterRes && e.consumedPoints === 4);

    // Penalty and reward go through the same script with a positive / negative increment.
    assert.equal((await limiter.penalty('carol', 2)).consumedPoints, 2);
    assert.equal((await limiter.reward('carol', 1)).consumedPoints, 1);

    // The key expires with the duration, and the next consume starts a fresh window.
    await until("alice's counter to expire", async () => (await raw.exists(key('alice'))) === 0);
    assert.equal(await limiter.get('alice'), null);
    const fresh = await limiter.consume('alice');
    assert.equal(fresh.consumedPoints, 1);
    assert.equal(fresh.isFirstInDuration, true);

    assert.equal(await limiter.delete('alice'), true);
    assert.equal(await raw.exists(key('alice')), 0);
  } finally {
    raw.disconnect();
    io?.disconnect();
    if (nr?.isOpen) await nr.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. redis-semaphore (Mutex, Semaphore)

async function lockSpec(t: Target): Promise<void> {
  const client = t.ioredis();
  const made: Array<{ stopRefresh(): void }> = [];
  // No auto-refresh unless a check asks for it: a refresh that throws would be an unhandled rejection.
  const base: LockOptions = { lockTimeout: 2000, acquireTimeout: 1000, retryInterval: 20, refreshInterval: 0 };
  const mutex = (key: string, options: LockOptions = {}): Mutex => {
    const m = new Mutex(client, key, { ...base, ...options });
    made.push(m);
    return m;
  };
  // redis-semaphore stores a Mutex at mutex:<key> and a Semaphore at semaphore:<key>.
  const mutexKey = (key: string): string => `mutex:${key}`;
  try {
    const res = 'locks:{order:42}';
    const a = mutex(res);
    await a.acquire();
    assert.equal(a.isAcquired, true);
    assert.equal(await client.get(mutexKey(res)), a.identifier);
    const pttl = await client.pttl(mutexKey(res));
    assert.ok(pttl > 0 && pttl <= 2000, `PTTL ${pttl}`);

    // Held: nobody else gets it.
    const b = mutex(res, { acquireAttemptsLimit: 1 });
    assert.equal(await b.tryAcquire(), false);
    await assert.rejects(mutex(res, { acquireTimeout: 100 }).acquire(), TimeoutError);
    assert.equal(await client.get(mutexKey(res)), a.identifier);

    // Extend: the holder's identifier refreshes it with a longer timeout (the refresh script:
    // GET = identifier, then PEXPIRE).
    const extend = mutex(res, { identifier: a.identifier, acquiredExternally: true, lockTimeout: 10_000 });
    assert.equal(await extend.tryAcquire(), true);
    const pttl2 = await client.pttl(mutexKey(res));
    assert.ok(pttl2 > 2000 && pttl2 <= 10_000, `PTTL after extend ${pttl2}`);

    // Another identifier can neither extend nor release it (both scripts compare the identifier).
    const imposter = mutex(res, { identifier: 'not-the-holder', acquiredExternally: true, lockTimeout: 10_000 });
    assert.equal(await imposter.tryAcquire(), false);
    await imposter.release();
    assert.equal(await client.get(mutexKey(res)), a.identifier);

    // Release, then it can be taken again.
    await a.release();
    assert.equal(a.isAcquired, false);
    assert.equal(await client.exists(mutexKey(res)), 0);
    assert.equal(await b.tryAcquire(), true);
    assert.equal(await client.get(mutexKey(res)), b.identifier);
    await b.release();
    assert.equal(await client.exists(mutexKey(res)), 0);

    // A lock never released expires, and then it can be taken.
    const job = 'locks:{job:7}';
    const forgotten = mutex(job, { lockTimeout: 300 });
    await forgotten.acquire();
    await until('the unreleased lock to expire', async () => (await client.exists(mutexKey(job))) === 0);
    const next = mutex(job);
    assert.equal(await next.tryAcquire(), true);
    assert.equal(await client.get(mutexKey(job)), next.identifier);
    await next.release();

    // Auto-refresh keeps a short lock past its timeout; when the key is taken away, the holder's
    // next refresh (script answers 0) reports the lock lost.
    const lost: Error[] = [];
    const held = 'locks:{job:9}';
    const kept = mutex(held, { lockTimeout: 1000, refreshInterval: 100, onLockLost: (e) => void lost.push(e) });
    await kept.acquire();
    await sleep(1500);
    assert.equal(await client.get(mutexKey(held)), kept.identifier);
    assert.equal(lost.length, 0);
    await client.del(mutexKey(held));
    await until('the holder to notice it lost the lock', async () => lost.length > 0);
    assert.ok(lost[0] instanceof LostLockError);
    assert.equal(kept.isAcquired, false);

    // A semaphore of 2 (a sorted set: ZREMRANGEBYSCORE, ZCARD, ZADD, PEXPIRE in the acquire script).
    const pool = 'sem:{pool}';
    const poolKey = `semaphore:${pool}`;
    const sem = (): Semaphore => {
      const s = new Semaphore(client, pool, 2, { ...base, acquireAttemptsLimit: 1 });
      made.push(s);
      return s;
    };
    const [s1, s2, s3] = [sem(), sem(), sem()];
    assert.equal(await s1.tryAcquire(), true);
    assert.equal(await s2.tryAcquire(), true);
    assert.equal(await s3.tryAcquire(), false);
    assert.deepEqual((await client.zrange(poolKey, 0, -1)).sort(), [s1.identifier, s2.identifier].sort());
    const semTtl = await client.pttl(poolKey);
    assert.ok(semTtl > 0 && semTtl <= 2000, `PTTL ${semTtl}`);
    await s1.release();
    assert.equal(await s3.tryAcquire(), true);
    assert.deepEqual((await client.zrange(poolKey, 0, -1)).sort(), [s2.identifier, s3.identifier].sort());
    await s2.release();
    await s3.release();
    assert.equal(await client.exists(poolKey), 0);
  } finally {
    for (const lock of made) lock.stopRefresh();
    client.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. connect-redis + express-session

/** A browser: a cookie jar of one cookie. */
class Browser {
  cookie: string | undefined;
  constructor(private readonly base: string) {}

  async request(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(this.base + path, { method, headers: this.cookie ? { cookie: this.cookie } : {} });
    for (const c of res.headers.getSetCookie()) {
      if (c.startsWith('connect.sid=')) this.cookie = c.split(';')[0];
    }
    const text = await res.text();
    assert.equal(res.status, 200, `${method} ${path}: ${res.status} ${text}`);
    return { status: res.status, body: JSON.parse(text) };
  }

  /** The session id the signed cookie carries: connect.sid=s%3A<sid>.<signature>. */
  get sid(): string {
    assert.ok(this.cookie, 'no session cookie');
    const m = /^s:(.+)\.[^.]+$/.exec(decodeURIComponent(this.cookie.slice('connect.sid='.length)));
    assert.ok(m, `unexpected cookie ${this.cookie}`);
    return m[1];
  }
}

async function sessionSpec(t: Target): Promise<void> {
  const client = t.nodeRedis();
  const raw = t.ioredis();
  const store = new RedisStore({ client, prefix: 'sess-test:' });
  const app = express();
  app.use(
    session({
      store,
      secret: 'corral test secret',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 60_000 },
    }),
  );
  app.get('/visit', (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ visits: req.session.visits });
  });
  app.get('/peek', (req, res) => {
    res.json({ visits: req.session.visits ?? 0 });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((err) => (err ? next(err) : res.json({ ok: true })));
  });
  let server: Server | undefined;
  try {
    await client.connect();
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const alice = new Browser(base);
    assert.deepEqual((await alice.request('GET', '/visit')).body, { visits: 1 });
    const sid = alice.sid;
    const key = `sess-test:${sid}`;
    const stored = JSON.parse((await raw.get(key)) ?? 'null') as { visits: number; cookie: { originalMaxAge: number } } | null;
    assert.ok(stored, `no session stored at ${key}`);
    assert.equal(stored.visits, 1);
    // express-session sets the cookie's expiry from one Date.now() and reads originalMaxAge back
    // as expiry - a second Date.now() (session/cookie.js): 60000, or a few ms less when the clock
    // ticked between the two reads (it did, in two CI runs: 59999).
    const maxAge = stored.cookie.originalMaxAge;
    assert.ok(maxAge > 59_000 && maxAge <= 60_000, `originalMaxAge ${maxAge}`);
    const ttl = await raw.ttl(key);
    assert.ok(ttl > 0 && ttl <= 60, `TTL ${ttl}`);

    // The session persists across requests carrying the cookie.
    assert.deepEqual((await alice.request('GET', '/visit')).body, { visits: 2 });
    assert.deepEqual((await alice.request('GET', '/visit')).body, { visits: 3 });
    assert.equal(alice.sid, sid);
    assert.equal((JSON.parse((await raw.get(key)) ?? '{}') as { visits?: number }).visits, 3);

    // A request that leaves the session unmodified touches it: EXPIRE back to the cookie's max age.
    await raw.expire(key, 5);
    assert.deepEqual((await alice.request('GET', '/peek')).body, { visits: 3 });
    const touched = await raw.ttl(key);
    assert.ok(touched > 5 && touched <= 60, `TTL after touch ${touched}`);

    // Another browser gets a session of its own.
    const bob = new Browser(base);
    assert.deepEqual((await bob.request('GET', '/visit')).body, { visits: 1 });
    assert.notEqual(bob.sid, sid);
    assert.equal(await store.length(), 2);
    assert.deepEqual(((await store.ids()) as string[]).sort(), [sid, bob.sid].sort());

    // Logout destroys the stored session; the old cookie then starts from scratch.
    await alice.request('POST', '/logout');
    assert.equal(await raw.exists(key), 0);
    assert.deepEqual((await alice.request('GET', '/visit')).body, { visits: 1 });
    assert.notEqual(alice.sid, sid);
  } finally {
    if (server) {
      const s = server;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    raw.disconnect();
    if (client.isOpen) await client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 4. cache-manager over Keyv / @keyv/redis

async function cacheSpec(t: Target): Promise<void> {
  const raw = t.ioredis();
  // As @keyv/redis's docs connect: a URL, or a cluster from its own createCluster.
  const connect = t.urls.length === 1 ? t.urls[0] : keyvCreateCluster({ rootNodes: t.urls.map((url) => ({ url })) });
  const adapter = new KeyvRedis(connect, { namespace: 'cm', throwOnErrors: true });
  const keyv = new Keyv(adapter, { namespace: 'cm', useKeyPrefix: false, throwOnErrors: true });
  const cache = createCache({ stores: [keyv] });
  try {
    assert.deepEqual(await cache.set('user:1', { name: 'Ada' }, 30_000), { name: 'Ada' });
    assert.deepEqual(await cache.get('user:1'), { name: 'Ada' });
    const expires = await cache.ttl('user:1');
    assert.ok(expires !== undefined && expires > Date.now() && expires <= Date.now() + 30_000, `ttl ${expires}`);
    // In the server: the namespaced key, stored with PX.
    const pttl = await raw.pttl('cm::user:1');
    assert.ok(pttl > 0 && pttl <= 30_000, `PTTL ${pttl}`);
    assert.deepEqual((JSON.parse((await raw.get('cm::user:1')) ?? '{}') as { value?: unknown }).value, { name: 'Ada' });

    // Several keys at once (different slots in a cluster); one without a TTL.
    await cache.mset<unknown>([
      { key: 'a', value: 1, ttl: 30_000 },
      { key: 'b', value: 'two' },
      { key: 'c', value: [3] },
    ]);
    assert.deepEqual(await cache.mget(['a', 'b', 'c', 'missing']), [1, 'two', [3], undefined]);
    assert.equal(await raw.pttl('cm::b'), -1);
    assert.ok((await raw.pttl('cm::a')) > 0);

    // wrap: computed once, then served from the cache.
    let calls = 0;
    const compute = async (): Promise<string> => {
      calls++;
      return 'computed';
    };
    assert.equal(await cache.wrap('w', compute, 30_000), 'computed');
    assert.equal(await cache.wrap('w', compute, 30_000), 'computed');
    assert.equal(calls, 1);
    assert.equal(await raw.exists('cm::w'), 1);

    // del / mdel.
    assert.equal(await cache.del('user:1'), true);
    assert.equal(await cache.get('user:1'), undefined);
    assert.equal(await raw.exists('cm::user:1'), 0);
    await cache.mdel(['a', 'b']);
    assert.deepEqual(await cache.mget(['a', 'b', 'c']), [undefined, undefined, [3]]);
    assert.equal(await raw.exists('cm::a'), 0);
    assert.equal(await raw.exists('cm::b'), 0);

    // A short TTL: the server expires the key.
    await cache.set('short', 'x', 300);
    assert.equal(await cache.get('short'), 'x');
    await until('the short-lived key to expire in the server', async () => (await raw.exists('cm::short')) === 0);
    assert.equal(await cache.get('short'), undefined);
  } finally {
    await cache.disconnect();
    raw.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------

type Kind = 'redis-server (control)' | 'one corral node' | '3-shard corral cluster';
const kinds: Kind[] = ['redis-server (control)', 'one corral node', '3-shard corral cluster'];

describe('Redis libraries that script (and their companions) on corral', () => {
  let redis: Started;
  let node: StartedCorral;
  let cluster: CorralCluster;
  before(async () => {
    redis = await startRedis();
    node = await startCorral();
    cluster = await startCorralCluster(3);
  });
  after(async () => {
    await redis?.close();
    await node?.close();
    await cluster?.close();
  });

  const target = (kind: Kind): Target => {
    switch (kind) {
      case 'redis-server (control)':
        return singleServer(redis.port);
      case 'one corral node':
        return singleServer(node.port);
      case '3-shard corral cluster':
        return clusterOf(cluster.ports);
    }
  };

  const specs: Array<[string, (t: Target) => Promise<void>]> = [
    ['rate-limiter-flexible RateLimiterRedis with ioredis (defineCommand: EVAL, then EVALSHA)', (t) => rateLimiterSpec(t, 'ioredis')],
    ['rate-limiter-flexible RateLimiterRedis with node-redis (EVAL)', (t) => rateLimiterSpec(t, 'node-redis')],
    ['redis-semaphore Mutex and Semaphore with ioredis (EVALSHA, EVAL on NOSCRIPT)', lockSpec],
    ['connect-redis + express-session with node-redis', sessionSpec],
    ['cache-manager over Keyv and @keyv/redis', cacheSpec],
  ];

  for (const [name, spec] of specs) {
    describe(name, () => {
      for (const kind of kinds) {
        test(`on ${kind}`, { timeout: 30_000 }, () => spec(target(kind)));
      }
    });
  }
});
