// corral's smart client against a three-node corral cluster (in-process nodes, real sockets):
// discovery, routing with no redirect, multi-key commands split per slot and merged in order,
// MOVED after a topology change (one refresh), hash tags, counters, TTLs, typed errors, and a
// node going away.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, ConnectionError, ReplyError, type CorralClient } from '../../src/index.js';
import { keySlot } from '../../src/cluster/slot.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';

let cluster: CorralCluster;
let client: CorralClient;

before(async () => {
  cluster = await startCorralCluster(3);
  // No topology pushes: the MOVED test below needs the client to learn the change by a redirect.
  client = createClient({ nodes: [`127.0.0.1:${cluster.ports[2]}`], commandTimeout: 3000, topologyPush: false });
  await client.ready();
});

after(async () => {
  await client.quit();
  await cluster.close();
});

/** Index of the node whose shard owns a slot. */
function ownerOf(doc: TopologyDoc, slot: number): number {
  const range = doc.slots.find(([s, e]) => slot >= s && slot <= e)!;
  return doc.shards.findIndex((s) => s.id === range[2]);
}

describe('corral client on a corral cluster', () => {
  test('discovers every primary and routes 3000 keys with no redirect', async () => {
    assert.equal(client.mode, 'cluster');
    assert.deepEqual(client.nodes().sort(), cluster.ports.map((p) => `127.0.0.1:${p}`).sort());
    const before = client.stats.redirects;
    await Promise.all(Array.from({ length: 3000 }, (_, i) => client.set(`c:${i}`, `v${i}`)));
    const values = await Promise.all(Array.from({ length: 3000 }, (_, i) => client.get(`c:${i}`)));
    values.forEach((v, i) => assert.equal(v, `v${i}`));
    assert.equal(client.stats.redirects, before);
    // Every key sits on the node that owns its slot.
    for (let i = 0; i < 3000; i += 101) {
      const owner = cluster.nodes[ownerOf(cluster.topology, keySlot(`c:${i}`))];
      assert.ok(owner.store.dbs[0].peek(`c:${i}`) !== undefined, `c:${i} on its owner`);
    }
  });

  test('MGET, MSET, DEL, EXISTS and UNLINK across slots are split and merged in order', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `m:${i}`);
    assert.equal(new Set(keys.map((k) => ownerOf(cluster.topology, keySlot(k)))).size, 3, 'keys span all nodes');
    assert.equal(await client.mset(Object.fromEntries(keys.map((k) => [k, k.toUpperCase()]))), 'OK');
    assert.deepEqual(await client.mget([...keys, 'm:none']), [...keys.map((k) => k.toUpperCase()), null]);
    assert.equal(await client.exists(...keys, 'm:none'), 50);
    assert.equal(await client.del(...keys.slice(0, 20)), 20);
    assert.equal(await client.unlink(...keys.slice(15, 30)), 10);
    assert.equal(await client.exists(...keys), 20);
  });

  test('hash tags, counters and TTLs', async () => {
    await client.mset({ '{u:7}name': 'Ada', '{u:7}city': 'London' });
    assert.deepEqual(await client.mget(['{u:7}name', '{u:7}city']), ['Ada', 'London']);
    assert.equal(await client.incrBy('counter', 5), 5);
    assert.equal(await client.incr('counter'), 6);
    assert.equal(await client.set('ttl', 'x', { px: 60_000 }), 'OK');
    const pttl = await client.pttl('ttl');
    assert.ok(pttl > 50_000 && pttl <= 60_000, `pttl ${pttl}`);
    assert.equal(await client.get('no-such-key'), null);
    await client.hset('h', { a: '1' });
    await assert.rejects(client.get('h'), (err: unknown) => err instanceof ReplyError && err.code === 'E_REPLY' && /WRONGTYPE/.test(err.message));
  });

  test('typed methods for hashes, strings, keys, lists, sets and sorted sets', async () => {
    await client.hset('th', { a: '1', b: '2' });
    assert.deepEqual(await client.hmget('th', 'a', 'zz', 'b'), ['1', null, '2']);
    assert.equal(await client.hexists('th', 'a'), true);
    assert.equal(await client.hlen('th'), 2);
    assert.deepEqual((await client.hkeys('th')).sort(), ['a', 'b']);
    assert.deepEqual((await client.hvals('th')).sort(), ['1', '2']);
    assert.equal(await client.hincrBy('th', 'a', 9), 10);
    assert.equal(await client.append('ts', 'ab'), 2);
    assert.equal(await client.append('ts', 'cd'), 4);
    assert.equal(await client.strlen('ts'), 4);
    assert.equal(await client.getrange('ts', 1, 2), 'bc');
    assert.equal(await client.incrByFloat('tf', 1.5), '1.5');
    assert.equal(await client.type('th'), 'hash');
    assert.equal(await client.type('nothing'), 'none');
    assert.equal(await client.getdel('ts'), 'abcd');
    assert.equal(await client.get('ts'), null);
    await client.set('{tk}a', 'x', { ex: 100 });
    assert.equal(await client.persist('{tk}a'), true);
    assert.equal(await client.rename('{tk}a', '{tk}b'), 'OK');
    assert.equal(await client.get('{tk}b'), 'x');
    assert.equal(await client.rpush('tl', 'a', 'b', 'c'), 3);
    assert.equal(await client.lpush('tl', 'z'), 4);
    assert.deepEqual(await client.lrange('tl', 0, -1), ['z', 'a', 'b', 'c']);
    assert.equal(await client.lindex('tl', 1), 'a');
    assert.equal(await client.lpop('tl'), 'z');
    assert.equal(await client.rpop('tl'), 'c');
    assert.equal(await client.ltrim('tl', 0, 0), 'OK');
    assert.equal(await client.llen('tl'), 1);
    assert.equal(await client.sadd('tset', 'a', 'b', 'a'), 2);
    assert.equal(await client.sismember('tset', 'b'), true);
    assert.equal(await client.srem('tset', 'b', 'q'), 1);
    assert.deepEqual(await client.smembers('tset'), ['a']);
    assert.equal(await client.scard('tset'), 1);
    assert.equal(await client.zadd('tz', 1, 'one', 2, 'two'), 2);
    assert.equal(await client.zincrBy('tz', 2.5, 'one'), '3.5');
    assert.equal(await client.zscore('tz', 'one'), '3.5');
    assert.equal(await client.zrank('tz', 'one'), 1);
    assert.equal(await client.zrank('tz', 'none'), null);
    assert.deepEqual(await client.zrange('tz', 0, -1, { withScores: true }), ['two', '2', 'one', '3.5']);
    assert.equal(await client.zrem('tz', 'two'), 1);
    assert.equal(await client.zcard('tz'), 1);
  });

  test('after a topology change the client follows MOVED with one refresh', async () => {
    const key = 'moving-key';
    const slot = keySlot(key);
    const from = ownerOf(cluster.topology, slot);
    const to = (from + 1) % 3;
    const doc: TopologyDoc = structuredClone(cluster.topology);
    doc.epoch = 2;
    doc.slots = doc.slots.flatMap(([s, e, shard]): Array<[number, number, string]> => {
      if (slot < s || slot > e) return [[s, e, shard]];
      const parts: Array<[number, number, string]> = [[slot, slot, doc.shards[to].id]];
      if (s < slot) parts.push([s, slot - 1, shard]);
      if (slot < e) parts.push([slot + 1, e, shard]);
      return parts;
    });
    await cluster.publish(doc);
    const refreshes = client.stats.refreshes;
    const redirects = client.stats.redirects;
    assert.equal(await client.set(key, 'here'), 'OK');
    assert.ok(client.stats.redirects > redirects, 'the first command was redirected');
    assert.equal(client.stats.refreshes, refreshes + 1);
    assert.ok(cluster.nodes[to].store.dbs[0].peek(key) !== undefined, 'written on the new owner');
    assert.equal(await client.get(key), 'here');
    const settled = client.stats.redirects;
    await client.get(key);
    assert.equal(client.stats.redirects, settled, 'no redirect once the map is refreshed');
  });

  test('a node that goes away fails its slots with a typed error; other slots keep working', async () => {
    const extra = await startCorralCluster(2);
    const c = createClient({ nodes: [`127.0.0.1:${extra.ports[0]}`], commandTimeout: 2000, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 } });
    await c.ready();
    const keyOn = (node: number): string => {
      for (let i = 0; ; i++) if (ownerOf(extra.topology, keySlot(`g${i}`)) === node) return `g${i}`;
    };
    await extra.nodes[1].close();
    await assert.rejects(c.get(keyOn(1)), (err: unknown) => err instanceof ConnectionError && err.code === 'E_CONNECTION');
    assert.equal(await c.set(keyOn(0), 'still'), 'OK');
    await c.quit();
    await extra.close();
  });
});
