// corral's client on a replicated corral cluster (in-process nodes, real sockets): reads served by
// replicas (readFrom 'replica' and 'nearest') while writes stay on primaries, read-your-writes
// across replicas (and reads without it), the STALE fallback when a replica lags, and a failover
// followed through the topology subscription without a failed command.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { createClient, type CorralClient } from '../../src/index.js';
import { keySlot } from '../../src/cluster/slot.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';
import { RawConnection } from '../support/servers.js';

let cluster: CorralCluster;
const clients: CorralClient[] = [];

before(async () => {
  cluster = await startCorralCluster(2, {}, { replicas: 2 });
  await cluster.waitForReplicas();
});

after(async () => {
  for (const c of clients) c.close();
  await cluster.close();
});

function client(opts: Parameters<typeof createClient>[0]): CorralClient {
  const c = createClient(opts);
  clients.push(c);
  return c;
}

const addr = (c: CorralCluster, i: number): string => `127.0.0.1:${c.ports[i]}`;

/** INFO commandstats of one node: command -> calls / rejected / failed. */
async function commandStats(c: CorralCluster, i: number): Promise<Map<string, { calls: number; rejected: number; failed: number }>> {
  const conn = await RawConnection.connect(c.ports[i]);
  const text = String(await conn.call('INFO', 'commandstats'));
  conn.close();
  const out = new Map<string, { calls: number; rejected: number; failed: number }>();
  for (const m of text.matchAll(/^cmdstat_(\S+):calls=(\d+),.*rejected_calls=(\d+),failed_calls=(\d+)/gm)) {
    out.set(m[1], { calls: Number(m[2]), rejected: Number(m[3]), failed: Number(m[4]) });
  }
  return out;
}

async function calls(c: CorralCluster, i: number, cmd: string): Promise<number> {
  return (await commandStats(c, i)).get(cmd)?.calls ?? 0;
}

/** Index of the shard (in doc.shards) that owns a key's slot. */
function shardOf(doc: TopologyDoc, key: string): number {
  const slot = keySlot(key);
  const range = doc.slots.find(([s, e]) => slot >= s && slot <= e)!;
  return doc.shards.findIndex((s) => s.id === range[2]);
}

/** n keys owned by shard s, named prefix + i. */
function keysOf(c: CorralCluster, s: number, n: number, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if (shardOf(c.current, `${prefix}${i}`) === s) out.push(`${prefix}${i}`);
  return out;
}

/** The replica's link to its primary, for pausing its socket (an in-process node cannot DEBUG SLEEP alone). */
/** A replica's link to its primary, to hold (stop reading the stream) and release. */
function replicaLink(c: CorralCluster, i: number): { hold(): void; release(): void } {
  const link = c.nodes[i].replication.link as unknown as { socket: net.Socket | null; hold(): void; release(): void } | null;
  assert.ok(link?.socket, 'the replica has a live link');
  return link;
}

describe('client on a replicated corral cluster', () => {
  test("readFrom 'replica': replicas serve the reads, round-robin; primaries take every write", async () => {
    const c = client({ nodes: [addr(cluster, 0)], readFrom: 'replica' });
    await c.ready();
    assert.deepEqual(
      c.shards().map((s) => [s.primary, ...s.replicas].sort()).sort(),
      cluster.shards.map((s) => [s.primary, ...s.replicas].map((i) => addr(cluster, i)).sort()).sort(),
    );
    const all = cluster.ports.map((_, i) => i);
    const before = await Promise.all(all.map(async (i) => ({ get: await calls(cluster, i, 'get'), set: await calls(cluster, i, 'set') })));
    const keys = Array.from({ length: 200 }, (_, i) => `r:${i}`);
    await Promise.all(keys.map((k, i) => c.set(k, `v${i}`)));
    const values = await Promise.all(keys.map((k) => c.get(k)));
    values.forEach((v, i) => assert.equal(v, `v${i}`));
    const afterStats = await Promise.all(all.map((i) => commandStats(cluster, i)));
    const delta = (i: number, cmd: 'get' | 'set'): number => (afterStats[i].get(cmd)?.calls ?? 0) - before[i][cmd];

    let replicaGets = 0;
    let primaryGets = 0;
    let primarySets = 0;
    for (const s of cluster.shards) {
      primaryGets += delta(s.primary, 'get');
      primarySets += delta(s.primary, 'set');
      const perReplica = s.replicas.map((r) => delta(r, 'get'));
      replicaGets += perReplica.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(perReplica[0] - perReplica[1]) <= 1, `round-robin between a shard's replicas: ${perReplica}`);
      for (const r of s.replicas) assert.equal(afterStats[r].get('set')?.rejected ?? 0, 0, 'no write was sent to a replica');
    }
    assert.equal(primarySets, 200, 'every write ran on a primary');
    assert.equal(replicaGets, c.stats.replicaReads, 'the replicas served what the client sent them');
    assert.equal(replicaGets + primaryGets, 200 + c.stats.readFallbacks);
    assert.ok(replicaGets >= 150, `most reads on replicas (${replicaGets})`);
    assert.equal(c.stats.redirects, 0);
    c.close();
  });

  test('read-your-writes: a read right after a write returns it, every time, over many iterations', async () => {
    const c = client({ nodes: [addr(cluster, 0)], readFrom: 'replica' });
    await c.ready();
    const waitsBefore = (await Promise.all(cluster.ports.map((_, i) => calls(cluster, i, 'corral|waitoffset')))).reduce((a, b) => a + b, 0);
    let mismatches = 0;
    let reads = 0;
    const loop = async (key: string, n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        await c.set(key, `v${i}`);
        if ((await c.get(key)) !== `v${i}`) mismatches++;
        const count = await c.incr(`${key}:n`);
        if (Number(await c.get(`${key}:n`)) !== count) mismatches++;
        reads += 2;
      }
    };
    const keys = [...keysOf(cluster, 0, 3, 'ryw:'), ...keysOf(cluster, 1, 3, 'ryw:')];
    await Promise.all(keys.map((k) => loop(`{${k}}`, 150)));
    assert.equal(mismatches, 0, 'no read missed the write before it');
    const waits = (await Promise.all(cluster.ports.map((_, i) => calls(cluster, i, 'corral|waitoffset')))).reduce((a, b) => a + b, 0) - waitsBefore;
    assert.ok(c.stats.replicaReads > reads / 2, `most reads on replicas (${c.stats.replicaReads} of ${reads})`);
    assert.ok(waits > 0 && waits <= c.stats.replicaReads, `replica reads were guarded by CORRAL WAITOFFSET (${waits})`);
    c.close();
  });

  test('readYourWrites off: replica reads still work (the value shows up once replicated)', async () => {
    const c = client({ nodes: [addr(cluster, 1)], readFrom: 'replica', readYourWrites: false });
    await c.ready();
    const offsetsBefore = (await Promise.all(cluster.shards.map((s) => calls(cluster, s.primary, 'corral|offset')))).reduce((a, b) => a + b, 0);
    const keys = Array.from({ length: 20 }, (_, i) => `loose:${i}`);
    await c.mset(keys.map((k, i): [string, string] => [k, `v${i}`]));
    const deadline = Date.now() + 2000;
    let got: Array<string | null> = [];
    while (Date.now() < deadline) {
      got = await c.mget(keys);
      if (got.every((v, i) => v === `v${i}`)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(got, keys.map((_, i) => `v${i}`));
    assert.ok(c.stats.replicaReads > 0);
    assert.equal(c.stats.readFallbacks, 0);
    const offsets = (await Promise.all(cluster.shards.map((s) => calls(cluster, s.primary, 'corral|offset')))).reduce((a, b) => a + b, 0);
    assert.equal(offsets, offsetsBefore, 'no CORRAL OFFSET without read-your-writes');
    c.close();
  });

  test('a lagging replica: WAITOFFSET answers STALE and the read falls back to the primary', async () => {
    const c = client({ nodes: [addr(cluster, 0)], readFrom: 'replica', ryWaitMs: 30 });
    await c.ready();
    const shard = cluster.shards[0];
    const [key] = keysOf(cluster, 0, 1, 'lag:');
    await c.set(key, 'old');
    await cluster.waitForReplicas();
    // Both replicas stop reading their primary's stream.
    const links = shard.replicas.map((r) => replicaLink(cluster, r));
    for (const l of links) l.hold();
    try {
      await c.set(key, 'fresh');
      const replicaGets = await Promise.all(shard.replicas.map((r) => calls(cluster, r, 'get')));
      assert.equal(await c.get(key), 'fresh');
      assert.equal(await c.get(key), 'fresh');
      assert.equal(c.stats.readFallbacks, 2, 'both reads fell back');
      const after = await Promise.all(shard.replicas.map((r) => calls(cluster, r, 'get')));
      assert.equal(after[0] - replicaGets[0] + after[1] - replicaGets[1], 2, 'each replica answered its read, and was not believed');
      // The replicas really are behind.
      for (const r of shard.replicas) {
        const raw = await RawConnection.connect(cluster.ports[r]);
        await raw.call('READONLY');
        assert.equal(await raw.call('GET', key), 'old');
        raw.close();
      }
    } finally {
      for (const l of links) l.release();
    }
    await cluster.waitForReplicas();
    const before = c.stats.replicaReads;
    assert.equal(await c.get(key), 'fresh');
    assert.equal(c.stats.replicaReads, before + 1, 'caught up: replicas serve again');
    assert.equal(c.stats.readFallbacks, 2);
    c.close();
  });

  test("readFrom 'nearest': every node is measured; reads and read-your-writes work", async () => {
    const pingsBefore = await Promise.all(cluster.ports.map((_, i) => calls(cluster, i, 'ping')));
    const c = client({ nodes: [addr(cluster, 0)], readFrom: 'nearest' });
    await c.ready();
    let mismatches = 0;
    for (let i = 0; i < 200; i++) {
      await c.set(`near:${i % 10}`, `v${i}`);
      if ((await c.get(`near:${i % 10}`)) !== `v${i}`) mismatches++;
    }
    assert.equal(mismatches, 0);
    // Each node's connection is measured as it comes up (then once a second).
    const pings = await Promise.all(cluster.ports.map((_, i) => calls(cluster, i, 'ping')));
    pings.forEach((p, i) => assert.ok(p > pingsBefore[i], `node ${i} was pinged`));
    c.close();
  });

  test.skip('a cluster without CORRAL WATCHTOPOLOGY (Redis): no subscription (unit-tested against a fake answering as Redis: src/client/replicas.test.ts; a real redis-server belongs in test/system)');
});

describe('a replica that goes away', () => {
  test('reads move to the primary without failing, and read-your-writes holds', async () => {
    const rc = await startCorralCluster(1, {}, { replicas: 1 });
    const c = client({ nodes: [addr(rc, 0)], readFrom: 'replica', retry: { attempts: 5, baseDelayMs: 5, maxDelayMs: 20 } });
    try {
      await rc.waitForReplicas();
      await c.ready();
      await c.set('gone', 'v0');
      assert.equal(await c.get('gone'), 'v0');
      const servedBefore = c.stats.replicaReads;
      assert.ok(servedBefore > 0);
      await rc.nodes[rc.shards[0].replicas[0]].close();
      for (let i = 1; i <= 50; i++) {
        await c.set('gone', `v${i}`);
        assert.equal(await c.get('gone'), `v${i}`);
      }
      // The replica still appears in CLUSTER SLOTS (nobody marked it failed): it is skipped.
      assert.ok(c.stats.replicaReads - servedBefore <= 2, `reads stopped going to the dead replica (${c.stats.replicaReads - servedBefore})`);
    } finally {
      c.close();
      await rc.close();
    }
  });
});

/** Waits (polling) until cond holds, or fails after ms. */
async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A manual failover of shard 0, as a controller runs one: pause writes on its primary, let its
 * replica catch up, then hand out the next epoch with the two swapped (the new primary first).
 * Returns [old primary, new primary] (node indices).
 */
async function swapShard0(fc: CorralCluster): Promise<[number, number]> {
  const oldId = fc.current.shards[0].primary;
  const newId = fc.current.shards[0].replicas[0];
  const [oldPrimary, newPrimary] = [fc.indexOfId(oldId), fc.indexOfId(newId)];
  const p = await RawConnection.connect(fc.ports[oldPrimary]);
  const offset = (await p.call('CORRAL', 'PAUSEWRITES', '5000')) as number;
  p.close();
  const r = await RawConnection.connect(fc.ports[newPrimary]);
  assert.equal(typeof (await r.call('CORRAL', 'WAITOFFSET', String(offset), '2000')), 'number', 'the replica caught up');
  r.close();
  const doc: TopologyDoc = structuredClone(fc.current);
  doc.epoch++;
  doc.shards[0] = { ...doc.shards[0], primary: newId, replicas: [oldId] };
  await fc.publish(doc, [newPrimary, ...fc.ports.map((_, i) => i).filter((i) => i !== newPrimary)]);
  return [oldPrimary, newPrimary];
}

describe('failover through the topology subscription', () => {
  test('an idle client follows a swapped primary from the push alone: one refresh, before any command', async () => {
    const fc = await startCorralCluster(2, {}, { replicas: 1 });
    const c = client({ nodes: [addr(fc, 0)], readFrom: 'replica' });
    try {
      await fc.waitForReplicas();
      await c.ready();
      await until(() => c.topologyWatch.state === 'active' && c.topologyWatch.epoch === 1, 'the subscription');
      const keys = keysOf(fc, 0, 20, 'idle:');
      await Promise.all(keys.map((k) => c.set(k, 'before')));
      await new Promise((r) => setTimeout(r, 50)); // the first frame's refresh is done
      const refreshes = c.stats.refreshes;
      const redirects = c.stats.redirects;
      const [oldPrimary, newPrimary] = await swapShard0(fc);
      await until(() => c.nodes().includes(addr(fc, newPrimary)), 'the new primary in the map');
      assert.ok(!c.nodes().includes(addr(fc, oldPrimary)));
      assert.deepEqual(c.shards().find((s) => s.primary === addr(fc, newPrimary))?.replicas, [addr(fc, oldPrimary)]);
      assert.equal(c.topologyWatch.epoch, 2);
      assert.equal(c.stats.topologyPushes, 2, 'the first frame, then epoch 2');
      assert.equal(c.stats.refreshes, refreshes + 1, 'exactly one CLUSTER SLOTS for the failover');
      // Writes for shard 0 run on the new primary at once (no redirect), and are read back.
      const setsBefore = await calls(fc, newPrimary, 'set');
      for (const k of keys) {
        await c.set(k, 'after');
        assert.equal(await c.get(k), 'after');
      }
      assert.equal((await calls(fc, newPrimary, 'set')) - setsBefore, keys.length);
      assert.equal(c.stats.redirects, redirects, 'no MOVED: the map was right before the first command');
      assert.equal(c.stats.refreshes, refreshes + 1);
    } finally {
      c.close();
      await fc.close();
    }
  });

  test('the same failover under load: no command fails, read-your-writes holds, writes go to the new primary', async (t) => {
    const fc = await startCorralCluster(2, {}, { replicas: 1 });
    const c = client({
      nodes: [addr(fc, 1)],
      readFrom: 'replica',
      commandTimeout: 10_000,
      retry: { attempts: 30, baseDelayMs: 10, maxDelayMs: 100 },
    });
    let stop = false;
    let loops: Array<Promise<void>> = [];
    try {
      await fc.waitForReplicas();
      await c.ready();
      await until(() => c.topologyWatch.state === 'active' && c.topologyWatch.epoch === 1, 'the subscription');
      const failures: string[] = [];
      let mismatches = 0;
      let ops = 0;
      const loop = async (key: string): Promise<void> => {
        for (let i = 0; !stop; i++) {
          try {
            await c.set(key, `v${i}`);
            if ((await c.get(key)) !== `v${i}`) mismatches++;
            ops++;
          } catch (err) {
            failures.push(`${key}: ${(err as Error).message}`);
            await new Promise((r) => setTimeout(r, 1)); // an immediate rejection must not spin
          }
        }
      };
      loops = [...keysOf(fc, 0, 4, 'fo:'), ...keysOf(fc, 1, 2, 'fo:')].map(loop);
      await new Promise((r) => setTimeout(r, 100));
      const refreshes = c.stats.refreshes;
      const [oldPrimary, newPrimary] = await swapShard0(fc);
      // Under load a MOVED may add the new primary to the map a moment before the refresh that
      // the push started drops the old one: wait for both.
      await until(
        () => c.topologyWatch.epoch === 2 && c.nodes().includes(addr(fc, newPrimary)) && !c.nodes().includes(addr(fc, oldPrimary)),
        'the push and the new map',
      );
      assert.ok(c.stats.refreshes > refreshes);
      const opsAtSwitch = ops;
      await new Promise((res) => setTimeout(res, 200));
      stop = true;
      await Promise.all(loops);
      assert.deepEqual(failures, [], 'no command failed');
      assert.equal(mismatches, 0, 'read-your-writes held through the failover');
      assert.ok(ops > opsAtSwitch, 'the load went on after the switch');
      t.diagnostic(`ops ${ops} (${opsAtSwitch} before the switch), client stats ${JSON.stringify(c.stats)}`);

      const setsBefore = await calls(fc, newPrimary, 'set');
      const oldRejected = (await commandStats(fc, oldPrimary)).get('set')?.rejected ?? 0;
      const redirects = c.stats.redirects;
      await Promise.all(keysOf(fc, 0, 50, 'after:').map((k) => c.set(k, 'x')));
      assert.equal((await calls(fc, newPrimary, 'set')) - setsBefore, 50);
      assert.equal((await commandStats(fc, oldPrimary)).get('set')?.rejected ?? 0, oldRejected, 'none reached the old primary');
      assert.equal(c.stats.redirects, redirects);
    } finally {
      stop = true;
      c.close();
      await Promise.all(loops);
      await fc.close();
    }
  });
});
