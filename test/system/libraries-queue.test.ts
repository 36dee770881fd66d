// A job queue built on Redis, unchanged, on corral: Bull (v4, with ioredis), against one corral
// node, a 3-shard corral cluster (its keys under one hash tag, as Bull's docs say for a
// cluster), and a real redis-server as the control that proves the spec itself is right.
//
// Bull's idle worker waits in BRPOPLPUSH (wait list -> active list) on a connection of its own;
// jobs are added, moved, retried, delayed and completed by Lua scripts; events reach the queue
// over pub/sub. The spec: a producer's jobs reach a worker that was blocked waiting for them, in
// order, with their results; a failing job is retried and then reported failed; a delayed job
// runs no sooner than its delay; the counts at the end are exact.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import Bull from 'bull';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Bull's three connections: its blocking client and subscriber must not retry or ready-check. */
type MakeClient = (type: 'client' | 'subscriber' | 'bclient') => Redis | Cluster;

/**
 * Bull leaves the clients a createClient option makes to the caller: Queue.close() does not
 * disconnect them. Every client made is kept here and disconnected when the spec ends, or the
 * test process would reconnect to the stopped servers forever and never exit.
 */
const made: (Redis | Cluster)[] = [];

function singleServer(port: number): MakeClient {
  return (type) => {
    const opts: RedisOptions = type === 'client' ? {} : { maxRetriesPerRequest: null, enableReadyCheck: false };
    const client = new Redis(port, '127.0.0.1', opts);
    made.push(client);
    return client;
  };
}

function clusterOf(ports: number[]): MakeClient {
  return (type) => {
    const redisOptions: RedisOptions = type === 'client' ? {} : { maxRetriesPerRequest: null, enableReadyCheck: false };
    const client = new Cluster([{ host: '127.0.0.1', port: ports[0] }], { redisOptions, enableReadyCheck: type === 'client' });
    made.push(client);
    return client;
  };
}

async function blockedClients(ports: number[]): Promise<number> {
  let n = 0;
  for (const port of ports) {
    const c = await RawConnection.connect(port);
    n += Number(/blocked_clients:(\d+)/.exec(String(await c.call('INFO', 'clients')))![1]);
    c.close();
  }
  return n;
}

async function queueSpec(make: MakeClient, ports: number[], name: string): Promise<void> {
  const opts = { createClient: make, prefix: '{bull}' };
  const worker = new Bull(name, opts);
  const producer = new Bull(name, opts);
  const done: number[] = [];
  const attempts = new Map<number, number>();
  try {
    await worker.isReady();
    await producer.isReady();
    const handled = new Promise<void>((resolve) => {
      void worker.process(async (job: Bull.Job<{ n: number; fail?: boolean }>) => {
        const n = job.data.n;
        attempts.set(n, (attempts.get(n) ?? 0) + 1);
        if (job.data.fail === true) throw new Error(`job ${n} fails`);
        done.push(n);
        if (done.length === 10) resolve();
        return { doubled: n * 2 };
      });
    });
    // The idle worker waits on the server, blocked in BRPOPLPUSH, before any job exists.
    const deadline = Date.now() + 5000;
    while ((await blockedClients(ports)) < 1) {
      if (Date.now() > deadline) throw new Error('the idle worker never blocked');
      await sleep(20);
    }

    const jobs: Bull.Job[] = [];
    for (let n = 1; n <= 10; n++) jobs.push(await producer.add({ n }, { removeOnComplete: false }));
    await handled;
    assert.deepEqual(done, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(await jobs[2].finished(), { doubled: 6 });

    // Retried once, then failed for good.
    const failing = await producer.add({ n: 100, fail: true }, { attempts: 2 });
    await assert.rejects(failing.finished(), /job 100 fails/);
    assert.equal(attempts.get(100), 2);

    // A delayed job waits in the delayed set, then runs.
    const addedAt = Date.now();
    const delayed = await producer.add({ n: 200 }, { delay: 400 });
    assert.deepEqual(await delayed.finished(), { doubled: 400 });
    assert.ok(Date.now() - addedAt >= 390, `delayed job ran after ${Date.now() - addedAt} ms`);

    const counts = await producer.getJobCounts();
    assert.equal(counts.completed, 11);
    assert.equal(counts.failed, 1);
    assert.equal(counts.waiting, 0);
    assert.equal(counts.active, 0);
    assert.equal(counts.delayed, 0);
  } finally {
    await producer.close();
    await worker.close();
    for (const client of made.splice(0)) client.disconnect();
  }
}

describe('Bull job queue', () => {
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

  // A spec that never finishes (a job never reaches the worker) fails in 60 s instead of holding CI.
  test('redis-server (control)', { timeout: 60_000 }, async () => {
    await queueSpec(singleServer(redis.port), [redis.port], 'control');
  });
  test('a corral node', { timeout: 60_000 }, async () => {
    await queueSpec(singleServer(node.port), [node.port], 'node');
  });
  test('a corral cluster', { timeout: 60_000 }, async () => {
    await queueSpec(clusterOf(cluster.ports), cluster.ports, 'cluster');
  });
});
