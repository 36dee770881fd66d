// A multi-tier cache whose in-process tier is invalidated over pub/sub, unchanged, on corral:
// bentocache (memory L1 + Redis L2 + its Redis bus, @boringnode/bus over ioredis pub/sub), two
// instances standing for two processes. When one sets or deletes a key, the other's L1 copy must
// go, through a message published on corral: against one node and against a cluster (where the
// publisher and the subscriber may be connected to different nodes).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis } from 'ioredis';
import { BentoCache, bentostore } from 'bentocache';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { memoryDriver } from 'bentocache/drivers/memory';
import { startCorral, type StartedCorral } from '../support/servers.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A process's connections: its L2's, and the node its bus connects to (bentocache opens the bus's own). */
interface Links {
  l2: Redis | Cluster;
  busPort: number;
}

function tiers(links: Links) {
  return new BentoCache({
    default: 'tiers',
    stores: {
      tiers: bentostore()
        .useL1Layer(memoryDriver({ maxSize: '10mb' }))
        .useL2Layer(redisDriver({ connection: links.l2 }))
        .useBus(redisBusDriver({ connection: { host: '127.0.0.1', port: links.busPort } })),
    },
  });
}

/** Two processes' caches: the second must see the first's writes, its L1 copy invalidated by the bus. */
async function invalidationSpec(first: Links, second: Links): Promise<void> {
  const a = tiers(first);
  const b = tiers(second);
  try {
    assert.equal(await a.getOrSet({ key: 'user:1', factory: () => 'v1', ttl: '1h' }), 'v1');
    assert.equal(await b.get({ key: 'user:1' }), 'v1'); // now in b's L1 too
    await sleep(300); // a bus subscribes when its store is first used
    await a.set({ key: 'user:1', value: 'v2', ttl: '1h' });
    await until("b's L1 copy to be invalidated", async () => (await b.get({ key: 'user:1' })) === 'v2');
    await a.delete({ key: 'user:1' });
    await until('the delete to reach b', async () => (await b.get({ key: 'user:1' })) === undefined);
  } finally {
    await a.disconnect();
    await b.disconnect();
    for (const l of [first, second]) l.l2.disconnect();
  }
}

describe('bentocache: L1 invalidated over pub/sub', () => {
  let srv: StartedCorral;
  let cluster: CorralCluster;
  before(async () => {
    srv = await startCorral();
    cluster = await startCorralCluster(3);
  });
  after(async () => {
    await srv.close();
    await cluster.close();
  });

  test('on one node', () => {
    const links = (): Links => ({ l2: new Redis(srv.port, '127.0.0.1'), busPort: srv.port });
    return invalidationSpec(links(), links());
  });

  test('on a 3-shard cluster, the two buses on different nodes', () => {
    const links = (busNode: number): Links => ({
      l2: new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] }]),
      busPort: cluster.ports[busNode],
    });
    return invalidationSpec(links(0), links(2));
  });
});
