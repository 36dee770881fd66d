// Unit tests of the near-cache (near-cache.ts) without sockets: a fake host and a fake data
// connection that records what the near-cache writes, so each test plays the replies (and the
// invalidations, which travel on another connection) in the order it wants. Covers the LRU
// bounded in bytes, the TTL (min of nearCache.ttl and PTTL), the key policies, and the ordering
// rule: an invalidation processed while a read is in flight keeps its reply out of the cache.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BulkMode, RespError } from '../protocol/reply-decoder.js';
import { Command, Ctl, type Arg } from './command.js';
import type { Connection } from './connection.js';
import { HotCounter, NearCache, type NearCacheOptions, type NearHost } from './near-cache.js';
import type { InvalidationLink, LinkOwner } from './near-invalidation.js';
import { newEntry, type NodeEntry } from './nodes.js';
import { resolveOptions } from './options.js';
import { newStats } from './stats.js';
import { address } from './topology.js';

interface FakeLink {
  state: string;
  gen: number;
  clientId: number;
  trackedConn: Connection | null;
  hot: Set<string>;
  addr: ReturnType<typeof address>;
  ready: boolean;
  fresh(now: number): boolean;
  start(): void;
  close(): void;
  heartbeat(): void;
  stalled: boolean;
}

function setup(opts: NearCacheOptions = { keys: 'all' }) {
  let now = 1000;
  const sent: Command[] = [];
  const issued: Command[] = [];
  const conn = { state: 1, send: (c: Command) => sent.push(c) } as unknown as Connection;
  const entry: NodeEntry = newEntry(address('127.0.0.1', 7000));
  entry.conn = conn;
  const stats = newStats();
  const o = { ...resolveOptions({ nodes: ['127.0.0.1:7000'] }), clock: { now: () => now } };
  const host: NearHost = {
    o,
    stats,
    nearTarget: () => entry,
    issue: (cmd) => {
      issued.push(cmd);
      return new Promise(() => {});
    },
    stamp: () => {},
    ask: () => Promise.reject(new Error('no')),
    entryByKey: () => entry,
    isOpen: () => true,
  };
  let owner: LinkOwner | null = null;
  const link: FakeLink = {
    state: 'ready',
    gen: 1,
    clientId: 42,
    trackedConn: null,
    hot: new Set(),
    addr: entry.addr,
    get ready() {
      return this.state === 'ready';
    },
    stalled: false,
    fresh() {
      return this.state === 'ready' && !this.stalled;
    },
    start() {},
    close() {},
    heartbeat() {},
  };
  const near = new NearCache(host, opts, (_e, o2) => {
    owner = o2;
    return link as unknown as InvalidationLink;
  });
  /** Starts a near GET; returns its promise and the records written for it. */
  const read = (key: Arg, mode = BulkMode.Utf8) => {
    const from = sent.length;
    const p = near.get(key, mode);
    const recs = sent.slice(from).filter((c) => c.ctl !== Ctl.NearTracking);
    return { p, caching: recs[0], get: recs[1], pttl: recs[2], recs };
  };
  /** Plays the replies of one read in order, as the data connection would deliver them. */
  const answer = (r: ReturnType<typeof read>, value: unknown, pttl: unknown) => {
    near.onControl(conn, r.caching, 'OK');
    r.get.resolve(value);
    near.onControl(conn, r.pttl, pttl);
  };
  return {
    near,
    stats,
    sent,
    issued,
    link,
    entry,
    conn,
    read,
    answer,
    owner: () => owner!,
    advance: (ms: number) => (now += ms),
  };
}

describe('near-cache: filling and serving', () => {
  test('a GET writes TRACKING once per connection, then CACHING YES, GET, PTTL; its reply is cached', async () => {
    const t = setup();
    const r = t.read('k');
    assert.deepEqual(
      t.sent.map((c) => c.args.join(' ')),
      ['CLIENT TRACKING ON REDIRECT 42 OPTIN', 'CLIENT CACHING YES', 'GET k', 'PTTL k'],
    );
    t.answer(r, 'v1', -1);
    assert.equal(await r.p, 'v1');
    assert.equal(t.near.size, 1);
    assert.equal(await t.near.get('k', BulkMode.Utf8), 'v1');
    assert.equal(t.stats.nearHits, 1);
    assert.equal(t.stats.nearMisses, 1);
    const r2 = t.read('other');
    assert.equal(r2.recs.length, 3, 'no second CLIENT TRACKING on the same connection');
    assert.equal(t.sent.filter((c) => c.ctl === Ctl.NearTracking).length, 1);
  });

  test('a Buffer entry serves utf8 reads; a string entry is refetched for a Buffer read', async () => {
    const t = setup();
    const r = t.read('b', BulkMode.Buffer);
    t.answer(r, Buffer.from('bytes'), -1);
    assert.equal(await t.near.get('b', BulkMode.Utf8), 'bytes');
    const s = t.read('s');
    t.answer(s, 'str', -1);
    const again = t.read('s', BulkMode.Buffer);
    assert.equal(again.recs.length, 3, 'went to the node');
  });

  test('absent keys are cached as null (PTTL -2); inconsistent pairs are not cached', async () => {
    const t = setup();
    t.answer(t.read('none'), null, -2);
    assert.equal(await t.near.get('none', BulkMode.Utf8), null);
    assert.equal(t.stats.nearHits, 1);
    t.answer(t.read('expired-between'), 'v', -2);
    t.answer(t.read('created-between'), null, 5000);
    assert.equal(t.near.size, 1);
  });

  test('TTL: min(nearCache.ttl, PTTL), counted from when the read was written', async () => {
    const t = setup({ keys: 'all', ttl: 1000 });
    t.answer(t.read('short'), 'v', 100);
    t.answer(t.read('long'), 'v', -1);
    t.advance(99);
    assert.equal(t.read('short').recs.length, 0, 'served');
    t.advance(1);
    assert.equal(t.read('short').recs.length, 3, 'expired with the key');
    t.advance(899);
    assert.equal(t.read('long').recs.length, 0);
    t.advance(1);
    assert.equal(t.read('long').recs.length, 3, 'capped by nearCache.ttl');
  });

  test('LRU bounded in bytes: the least recently used entries go first', () => {
    const t = setup({ keys: 'all', maxBytes: 3 * (96 + 2 + 10) });
    const value = 'x'.repeat(10);
    for (const k of ['a', 'b', 'c']) t.answer(t.read(k, BulkMode.Buffer), Buffer.from(value), -1);
    assert.equal(t.near.size, 3);
    assert.equal(t.stats.nearBytes, 3 * 108);
    assert.equal(t.read('a', BulkMode.Buffer).recs.length, 0, 'a is now the most recent');
    t.answer(t.read('d', BulkMode.Buffer), Buffer.from(value), -1);
    assert.equal(t.near.size, 3);
    assert.equal(t.read('b', BulkMode.Buffer).recs.length, 3, 'b was evicted');
    assert.equal(t.read('a', BulkMode.Buffer).recs.length, 0, 'a stayed');
    assert.ok(t.stats.nearBytes <= 3 * 108);
    // An entry bigger than maxBytes is never stored.
    t.answer(t.read('huge', BulkMode.Buffer), Buffer.alloc(1000), -1);
    assert.equal(t.read('huge', BulkMode.Buffer).recs.length, 3);
  });

  test('keys: a predicate picks; Buffer keys are never cached', () => {
    const t = setup({ keys: (k) => k.startsWith('p:') });
    assert.equal(t.read('p:1').recs.length, 3);
    assert.equal(t.read('q:1').recs.length, 0);
    assert.equal(t.issued.length, 1, 'q:1 went as a plain GET');
    t.near.get(Buffer.from('p:2'), BulkMode.Utf8);
    assert.equal(t.issued.length, 2);
  });

  test("keys 'hot': cached after hotReads reads in a second, or when a node reports the key hot", () => {
    const t = setup({ keys: 'hot', hotReads: 3 });
    assert.equal(t.read('h').recs.length, 0);
    assert.equal(t.read('h').recs.length, 0);
    assert.equal(t.read('h').recs.length, 3, 'third read in the window');
    assert.equal(t.read('cold').recs.length, 0);
    t.link.hot = new Set(['cold']);
    assert.equal(t.read('cold').recs.length, 3, 'reported hot by its node');
  });
});

describe('near-cache: ordering and coherence', () => {
  test('an invalidation processed before the GET reply poisons the read: returned, not cached', async () => {
    const t = setup();
    const r = t.read('k');
    // The node answered GET (old value), then a write happened and its invalidation, on the
    // other connection, is processed here before the GET's reply.
    t.owner().invalidated(t.link as unknown as InvalidationLink, ['k']);
    t.answer(r, 'old', -1);
    assert.equal(await r.p, 'old', 'the caller gets the reply');
    assert.equal(t.near.readsInFlight, 0);
    assert.equal(t.near.size, 0, 'not cached');
    assert.equal(t.stats.nearInvalidations, 1);
    assert.equal(t.read('k').recs.length, 3, 'the next read goes to the node');
  });

  test('an invalidation after the fill removes the entry', () => {
    const t = setup();
    const seen: string[] = [];
    t.near.onInvalidate = (k) => seen.push(k);
    t.answer(t.read('k'), 'v', -1);
    assert.equal(t.near.size, 1);
    t.owner().invalidated(t.link as unknown as InvalidationLink, ['k', 'unrelated']);
    assert.equal(t.near.size, 0);
    assert.deepEqual(seen, ['k', 'unrelated']);
  });

  test('a null invalidation (flush) drops the node and poisons its reads in flight', () => {
    const t = setup();
    t.answer(t.read('a'), 'v', -1);
    const inFlight = t.read('b');
    const gen = t.link.gen;
    t.owner().invalidated(t.link as unknown as InvalidationLink, null);
    assert.ok(t.link.gen > gen);
    assert.equal(t.near.size, 0);
    t.answer(inFlight, 'v', -1);
    assert.equal(t.near.size, 0);
  });

  test('losing the invalidation link (generation bump) drops entries and poisons reads; nothing cached until ready', () => {
    const t = setup();
    t.answer(t.read('a'), 'v', -1);
    const inFlight = t.read('b');
    t.link.state = 'down';
    t.link.gen++;
    t.owner().linkLost(t.link as unknown as InvalidationLink);
    assert.equal(t.near.size, 0);
    t.answer(inFlight, 'v', -1);
    assert.equal(t.near.size, 0);
    assert.equal(t.read('c').recs.length, 0, 'link down: a plain GET');
    t.link.state = 'ready';
    t.link.gen++;
    t.link.trackedConn = null;
    const r = t.read('c');
    assert.equal(t.sent.at(-4)!.args.join(' '), 'CLIENT TRACKING ON REDIRECT 42 OPTIN', 'tracking redone');
    t.answer(r, 'v', -1);
    assert.equal(t.near.size, 1);
  });

  test('losing the data connection drops its entries and poisons its reads', () => {
    const t = setup();
    t.answer(t.read('a'), 'v', -1);
    const inFlight = t.read('b');
    t.near.dataLost(t.entry);
    assert.equal(t.near.readsInFlight, 0, 'reads of the lost connection forgotten (their PTTL never comes)');
    t.answer(inFlight, 'v', -1);
    assert.equal(t.near.size, 0);
    assert.equal(t.link.trackedConn, null);
  });

  test('a stalled link (PING overdue) is not served, and serves again once fresh', () => {
    const t = setup();
    t.answer(t.read('a'), 'v', -1);
    t.link.stalled = true;
    assert.equal(t.read('a').recs.length, 0);
    assert.equal(t.issued.length, 1, 'went to the node as a plain GET');
    t.link.stalled = false;
    assert.equal(t.read('a').recs.length, 0);
    assert.equal(t.issued.length, 1, 'served from the near-cache');
  });

  test('a redirected or retried GET, or a CACHING error, is not cached', () => {
    const t = setup();
    const moved = t.read('m');
    moved.get.redirects = 1;
    t.answer(moved, 'v', -1);
    const retried = t.read('r');
    retried.get.attempts = 1;
    t.answer(retried, 'v', -1);
    const refused = t.read('c');
    t.near.onControl(t.conn, refused.caching, new RespError('ERR CLIENT CACHING can be called only when...'));
    refused.get.resolve('v');
    t.near.onControl(t.conn, refused.pttl, -1);
    const errTtl = t.read('e');
    t.near.onControl(t.conn, errTtl.caching, 'OK');
    errTtl.get.resolve('v');
    t.near.onControl(t.conn, errTtl.pttl, new RespError('MOVED 1 127.0.0.1:7001'));
    assert.equal(t.near.size, 0);
  });

  test('a topology change drops everything and poisons reads; an unchanged map does not', () => {
    const t = setup();
    const slots = new Array<NodeEntry | undefined>(16384).fill(t.entry);
    t.near.topologyApplied(slots);
    t.answer(t.read('a'), 'v', -1);
    t.near.topologyApplied(slots.slice());
    assert.equal(t.near.size, 1, 'same map');
    const inFlight = t.read('b');
    const moved = slots.slice();
    moved[5] = newEntry(address('127.0.0.1', 7001));
    t.near.topologyApplied(moved);
    assert.equal(t.near.size, 0);
    t.answer(inFlight, 'v', -1);
    assert.equal(t.near.size, 0);
  });

  test('a write through this client drops its keys at once and poisons reads of them', () => {
    const t = setup();
    t.answer(t.read('a'), 'v', -1);
    t.answer(t.read('b'), 'v', -1);
    const inFlight = t.read('c');
    t.near.onIssue(new Command(['GET', 'a'], 0, 0, BulkMode.Utf8));
    t.near.onIssue(new Command(['CACHE.GET', 'a', 100], 0, 0, BulkMode.Utf8));
    assert.equal(t.near.size, 2, 'reads drop nothing');
    t.near.onIssue(new Command(['SET', 'a', 'x'], 0, 0, BulkMode.Utf8));
    t.near.onIssue(new Command(['DEL', 'b', 'c'], 0, 0, BulkMode.Utf8));
    assert.equal(t.near.size, 0);
    t.answer(inFlight, 'v', -1);
    assert.equal(t.near.size, 0);
  });

  test('peek/prefetch (the cache layer): a prefetch fills in Buffer mode, peek serves it', () => {
    const t = setup();
    assert.equal(t.near.peek('k'), undefined);
    t.near.prefetch('k');
    const recs = t.sent.filter((c) => c.ctl !== Ctl.NearTracking);
    assert.equal(recs.length, 3);
    assert.equal(recs[1].mode, BulkMode.Buffer);
    t.near.onControl(t.conn, recs[0], 'OK');
    recs[1].resolve(Buffer.from('env'));
    t.near.onControl(t.conn, recs[2], -1);
    assert.deepEqual(t.near.peek('k'), Buffer.from('env'));
    t.near.prefetch('k');
    assert.equal(t.sent.filter((c) => c.ctl !== Ctl.NearTracking).length, 3, 'already cached: no second fetch');
  });
});

describe('near-cache: hot counter', () => {
  test('counts reads over a sliding second with bounded decay', () => {
    const h = new HotCounter(1000);
    for (let i = 0; i < 10; i++) h.rate('k', 100, true);
    assert.equal(h.rate('k', 100, false), 10);
    assert.equal(h.rate('k', 1500, false), 5, 'half the previous bucket');
    assert.equal(h.rate('k', 2500, false), 0);
  });
});
