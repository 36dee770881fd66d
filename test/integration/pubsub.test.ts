// Pub/sub over real sockets: the exact frames of SUBSCRIBE / PSUBSCRIBE / PUBLISH / UNSUBSCRIBE
// in RESP2 and RESP3 (as redis-server 7.0 sends them: test/system/compat-pubsub.test.ts checks
// them against one), the RESP2 subscriber context, PUBSUB introspection, a subscriber that never
// reads being cut off by the pubsub output limit, ioredis and node-redis subscribers, a message
// reaching a replica's subscribers, and in a cluster a PUBLISH on one node reaching subscribers
// on every node and an SPUBLISH those of the channel's shard.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RawConnection, startCorral, type StartedCorral } from '../support/servers.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';
import { keySlot } from '../../src/cluster/slot.js';
import { encodeCommand } from '../../src/protocol/reply-parser.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const frame = (...parts: string[]): string => `*${parts.length}\r\n${parts.map((p) => (p.startsWith(':') ? `${p}\r\n` : `$${p.length}\r\n${p}\r\n`)).join('')}`;

describe('pub/sub on one node', () => {
  let srv: StartedCorral;
  before(async () => {
    srv = await startCorral();
  });
  after(async () => {
    await srv.close();
  });

  test('RESP2: subscribe, messages, pattern messages, the subscriber context, unsubscribe', async () => {
    const sub = await RawConnection.connect(srv.port);
    const pub = await RawConnection.connect(srv.port);
    try {
      assert.equal((await sub.sendRaw(encodeCommand(['SUBSCRIBE', 'a', 'b', 'a']), 3)).toString(), frame('subscribe', 'a', ':1') + frame('subscribe', 'b', ':2') + frame('subscribe', 'a', ':2'));
      assert.equal((await pub.callRaw('PUBLISH', 'a', 'hello')).toString(), ':1\r\n');
      assert.equal((await sub.readReplies(1)).toString(), frame('message', 'a', 'hello'));
      assert.equal((await pub.callRaw('PUBLISH', 'nobody', 'x')).toString(), ':0\r\n');
      assert.equal(
        (await sub.callRaw('GET', 'k')).toString(),
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
      );
      assert.equal((await sub.callRaw('CLIENT', 'ID')).toString().startsWith("-ERR Can't execute 'client|id'"), true);
      assert.equal((await sub.callRaw('PING')).toString(), '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
      assert.equal((await sub.callRaw('PING', 'hi')).toString(), '*2\r\n$4\r\npong\r\n$2\r\nhi\r\n');
      assert.equal((await sub.callRaw('PSUBSCRIBE', 'h*')).toString(), frame('psubscribe', 'h*', ':3'));
      // A binary-safe message, to a pattern subscription.
      const c2 = await RawConnection.connect(srv.port);
      assert.equal((await c2.callRaw('PUBLISH', 'hat', 'm\r\n\0')).toString(), ':1\r\n');
      assert.equal((await sub.readReplies(1)).toString(), frame('pmessage', 'h*', 'hat', 'm\r\n\0'));
      assert.equal((await c2.callRaw('PUBSUB', 'NUMPAT')).toString(), ':1\r\n');
      assert.equal((await c2.callRaw('PUBSUB', 'NUMSUB', 'a', 'b', 'zz')).toString(), `*6\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:1\r\n$2\r\nzz\r\n:0\r\n`);
      assert.deepEqual(((await c2.call('PUBSUB', 'CHANNELS')) as string[]).sort(), ['a', 'b']);
      assert.deepEqual(await c2.call('PUBSUB', 'CHANNELS', 'b*'), ['b']);
      assert.match((await c2.callRaw('CLIENT', 'LIST', 'TYPE', 'pubsub')).toString(), /flags=P db=0 sub=2 psub=1 ssub=0 /);
      assert.match((await c2.callRaw('INFO', 'stats')).toString(), /pubsub_channels:2\r\npubsub_patterns:1\r\n/);
      c2.close();
      assert.equal((await sub.sendRaw(encodeCommand(['UNSUBSCRIBE', 'b', 'never']), 2)).toString(), frame('unsubscribe', 'b', ':2') + frame('unsubscribe', 'never', ':2'));
      assert.equal((await sub.sendRaw(encodeCommand(['PUNSUBSCRIBE']), 1)).toString(), frame('punsubscribe', 'h*', ':1'));
      assert.equal((await sub.sendRaw(encodeCommand(['UNSUBSCRIBE']), 1)).toString(), frame('unsubscribe', 'a', ':0'));
      // Out of the context: commands run again; unsubscribing from nothing still answers.
      assert.equal((await sub.callRaw('GET', 'k')).toString(), '$-1\r\n');
      assert.equal((await sub.callRaw('UNSUBSCRIBE')).toString(), '*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n');
      assert.equal((await sub.callRaw('PUNSUBSCRIBE')).toString(), '*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n');
    } finally {
      sub.close();
      pub.close();
    }
  });

  test('RESP3: pushes, any command while subscribed, a message to oneself comes before the reply', async () => {
    const c = await RawConnection.connect(srv.port);
    try {
      await c.callRaw('HELLO', '3');
      assert.equal((await c.callRaw('SUBSCRIBE', 'me')).toString(), '>3\r\n$9\r\nsubscribe\r\n$2\r\nme\r\n:1\r\n');
      assert.equal((await c.callRaw('GET', 'k')).toString(), '_\r\n');
      assert.equal((await c.sendRaw(encodeCommand(['PUBLISH', 'me', 'hi']), 2)).toString(), '>3\r\n$7\r\nmessage\r\n$2\r\nme\r\n$2\r\nhi\r\n:1\r\n');
      assert.equal((await c.callRaw('PING')).toString(), '+PONG\r\n');
      // RESET leaves every subscription (and RESP3).
      assert.equal((await c.callRaw('RESET')).toString(), '+RESET\r\n');
      assert.equal((await c.callRaw('PUBLISH', 'me', 'x')).toString(), ':0\r\n');
    } finally {
      c.close();
    }
  });

  test('a subscriber that never reads is closed at the pubsub output limit; the node stays bounded', async () => {
    const admin = await RawConnection.connect(srv.port);
    const sub = await RawConnection.connect(srv.port);
    try {
      // Only the pubsub class changes (the others keep their limits, as in Redis).
      await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 0 0');
      assert.equal((await admin.call('CONFIG', 'GET', 'client-output-buffer-limit') as string[])[1], 'normal 268435456 0 0 slave 268435456 67108864 60 pubsub 1048576 0 0');
      await sub.callRaw('SUBSCRIBE', 'flood');
      sub.socket.pause();
      const payload = 'x'.repeat(64 * 1024);
      let receivers = 1;
      // The kernel's socket buffers take a few MB first; then the node's queue passes 1 MB.
      for (let i = 0; i < 2000 && receivers === 1; i++) receivers = (await admin.call('PUBLISH', 'flood', payload)) as number;
      assert.equal(receivers, 0);
      assert.equal(await admin.call('PUBSUB', 'NUMSUB', 'flood').then((r) => (r as unknown[])[1]), 0);
      assert.ok(srv.node.clients.size <= 1);
    } finally {
      await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
      admin.close();
      sub.close();
    }
  });

  test('ioredis and node-redis subscribers receive messages; pattern subscriptions too', async () => {
    const ioSub = new Redis(srv.port, '127.0.0.1', { lazyConnect: true });
    const nodeSub = createClient({ url: `redis://127.0.0.1:${srv.port}` });
    const publisher = new Redis(srv.port, '127.0.0.1');
    try {
      await ioSub.connect();
      await nodeSub.connect();
      const got: string[] = [];
      ioSub.on('message', (ch: string, msg: string) => got.push(`io ${ch} ${msg}`));
      ioSub.on('pmessage', (p: string, ch: string, msg: string) => got.push(`io-p ${p} ${ch} ${msg}`));
      await ioSub.subscribe('news');
      await ioSub.psubscribe('ne*');
      await nodeSub.subscribe('news', (msg, ch) => got.push(`node ${ch} ${msg}`));
      assert.equal(await publisher.publish('news', 'one'), 3);
      await until('3 deliveries', () => got.length === 3);
      assert.deepEqual(got.sort(), ['io news one', 'io-p ne* news one', 'node news one']);
      await nodeSub.unsubscribe('news');
      assert.equal(await publisher.publish('news', 'two'), 2);
    } finally {
      ioSub.disconnect();
      await nodeSub.disconnect();
      publisher.disconnect();
    }
  });

  test("a message published on a primary reaches its replicas' subscribers", async () => {
    const replica = await startCorral();
    const c = await RawConnection.connect(replica.port);
    const sub = await RawConnection.connect(replica.port);
    const pub = await RawConnection.connect(srv.port);
    try {
      await c.call('REPLICAOF', '127.0.0.1', String(srv.port));
      await until('the replica link', async () => /master_link_status:up/.test(String(await c.call('INFO', 'replication'))));
      await sub.callRaw('SUBSCRIBE', 'r');
      await pub.callRaw('PUBLISH', 'r', 'via-replication');
      assert.equal((await sub.readReplies(1)).toString(), frame('message', 'r', 'via-replication'));
    } finally {
      c.close();
      sub.close();
      pub.close();
      await replica.close();
    }
  });
});

describe('pub/sub in a cluster', () => {
  let cluster: CorralCluster;
  before(async () => {
    cluster = await startCorralCluster(3, {}, { replicas: 1 });
    await cluster.waitForReplicas();
  });
  after(async () => {
    await cluster.close();
  });

  test('PUBLISH on one node reaches subscribers on every node, replicas included', async () => {
    const subs = await Promise.all(cluster.ports.map((p) => RawConnection.connect(p)));
    const pub = await RawConnection.connect(cluster.ports[0]);
    try {
      for (const s of subs) await s.callRaw('SUBSCRIBE', 'everyone');
      // The publishing node counts its own subscribers, as Redis Cluster does.
      assert.equal(await pub.call('PUBLISH', 'everyone', 'hi'), 1);
      for (const s of subs) assert.equal((await s.readReplies(1)).toString(), frame('message', 'everyone', 'hi'));
    } finally {
      for (const s of subs) s.close();
      pub.close();
    }
  });

  test("SSUBSCRIBE and SPUBLISH go to the channel's shard; its replica serves them too", async () => {
    const channel = 'orders';
    const slot = keySlot(channel);
    const doc = cluster.current;
    const shardIndex = doc.shards.findIndex((s) => doc.slots.some(([a, b, id]) => id === s.id && slot >= a && slot <= b));
    const shard = cluster.shards[shardIndex];
    const other = cluster.shards[(shardIndex + 1) % cluster.shards.length];
    const wrong = await RawConnection.connect(cluster.ports[other.primary]);
    const onReplica = await RawConnection.connect(cluster.ports[shard.replicas[0]]);
    const pub = await RawConnection.connect(cluster.ports[shard.primary]);
    try {
      assert.match((await wrong.callRaw('SSUBSCRIBE', channel)).toString(), new RegExp(`^-MOVED ${slot} 127\\.0\\.0\\.1:${cluster.ports[shard.primary]}\r\n$`));
      assert.match((await wrong.callRaw('SPUBLISH', channel, 'x')).toString(), /^-MOVED /);
      assert.equal((await onReplica.callRaw('SSUBSCRIBE', channel)).toString(), frame('ssubscribe', channel, ':1'));
      assert.equal(await pub.call('SPUBLISH', channel, 'paid'), 0);
      assert.equal((await onReplica.readReplies(1)).toString(), frame('smessage', channel, 'paid'));
      assert.deepEqual(await pub.call('PUBSUB', 'SHARDCHANNELS'), []);
      const ask = await RawConnection.connect(cluster.ports[shard.replicas[0]]);
      assert.deepEqual(await ask.call('PUBSUB', 'SHARDNUMSUB', channel), [channel, 1]);
      ask.close();
    } finally {
      wrong.close();
      onReplica.close();
      pub.close();
    }
  });
});
