// Black-box tests of the client's near-cache (src/client/near-cache.ts) over real sockets, against
// a corral node, a 3-node corral cluster and redis-server (the CLIENT TRACKING protocol as Redis
// speaks it): a write by another client removes the key from this process's near-cache; killing
// the invalidation connection (or the data connection) with CLIENT KILL ID drops the entries and
// serves nothing stale after, and caching resumes once it is back; createCache over such a client
// serves hits in process and sees invalidate() from elsewhere; 4 processes reading (GET) and
// writing (INCR) overlapping keys never read a value older than the last write acknowledged
// before the read began, beyond the bound (near-cache-history.ts), on each target, through a slot
// move and through a manual failover; a primary killed under `corral up` drops its entries and
// nothing stale is read after the failover. Nothing is timed except the coherence bound, which is
// generous (a loaded 2-core machine). NEAR_HISTORY=<prefix> saves each coherence run's history (<prefix>.<n>.json).
//
// The histories' times are read on the machine's monotonic clock (machine-clock.ts): with
// performance.timeOrigin, a worker whose origin was 33 ms off made 'impossible' reads appear (a
// value read before the INCR that produced it was issued) in about one run in six. The slot move
// runs with one replica per shard; test/integration/migration.test.ts moves slots with and
// without replicas (without, writes made during the copy were once lost: the 'duplicate' here).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { keySlot } from '../../src/cluster/slot.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import { createClient, type ClientStats, type CorralClient } from '../../src/client/index.js';
import { createCache } from '../../src/cache/index.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';
import { checkNearHistory, describeViolation, type NearOp } from '../support/near-cache-history.js';
import type { FromNearWorker, ToNearWorker } from '../support/near-cache-worker.js';
import { RawConnection, startCorral, startRedis } from '../support/servers.js';
import { moveSlot } from '../support/topology-edit.js';
import { startCorralUp } from '../support/corral-up.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/**
 * The staleness allowed in the coherence runs: the invalidation delivery time, with a wide margin
 * for a loaded 2-core machine (runs measured 34-212 ms, mostly the processes' event-loop delay).
 */
const BOUND_MS = 500;

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

// ---- the checker on crafted histories --------------------------------------------------------

describe('near-cache coherence checker', () => {
  const w = (key: string, value: number, start: number, end: number, proc = 1): NearOp => ({ kind: 'write', key, value, start, end, proc });
  const r = (key: string, value: number, start: number, end: number, proc = 2): NearOp => ({ kind: 'read', key, value, start, end, proc });

  test('a read of the latest acknowledged value, or of a concurrent write, passes', () => {
    const c = checkNearHistory([w('k', 1, 0, 1), w('k', 2, 5, 6), r('k', 1, 2, 3), r('k', 2, 7, 8), r('k', 1, 5.5, 7), r('k', 2, 5.5, 7)], 0);
    assert.equal(c.violations.length, 0);
    assert.equal(c.staleReads, 0);
  });

  test('a read older than a write acknowledged before it began is late by the gap; beyond the bound it is a violation', () => {
    const h = [w('k', 1, 0, 1), w('k', 2, 10, 11), w('k', 3, 12, 13), r('k', 1, 15, 16), r('k', 2, 14.5, 15)];
    const loose = checkNearHistory(h, 5);
    assert.equal(loose.staleReads, 2);
    assert.equal(loose.maxLateMs, 4, 'missed write 2 (acknowledged at 11) by a read at 15');
    assert.equal(loose.violations.length, 0);
    const strict = checkNearHistory(h, 1);
    assert.equal(loose.maxLateMs, 4);
    assert.equal(strict.violations.length, 2);
    assert.match(describeViolation(strict.violations[0]), /stale: p2 read k=1/);
  });

  test('a missing key reads as 0: stale after the first acknowledged write', () => {
    const c = checkNearHistory([w('k', 1, 0, 1), r('k', 0, 2, 3)], 0);
    assert.equal(c.violations.length, 1);
  });

  test('values from nowhere or from the future are violations whatever the bound', () => {
    const c = checkNearHistory([w('k', 1, 10, 11), r('k', 7, 0, 1), r('k', 1, 0, 5)], 1e9);
    assert.deepEqual(
      c.violations.map((v) => v.kind),
      ['impossible', 'impossible'],
    );
  });

  test('two writes acknowledged with one value (a lost write) are reported', () => {
    const c = checkNearHistory([w('k', 1, 0, 1), w('k', 1, 5, 6)], 1e9);
    assert.deepEqual(
      c.violations.map((v) => v.kind),
      ['duplicate'],
    );
    assert.match(describeViolation(c.violations[0]), /a write was lost/);
  });

  test('keys are checked separately', () => {
    const c = checkNearHistory([w('a', 5, 0, 1), r('b', 0, 2, 3), w('b', 1, 4, 5)], 0);
    assert.equal(c.violations.length, 0);
  });
});

// ---- targets ---------------------------------------------------------------------------------

interface Target {
  nodes: string[];
  ports: number[];
  close(): Promise<void>;
}

const targets: Array<[string, () => Promise<Target>]> = [
  [
    'a corral node',
    async () => {
      const s = await startCorral();
      return { nodes: [`127.0.0.1:${s.port}`], ports: [s.port], close: () => s.close() };
    },
  ],
  [
    'a 3-node corral cluster',
    async () => {
      const c = await startCorralCluster(3);
      return { nodes: [`127.0.0.1:${c.ports[0]}`], ports: c.ports, close: () => c.close() };
    },
  ],
  [
    'redis-server',
    async () => {
      const s = await startRedis();
      return { nodes: [`127.0.0.1:${s.port}`], ports: [s.port], close: () => s.close() };
    },
  ],
];

const KEYS = Array.from({ length: 12 }, (_, i) => `near:${i}`);

/** Reads every key until all of them are served from the near-cache (the first reads open the links). */
async function fill(a: CorralClient, keys: string[], expect: string): Promise<void> {
  await until('the near-cache to fill', async () => {
    for (const k of keys) assert.equal(await a.get(k), expect);
    const hits = a.stats.nearHits;
    for (const k of keys) assert.equal(await a.get(k), expect);
    return a.stats.nearHits === hits + keys.length;
  });
}

async function onNode(port: number, ...args: Array<string | number>): Promise<unknown> {
  const c = await RawConnection.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

function portOf(node: string): number {
  return Number(node.slice(node.lastIndexOf(':') + 1));
}

/** Forks 4 processes, runs them together, returns the merged history and their stats. */
async function coherenceRun(nodes: string[], keys: string[], ms: number, during?: () => Promise<void>): Promise<{ ops: NearOp[]; stats: ClientStats[] }> {
  const url = new URL('../support/near-cache-worker.js', import.meta.url);
  const workers: ChildProcess[] = [0, 1, 2, 3].map(() => fork(url, [JSON.stringify(nodes)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const next = (w: ChildProcess): Promise<FromNearWorker> => new Promise((r) => w.once('message', (m) => r(m as FromNearWorker)));
  try {
    await Promise.all(workers.map(next));
    const startAt = Date.now() + 500;
    const done = workers.map(next);
    workers.forEach((w, proc) => w.send({ type: 'run', proc, keys, ms, startAt, writeRatio: 0.1, loops: 4 } satisfies ToNearWorker));
    if (during !== undefined) {
      await sleep(startAt - Date.now() + ms / 3);
      await during();
    }
    const results = await Promise.all(done);
    const ops: NearOp[] = [];
    const stats: ClientStats[] = [];
    for (const res of results) {
      assert.equal(res.type, 'done');
      if (res.type !== 'done') continue;
      assert.deepEqual(res.errors, [], 'no command failed');
      // One op at a time: spreading a worker's ops (a hundred thousand or more on a fast machine)
      // into push's arguments overflows the stack.
      for (const op of res.ops) ops.push(op);
      stats.push(res.stats);
    }
    return { ops, stats };
  } finally {
    for (const w of workers) w.send({ type: 'exit' } satisfies ToNearWorker);
  }
}

let historiesSaved = 0;

function assertCoherent(t: { diagnostic(m: string): void }, ops: NearOp[], stats: ClientStats[]): void {
  const c = checkNearHistory(ops, BOUND_MS);
  if (process.env.NEAR_HISTORY !== undefined) writeFileSync(`${process.env.NEAR_HISTORY}.${++historiesSaved}.json`, JSON.stringify(ops));
  const hits = stats.reduce((n, s) => n + s.nearHits, 0);
  const invalidations = stats.reduce((n, s) => n + s.nearInvalidations, 0);
  t.diagnostic(`${c.reads} reads, ${c.writes} writes, ${hits} near hits, ${invalidations} invalidations, ${c.staleReads} reads behind a write (max ${c.maxLateMs.toFixed(2)} ms)`);
  assert.ok(c.reads > 1000 && c.writes > 100, 'enough operations to mean something');
  assert.ok(hits > c.reads / 10, 'the near-cache served reads');
  assert.ok(invalidations > 0);
  assert.deepEqual(c.violations.slice(0, 5).map(describeViolation), []);
}

for (const [name, start] of targets) {
  describe(`near-cache against ${name}`, () => {
    let target: Target;
    let a: CorralClient;
    let b: CorralClient;
    before(async () => {
      target = await start();
      a = createClient({ nodes: target.nodes, nearCache: { keys: 'all' } });
      b = createClient({ nodes: target.nodes });
      await Promise.all([a.ready(), b.ready()]);
    });
    after(async () => {
      a.close();
      b.close();
      await target.close();
    });

    test('a write by another client removes the key from the near-cache', async () => {
      for (const k of KEYS) await b.set(k, 'v1');
      await fill(a, KEYS, 'v1');
      const before = a.stats.nearInvalidations;
      await b.set(KEYS[0], 'v2');
      await until('the key to leave the near-cache', () => a.stats.nearEntries === KEYS.length - 1);
      assert.ok(a.stats.nearInvalidations > before);
      assert.equal(await a.get(KEYS[0]), 'v2');
      await b.del(KEYS.slice(1));
      await until('every key to leave', () => a.stats.nearEntries <= 1);
      for (const k of KEYS.slice(1)) assert.equal(await a.get(k), null);
      // A write through the near client itself drops the key at once.
      await fill(a, KEYS.slice(0, 1), 'v2');
      const size = a.nearCache!.size;
      const p = a.set(KEYS[0], 'v3');
      assert.equal(a.nearCache!.size, size - 1, 'dropped when issued');
      await p;
      assert.equal(await a.get(KEYS[0]), 'v3');
    });

    test('the invalidation connection killed: entries dropped, no stale read after, caching resumes', async () => {
      for (const k of KEYS) await b.set(k, 'k1');
      await fill(a, KEYS, 'k1');
      const links = a.nearCache!.linkStates();
      assert.ok(links.length >= 1 && links.every((l) => l.state === 'ready'));
      for (const l of links) assert.equal(await onNode(portOf(l.node), 'CLIENT', 'KILL', 'ID', l.clientId), 1);
      await until('the entries to be dropped', () => a.stats.nearEntries === 0);
      for (const k of KEYS) await b.set(k, 'k2');
      for (const k of KEYS) assert.equal(await a.get(k), 'k2', 'nothing stale after the loss');
      // A new connection on each node (client ids are per node: compare each link with its node's old one).
      await until('the links to come back', () => a.nearCache!.linkStates().every((l) => l.state === 'ready' && !links.some((o) => o.node === l.node && o.clientId === l.clientId)));
      await fill(a, KEYS, 'k2');
      for (const k of KEYS) await b.set(k, 'k3');
      await until('invalidations through the new connections', () => a.stats.nearEntries === 0);
      for (const k of KEYS) assert.equal(await a.get(k), 'k3');
    });

    test('the data connection killed: entries dropped; the new connection redoes CLIENT TRACKING', async () => {
      await fill(a, KEYS, 'k3');
      const links = a.nearCache!.linkStates();
      for (const l of links) {
        // The data connection is the client whose tracking redirects to the link.
        const list = String(await onNode(portOf(l.node), 'CLIENT', 'LIST'));
        const line = list.split('\n').find((s) => s.includes(` redir=${l.clientId} `));
        assert.ok(line !== undefined, `a client redirecting to ${l.clientId} on ${l.node}`);
        const id = Number(/\bid=(\d+)/.exec(line)![1]);
        assert.equal(await onNode(portOf(l.node), 'CLIENT', 'KILL', 'ID', id), 1);
      }
      await until('the entries to be dropped', () => a.stats.nearEntries === 0);
      for (const k of KEYS) await b.set(k, 'k4');
      for (const k of KEYS) assert.equal(await a.get(k), 'k4');
      await fill(a, KEYS, 'k4');
      for (const k of KEYS) await b.set(k, 'k5');
      await until('invalidations for reads on the new data connections', () => a.stats.nearEntries === 0);
    });

    const noLeases = name === 'redis-server' ? "redis-server has no CACHE.* commands (corral's own)" : false;
    test('createCache over a near-cache client: hits served in process, invalidate() elsewhere reaches it', { skip: noLeases }, async () => {
      const mine = createCache({ client: a, ttl: 60_000, jitter: 0, beta: 0 });
      const theirs = createCache({ client: b, ttl: 60_000, jitter: 0, beta: 0 });
      try {
        let loads = 0;
        const loader = async (): Promise<{ n: number }> => ({ n: ++loads });
        const key = `sdk:${name.length}`;
        await b.del(key);
        assert.deepEqual(await mine.getOrLoad(key, loader), { n: 1 });
        // A CACHE.GET hit prefetches the key into the near-cache (CACHE.GET itself is not tracked).
        await until('a near hit', async () => {
          const hits = a.stats.nearHits;
          assert.deepEqual(await mine.getOrLoad(key, loader), { n: 1 });
          return a.stats.nearHits === hits + 1;
        });
        assert.deepEqual(await mine.get(key), { n: 1 });
        await theirs.invalidate(key);
        await until('the invalidation to arrive', async () => (await mine.get(key)) === null);
        assert.deepEqual(await mine.getOrLoad(key, loader), { n: 2 }, 'reloaded after the invalidation');
        assert.equal(loads, 2);
      } finally {
        await mine.close();
        await theirs.close();
      }
    });

    test('coherence: 4 processes read and write overlapping keys with near-caches on', { timeout: 60_000 }, async (t) => {
      const keys = Array.from({ length: 8 }, (_, i) => `coh:${name.length}:${i}`);
      await b.del(keys);
      const { ops, stats } = await coherenceRun(target.nodes, keys, 2500);
      assertCoherent(t, ops, stats);
    });
  });
}

// ---- through a slot move ------------------------------------------------------------------------

function ownerShard(doc: TopologyDoc, slot: number): string {
  return doc.slots.find(([s, e]) => slot >= s && slot <= e)![2];
}

test('coherence through a slot move: 4 processes, the keys\' slot moves to another primary mid-run', { timeout: 90_000 }, async (t) => {
  const cluster: CorralCluster = await startCorralCluster(2, {}, { replicas: 1 });
  await cluster.waitForReplicas();
  const nodes = [`127.0.0.1:${cluster.ports[0]}`];
  const admin = createClient({ nodes });
  const conns: RawConnection[] = [];
  try {
    const doc = cluster.topology;
    const [shardA, shardB] = doc.shards;
    let tag = '';
    for (let i = 0; tag === ''; i++) if (ownerShard(doc, keySlot(`{nm${i}}`)) === shardA.id) tag = `{nm${i}}`;
    const slot = keySlot(tag);
    const keys = Array.from({ length: 8 }, (_, i) => `${tag}:${i}`);
    const ca = await RawConnection.connect(cluster.ports[cluster.shards[0].primary]);
    const cb = await RawConnection.connect(cluster.ports[cluster.shards[1].primary]);
    conns.push(ca, cb);
    const migrations = async (): Promise<string[]> => (await cb.call('CORRAL', 'MIGRATIONS')) as string[];
    const { ops, stats } = await coherenceRun(nodes, keys, 3000, async () => {
      assert.deepEqual(await cb.call('CORRAL', 'IMPORT', slot, '127.0.0.1', cluster.ports[cluster.shards[0].primary]), { simple: 'OK' });
      await until('the copy', async () => (await migrations()).some((l) => l.includes('state=streaming')), 15_000);
      const mark = (await ca.call('CORRAL', 'SLOTPAUSE', slot, 5000)) as number;
      assert.equal(typeof mark, 'number');
      await until('the mark', async () => (await migrations()).some((l) => l.includes(`mark=${mark}`)), 15_000);
      await cluster.publish(moveSlot(doc, slot, shardB.id));
    });
    assert.equal(await cb.call('CLUSTER', 'COUNTKEYSINSLOT', slot), keys.length, 'the keys moved');
    assertCoherent(t, ops, stats);
  } finally {
    for (const c of conns) c.close();
    admin.close();
    await cluster.close();
  }
});

/**
 * A manual failover of shard 0 as a controller runs one (as test/integration/client-replicas.test.ts
 * does): pause writes on its primary, let its replica catch up, then publish the next epoch with
 * the two swapped (the new primary first).
 */
async function swapShard0(fc: CorralCluster): Promise<void> {
  const oldId = fc.current.shards[0].primary;
  const newId = fc.current.shards[0].replicas[0];
  const [oldPrimary, newPrimary] = [fc.indexOfId(oldId), fc.indexOfId(newId)];
  const offset = (await onNode(fc.ports[oldPrimary], 'CORRAL', 'PAUSEWRITES', '5000')) as number;
  assert.equal(typeof (await onNode(fc.ports[newPrimary], 'CORRAL', 'WAITOFFSET', String(offset), '2000')), 'number', 'the replica caught up');
  const doc: TopologyDoc = structuredClone(fc.current);
  doc.epoch++;
  doc.shards[0] = { ...doc.shards[0], primary: newId, replicas: [oldId] };
  await fc.publish(doc, [newPrimary, ...fc.ports.map((_, i) => i).filter((i) => i !== newPrimary)]);
}

test('coherence through a failover: 4 processes, the keys\' primary hands over to its replica mid-run', { timeout: 90_000 }, async (t) => {
  const cluster: CorralCluster = await startCorralCluster(2, {}, { replicas: 1 });
  try {
    await cluster.waitForReplicas();
    const doc = cluster.topology;
    const keys: string[] = [];
    for (let i = 0; keys.length < 8; i++) if (ownerShard(doc, keySlot(`fo:${i}`)) === doc.shards[0].id) keys.push(`fo:${i}`);
    const { ops, stats } = await coherenceRun([`127.0.0.1:${cluster.ports[0]}`], keys, 3000, () => swapShard0(cluster));
    assert.equal(cluster.current.epoch, doc.epoch + 1, 'the failover happened');
    assertCoherent(t, ops, stats);
  } finally {
    await cluster.close();
  }
});

// ---- a killed node ------------------------------------------------------------------------------

test('a primary killed (SIGKILL) under `corral up`: its entries are dropped, nothing stale after the failover, caching resumes', { timeout: 90_000 }, async () => {
  const up = await startCorralUp(1, 1);
  const nodes = up.ports.map((p) => `127.0.0.1:${p}`);
  const a = createClient({ nodes, nearCache: { keys: 'all' } });
  const b = createClient({ nodes });
  try {
    await Promise.all([a.ready(), b.ready()]);
    for (const k of KEYS) await b.set(k, 'v1');
    await fill(a, KEYS, 'v1');
    const primary = (await up.views()).find((v) => v.role === 'master')!;
    process.kill(primary.pid, 'SIGKILL');
    // The near-cache learns of it when the node's connections close: every entry goes.
    await until('the entries to be dropped', () => a.stats.nearEntries === 0);
    // Writes resume on the promoted replica; every read after a write's acknowledgement sees it.
    await until('a write to be taken after the failover', async () => {
      try {
        await b.set(KEYS[0], 'v2');
        return true;
      } catch {
        return false;
      }
    }, 30_000);
    for (const k of KEYS) await b.set(k, 'v2');
    for (const k of KEYS) assert.equal(await a.get(k), 'v2', 'nothing stale after the failover');
    // Caching resumes on the new primary, and its invalidations arrive.
    await fill(a, KEYS, 'v2');
    for (const k of KEYS) await b.set(k, 'v3');
    await until('invalidations from the new primary', () => a.stats.nearEntries === 0);
    for (const k of KEYS) assert.equal(await a.get(k), 'v3');
  } finally {
    a.close();
    b.close();
    await up.stop();
  }
});
