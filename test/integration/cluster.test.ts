// Black-box tests of cluster mode over real sockets: three in-process corral nodes given one
// topology. Redirects (MOVED, CROSSSLOT, CLUSTERDOWN), the CLUSTER commands' contents, topology
// epochs, and ioredis's Cluster and node-redis's createCluster working across all slots.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { keySlot } from '../../src/cluster/slot.js';
import { nodeIdFor, type TopologyDoc } from '../../src/cluster/topology.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';
import { RawConnection, startCorral } from '../support/servers.js';

let cluster: CorralCluster;
const conns: RawConnection[] = [];

/** Shard index (= node index here) that owns a slot in the test topology. */
function ownerOf(doc: TopologyDoc, slot: number): number {
  const range = doc.slots.find(([s, e]) => slot >= s && slot <= e)!;
  return doc.shards.findIndex((s) => s.id === range[2]);
}

/** A key whose slot node `index` owns (or does not own). */
function keyOwnedBy(index: number, owned = true, prefix = 'k'): string {
  for (let i = 0; ; i++) {
    const key = `${prefix}${i}`;
    if ((ownerOf(cluster.topology, keySlot(key)) === index) === owned) return key;
  }
}

async function conn(index: number): Promise<RawConnection> {
  const c = await RawConnection.connect(cluster.ports[index]);
  conns.push(c);
  return c;
}

before(async () => {
  cluster = await startCorralCluster(3);
});
after(async () => {
  for (const c of conns) c.close();
  await cluster.close();
});

describe('redirects', () => {
  test('a key another node owns gets MOVED to that node; an owned key is served', async () => {
    const c = await conn(0);
    const mine = keyOwnedBy(0);
    assert.deepEqual(await c.call('SET', mine, 'v'), { simple: 'OK' });
    assert.equal(await c.call('GET', mine), 'v');
    const theirs = keyOwnedBy(0, false);
    const slot = keySlot(theirs);
    const port = cluster.ports[ownerOf(cluster.topology, slot)];
    assert.equal((await c.callRaw('GET', theirs)).toString(), `-MOVED ${slot} 127.0.0.1:${port}\r\n`);
    // corral's own keyed commands route the same way.
    assert.equal((await c.callRaw('CACHE.GET', theirs, '1000')).toString(), `-MOVED ${slot} 127.0.0.1:${port}\r\n`);
    assert.equal(await c.call('CACHE.GET', mine, '1000'), 'v');
  });

  test('multi-key commands across slots get CROSSSLOT, whoever owns them; hash tags keep them together', async () => {
    const c = await conn(1);
    const cross = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";
    for (const argv of [['MGET', 'a', 'b'], ['MSET', 'a', '1', 'b', '2'], ['DEL', 'a', 'b'], ['EXISTS', 'a', 'b'], ['RENAME', 'a', 'b']]) {
      assert.equal((await c.callRaw(...argv)).toString(), cross, argv.join(' '));
    }
    const tag = `{${keyOwnedBy(1, true, 't')}}`;
    assert.deepEqual(await c.call('MSET', `${tag}a`, '1', `${tag}b`, '2'), { simple: 'OK' });
    assert.deepEqual(await c.call('MGET', `${tag}a`, `${tag}b`), ['1', '2']);
  });

  test('transactions: keys of different slots fail EXEC with CROSSSLOT; a MOVED inside MULTI aborts it', async () => {
    const c = await conn(2);
    const a = keyOwnedBy(2, true, 'a');
    let b = keyOwnedBy(2, true, 'b');
    for (let i = 0; keySlot(b) === keySlot(a); i++) b = keyOwnedBy(2, true, `b${i}`);
    const raw = await c.sendRaw(['MULTI', `SET ${a} 1`, `SET ${b} 1`, 'EXEC'].map((l) => l + '\r\n').join(''), 4);
    assert.equal(raw.toString(), "+OK\r\n+QUEUED\r\n+QUEUED\r\n-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    assert.equal(await c.call('EXISTS', a), 0, 'the refused transaction ran nothing');
    const other = keyOwnedBy(2, false);
    const raw2 = await c.sendRaw(['MULTI', `GET ${other}`, 'EXEC'].map((l) => l + '\r\n').join(''), 3);
    assert.match(raw2.toString(), /^\+OK\r\n-MOVED \d+ 127\.0\.0\.1:\d+\r\n-EXECABORT Transaction discarded because of previous errors\.\r\n$/);
  });

  test('SELECT other than 0 is refused as in Redis Cluster; keyless commands run anywhere', async () => {
    const c = await conn(0);
    assert.deepEqual(await c.call('SELECT', '1'), { error: 'ERR SELECT is not allowed in cluster mode' });
    assert.deepEqual(await c.call('SELECT', '0'), { simple: 'OK' });
    assert.deepEqual(await c.call('PING'), { simple: 'PONG' });
    for (const cmd of ['READONLY', 'READWRITE', 'ASKING']) assert.deepEqual(await c.call(cmd), { simple: 'OK' });
  });
});

describe('CLUSTER commands', () => {
  test('SLOTS covers every slot once, each range naming its owner', async () => {
    const c = await conn(0);
    const slots = (await c.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string, unknown]]>;
    let covered = 0;
    for (const [start, end, [host, port, id]] of slots) {
      covered += end - start + 1;
      const owner = ownerOf(cluster.topology, start);
      assert.equal(ownerOf(cluster.topology, end), owner);
      assert.deepEqual([host, port, id], ['127.0.0.1', cluster.ports[owner], nodeIdFor('127.0.0.1', cluster.ports[owner])]);
    }
    assert.equal(covered, 16384);
  });

  test('SHARDS lists slots and nodes per shard; NODES marks myself; MYID and INFO agree', async () => {
    const c = await conn(1);
    const myId = nodeIdFor('127.0.0.1', cluster.ports[1]);
    assert.equal(await c.call('CLUSTER', 'MYID'), myId);
    const shards = (await c.call('CLUSTER', 'SHARDS')) as unknown[][];
    assert.equal(shards.length, 3);
    let total = 0;
    for (const s of shards) {
      assert.equal(s[0], 'slots');
      const ranges = s[1] as number[];
      for (let i = 0; i < ranges.length; i += 2) total += ranges[i + 1] - ranges[i] + 1;
      const [node] = s[3] as unknown[][];
      assert.deepEqual(node.slice(0, 2), ['id', (node as string[])[1]]);
      assert.deepEqual(node.slice(8), ['role', 'master', 'replication-offset', 0, 'health', 'online']);
    }
    assert.equal(total, 16384);
    const nodes = String(await c.call('CLUSTER', 'NODES')).trim().split('\n');
    assert.equal(nodes.length, 3);
    const me = nodes.find((l) => l.startsWith(myId))!;
    assert.match(me, new RegExp(`^${myId} 127\\.0\\.0\\.1:${cluster.ports[1]}@\\d+ myself,master - 0 0 1 connected( \\d+(-\\d+)?)+$`));
    const info = String(await c.call('CLUSTER', 'INFO'));
    assert.match(info, /^cluster_state:ok\r\ncluster_slots_assigned:16384\r\n/);
    assert.match(info, /cluster_known_nodes:3\r\ncluster_size:3\r\ncluster_current_epoch:1\r\n/);
    assert.match(String(await c.call('INFO', 'cluster')), /cluster_enabled:1/);
  });

  test('KEYSLOT, COUNTKEYSINSLOT and GETKEYSINSLOT, with Redis errors', async () => {
    const c = await conn(2);
    assert.equal(await c.call('CLUSTER', 'KEYSLOT', '{user1000}.following'), 3443);
    const key = `{${keyOwnedBy(2, true, 'cnt')}}x`;
    const slot = keySlot(key);
    const before = (await c.call('CLUSTER', 'COUNTKEYSINSLOT', slot)) as number;
    await c.call('SET', key, '1');
    assert.equal(await c.call('CLUSTER', 'COUNTKEYSINSLOT', slot), before + 1);
    assert.ok(((await c.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[]).includes(key));
    await c.call('DEL', key);
    assert.equal(await c.call('CLUSTER', 'COUNTKEYSINSLOT', slot), before);
    assert.deepEqual(await c.call('CLUSTER', 'COUNTKEYSINSLOT', 16384), { error: 'ERR Invalid slot' });
    assert.deepEqual(await c.call('CLUSTER', 'COUNTKEYSINSLOT', 'x'), { error: 'ERR value is not an integer or out of range' });
    assert.deepEqual(await c.call('CLUSTER', 'GETKEYSINSLOT', 5, -1), { error: 'ERR Invalid slot or number of keys' });
    assert.deepEqual(await c.call('CLUSTER', 'KEYSLOT'), { error: "ERR wrong number of arguments for 'cluster|keyslot' command" });
  });

  test('a node without cluster support says so, as Redis', async () => {
    const single = await startCorral();
    const c = await RawConnection.connect(single.port);
    for (const argv of [['CLUSTER', 'INFO'], ['CLUSTER', 'SLOTS'], ['READONLY'], ['ASKING']]) {
      assert.deepEqual(await c.call(...argv), { error: 'ERR This instance has cluster support disabled' });
    }
    c.close();
    await single.close();
  });
});

describe('topology epochs', () => {
  test('a newer epoch is applied at once, an older or equal one ignored, a bad one refused', async () => {
    const c = await conn(0);
    const doc = cluster.topology;
    const key = keyOwnedBy(1);
    const slot = keySlot(key);
    // Epoch 2 gives the slot to shard 0.
    const moved: TopologyDoc = structuredClone(doc);
    moved.epoch = 2;
    moved.slots = moved.slots.flatMap(([s, e, shard]): Array<[number, number, string]> => {
      if (slot < s || slot > e) return [[s, e, shard]];
      const parts: Array<[number, number, string]> = [[slot, slot, doc.shards[0].id]];
      if (s < slot) parts.push([s, slot - 1, shard]);
      if (slot < e) parts.push([slot + 1, e, shard]);
      return parts;
    });
    assert.equal(await c.call('CORRAL', 'SETTOPOLOGY', JSON.stringify(moved)), 1);
    assert.equal(await c.call('GET', key), null, 'node 0 now serves the slot');
    assert.equal(await c.call('CORRAL', 'SETTOPOLOGY', JSON.stringify(doc)), 0, 'epoch 1 arrives late and is ignored');
    assert.equal(await c.call('GET', key), null);
    assert.match(String(await c.call('CLUSTER', 'INFO')), /cluster_current_epoch:2/);
    const bad = (await c.call('CORRAL', 'SETTOPOLOGY', '{"epoch":3,"shards":[],"nodes":[],"slots":[[0,99999,"x"]]}')) as { error: string };
    assert.match(bad.error, /^ERR invalid topology: bad slot range/);
    assert.deepEqual(JSON.parse(String(await c.call('CORRAL', 'TOPOLOGY'))).epoch, 2);
    // Back to the shared topology for the other tests, at a newer epoch.
    await cluster.publish({ ...doc, epoch: 3 });
  });

  test('a node with slots unassigned reports the cluster down and refuses keyed commands', async () => {
    const lone = await startCorralCluster(1);
    const c = await RawConnection.connect(lone.ports[0]);
    assert.equal(await c.call('CORRAL', 'SETTOPOLOGY', JSON.stringify({ ...lone.topology, epoch: 2, slots: [[0, 100, lone.topology.shards[0].id]] })), 1);
    assert.deepEqual(await c.call('GET', 'x'), { error: 'CLUSTERDOWN The cluster is down' });
    assert.match(String(await c.call('CLUSTER', 'INFO')), /^cluster_state:fail\r\ncluster_slots_assigned:101\r\n/);
    c.close();
    await lone.close();
  });

  test('SLOTS is the same bytes every time for a topology, each protocol its own, and changes with the topology', async () => {
    // The reply is encoded once per topology and protocol (server/commands/cluster.ts).
    const c2 = await conn(2);
    const c3 = await conn(2);
    await c3.callRaw('HELLO', '3');
    const resp2 = await c2.callRaw('CLUSTER', 'SLOTS');
    const resp3 = await c3.callRaw('CLUSTER', 'SLOTS');
    assert.deepEqual(await c2.callRaw('CLUSTER', 'SLOTS'), resp2);
    assert.deepEqual(await c3.callRaw('CLUSTER', 'SLOTS'), resp3);
    // Each node's metadata is an empty map: *0 in RESP2, %0 in RESP3; nothing else differs.
    assert.equal(resp2.toString().split('*0\r\n').length - 1, cluster.topology.slots.length);
    assert.equal(resp3.toString().split('%0\r\n').length - 1, cluster.topology.slots.length);
    assert.equal(resp3.toString().replaceAll('%0\r\n', '*0\r\n'), resp2.toString());
    const doc = cluster.topology;
    const epoch = JSON.parse(String(await c2.call('CORRAL', 'TOPOLOGY'))).epoch as number;
    // A newer topology that gives slot 0 to another shard: its own range in the next reply.
    const other = (ownerOf(doc, 0) + 1) % doc.shards.length;
    const next: TopologyDoc = { ...structuredClone(doc), epoch: epoch + 1 };
    next.slots = next.slots.flatMap(([s, e, shard]): Array<[number, number, string]> =>
      s === 0 ? [[0, 0, doc.shards[other].id], ...(e > 0 ? [[1, e, shard] as [number, number, string]] : [])] : [[s, e, shard]],
    );
    assert.equal(await c2.call('CORRAL', 'SETTOPOLOGY', JSON.stringify(next)), 1);
    const after = (await c2.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string, unknown]]>;
    assert.deepEqual(after[0].slice(0, 2), [0, 0]);
    assert.equal(after[0][2][1], cluster.ports[other]);
    assert.notDeepEqual(await c3.callRaw('CLUSTER', 'SLOTS'), resp3);
    // Back to the shared topology for the other tests, at a newer epoch.
    await cluster.publish({ ...doc, epoch: epoch + 2 });
    assert.equal(((await c2.call('CLUSTER', 'SLOTS')) as unknown[]).length, doc.slots.length);
  });
});

describe('cluster clients', () => {
  test('ioredis Cluster reads and writes across all slots, with hash tags, counters and TTLs', async () => {
    const client = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] }], { enableReadyCheck: true, lazyConnect: false });
    try {
      const slotsSeen = new Set<number>();
      for (let i = 0; i < 2000; i++) {
        await client.set(`io:${i}`, `v${i}`);
        slotsSeen.add(keySlot(`io:${i}`));
      }
      for (let i = 0; i < 2000; i += 97) assert.equal(await client.get(`io:${i}`), `v${i}`);
      const perNode = await Promise.all(cluster.nodes.map((n) => n.store.dbs[0].size));
      assert.ok(perNode.every((n) => n > 400), `keys spread over every node: ${perNode}`);
      await client.mset('{io}a', '1', '{io}b', '2');
      assert.deepEqual(await client.mget('{io}a', '{io}b', '{io}c'), ['1', '2', null]);
      assert.equal(await client.incrby('io:counter', 5), 5);
      assert.equal(await client.incr('io:counter'), 6);
      await client.set('io:ttl', 'x', 'EX', 100);
      const ttl = await client.ttl('io:ttl');
      assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
      assert.equal(await client.get('io:missing'), null);
    } finally {
      client.disconnect();
    }
  });

  test('node-redis createCluster reads and writes across all slots, with hash tags, counters and TTLs', async () => {
    const client = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.ports[1]}` }] });
    client.on('error', () => {});
    await client.connect();
    try {
      for (let i = 0; i < 1000; i++) await client.set(`nr:${i}`, `v${i}`);
      for (let i = 0; i < 1000; i += 37) assert.equal(await client.get(`nr:${i}`), `v${i}`);
      await client.mSet({ '{nr}a': '1', '{nr}b': '2' });
      assert.deepEqual(await client.mGet(['{nr}a', '{nr}b']), ['1', '2']);
      assert.equal(await client.incrBy('nr:counter', 3), 3);
      await client.set('nr:ttl', 'x', { PX: 50_000 });
      const pttl = await client.pTTL('nr:ttl');
      assert.ok(pttl > 40_000 && pttl <= 50_000, `pttl ${pttl}`);
      assert.equal(await client.get('nr:missing'), null);
    } finally {
      await client.close();
    }
  });
});
