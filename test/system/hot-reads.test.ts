// hotReadsFrom over real sockets: a 3-shard corral cluster with a replica per shard, a client with
// hotReadsFrom 'replica'. A key read fast enough for its node to report it hot is then read from
// its shard's replica (the replica's GET count rises); a key read slowly in the same slot stays
// on the primary (the replica's count does not move); a write to the hot key is seen by the
// next read of this client (read-your-writes through the replica).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type CorralClient } from '../../src/client/index.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';
import { RawConnection } from '../support/servers.js';

let cluster: CorralCluster;
let client: CorralClient;
const HOT = '{p42}price';
const COLD = '{p42}description';

async function getCalls(port: number): Promise<number> {
  const c = await RawConnection.connect(port);
  try {
    const info = String(await c.call('INFO', 'commandstats'));
    return Number(/cmdstat_get:calls=(\d+)/.exec(info)?.[1] ?? 0);
  } finally {
    c.close();
  }
}

/** The primary's and replica's ports of the shard that holds {p42}. */
async function shardOf(): Promise<{ primary: number; replica: number }> {
  for (const s of cluster.shards) {
    const c = await RawConnection.connect(cluster.ports[s.primary]);
    const reply = await c.call('GET', HOT);
    c.close();
    if (!(typeof reply === 'object' && reply !== null && 'error' in reply)) return { primary: cluster.ports[s.primary], replica: cluster.ports[s.replicas[0]] };
  }
  throw new Error('no shard holds the key');
}

before(async () => {
  cluster = await startCorralCluster(3, {}, { replicas: 1 });
  await cluster.waitForReplicas();
  client = createClient({ nodes: [`127.0.0.1:${cluster.ports[0]}`], hotReadsFrom: 'replica', hotReadsMinRate: 500 });
  await client.set(HOT, '100');
  await client.set(COLD, 'a phone');
});

after(async () => {
  client?.close();
  await cluster?.close();
});

test('a hot key is read from its shard\'s replica, a cold key of the same slot from the primary, and this client\'s writes are seen', async () => {
  const { replica } = await shardOf();
  const before0 = await getCalls(replica);
  // Read the hot key in bursts until the replica serves some of its reads (the node reports it
  // hot within about a second; the client polls every second).
  let served = false;
  for (const until = Date.now() + 20_000; Date.now() < until && !served; ) {
    const got = await Promise.all(Array.from({ length: 500 }, () => client.get(HOT)));
    assert.ok(got.every((v) => v === '100'));
    served = (await getCalls(replica)) > before0;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(served, 'the replica never served a read of the hot key');

  // A write by this client, then reads: read-your-writes holds through the replica.
  await client.set(HOT, '79');
  for (let i = 0; i < 200; i++) assert.equal(await client.get(HOT), '79');

  // The cold key, read slowly: never from the replica.
  await new Promise((r) => setTimeout(r, 200));
  const before1 = await getCalls(replica);
  for (let i = 0; i < 50; i++) {
    assert.equal(await client.get(COLD), 'a phone');
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(await getCalls(replica), before1, 'a cold key was read from the replica');
});
