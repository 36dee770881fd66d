// BullMQ, unchanged, on corral: the job queue most Node applications now put on Redis, against
// one corral node, a 3-shard corral cluster (keys under one hash tag, as BullMQ's docs say for a
// cluster), and a real redis-server as the control that proves the spec itself is right.
//
// BullMQ runs on streams and Lua: every job state change is a script that also XADDs an event
// to the queue's events stream (trimmed with MAXLEN ~), QueueEvents reads that stream with XREAD
// BLOCK, and an idle worker waits in BZPOPMIN on the queue's marker key. The spec: a producer's
// jobs reach a worker that was blocked waiting for them, in order, with their results; progress
// and completion arrive as events through the stream; a failing job is retried and then reported
// failed; a delayed job runs no sooner than its delay; the counts at the end are exact.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis } from 'ioredis';
import { Queue, QueueEvents, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';

/** Every connection made, disconnected when the spec ends (BullMQ leaves given ones to the caller). */
const made: (Redis | Cluster)[] = [];

type MakeConnection = () => Redis | Cluster;

function singleServer(port: number): MakeConnection {
  return () => {
    const c = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null });
    made.push(c);
    return c;
  };
}

function clusterOf(ports: number[]): MakeConnection {
  return () => {
    const c = new Cluster([{ host: '127.0.0.1', port: ports[0] }], { redisOptions: { maxRetriesPerRequest: null } });
    made.push(c);
    return c;
  };
}

interface Data {
  n: number;
  fail?: boolean;
}

async function queueSpec(connect: MakeConnection, name: string): Promise<void> {
  const prefix = '{bullmq}';
  const opts = (): { connection: ConnectionOptions; prefix: string } => ({ connection: connect() as ConnectionOptions, prefix });
  const queue = new Queue<Data>(name, opts());
  const events = new QueueEvents(name, opts());
  const done: number[] = [];
  const attempts = new Map<number, number>();
  const progressSeen: number[] = [];
  let worker: Worker<Data> | null = null;
  try {
    await events.waitUntilReady();
    events.on('progress', ({ data }) => progressSeen.push(Number(data)));
    let resolveTen: () => void = () => {};
    const tenDone = new Promise<void>((resolve) => (resolveTen = resolve));
    worker = new Worker<Data>(
      name,
      async (job: Job<Data>) => {
        const n = job.data.n;
        attempts.set(n, (attempts.get(n) ?? 0) + 1);
        if (job.data.fail === true) throw new Error(`job ${n} fails`);
        await job.updateProgress(n);
        done.push(n);
        if (done.length === 10) resolveTen();
        return { doubled: n * 2 };
      },
      opts(),
    );
    await worker.waitUntilReady();

    const jobs: Job<Data>[] = [];
    for (let n = 1; n <= 10; n++) jobs.push(await queue.add('double', { n }));
    await tenDone;
    assert.deepEqual(done, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Completion reaches QueueEvents through the events stream (XREAD BLOCK).
    assert.deepEqual(await jobs[2].waitUntilFinished(events, 10_000), { doubled: 6 });
    assert.deepEqual(progressSeen.slice(0, 3), [1, 2, 3]);

    // Retried once, then failed for good; the failure arrives as an event.
    const failing = await queue.add('double', { n: 100, fail: true }, { attempts: 2 });
    await assert.rejects(failing.waitUntilFinished(events, 10_000), /job 100 fails/);
    assert.equal(attempts.get(100), 2);

    // A delayed job waits in the delayed set, then runs.
    const addedAt = Date.now();
    const delayed = await queue.add('double', { n: 200 }, { delay: 400 });
    assert.deepEqual(await delayed.waitUntilFinished(events, 10_000), { doubled: 400 });
    assert.ok(Date.now() - addedAt >= 390, `delayed job ran after ${Date.now() - addedAt} ms`);

    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
    assert.deepEqual(counts, { completed: 11, failed: 1, waiting: 0, active: 0, delayed: 0 });
    // The events stream is capped (XADD ... MAXLEN ~ 10000) and readable with XRANGE.
    const client = connect();
    const eventsKey = `${prefix}:${name}:events`;
    assert.ok((await client.xlen(eventsKey)) > 20);
    const first = await client.xrange(eventsKey, '-', '+', 'COUNT', 1);
    assert.equal(first.length, 1);
  } finally {
    await worker?.close();
    await events.close();
    await queue.close();
    for (const c of made.splice(0)) c.disconnect();
  }
}

describe('BullMQ job queue', () => {
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

  // A spec that never finishes fails in 60 s instead of holding CI.
  test('redis-server (control)', { timeout: 60_000 }, async () => {
    await queueSpec(singleServer(redis.port), 'control');
  });
  test('a corral node', { timeout: 60_000 }, async () => {
    await queueSpec(singleServer(node.port), 'node');
  });
  test('a corral cluster', { timeout: 60_000 }, async () => {
    await queueSpec(clusterOf(cluster.ports), 'cluster');
  });
});
