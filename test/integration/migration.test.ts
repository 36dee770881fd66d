// Moving a hash slot between primaries at node level (server/migration.ts), over real sockets,
// with one replica per shard: the importer copies the slot from its owner while writers keep
// writing to it through corral's cluster client; the switch pauses the slot's writes, waits for
// the importer to reach the mark, publishes the topology with the slot moved (epoch + 1). Then
// every key of the slot is on the new owner and its replica with its value and expiry, every
// acknowledged write is there, no error reached the writers, and the old owner and its replica
// hold none of the slot's keys. (The mover that drives this from the control plane, with its
// CLI, is the next step: docs/resharding.md.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keySlot } from '../../src/cluster/slot.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import { createClient } from '../../src/client/index.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';
import { RawConnection } from '../support/servers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The document with one slot given to another shard, epoch + 1. */
function moveSlot(doc: TopologyDoc, slot: number, toShard: string): TopologyDoc {
  const slots: Array<[number, number, string]> = [];
  for (const [s, e, id] of doc.slots) {
    if (slot < s || slot > e) {
      slots.push([s, e, id]);
      continue;
    }
    if (s < slot) slots.push([s, slot - 1, id]);
    slots.push([slot, slot, toShard]);
    if (slot < e) slots.push([slot + 1, e, id]);
  }
  return { ...doc, epoch: doc.epoch + 1, slots };
}

function ownerShard(doc: TopologyDoc, slot: number): string {
  return doc.slots.find(([s, e]) => slot >= s && slot <= e)![2];
}

/** Every key of the slot on a node with its DUMP and absolute expiry. */
async function slotContents(c: RawConnection, slot: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const keys = (await c.call('CLUSTER', 'GETKEYSINSLOT', slot, 1_000_000)) as string[];
  for (const k of keys) out.set(k, `${JSON.stringify(await c.call('DUMP', k))} ${await c.call('PEXPIRETIME', k)}`);
  return out;
}

async function migrations(c: RawConnection): Promise<string[]> {
  return (await c.call('CORRAL', 'MIGRATIONS')) as string[];
}

test('a slot moves to another primary under writes: its keys, TTLs and every acknowledged write arrive, on the replicas too', { timeout: 60_000 }, async () => {
  const cluster: CorralCluster = await startCorralCluster(2, {}, { replicas: 1 });
  const conns: RawConnection[] = [];
  const connect = async (i: number): Promise<RawConnection> => {
    const c = await RawConnection.connect(cluster.ports[i]);
    conns.push(c);
    return c;
  };
  const client = createClient({ nodes: [`127.0.0.1:${cluster.ports[0]}`] });
  try {
    await cluster.waitForReplicas();
    const doc = cluster.topology;
    const [shardA, shardB] = doc.shards;
    const a = cluster.shards[0].primary;
    const aReplica = cluster.shards[0].replicas[0];
    const b = cluster.shards[1].primary;
    const bReplica = cluster.shards[1].replicas[0];
    // A hash tag whose slot shard A owns: every key below lives in that one slot.
    let tag = '';
    for (let i = 0; tag === ''; i++) if (ownerShard(doc, keySlot(`{m${i}}`)) === shardA.id) tag = `{m${i}}`;
    const slot = keySlot(tag);
    const ca = await connect(a);
    const cb = await connect(b);

    // The slot's data: strings (some with TTLs, some long), hashes, lists, sorted sets.
    const batch: Array<Promise<unknown>> = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 5 === 0) batch.push(ca.call('SET', `${tag}:s:${i}`, `v${i}`, 'PX', 600_000 + i));
      else batch.push(ca.call('SET', `${tag}:s:${i}`, i % 97 === 0 ? 'x'.repeat(5000) : `v${i}`));
      if (i % 100 === 0) {
        batch.push(ca.call('HSET', `${tag}:h:${i}`, 'a', '1', 'b', String(i)));
        batch.push(ca.call('RPUSH', `${tag}:l:${i}`, 'x', 'y', String(i)));
        batch.push(ca.call('ZADD', `${tag}:z:${i}`, '1.5', 'a', String(i), 'b'));
      }
    }
    await Promise.all(batch);
    // A key of another slot of the same shard: it stays where it is.
    let outside = '';
    for (let i = 0; outside === ''; i++) {
      const k = `outside${i}`;
      if (keySlot(k) !== slot && ownerShard(doc, keySlot(k)) === shardA.id) outside = k;
    }
    assert.deepEqual(await ca.call('SET', outside, 'stays'), { simple: 'OK' });

    // Writers through the cluster client: unique values, a counter, deletes; the last
    // acknowledged value of each key is what must be found after the move.
    const acked = new Map<string, string | null>();
    let increments = 0;
    let errors = 0;
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let n = 0; !stop; n++) {
        const key = `${tag}:w:${w}:${n % 50}`;
        try {
          if (n % 7 === 3) {
            await client.del(key);
            acked.set(key, null);
          } else {
            await client.set(key, `${w}-${n}`);
            acked.set(key, `${w}-${n}`);
          }
          await client.incr(`${tag}:counter`);
          increments++;
          if (n % 11 === 0) await client.set(`${tag}:s:${n % 3000}`, `rewritten-${w}-${n}`);
          if (n % 11 === 0) acked.set(`${tag}:s:${n % 3000}`, `rewritten-${w}-${n}`);
        } catch (err) {
          errors++;
          throw err;
        }
      }
    });

    await sleep(100);
    assert.deepEqual(await cb.call('CORRAL', 'IMPORT', slot, '127.0.0.1', cluster.ports[a]), { simple: 'OK' });
    await until('the copy', async () => (await migrations(cb)).some((l) => l.includes('state=streaming')));
    await sleep(100); // forwarded writes only, for a while

    // The switch.
    const mark = (await ca.call('CORRAL', 'SLOTPAUSE', slot, 5000)) as number;
    assert.equal(typeof mark, 'number', `SLOTPAUSE answered ${JSON.stringify(mark)}`);
    await until('the mark', async () => (await migrations(cb)).some((l) => l.includes(`mark=${mark}`)));
    await cluster.publish(moveSlot(doc, slot, shardB.id));

    await sleep(300); // the writers go on against the new owner
    stop = true;
    await Promise.all(writers);
    assert.equal(errors, 0);

    // Everything of the slot is on B (and its replica), nothing on A (and its replica).
    await until('the old owner emptied', async () => (await ca.call('CLUSTER', 'COUNTKEYSINSLOT', slot)) === 0);
    await cluster.waitForReplicas();
    const onB = await slotContents(cb, slot);
    assert.ok(onB.size >= 3000 + 90, `${onB.size} keys on the new owner`);
    for (const [key, value] of acked) {
      const got = await cb.call('GET', key);
      assert.equal(got, value, key);
    }
    assert.equal(await cb.call('GET', `${tag}:counter`), String(increments));
    assert.equal(await cb.call('GET', `${tag}:s:7`), acked.get(`${tag}:s:7`) ?? 'v7');
    assert.equal(await cb.call('HGET', `${tag}:h:100`, 'b'), '100');
    const ttl = (await cb.call('PEXPIRETIME', `${tag}:s:5`)) as number;
    assert.ok(ttl > Date.now() + 500_000, `TTL kept: ${ttl}`);
    const cbr = await connect(bReplica);
    await cbr.call('READONLY');
    assert.deepEqual(await slotContents(cbr, slot), onB);
    const car = await connect(aReplica);
    assert.equal(await car.call('CLUSTER', 'COUNTKEYSINSLOT', slot), 0);
    assert.equal(await ca.call('GET', outside), 'stays');
    // The old owner redirects; the moves are over on both sides.
    assert.equal((await ca.callRaw('GET', `${tag}:counter`)).toString(), `-MOVED ${slot} 127.0.0.1:${cluster.ports[b]}\r\n`);
    assert.deepEqual(await migrations(ca), []);
    assert.deepEqual(await migrations(cb), []);
  } finally {
    await client.close();
    for (const c of conns) c.close();
    await cluster.close();
  }
});
