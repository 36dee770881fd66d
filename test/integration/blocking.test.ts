// Blocked clients across the node's roles, over real sockets: a served BLPOP/BLMOVE/BZMPOP
// reaches a replica as the plain pop (the replica ends with the primary's data), a primary that
// turns replica drops its blocked clients with -UNBLOCKED, and a topology that moves a blocked
// client's slot away redirects it with -MOVED.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, RawConnection } from '../support/servers.js';
import { startCorralCluster } from '../support/corral-cluster.js';
import { encodeCommand } from '../../src/protocol/reply-parser.js';
import { keySlot } from '../../src/cluster/slot.js';
import { moveSlot } from '../support/topology-edit.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function blocked(c: RawConnection): Promise<number> {
  return Number(/blocked_clients:(\d+)/.exec(String(await c.call('INFO', 'clients')))![1]);
}

test('served blocking pops replicate as the plain pops: the replica ends with the same data', async () => {
  const p = await startCorral();
  const r = await startCorral();
  const pc = await RawConnection.connect(p.port);
  const rc = await RawConnection.connect(r.port);
  const waiter = await RawConnection.connect(p.port);
  try {
    await rc.call('REPLICAOF', '127.0.0.1', p.port);
    await until('link up', async () => /master_link_status:up/.test(String(await rc.call('INFO', 'replication'))));
    await pc.call('RPUSH', 'src', 'a', 'b', 'c');
    await pc.call('ZADD', 'z', '1', 'x', '2', 'y', '3', 'w');
    // Served at once: replicated as LPOP / LMOVE / ZPOPMAX count.
    assert.deepEqual(await pc.call('BLPOP', 'src', '0'), ['src', 'a']);
    assert.equal(await pc.call('BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', '0'), 'c');
    assert.deepEqual(await pc.call('BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '2'), ['z', [['w', '3'], ['y', '2']]]);
    // Served later, after the write that woke them.
    waiter.socket.write(encodeCommand(['BRPOPLPUSH', 'empty', 'dst', '0']));
    await until('blocked', async () => (await blocked(pc)) === 1);
    await pc.call('RPUSH', 'empty', 'late');
    assert.equal((await waiter.readReplies(1)).toString(), '$4\r\nlate\r\n');
    waiter.socket.write(encodeCommand(['BZPOPMIN', 'z2', '0']));
    await until('blocked', async () => (await blocked(pc)) === 1);
    await pc.call('ZADD', 'z2', '5', 'm', '6', 'n');
    assert.equal((await waiter.readReplies(1)).toString(), '*3\r\n$2\r\nz2\r\n$1\r\nm\r\n$1\r\n5\r\n');
    assert.equal(await pc.call('WAIT', 1, 2000), 1);
    for (const [cmd, ...args] of [['LRANGE', 'src', '0', '-1'], ['LRANGE', 'dst', '0', '-1'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'z2', '0', '-1'], ['EXISTS', 'empty']]) {
      assert.deepEqual(await rc.call(cmd, ...args), await pc.call(cmd, ...args), `${cmd} ${args.join(' ')}`);
    }
    assert.deepEqual(await rc.call('LRANGE', 'dst', '0', '-1'), ['late', 'c']);

    // A primary that turns replica drops its blocked clients (their pops are writes).
    waiter.socket.write(encodeCommand(['BLPOP', 'never', '0']));
    await until('blocked', async () => (await blocked(pc)) === 1);
    await rc.call('REPLICAOF', 'NO', 'ONE');
    await pc.call('REPLICAOF', '127.0.0.1', r.port);
    assert.equal((await waiter.readReplies(1)).toString(), '-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n');
    await waiter.waitClosed();
    // A replica refuses them outright.
    const late = await RawConnection.connect(p.port);
    assert.deepEqual(await late.call('BLPOP', 'never', '0'), { error: "READONLY You can't write against a read only replica." });
    late.close();
  } finally {
    waiter.close();
    pc.close();
    rc.close();
    await r.close();
    await p.close();
  }
});

test('a blocked client whose slot moves to another shard is redirected with MOVED', async () => {
  const cluster = await startCorralCluster(2);
  const conns: RawConnection[] = [];
  try {
    const doc = cluster.topology;
    const key = 'queue:1';
    const slot = keySlot(key);
    const owner = doc.slots.find(([s, e]) => slot >= s && slot <= e)![2];
    const ownerIdx = doc.shards.findIndex((s) => s.id === owner);
    const other = doc.shards[1 - ownerIdx];
    const ownerPort = cluster.ports[cluster.shards[ownerIdx].primary];
    const otherPort = cluster.ports[cluster.shards[1 - ownerIdx].primary];
    const waiter = await RawConnection.connect(ownerPort);
    const admin = await RawConnection.connect(ownerPort);
    conns.push(waiter, admin);
    waiter.socket.write(encodeCommand(['BLPOP', key, '0']));
    await until('blocked', async () => (await blocked(admin)) === 1);
    await cluster.publish(moveSlot(doc, slot, other.id));
    const reply = (await waiter.readReplies(1)).toString();
    assert.equal(reply, `-MOVED ${slot} 127.0.0.1:${otherPort}\r\n`);
    assert.equal(await blocked(admin), 0);
    // The client follows the redirect and blocks there; a push on the new owner serves it.
    const there = await RawConnection.connect(otherPort);
    const pusher = await RawConnection.connect(otherPort);
    conns.push(there, pusher);
    there.socket.write(encodeCommand(['BLPOP', key, '0']));
    await until('blocked there', async () => (await blocked(pusher)) === 1);
    await pusher.call('RPUSH', key, 'job');
    assert.deepEqual((await there.readReplies(1)).toString(), `*2\r\n$7\r\n${key}\r\n$3\r\njob\r\n`);
  } finally {
    for (const c of conns) c.close();
    await cluster.close();
  }
});

