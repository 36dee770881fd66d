// Unit tests of replica reads, read-your-writes and the topology subscription against scripted
// RESP servers (test/support/fake-node.ts): what each node receives, in which write, and what the
// client does with STALE, LOADING, MOVED from a replica, a late CORRAL OFFSET, pushes and a
// server without CORRAL WATCHTOPOLOGY (answered as Redis does).

import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { createClient, type CorralClient } from './commands.js';
import { FakeNode, OK, array, bulk, defaultHandler, int, tick, until, type Handler } from '../../test/support/fake-node.js';
import type { ClientOptions } from './options.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function fake(handler?: Handler): Promise<FakeNode> {
  const n = await FakeNode.start(handler);
  cleanup.push(() => n.close());
  return n;
}

function client(opts: Partial<ClientOptions> & { nodes: string[] }): CorralClient {
  const c = createClient({ random: () => 0, topologyPush: false, ...opts });
  cleanup.push(() => c.close());
  return c;
}

const node = (port: number): string => array([bulk('127.0.0.1'), int(port), bulk(`id${port}`)]);
/** CLUSTER SLOTS: every slot to one shard, primary then replicas. */
const slotsReply = (primary: number, ...replicas: number[]): string => array([array([int(0), int(16383), node(primary), ...replicas.map(node)])]);

const REDIS_UNKNOWN = (args: string[]): string =>
  `-ERR unknown command '${args[0]}', with args beginning with: ${args.slice(1).map((a) => `'${a}' `).join('')}\r\n`;

/**
 * One shard: a primary whose CORRAL OFFSET counts its writes, and replicas that answer READONLY,
 * CORRAL WAITOFFSET (their `offset`, or STALE when behind and `stale` is set) and reads from
 * their own data. `wait` lets a test hold a replica's WAITOFFSET answer.
 */
interface Shard {
  primary: FakeNode;
  replicas: FakeNode[];
  offset: { primary: number; replicas: number[] };
}

async function shard(replicaCount: number, opts: { stale?: boolean } = {}): Promise<Shard> {
  const primary = await fake();
  const replicas: FakeNode[] = [];
  for (let i = 0; i < replicaCount; i++) replicas.push(await fake());
  const offset = { primary: 0, replicas: replicas.map(() => 0) };
  primary.handler = (args, n, sock) => {
    sock.setNoDelay(true); // replies written one by one must not wait for the client's delayed ACK
    const cmd = args[0].toUpperCase();
    if (cmd === 'CLUSTER') return slotsReply(primary.port, ...replicas.map((r) => r.port));
    if (cmd === 'CORRAL' && args[1].toUpperCase() === 'OFFSET') return int(offset.primary);
    if (cmd === 'SET' || cmd === 'DEL' || cmd === 'INCR') offset.primary += 10;
    if (cmd === 'INCR') return int(1);
    return defaultHandler(args, n);
  };
  replicas.forEach((r, i) => {
    r.handler = (args, n) => {
      const cmd = args[0].toUpperCase();
      if (cmd === 'CLUSTER') return slotsReply(primary.port, ...replicas.map((x) => x.port));
      if (cmd === 'READONLY') return OK;
      if (cmd === 'CORRAL' && args[1].toUpperCase() === 'WAITOFFSET') {
        const want = Number(args[2]);
        if (offset.replicas[i] >= want || !opts.stale) return int(Math.max(offset.replicas[i], want));
        return `-STALE this replica is at offset ${offset.replicas[i]}, behind ${want}\r\n`;
      }
      return defaultHandler(args, n);
    };
  });
  return { primary, replicas, offset };
}

/**
 * The fakes write each reply separately, so a write's CORRAL OFFSET answer may come in a later
 * read than the write's own (corral writes a batch's replies at once); until it arrives, the
 * shard is read from its primary. Tests that look at replica reads right after a write wait.
 */
const offsetIn = (): Promise<void> => tick(20);

const names = (chunk: string[][] | undefined): string[] => (chunk ?? []).map((c) => c.slice(0, 2).join(' ').toUpperCase());

describe('readFrom replica', () => {
  test('reads go round-robin to replicas, READONLY once per connection; writes and non-read-only commands to the primary', async () => {
    const s = await shard(2);
    const c = client({ nodes: [s.primary.addr], readFrom: 'replica', readYourWrites: false });
    await c.ready();
    assert.deepEqual(c.shards(), [{ primary: s.primary.addr, replicas: s.replicas.map((r) => r.addr) }]);
    for (const r of s.replicas) r.data.set('k', 'from-replica');
    for (let i = 0; i < 4; i++) assert.equal(await c.get('k'), 'from-replica');
    assert.equal(await c.set('k', 'v'), 'OK');
    assert.equal(await c.incr('n'), 1);
    for (const r of s.replicas) {
      assert.equal(r.count('GET'), 2, 'round-robin');
      assert.equal(r.count('READONLY'), 1);
      assert.equal(r.count('SET') + r.count('INCR') + r.count('CORRAL'), 0);
    }
    assert.equal(s.primary.count('GET'), 0);
    assert.equal(s.primary.count('CORRAL'), 0, 'no CORRAL OFFSET with readYourWrites off');
    assert.equal(c.stats.replicaReads, 4);
  });

  test('a shard without replicas is read from its primary', async () => {
    const s = await shard(0);
    const c = client({ nodes: [s.primary.addr], readFrom: 'replica' });
    await c.set('k', 'v');
    assert.equal(await c.get('k'), 'v');
    assert.equal(c.stats.replicaReads, 0);
  });

  test('read-your-writes: CORRAL OFFSET rides with the writes, WAITOFFSET with the read, in one write each', async () => {
    const s = await shard(1);
    const c = client({ nodes: [s.primary.addr], readFrom: 'replica' });
    await c.ready();
    const [r] = s.replicas;
    await Promise.all([c.set('a', '1'), c.set('b', '2')]);
    assert.deepEqual(names(s.primary.chunks.at(-1)), ['SET A', 'SET B', 'CORRAL OFFSET']);
    await offsetIn();
    s.offset.replicas[0] = 20;
    r.data.set('a', '1');
    assert.equal(await c.get('a'), '1');
    assert.deepEqual(names(r.chunks.at(-1)), ['READONLY', 'CORRAL WAITOFFSET', 'GET A']);
    assert.deepEqual(r.commands.find((x) => x[1] === 'WAITOFFSET'), ['CORRAL', 'WAITOFFSET', '20', '50']);
    // The replica said it is at 20: no guard until the token moves again.
    assert.equal(await c.get('a'), '1');
    assert.deepEqual(names(r.chunks.at(-1)), ['GET A']);
    await c.set('a', '3');
    await offsetIn();
    s.offset.replicas[0] = 30;
    r.data.set('a', '3');
    assert.equal(await c.get('a'), '3');
    assert.deepEqual(names(r.chunks.at(-1)), ['CORRAL WAITOFFSET', 'GET A']);
    assert.equal(c.stats.readFallbacks, 0);
  });

  test('STALE: the reply the replica gave is dropped and the read goes to the primary', async () => {
    const s = await shard(1, { stale: true });
    const c = client({ nodes: [s.primary.addr], readFrom: 'replica' });
    const [r] = s.replicas;
    await c.set('k', 'new');
    await offsetIn();
    r.data.set('k', 'old');
    // Reads of one turn share one guard; all fall back.
    assert.deepEqual(await Promise.all([c.get('k'), c.get('k'), c.mget('k', 'k')]), ['new', 'new', ['new', 'new']]);
    assert.equal(r.count('CORRAL'), 1, 'one WAITOFFSET for the turn');
    assert.equal(r.count('GET') + r.count('MGET'), 3, 'the replica answered, and was not believed');
    assert.equal(c.stats.readFallbacks, 3);
    assert.equal(s.primary.count('GET') + s.primary.count('MGET'), 3);
    // Once the replica catches up, reads go back to it.
    s.offset.replicas[0] = s.offset.primary;
    r.data.set('k', 'new');
    assert.equal(await c.get('k'), 'new');
    assert.equal(r.count('GET'), 3);
  });

  test('until the OFFSET for an acknowledged write answers, the shard is read from its primary', async () => {
    const s = await shard(1);
    let release: () => void = () => {};
    const held = new Promise<void>((res) => (release = res));
    const base = s.primary.handler;
    s.primary.handler = async (args, n, sock) => {
      if (args[0] === 'CORRAL') await held; // the write's reply is out; its OFFSET is not
      return base(args, n, sock);
    };
    const c = client({ nodes: [s.primary.addr], readFrom: 'replica' });
    await c.set('k', 'v');
    const read = c.get('k');
    await tick(20);
    release();
    assert.equal(await read, 'v');
    assert.equal(s.replicas[0].count('GET'), 0);
    assert.equal(c.stats.replicaReads, 0);
    // The OFFSET answered: reads go to the replica again.
    s.replicas[0].data.set('k', 'v');
    assert.equal(await c.get('k'), 'v');
    assert.equal(s.replicas[0].count('GET'), 1);
  });

  test('LOADING from a replica: the read is re-sent to the primary', async () => {
    const s = await shard(1);
    const base = s.replicas[0].handler;
    s.replicas[0].handler = (args, n, sock) => (args[0] === 'GET' ? '-LOADING Redis is loading the dataset in memory\r\n' : base(args, n, sock));
    const c = client({ nodes: [s.primary.addr], readFrom: 'replica' });
    await c.set('k', 'v');
    await offsetIn();
    assert.equal(await c.get('k'), 'v');
    assert.equal(c.stats.readFallbacks, 1);
    assert.equal(s.replicas[0].count('GET'), 1);
  });

  test('MOVED from a replica (it no longer is one): refresh, and the read follows', async () => {
    const s = await shard(1);
    const [r] = s.replicas;
    const c = client({ nodes: [s.primary.addr], readFrom: 'replica', readYourWrites: false });
    await c.ready();
    // The replica left the shard: it redirects, and CLUSTER SLOTS no longer lists it.
    r.handler = (args) => (args[0] === 'READONLY' ? OK : `-MOVED 12539 127.0.0.1:${s.primary.port}\r\n`);
    const base = s.primary.handler;
    s.primary.handler = (args, n, sock) => (args[0] === 'CLUSTER' ? slotsReply(s.primary.port) : base(args, n, sock));
    s.primary.data.set('k', 'v');
    const refreshes = c.stats.refreshes;
    assert.equal(await c.get('k'), 'v');
    await until(() => c.stats.refreshes > refreshes, 'refresh');
    await until(() => c.shards()[0].replicas.length === 0, 'the replica dropped from the map');
    assert.equal(await c.get('k'), 'v');
    assert.equal(r.count('GET'), 1);
  });

  test('a replica that cannot be reached is skipped: reads fall back to the primary', async () => {
    const s = await shard(1);
    const c = client({ nodes: [s.primary.addr], readFrom: 'replica', readYourWrites: false });
    await c.ready();
    await s.replicas[0].close();
    s.primary.data.set('k', 'v');
    assert.equal(await c.get('k'), 'v');
    assert.equal(await c.get('k'), 'v');
    assert.equal(s.primary.count('GET'), 2);
  });
});

describe('readFrom nearest', () => {
  test('reads go to the node with the lowest PING round trip', async () => {
    const s = await shard(2);
    const slow = (n: FakeNode): void => {
      const base = n.handler;
      n.handler = async (args, x, sock) => {
        if (args[0] === 'PING') await tick(40);
        return base(args, x, sock);
      };
    };
    slow(s.primary);
    slow(s.replicas[0]);
    const c = client({ nodes: [s.primary.addr], readFrom: 'nearest', readYourWrites: false });
    await c.ready();
    await until(() => s.replicas.every((r) => r.count('PING') > 0) && s.primary.count('PING') > 0, 'pings');
    await tick(100);
    for (const n of [s.primary, ...s.replicas]) n.data.set('k', 'v');
    for (let i = 0; i < 5; i++) assert.equal(await c.get('k'), 'v');
    assert.equal(s.replicas[1].count('GET'), 5);
  });
});

describe('topology subscription', () => {
  /** A one-shard cluster whose nodes serve CORRAL WATCHTOPOLOGY; push(epoch) notifies watchers. */
  async function watched(): Promise<{ nodes: FakeNode[]; push: (epoch: number) => void; watchers: Set<net.Socket> }> {
    const watchers = new Set<net.Socket>();
    const nodes = [await fake(), await fake()];
    for (const n of nodes) {
      n.handler = (args, x, sock) => {
        if (args[0] === 'CLUSTER') return slotsReply(nodes[0].port, nodes[1].port);
        if (args[0] === 'CORRAL' && args[1] === 'WATCHTOPOLOGY') {
          watchers.add(sock);
          sock.on('close', () => watchers.delete(sock));
          return array([bulk('topology'), int(epoch)]);
        }
        return defaultHandler(args, x);
      };
    }
    let epoch = 1;
    const push = (e: number): void => {
      epoch = e;
      for (const w of watchers) w.write(array([bulk('topology'), int(e)]));
    };
    return { nodes, push, watchers };
  }

  test('a newer epoch refreshes the map; an old or equal one does not', async () => {
    const w = await watched();
    const c = client({ nodes: [w.nodes[0].addr], topologyPush: true });
    await c.ready();
    await until(() => c.topologyWatch.state === 'active', 'subscribed');
    await until(() => c.stats.refreshes === 2, 'the first frame refreshes once');
    assert.equal(c.topologyWatch.epoch, 1);
    w.push(1);
    await tick(30);
    assert.equal(c.stats.refreshes, 2, 'same epoch: nothing');
    w.push(5);
    await until(() => c.stats.refreshes === 3, 'refresh on epoch 5');
    assert.equal(c.topologyWatch.epoch, 5);
    assert.equal(c.stats.topologyPushes, 2);
    assert.equal(w.nodes[0].count('CORRAL') + w.nodes[1].count('CORRAL'), 1, 'one subscription');
  });

  test('when its connection drops, the subscription is made again (to any node); a missed epoch refreshes', async () => {
    const w = await watched();
    const c = client({ nodes: [w.nodes[0].addr], topologyPush: true });
    await c.ready();
    await until(() => c.topologyWatch.state === 'active' && w.watchers.size === 1, 'subscribed');
    const refreshes = c.stats.refreshes;
    for (const s of w.watchers) s.destroy();
    w.push(7); // nobody hears it
    await until(() => c.topologyWatch.state === 'active' && c.topologyWatch.epoch === 7, 're-subscribed');
    await until(() => c.stats.refreshes === refreshes + 1, 'one refresh for the missed epoch');
    assert.equal(w.nodes[0].count('CORRAL') + w.nodes[1].count('CORRAL'), 2);
  });

  test('with a password, the subscription connection authenticates first', async () => {
    const w = await watched();
    const c = client({ nodes: [w.nodes[0].addr], topologyPush: true, password: 'secret' });
    await c.ready();
    await until(() => c.topologyWatch.state === 'active', 'subscribed');
    const sub = [...w.nodes[0].chunks, ...w.nodes[1].chunks].filter((chunk) => chunk.some((x) => x[0] === 'CORRAL'));
    assert.deepEqual(sub, [[['AUTH', 'secret'], ['CORRAL', 'WATCHTOPOLOGY']]], 'AUTH and the subscription in one write');
  });

  test('a server without the command (Redis: unknown command): no subscription, silently', async () => {
    const n = await fake((args, x) => {
      if (args[0] === 'CLUSTER') return slotsReply(n.port);
      if (args[0] === 'CORRAL') return REDIS_UNKNOWN(args);
      return defaultHandler(args, x);
    });
    const c = client({ nodes: [n.addr], topologyPush: true });
    assert.equal(await c.set('k', 'v'), 'OK');
    await until(() => c.topologyWatch.state === 'unsupported', 'given up');
    await tick(50);
    assert.equal(n.count('CORRAL'), 1, 'asked once');
    assert.equal(await c.get('k'), 'v');
    assert.equal(c.stats.refreshes, 1);
  });

  test('readFrom replica against a server without CORRAL OFFSET: reads of a written shard stay on its primary', async () => {
    const s = await shard(1);
    const base = s.primary.handler;
    s.primary.handler = (args, n, sock) => (args[0] === 'CORRAL' ? REDIS_UNKNOWN(args) : base(args, n, sock));
    const c = client({ nodes: [s.primary.addr], readFrom: 'replica' });
    s.replicas[0].data.set('other', 'r');
    assert.equal(await c.get('other'), 'r', 'nothing written yet: the replica serves');
    await c.set('k', 'v');
    await offsetIn();
    await c.set('k2', 'v');
    await offsetIn();
    assert.equal(await c.get('k'), 'v');
    assert.equal(s.primary.count('CORRAL'), 1, 'asked once, then never again');
    assert.equal(s.primary.count('GET'), 1);
  });
});
