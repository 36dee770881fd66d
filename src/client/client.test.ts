// Unit tests of the cluster client's behaviour against scripted RESP servers (test/support/fake-node.ts):
// single-node fallback, slot routing, per-slot splitting, one write per node per turn, MOVED and
// ASK, single-flight refresh, retries and backoff, timeouts with late replies, the offline
// queue, AUTH, and the typed errors. Time-dependent parts run on ManualTimers.

import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { keySlot } from '../cluster/slot.js';
import { createClient, type CorralClient } from './commands.js';
import {
  ClientClosedError,
  ClusterDownError,
  ConnectionError,
  CorralError,
  OfflineQueueFullError,
  ReplyError,
  TimeoutError,
  TooManyRedirectsError,
} from './errors.js';
import { FakeNode, ManualTimers, OK, bulk, clusterSlots, defaultHandler, until, type Handler } from '../../test/support/fake-node.js';
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

/** The fakes do not serve CORRAL WATCHTOPOLOGY: no subscription connection (tested on its own). */
function client(opts: Partial<ClientOptions> & { nodes: string[] }): CorralClient {
  const c = createClient({ random: () => 0, topologyPush: false, ...opts });
  cleanup.push(() => c.close());
  return c;
}

/** Two fakes splitting the slots at 8192, each answering MOVED for the other's slots. */
async function twoNodes(): Promise<[FakeNode, FakeNode]> {
  const a = await fake();
  const b = await fake();
  const slots = (): string => clusterSlots([[0, 8191, a.port], [8192, 16383, b.port]]);
  for (const [n, other, own] of [[a, b, (s: number) => s < 8192], [b, a, (s: number) => s >= 8192]] as const) {
    n.owned = own;
    n.movedTo = () => other.port;
    n.handler = (args, node, s) => (args[0] === 'CLUSTER' ? slots() : defaultHandler(args, node));
  }
  return [a, b];
}

/** Keys with slots below / above 8192. */
const low = (i: number): string => `{low${lowTags[i % lowTags.length]}}:${i}`;
const high = (i: number): string => `{high${highTags[i % highTags.length]}}:${i}`;
const lowTags: number[] = [];
const highTags: number[] = [];
for (let t = 0; lowTags.length < 8 || highTags.length < 8; t++) {
  if (keySlot(`low${t}`) < 8192 && lowTags.length < 8) lowTags.push(t);
  if (keySlot(`high${t}`) >= 8192 && highTags.length < 8) highTags.push(t);
}

describe('topology', () => {
  test('a seed without cluster support: single-node mode, everything goes to it', async () => {
    const n = await fake();
    const c = client({ nodes: [n.addr] });
    assert.equal(await c.set('a', '1'), 'OK');
    assert.equal(c.mode, 'single');
    assert.equal(await c.get('a'), '1');
    assert.equal(await c.get('missing'), null);
    assert.deepEqual(await c.mget('a', 'missing', 'a'), ['1', null, '1']);
    assert.equal(n.count('MGET'), 1, 'not split in single-node mode');
    assert.deepEqual(c.nodes(), [n.addr]);
  });

  test('cluster: commands go to the slot owner; multi-key commands are split per slot and merged in order', async () => {
    const [a, b] = await twoNodes();
    const c = client({ nodes: [a.addr] });
    await c.ready();
    assert.equal(c.mode, 'cluster');
    assert.deepEqual(c.nodes().sort(), [a.addr, b.addr].sort());
    await c.set(low(1), 'L1');
    await c.set(high(1), 'H1');
    assert.equal(a.data.get(low(1)), 'L1');
    assert.equal(b.data.get(high(1)), 'H1');
    assert.equal(await c.mset([[low(2), 'L2'], [high(2), 'H2'], [low(3), 'L3']]), 'OK');
    assert.deepEqual(await c.mget([high(2), low(1), 'nope', low(3), high(1)]), ['H2', 'L1', null, 'L3', 'H1']);
    assert.equal(await c.exists(low(1), high(1), low(1), 'nope'), 3);
    assert.equal(await c.del(low(1), high(1), high(9)), 2);
    assert.equal(a.commands.filter((x) => x[0].startsWith('-')).length, 0);
    assert.equal(c.stats.redirects, 0, 'no redirects: routing was right the first time');
  });

  test('commands of one turn reach each node in one write', async () => {
    const [a, b] = await twoNodes();
    const c = client({ nodes: [a.addr] });
    await c.ready();
    const before = [a.chunks.length, b.chunks.length];
    const ps: Array<Promise<unknown>> = [];
    for (let i = 0; i < 50; i++) ps.push(c.get(low(i)), c.get(high(i)));
    await Promise.all(ps);
    assert.equal(a.chunks.length - before[0], 1);
    assert.equal(b.chunks.length - before[1], 1);
    assert.equal(a.chunks.at(-1)!.length, 50);
  });
});

describe('redirects', () => {
  test('MOVED: follows, updates the slot map, and refreshes once for a burst', async () => {
    const [a, b] = await twoNodes();
    // The seed claims it owns everything: every high-slot command gets MOVED to b.
    a.handler = (args, node) => (args[0] === 'CLUSTER' ? clusterSlots([[0, 16383, a.port]]) : defaultHandler(args, node));
    const c = client({ nodes: [a.addr] });
    await c.ready();
    const ps: Array<Promise<unknown>> = [];
    for (let i = 0; i < 20; i++) ps.push(c.set(high(i), `v${i}`));
    await Promise.all(ps);
    for (let i = 0; i < 20; i++) assert.equal(b.data.get(high(i)), `v${i}`);
    assert.equal(c.stats.redirects, 20);
    assert.equal(c.stats.refreshes, 2, 'initial discovery + one refresh for the whole burst');
    // The slot map was updated: the next command goes straight to b.
    const movedBefore = c.stats.redirects;
    assert.equal(await c.get(high(3)), 'v3');
    assert.equal(c.stats.redirects, movedBefore);
  });

  test('ASK: ASKING and the command reach the target in one write; the map is unchanged', async () => {
    const [a, b] = await twoNodes();
    const key = low(1);
    const slot = keySlot(key);
    a.handler = (args, node) => {
      if (args[0] === 'CLUSTER') return clusterSlots([[0, 8191, a.port], [8192, 16383, b.port]]);
      if (args[1] === key) return `-ASK ${slot} 127.0.0.1:${b.port}\r\n`;
      return defaultHandler(args, node);
    };
    let askingSeen = false;
    b.handler = (args, node) => {
      if (args[0] === 'ASKING') {
        askingSeen = true;
        return OK;
      }
      if (args[1] === key) return askingSeen ? bulk('migrated') : `-MOVED ${slot} 127.0.0.1:${a.port}\r\n`;
      return defaultHandler(args, node);
    };
    const c = client({ nodes: [a.addr] });
    assert.equal(await c.get(key), 'migrated');
    const chunk = b.chunks.find((ch) => ch.some((x) => x[0] === 'ASKING'))!;
    assert.deepEqual(chunk.map((x) => x[0]), ['ASKING', 'GET']);
    await c.get(key);
    assert.equal(a.commands.filter((x) => x[1] === key).length, 2, 'still routed to the slot owner first');
  });

  test('more redirects than maxRedirects: TooManyRedirectsError', async () => {
    const [a, b] = await twoNodes();
    a.owned = () => false;
    b.owned = () => false;
    const c = client({ nodes: [a.addr], maxRedirects: 3 });
    await assert.rejects(c.get(low(1)), (e: unknown) => e instanceof TooManyRedirectsError && e.code === 'E_REDIRECTS');
  });
});

describe('retries and errors', () => {
  test('TRYAGAIN and CLUSTERDOWN are retried, then fail typed', async () => {
    let tries = 0;
    const n = await fake((args, node) => {
      if (args[0] === 'GET' && args[1] === 'busy' && ++tries <= 2) return '-TRYAGAIN Multiple keys request during rehashing of slot\r\n';
      if (args[0] === 'GET' && args[1] === 'down') return '-CLUSTERDOWN The cluster is down\r\n';
      return defaultHandler(args, node);
    });
    const c = client({ nodes: [n.addr], retry: { attempts: 3, baseDelayMs: 1 } });
    assert.equal(await c.get('busy'), null);
    assert.equal(tries, 3);
    await assert.rejects(c.get('down'), (e: unknown) => e instanceof ClusterDownError && e.code === 'E_CLUSTER_DOWN');
    assert.equal(n.commands.filter((x) => x[1] === 'down').length, 4, 'first try + 3 retries');
  });

  test('error replies are ReplyError with the server message', async () => {
    const n = await fake((args, node) =>
      args[0] === 'INCR' ? '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n' : defaultHandler(args, node),
    );
    const c = client({ nodes: [n.addr] });
    const err = await c.incr('k').catch((e: unknown) => e);
    assert.ok(err instanceof ReplyError && err instanceof CorralError);
    assert.equal(err.code, 'E_REPLY');
    assert.equal(err.prefix, 'WRONGTYPE');
    assert.match(err.message, /^WRONGTYPE Operation/);
  });

  test('a lost connection: pending commands are retried on a new connection', async () => {
    let dropped = false;
    const n = await fake((args, node) => {
      if (args[0] === 'GET' && !dropped) {
        dropped = true;
        return 'CLOSE';
      }
      return defaultHandler(args, node);
    });
    n.data.set('k', 'v');
    const c = client({ nodes: [n.addr] });
    await c.ready();
    assert.deepEqual(await Promise.all([c.get('k'), c.get('k'), c.set('j', '1')]), ['v', 'v', 'OK']);
    assert.ok(c.stats.retries >= 1);
    assert.ok(c.stats.refreshes >= 2, 'the loss triggered a refresh');
  });

  test('a lost connection: a command that may have run (INCR) fails instead of running twice', async () => {
    let dropped = false;
    const n = await fake((args, node) => {
      if (args[0] === 'INCR' && !dropped) {
        dropped = true;
        node.data.set(String(args[1]), String(Number(node.data.get(String(args[1])) ?? 0) + 1));
        return 'CLOSE';
      }
      return defaultHandler(args, node);
    });
    const c = client({ nodes: [n.addr] });
    await c.ready();
    const [incr, get] = await Promise.allSettled([c.incr('n'), c.get('n')]);
    assert.ok(incr.status === 'rejected' && incr.reason instanceof ConnectionError, 'INCR is not re-sent');
    assert.deepEqual(get, { status: 'fulfilled', value: '1' }, 'GET is re-sent and sees one increment');
    assert.equal(n.count('INCR'), 1);
  });

  test('nothing listening: ConnectionError after the retries', async () => {
    const n = await fake();
    const port = n.port;
    await n.close();
    const c = client({ nodes: [`127.0.0.1:${port}`], retry: { attempts: 2, baseDelayMs: 1 } });
    await assert.rejects(c.get('k'), (e: unknown) => e instanceof ConnectionError && e.code === 'E_CONNECTION');
    await assert.rejects(c.ready(), ConnectionError);
  });

  test('AUTH is sent first on every connection', async () => {
    const n = await fake((args, node, s) => {
      const authed = (s as unknown as { authed?: boolean }).authed === true;
      if (args[0] === 'AUTH') {
        if (args[1] !== 'secret') return '-WRONGPASS invalid username-password pair\r\n';
        (s as unknown as { authed?: boolean }).authed = true;
        return OK;
      }
      return authed ? defaultHandler(args, node) : '-NOAUTH Authentication required.\r\n';
    });
    const c = client({ nodes: [n.addr], password: 'secret' });
    assert.equal(await c.set('a', 'b'), 'OK');
    assert.equal(n.commands[0][0], 'AUTH');
    const bad = client({ nodes: [n.addr], password: 'nope', retry: { attempts: 0 } });
    await assert.rejects(bad.get('a'), (e: unknown) => e instanceof ConnectionError && /WRONGPASS/.test(e.message));
  });
});

describe('timeouts and the offline queue', () => {
  test('a timed-out command rejects; its late reply is dropped, not given to the next command', async () => {
    let release: () => void = () => {};
    let delayed = false;
    const n = await fake((args, node) => {
      if (args[1] === 'slow' && !delayed) {
        delayed = true;
        return new Promise((r) => (release = () => r(bulk('late'))));
      }
      return defaultHandler(args, node);
    });
    n.data.set('fast', 'right');
    const t = new ManualTimers();
    const c = client({ nodes: [n.addr], commandTimeout: 100, clock: t.clock, timers: t.timers });
    await c.ready();
    const slow = c.get('slow');
    const fast = c.get('fast');
    await until(() => n.count('GET') === 2, 'both GETs at the server');
    t.advance(150);
    const err = await slow.catch((e: unknown) => e);
    assert.ok(err instanceof TimeoutError && err.code === 'E_TIMEOUT');
    assert.equal(c.stats.timeouts, 2, 'the fast GET, queued behind the slow one, timed out too');
    await assert.rejects(fast, TimeoutError);
    release();
    // The late replies ('late', 'right') are matched to the timed-out records and dropped.
    const next = c.get('fast');
    assert.equal(await next, 'right');
    assert.equal(await c.get('slow'), null);
  });

  test('commands wait for the topology up to offlineQueueLimit, then OfflineQueueFullError', async () => {
    let answer: () => void = () => {};
    const n = await fake((args, node) => {
      if (args[0] === 'CLUSTER') return new Promise((r) => (answer = () => r('-ERR This instance has cluster support disabled\r\n')));
      return defaultHandler(args, node);
    });
    n.data.set('k', 'v');
    const c = client({ nodes: [n.addr], offlineQueueLimit: 3 });
    const waiting = [c.get('k'), c.get('k'), c.get('k')];
    await assert.rejects(c.get('k'), (e: unknown) => e instanceof OfflineQueueFullError && e.code === 'E_OFFLINE_QUEUE_FULL');
    await until(() => n.count('CLUSTER') === 1, 'discovery at the server');
    answer();
    assert.deepEqual(await Promise.all(waiting), ['v', 'v', 'v']);
  });

  test('close(): pending and later commands reject with ClientClosedError', async () => {
    const n = await fake((args, node) => (args[0] === 'GET' ? new Promise(() => {}) : defaultHandler(args, node)));
    const c = client({ nodes: [n.addr] });
    await c.ready();
    const p = c.get('k');
    await until(() => n.count('GET') === 1, 'GET at the server');
    c.close();
    await assert.rejects(p, (e: unknown) => e instanceof ClientClosedError && e.code === 'E_CLIENT_CLOSED');
    await assert.rejects(c.get('k'), ClientClosedError);
  });

  test('quit() waits for the replies owed', async () => {
    const n = await fake();
    const c = client({ nodes: [n.addr] });
    await c.ready();
    const p = c.set('a', '1');
    await c.quit();
    assert.equal(await p, 'OK');
    assert.equal(n.count('QUIT'), 1);
  });
});
