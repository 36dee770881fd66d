// FaultProxy (test/support/fault-proxy.ts) against a small TCP echo server over real sockets:
// forwarding and counters, blackhole (silence: no bytes, no close, no error), heal (new and open
// connections forward again, dropped bytes stay lost, resetDamaged), refuse (ECONNREFUSED, resets,
// same port after heal), delay (at least the delay each way, order kept), cutConnections,
// oneWay in each direction, a FIN held through a partition, and close.

import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { FaultProxy } from '../support/fault-proxy.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** An echo server that counts what reaches it. */
interface Echo {
  port: number;
  connections: number;
  received: Buffer;
  /** Connections whose peer half-closed (FIN). */
  ends: number;
  /** Connections that closed for any reason. */
  closes: number;
  server: net.Server;
}

function startEcho(): Promise<Echo> {
  const echo: Echo = { port: 0, connections: 0, received: Buffer.alloc(0), ends: 0, closes: 0, server: null! };
  echo.server = net.createServer({ allowHalfOpen: true }, (s) => {
    echo.connections++;
    s.on('data', (d: Buffer) => {
      echo.received = Buffer.concat([echo.received, d]);
      s.write(d);
    });
    s.on('end', () => {
      echo.ends++;
      s.end();
    });
    s.on('close', () => echo.closes++);
    s.on('error', () => {});
  });
  return new Promise((resolve) =>
    echo.server.listen(0, '127.0.0.1', () => {
      echo.port = (echo.server.address() as net.AddressInfo).port;
      resolve(echo);
    }),
  );
}

/** A client socket that records everything that happens to it. */
class Peer {
  data = Buffer.alloc(0);
  ended = false;
  closed = false;
  error: NodeJS.ErrnoException | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => (this.data = Buffer.concat([this.data, d])));
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => (this.closed = true));
    socket.on('error', (e: NodeJS.ErrnoException) => (this.error = e));
  }

  static connect(port: number): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
        s.off('error', reject);
        resolve(new Peer(s));
      });
      s.once('error', reject);
    });
  }

  /** Writes text and resolves with the bytes received from then on, once as many as were sent arrived. */
  async roundTrip(text: string, timeoutMs = 3000): Promise<string> {
    const from = this.data.length;
    this.socket.write(text);
    await waitFor(`echo of ${JSON.stringify(text)}`, () => this.data.length >= from + text.length, timeoutMs);
    return this.data.subarray(from).toString();
  }

  /** Nothing at all happened within ms: no bytes, no FIN, no close, no error. */
  async assertSilentFor(ms: number, what: string): Promise<void> {
    const before = this.data.length;
    await sleep(ms);
    assert.equal(this.data.length, before, `${what}: no bytes`);
    assert.equal(this.ended, false, `${what}: no FIN`);
    assert.equal(this.closed, false, `${what}: no close`);
    assert.equal(this.error, null, `${what}: no error`);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The error code of connecting to port (or 'connected'). */
function connectOutcome(port: number): Promise<string> {
  return Peer.connect(port).then(
    (p) => {
      p.destroy();
      return 'connected';
    },
    (e: NodeJS.ErrnoException) => String(e.code),
  );
}

let echo: Echo;
const proxies: FaultProxy[] = [];
const peers: Peer[] = [];

async function proxy(): Promise<FaultProxy> {
  const p = await FaultProxy.start({ target: { host: '127.0.0.1', port: echo.port } });
  proxies.push(p);
  return p;
}

async function peer(port: number): Promise<Peer> {
  const c = await Peer.connect(port);
  peers.push(c);
  return c;
}

before(async () => {
  echo = await startEcho();
});

afterEach(async () => {
  for (const c of peers.splice(0)) c.destroy();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  echo.received = Buffer.alloc(0);
});

after(() => new Promise<void>((r) => echo.server.close(() => r())));

describe('FaultProxy', () => {
  test('forwards both ways and counts bytes and connections', async () => {
    const p = await proxy();
    assert.equal(p.address, `127.0.0.1:${p.port}`);
    const conns = echo.connections;
    const a = await peer(p.port);
    const b = await peer(p.port);
    assert.equal(await a.roundTrip('hello'), 'hello');
    assert.equal(await b.roundTrip('world!'), 'world!');
    assert.equal(echo.connections, conns + 2);
    assert.deepEqual(p.counters(), {
      connections: 2, open: 2, bytesToTarget: 11, bytesToClient: 11, droppedToTarget: 0, droppedToClient: 0,
    });
    a.socket.end();
    await waitFor('a closed', () => a.closed);
    assert.equal(a.ended, true, 'the FIN went through and came back');
    await waitFor('proxy forgot a', () => p.counters().open === 1);
  });

  test('blackhole: open and new connections get silence (a timeout), not a close or reset', async () => {
    const p = await proxy();
    const a = await peer(p.port);
    assert.equal(await a.roundTrip('x'), 'x');
    const conns = echo.connections;
    p.blackhole();
    a.socket.write('lost');
    const b = await peer(p.port); // the listener still accepts
    b.socket.write('lost too');
    await Promise.all([a.assertSilentFor(300, 'open connection'), b.assertSilentFor(300, 'new connection')]);
    assert.equal(echo.received.toString(), 'x', 'nothing reached the target');
    assert.equal(echo.connections, conns, 'the new connection was not forwarded');
    const c = p.counters();
    assert.equal(c.droppedToTarget, 12);
    assert.equal(c.bytesToTarget, 1);
    assert.equal(c.open, 2);
  });

  test('heal: forwarding resumes on new and open connections; bytes held in the blackhole stay lost', async () => {
    const p = await proxy();
    const a = await peer(p.port);
    p.blackhole();
    a.socket.write('dropped');
    const b = await peer(p.port);
    b.socket.write('dropped too');
    await sleep(50);
    await p.heal();
    const c = await peer(p.port);
    assert.equal(await c.roundTrip('new'), 'new');
    assert.equal(await a.roundTrip('after'), 'after', 'the open connection forwards again, without the lost bytes');
    assert.equal(await b.roundTrip('late'), 'late', 'a connection accepted in the blackhole is connected on heal');
    await sleep(50);
    assert.equal(a.data.toString(), 'after');
    assert.equal(b.data.toString(), 'late');
    assert.ok(!echo.received.toString().includes('dropped'), echo.received.toString());
  });

  test('heal({ resetDamaged }): connections that lost bytes are reset, clean ones resume', async () => {
    const p = await proxy();
    const damaged = await peer(p.port);
    const clean = await peer(p.port);
    assert.equal(await clean.roundTrip('1'), '1');
    p.blackhole();
    damaged.socket.write('gap');
    await sleep(50);
    await p.heal({ resetDamaged: true });
    await waitFor('damaged reset', () => damaged.closed);
    assert.equal(damaged.error?.code, 'ECONNRESET');
    assert.equal(await clean.roundTrip('2'), '2');
  });

  test('refuse: new connections get ECONNREFUSED, open ones are reset; heal listens on the same port', async () => {
    const p = await proxy();
    const port = p.port;
    const a = await peer(port);
    assert.equal(await a.roundTrip('x'), 'x');
    const closes = echo.closes;
    await p.refuse();
    await waitFor('open connection reset', () => a.closed);
    assert.equal(a.error?.code, 'ECONNRESET');
    await waitFor('target side closed', () => echo.closes > closes);
    assert.equal(await connectOutcome(port), 'ECONNREFUSED');
    await p.heal();
    assert.equal(p.port, port);
    const b = await peer(port);
    assert.equal(await b.roundTrip('back'), 'back');
  });

  test('delay: each direction gains at least the delay, order is kept; heal removes it', async () => {
    const p = await proxy();
    const a = await peer(p.port);
    assert.equal(await a.roundTrip('warm'), 'warm');
    p.delay(100);
    const t0 = performance.now();
    assert.equal(await a.roundTrip('slow'), 'slow');
    const rtt = performance.now() - t0;
    assert.ok(rtt >= 200, `round trip ${rtt.toFixed(1)} ms with 100 ms each way`);
    const from = a.data.length;
    const parts = Array.from({ length: 50 }, (_, i) => `<${i}>`);
    for (const s of parts) {
      a.socket.write(s);
      await sleep(1);
    }
    const want = parts.join('');
    await waitFor('all parts', () => a.data.length >= from + want.length);
    assert.equal(a.data.subarray(from).toString(), want);
    await p.heal();
    const t1 = performance.now();
    await a.roundTrip('fast');
    // A delayed round trip takes at least 200 ms (checked above); one under that was not delayed.
    assert.ok(performance.now() - t1 < 200, 'no delay after heal');
  });

  test('cutConnections: open connections are reset on both sides; new ones are accepted', async () => {
    const p = await proxy();
    const a = await peer(p.port);
    const b = await peer(p.port);
    await a.roundTrip('a');
    await b.roundTrip('b');
    const closes = echo.closes;
    p.cutConnections();
    await waitFor('both reset', () => a.closed && b.closed);
    assert.equal(a.error?.code, 'ECONNRESET');
    assert.equal(b.error?.code, 'ECONNRESET');
    await waitFor('target sides closed', () => echo.closes >= closes + 2);
    assert.equal(p.counters().open, 0);
    const c = await peer(p.port);
    assert.equal(await c.roundTrip('c'), 'c');
    assert.equal(p.counters().connections, 3);
  });

  test("oneWay('to-client'): the target gets the bytes, the client gets nothing", async () => {
    const p = await proxy();
    const a = await peer(p.port);
    p.oneWay('to-client');
    a.socket.write('ping');
    await waitFor('target got it', () => echo.received.toString() === 'ping');
    await a.assertSilentFor(200, 'client');
    assert.equal(p.counters().droppedToClient, 4);
  });

  test("oneWay('to-target'): nothing reaches the target; switching direction and heal restore", async () => {
    const p = await proxy();
    const a = await peer(p.port);
    p.oneWay('to-target');
    a.socket.write('ping');
    await a.assertSilentFor(200, 'client');
    assert.equal(echo.received.length, 0);
    assert.equal(p.counters().droppedToTarget, 4);
    p.oneWay('to-client');
    a.socket.write('half');
    await waitFor('target got the bytes sent after the switch', () => echo.received.toString() === 'half');
    await a.assertSilentFor(100, 'client after the switch');
    await p.heal();
    assert.equal(await a.roundTrip('pong'), 'pong');
  });

  test('a FIN sent during a blackhole is held and delivered at heal', async () => {
    const p = await proxy();
    const a = await peer(p.port);
    await a.roundTrip('x');
    const ends = echo.ends;
    p.blackhole();
    a.socket.end();
    await sleep(150);
    assert.equal(echo.ends, ends, 'the target did not see the FIN during the partition');
    await p.heal();
    await waitFor('target saw the FIN', () => echo.ends === ends + 1);
    await waitFor('client closed', () => a.closed);
    assert.equal(a.error, null);
  });

  test('close: connections reset, the port refuses', async () => {
    const p = await proxy();
    const a = await peer(p.port);
    await a.roundTrip('x');
    await p.close();
    await waitFor('reset', () => a.closed);
    assert.equal(await connectOutcome(p.port), 'ECONNREFUSED');
    await p.close(); // idempotent
  });
});
