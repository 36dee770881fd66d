// corral's cluster client against a real 3-node Redis Cluster (redis-server 7 and redis-cli
// required): routing to every slot, hash tags, per-slot splitting of MGET/MSET/DEL/EXISTS, a
// live slot migration (ASK while migrating, MOVED after), connections killed with CLIENT KILL,
// a per-command timeout during DEBUG SLEEP, the offline queue limit, typed errors, and a
// primary killed outright (last: it breaks the cluster).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { keySlot } from '../../src/cluster/slot.js';
import {
  ConnectionError,
  OfflineQueueFullError,
  ReplyError,
  TimeoutError,
  createClient,
  type CorralClient,
} from '../../src/client/index.js';
import { redisCli, startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';

let cluster: RedisCluster;
let c: CorralClient;

before(async () => {
  cluster = await startRedisCluster(3);
  c = createClient({ nodes: [`127.0.0.1:${cluster.ports[0]}`], commandTimeout: 5000 });
  await c.ready();
});

after(async () => {
  c.close();
  await cluster.close();
});

/** Port of the node owning `slot`, and the node ids by port. */
async function owners(): Promise<{ ownerOf(slot: number): number; idOf(port: number): string }> {
  const ids = new Map<number, string>();
  const ranges: Array<[number, number, number]> = [];
  const text = await redisCli(cluster.ports[0], 'CLUSTER', 'NODES');
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    const port = Number(/:(\d+)@/.exec(f[1])![1]);
    ids.set(port, f[0]);
    for (const r of f.slice(8)) {
      if (r.startsWith('[')) continue;
      const [a, b] = r.split('-').map(Number);
      ranges.push([a, b ?? a, port]);
    }
  }
  return {
    ownerOf: (slot) => ranges.find(([a, b]) => slot >= a && slot <= b)![2],
    idOf: (port) => ids.get(port)!,
  };
}

/** One key per slot, found by brute force. */
function keyPerSlot(): string[] {
  const keys = new Array<string>(16384);
  let found = 0;
  for (let i = 0; found < 16384; i++) {
    const k = `slotkey:${i}`;
    const s = keySlot(k);
    if (keys[s] === undefined) {
      keys[s] = k;
      found++;
    }
  }
  return keys;
}

describe('client against a 3-node Redis Cluster', () => {
  test('discovers the three primaries', () => {
    assert.equal(c.mode, 'cluster');
    assert.deepEqual(c.nodes().map((n) => Number(n.split(':')[1])).sort(), [...cluster.ports].sort());
  });

  test('routes to every one of the 16384 slots without a redirect; MSET/MGET/EXISTS/DEL split per slot', async () => {
    const keys = keyPerSlot();
    const redirects = c.stats.redirects;
    assert.equal(await c.mset(keys.map((k, i) => [k, `v${i}`] as [string, string])), 'OK');
    const reversed = [...keys].reverse();
    const got = await c.mget(reversed);
    got.forEach((v, i) => assert.equal(v, `v${16383 - i}`));
    assert.equal(await c.exists(keys), 16384);
    let total = 0;
    for (const p of cluster.ports) total += Number(await redisCli(p, 'DBSIZE'));
    assert.equal(total, 16384);
    assert.equal(await c.del(keys), 16384);
    // Single-key commands to every slot, concurrently.
    await Promise.all(keys.map((k) => c.set(k, k)));
    const back = await Promise.all(keys.map((k) => c.get(k)));
    back.forEach((v, i) => assert.equal(v, keys[i]));
    assert.equal(c.stats.redirects, redirects, 'no MOVED: the slot map matched the cluster');
    assert.equal(await c.unlink(keys), 16384);
  });

  test('hash tags keep keys in one slot; an MGET of them is one command', async () => {
    const keys = ['{user:42}:name', '{user:42}:mail', '{user:42}:age'];
    assert.equal(new Set(keys.map((k) => keySlot(k))).size, 1);
    await c.mset({ [keys[0]]: 'ann', [keys[1]]: 'a@x', [keys[2]]: '31' });
    assert.deepEqual(await c.mget(keys), ['ann', 'a@x', '31']);
    // Cross-slot commands the client does not split get Redis's CROSSSLOT as a ReplyError.
    await assert.rejects(c.send('SINTERSTORE', '{a}x', '{b}y'), (e: unknown) => e instanceof ReplyError && e.prefix === 'CROSSSLOT');
    await assert.rejects(c.send('RENAME', keys[0], 'elsewhere'), (e: unknown) => e instanceof ReplyError && e.prefix === 'CROSSSLOT');
  });

  test('typed errors: WRONGTYPE is a ReplyError with the server message', async () => {
    await c.hset('a-hash', 'f', 'v');
    const e = await c.incr('a-hash').catch((x: unknown) => x);
    assert.ok(e instanceof ReplyError);
    assert.equal(e.code, 'E_REPLY');
    assert.match(e.message, /^WRONGTYPE Operation against a key holding the wrong kind of value/);
    assert.deepEqual(await c.hgetall('a-hash'), { f: 'v' });
  });

  test('follows ASK while a slot migrates and MOVED once it has moved', async () => {
    const { ownerOf, idOf } = await owners();
    const k1 = '{mig}:one';
    const k2 = '{mig}:two';
    const slot = keySlot(k1);
    const from = ownerOf(slot);
    const to = cluster.ports.find((p) => p !== from)!;
    await c.set(k1, 'one');
    await c.set(k2, 'two');
    await redisCli(to, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', idOf(from));
    await redisCli(from, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', idOf(to));
    await redisCli(from, 'MIGRATE', '127.0.0.1', String(to), '', '0', '5000', 'KEYS', k1);
    // k1 is on the target now: the source answers ASK, the client asks the target.
    let r = c.stats.redirects;
    assert.equal(await c.get(k1), 'one');
    assert.equal(c.stats.redirects, r + 1);
    // k2 has not moved: still served by the source, no redirect (ASK did not change the map).
    r = c.stats.redirects;
    assert.equal(await c.get(k2), 'two');
    assert.equal(c.stats.redirects, r);
    // Finish the migration.
    await redisCli(from, 'MIGRATE', '127.0.0.1', String(to), '', '0', '5000', 'KEYS', k2);
    for (const p of [to, from, ...cluster.ports.filter((x) => x !== to && x !== from)]) {
      await redisCli(p, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', idOf(to));
    }
    r = c.stats.redirects;
    const refreshes = c.stats.refreshes;
    assert.deepEqual(await c.mget(k1, k2), ['one', 'two']);
    assert.equal(c.stats.redirects, r + 1, 'one MOVED');
    assert.ok(c.stats.refreshes > refreshes, 'MOVED triggered a refresh');
    // The map now points at the new owner.
    r = c.stats.redirects;
    assert.equal(await c.get(k2), 'two');
    assert.equal(c.stats.redirects, r);
  });

  test('connections killed with CLIENT KILL: commands are retried on new connections', async () => {
    await c.set('survivor', 'yes');
    const before = c.stats.refreshes;
    const inflight = Array.from({ length: 300 }, (_, i) => c.set(`kill:${i}`, String(i)));
    await Promise.all(cluster.ports.map((p) => redisCli(p, 'CLIENT', 'KILL', 'TYPE', 'normal')));
    await Promise.all(inflight);
    assert.equal(await c.get('survivor'), 'yes');
    const vals = await Promise.all(Array.from({ length: 300 }, (_, i) => c.get(`kill:${i}`)));
    vals.forEach((v, i) => assert.equal(v, String(i)));
    assert.ok(c.stats.refreshes > before, 'the lost connections triggered a topology refresh');
  });

  test('per-command timeout while a node sleeps (DEBUG SLEEP); later replies stay matched', async () => {
    const t = createClient({ nodes: [`127.0.0.1:${cluster.ports[0]}`], commandTimeout: 150 });
    try {
      await t.ready();
      const { ownerOf } = await owners();
      const key = 'sleepy';
      await t.set(key, 'awake');
      const sleeping = redisCli(ownerOf(keySlot(key)), 'DEBUG', 'SLEEP', '0.6');
      await new Promise((r) => setTimeout(r, 100));
      const e = await t.get(key).catch((x: unknown) => x);
      assert.ok(e instanceof TimeoutError, String(e));
      assert.equal(e.code, 'E_TIMEOUT');
      await sleeping;
      // The late reply ('awake' for the timed-out GET) must not be handed to this one.
      assert.equal(await t.set(key, 'second'), 'OK');
      assert.equal(await t.get(key), 'second');
    } finally {
      t.close();
    }
  });

  test('offline queue: commands before the topology wait up to the limit, then OfflineQueueFullError', async () => {
    const o = createClient({ nodes: [`127.0.0.1:${cluster.ports[1]}`], offlineQueueLimit: 5 });
    try {
      const waiting = Array.from({ length: 5 }, () => o.get('survivor'));
      await assert.rejects(o.get('survivor'), (e: unknown) => e instanceof OfflineQueueFullError && e.code === 'E_OFFLINE_QUEUE_FULL');
      assert.deepEqual(await Promise.all(waiting), ['yes', 'yes', 'yes', 'yes', 'yes']);
    } finally {
      o.close();
    }
  });

  test('a primary killed: its slots fail with ConnectionError after retries, the others keep working', async () => {
    const k = createClient({ nodes: cluster.ports.map((p) => `127.0.0.1:${p}`), retry: { attempts: 2, baseDelayMs: 10 } });
    try {
      await k.ready();
      const { ownerOf } = await owners();
      const victim = cluster.ports[2];
      const deadKey = keyPerSlot().find((key) => ownerOf(keySlot(key)) === victim)!;
      const liveKey = keyPerSlot().find((key) => ownerOf(keySlot(key)) !== victim)!;
      await k.set(liveKey, 'alive');
      const proc = cluster.procs.get(victim)!;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      await assert.rejects(k.get(deadKey), (e: unknown) => e instanceof ConnectionError && e.code === 'E_CONNECTION');
      assert.equal(await k.get(liveKey), 'alive');
    } finally {
      k.close();
    }
  });
});
