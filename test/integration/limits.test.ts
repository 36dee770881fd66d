// The node's limits and defences, black-box against in-process nodes: requirepass before AUTH
// (NOAUTH, and Redis's smaller request limits), maxclients, idle timeout, client output buffer
// limit with a client that never reads, proto-max-bulk-len and client-query-buffer-limit.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RawConnection, startCorral, type StartedCorral } from '../support/servers.js';
import { encodeCommand } from '../../src/protocol/reply-parser.js';

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('requirepass', () => {
  let srv: StartedCorral;
  before(async () => {
    srv = await startCorral({ requirepass: 'pw' });
  });
  after(() => srv.close());

  test('commands before AUTH get NOAUTH; QUIT still works', async () => {
    const c = await RawConnection.connect(srv.port);
    try {
      assert.equal((await c.sendRaw('GET x\r\n')).toString(), '-NOAUTH Authentication required.\r\n');
      assert.equal((await c.callRaw('PING')).toString(), '-NOAUTH Authentication required.\r\n');
      assert.equal((await c.callRaw('MULTI')).toString(), '-NOAUTH Authentication required.\r\n');
      // Lookup and arity come first, as in Redis.
      assert.equal((await c.callRaw('NOSUCH')).toString(), "-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
      assert.equal((await c.callRaw('GET')).toString(), "-ERR wrong number of arguments for 'get' command\r\n");
      assert.equal((await c.sendRaw('QUIT\r\n')).toString(), '+OK\r\n');
      await c.waitClosed();
    } finally {
      c.close();
    }
  });

  test('AUTH with a wrong password, then the right one', async () => {
    const c = await RawConnection.connect(srv.port);
    try {
      const probe = (await c.callRaw('AUTH', 'nope')).toString();
      assert.ok(!probe.startsWith('-ERR unknown command'), 'AUTH is not implemented');
      assert.equal(probe, '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      assert.equal((await c.callRaw('GET', 'x')).toString(), '-NOAUTH Authentication required.\r\n');
      assert.equal((await c.callRaw('AUTH', 'pw')).toString(), '+OK\r\n');
      assert.equal((await c.callRaw('GET', 'x')).toString(), '$-1\r\n');
    } finally {
      c.close();
    }
  });

  test('HELLO before AUTH is refused; HELLO 3 AUTH default pw authenticates', async () => {
    const c = await RawConnection.connect(srv.port);
    try {
      assert.equal(
        (await c.callRaw('HELLO')).toString(),
        '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n',
      );
      const hello = (await c.callRaw('HELLO', '3', 'AUTH', 'default', 'pw')).toString();
      assert.ok(hello.startsWith('%7\r\n$6\r\nserver\r\n'), hello);
      assert.match(hello, /\$5\r\nproto\r\n:3\r\n/);
      assert.equal((await c.callRaw('GET', 'x')).toString(), '_\r\n');
    } finally {
      c.close();
    }
  });

  test('before AUTH: more than 10 arguments is "unauthenticated multibulk length"', async () => {
    const c = await RawConnection.connect(srv.port);
    try {
      // redis-server 7.0.15 with requirepass: exactly this reply, then the connection closes.
      assert.equal((await c.sendRaw('*11\r\n')).toString(), '-ERR Protocol error: unauthenticated multibulk length\r\n');
      await c.waitClosed();
    } finally {
      c.close();
    }
  });

  test('before AUTH: a bulk over 16 KB is "unauthenticated bulk length"', async () => {
    const c = await RawConnection.connect(srv.port);
    try {
      assert.equal((await c.sendRaw('*1\r\n$16385\r\n')).toString(), '-ERR Protocol error: unauthenticated bulk length\r\n');
      await c.waitClosed();
    } finally {
      c.close();
    }
  });

  test('after AUTH: 11 arguments and 20 KB bulks are accepted', async () => {
    const c = await RawConnection.connect(srv.port);
    try {
      assert.equal((await c.callRaw('AUTH', 'pw')).toString(), '+OK\r\n');
      assert.equal((await c.callRaw('MSET', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5')).toString(), '+OK\r\n');
      const v = Buffer.alloc(20000, 'z');
      assert.equal((await c.callRaw('SET', 'big', v)).toString(), '+OK\r\n');
      assert.equal((await c.callRaw('STRLEN', 'big')).toString(), ':20000\r\n');
    } finally {
      c.close();
    }
  });
});

describe('maxclients', () => {
  let srv: StartedCorral;
  before(async () => {
    srv = await startCorral({ maxclients: '2' });
  });
  after(() => srv.close());

  test('the third connection gets "-ERR max number of clients reached" and is closed', async () => {
    const a = await RawConnection.connect(srv.port);
    const b = await RawConnection.connect(srv.port);
    const c = await RawConnection.connect(srv.port);
    try {
      assert.equal((await a.sendRaw('PING\r\n')).toString(), '+PONG\r\n');
      assert.equal((await b.sendRaw('PING\r\n')).toString(), '+PONG\r\n');
      assert.equal((await c.readReplies(1)).toString(), '-ERR max number of clients reached\r\n');
      await c.waitClosed();
      a.close();
      await waitFor('the slot to free up', () => srv.node.clients.size < 2);
      const d = await RawConnection.connect(srv.port);
      assert.equal((await d.sendRaw('PING\r\n')).toString(), '+PONG\r\n');
      d.close();
    } finally {
      a.close();
      b.close();
      c.close();
    }
  });
});

describe('a refused connection that never reads', () => {
  test('does not hold the node open: close() resolves (the refusal closes the socket both ways)', async () => {
    const srv = await startCorral({ maxclients: '1' });
    const a = await RawConnection.connect(srv.port);
    assert.equal((await a.sendRaw('PING\r\n')).toString(), '+PONG\r\n');
    // Refused (maxclients), and never read: it would never see a FIN nor close its side.
    const refused = await RawConnection.connect(srv.port);
    refused.socket.pause();
    await waitFor('the refusal', () => srv.node.stats.rejectedConnections === 1);
    a.close();
    // Hangs (the test's timeout) if the refused connection keeps the listener open.
    await srv.close();
    refused.socket.destroy();
  });
});

describe('timeout', () => {
  let srv: StartedCorral;
  before(async () => {
    srv = await startCorral({ timeout: '1' });
  });
  after(() => srv.close());

  test('idle clients are closed after `timeout` seconds, in MULTI too (as Redis does); active ones are not', async () => {
    const idle = await RawConnection.connect(srv.port);
    const inMulti = await RawConnection.connect(srv.port);
    const active = await RawConnection.connect(srv.port);
    try {
      assert.equal((await idle.sendRaw('PING\r\n')).toString(), '+PONG\r\n');
      assert.equal((await inMulti.sendRaw('MULTI\r\n')).toString(), '+OK\r\n');
      // The node's cron reads real time: one short wait, keeping `active` busy meanwhile.
      const until = Date.now() + 2500;
      while (Date.now() < until) {
        assert.equal((await active.sendRaw('PING\r\n')).toString(), '+PONG\r\n');
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(idle.closed, 'idle client still connected');
      assert.ok(!active.closed, 'active client was closed');
      // redis-server 7.0.15 (timeout 1): a client idle inside MULTI is closed as well.
      assert.ok(inMulti.closed, 'idle client in MULTI still connected');
    } finally {
      idle.close();
      inMulti.close();
      active.close();
    }
  });
});

describe('client-output-buffer-limit with a client that never reads', () => {
  let srv: StartedCorral;
  before(async () => {
    srv = await startCorral({ 'client-output-buffer-limit': 'normal 4194304 0 0' });
    const c = await RawConnection.connect(srv.port);
    await c.callRaw('SET', 'bigkey', Buffer.alloc(1024 * 1024, 'b'));
    c.close();
    await waitFor('the setup client to go', () => srv.node.clients.size === 0);
  });
  after(() => srv.close());

  function memory(): number {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  }

  /** A socket that sends but never reads (its receive buffer fills, then the node's output queue). */
  async function nonReader(): Promise<net.Socket> {
    const s = net.connect({ port: srv.port, host: '127.0.0.1', noDelay: true });
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.pause();
    return s;
  }

  test('200 pipelined GET bigkey in one write: disconnected, memory bounded, others served', async () => {
    const baseline = srv.node.clients.size;
    const before = memory();
    const s = await nonReader();
    s.write(Buffer.concat(Array.from({ length: 200 }, () => encodeCommand(['GET', 'bigkey']))));
    await waitFor('the node to drop the client', () => srv.node.clients.size === baseline);
    assert.ok(memory() - before < 200 * 1024 * 1024, `memory grew by ${(memory() - before) >> 20} MB`);
    const other = await RawConnection.connect(srv.port);
    assert.equal((await other.sendRaw('PING\r\n')).toString(), '+PONG\r\n');
    other.close();
    s.destroy();
    await waitFor('the checking client to go', () => srv.node.clients.size === baseline);
  });

  test('GET bigkey sent one per write: memory stays bounded and others are served', async () => {
    const baseline = srv.node.clients.size;
    const before = memory();
    const s = await nonReader();
    const cmd = encodeCommand(['GET', 'bigkey']);
    let peak = 0;
    for (let i = 0; i < 300 && srv.node.clients.size > baseline - 1; i++) {
      s.write(cmd);
      await new Promise((r) => setImmediate(r));
      peak = Math.max(peak, memory() - before);
    }
    assert.ok(peak < 200 * 1024 * 1024, `memory grew by ${peak >> 20} MB`);
    const other = await RawConnection.connect(srv.port);
    assert.equal((await other.sendRaw('PING\r\n')).toString(), '+PONG\r\n');
    other.close();
    s.destroy();
    await waitFor('clients to go', () => srv.node.clients.size === baseline);
  });

  test(
    'GET bigkey sent one per write: the client is dropped once past the limit, as Redis does',
    async () => {
      const baseline = srv.node.clients.size;
      const s = await nonReader();
      const cmd = encodeCommand(['GET', 'bigkey']);
      try {
        for (let i = 0; i < 300 && srv.node.clients.size > baseline; i++) {
          s.write(cmd);
          await new Promise((r) => setImmediate(r));
        }
        await waitFor('the node to drop the client', () => srv.node.clients.size === baseline, 1000);
      } finally {
        s.destroy();
        await waitFor('clients to go', () => srv.node.clients.size === baseline);
      }
    },
  );
});

describe('a slow reader with no output limit (client-output-buffer-limit normal 0 0 0)', () => {
  let srv: StartedCorral;
  before(async () => {
    srv = await startCorral({ 'client-output-buffer-limit': 'normal 0 0 0' });
  });
  after(() => srv.close());

  test('a client that stops reading, then reads, gets every reply in order', async () => {
    const setup = await RawConnection.connect(srv.port);
    await setup.callRaw('SET', 'v100k', Buffer.alloc(100 * 1024, 'w'));
    setup.close();
    const c = await RawConnection.connect(srv.port);
    c.socket.pause();
    const n = 100;
    for (let i = 0; i < n; i++) {
      c.socket.write(Buffer.concat([encodeCommand(['GET', 'v100k']), encodeCommand(['ECHO', String(i)])]));
      await new Promise((r) => setImmediate(r));
    }
    await waitFor('the node to pause reading from the slow client', () => [...srv.node.clients.values()].some((cl) => cl.paused));
    c.socket.resume();
    const raw = await c.readReplies(2 * n, 10000);
    const one = `$${100 * 1024}\r\n${'w'.repeat(100 * 1024)}\r\n`;
    let off = 0;
    for (let i = 0; i < n; i++) {
      assert.equal(raw.toString('latin1', off, off + one.length), one, `reply ${2 * i}`);
      off += one.length;
      const echo = `$${String(i).length}\r\n${i}\r\n`;
      assert.equal(raw.toString('latin1', off, off + echo.length), echo, `reply ${2 * i + 1}`);
      off += echo.length;
    }
    assert.equal(off, raw.length);
    c.close();
  });
});

describe('proto-max-bulk-len and client-query-buffer-limit', () => {
  let srv: StartedCorral;
  before(async () => {
    srv = await startCorral({ 'proto-max-bulk-len': '1mb', 'client-query-buffer-limit': '1mb' });
  });
  after(() => srv.close());

  test('a 2 MB bulk is refused with the protocol error; 1 MB is accepted', async () => {
    const ok = await RawConnection.connect(srv.port);
    assert.equal((await ok.callRaw('SET', 'k', Buffer.alloc(1024 * 1024, 'x'))).toString(), '+OK\r\n');
    ok.close();
    const c = await RawConnection.connect(srv.port);
    const raw = await c.sendRaw(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${2 * 1024 * 1024}\r\n`);
    assert.equal(raw.toString(), '-ERR Protocol error: invalid bulk length\r\n');
    await c.waitClosed();
  });

  test('a request larger than client-query-buffer-limit closes the connection without a reply', async () => {
    const big = await startCorral({ 'client-query-buffer-limit': '1mb' });
    try {
      const c = await RawConnection.connect(big.port);
      c.socket.write(encodeCommand(['SET', 'k', Buffer.alloc(3 * 1024 * 1024, 'q')]));
      await c.waitClosed();
      assert.equal(c.pending.length, 0);
      const d = await RawConnection.connect(big.port);
      assert.equal((await d.sendRaw('PING\r\n')).toString(), '+PONG\r\n');
      d.close();
    } finally {
      await big.close();
    }
  });
});
