// Protected mode against a real redis-server 7.0.15: both bound to 0.0.0.0, each reached over
// this machine's own non-loopback address (so the server sees a remote peer) and over loopback.
// A passwordless server refuses the remote peer with Redis's explanation and closes it; a
// password (or protected-mode no, sent over loopback) lets it in. Skipped on a machine with no
// non-loopback IPv4 address.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';

const remoteIp = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

/** What a client connecting from `host` gets: the bytes received after sending `send`, and whether the server closed. */
function visit(host: string, port: number, send: string): Promise<{ got: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    let got = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ got, closed });
    };
    // A served command's reply ends with CRLF and the server keeps the connection: stop there.
    const timer = setTimeout(() => finish(false), 3000);
    // A refused client is told at once, before it sends anything (writing to a socket the server
    // already closed could reset the connection and lose the explanation): wait a moment first.
    s.on('connect', () => setTimeout(() => (done || got !== '' ? undefined : s.write(send)), 200));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (!got.startsWith('-DENIED') && got.endsWith('\r\n')) finish(false);
    });
    s.on('close', () => finish(true));
    s.on('error', (err) => (done ? undefined : got === '' ? reject(err) : finish(true)));
  });
}

async function rejectedConnections(port: number): Promise<number> {
  const c = await RawConnection.connect(port);
  try {
    return Number(/rejected_connections:(\d+)/.exec(String(await c.call('INFO', 'stats')))![1]);
  } finally {
    c.close();
  }
}

/** CONFIG SET over loopback (after AUTH with `password` when one is set). */
async function config(port: number, args: string[], password?: string): Promise<void> {
  const c = await RawConnection.connect(port);
  try {
    if (password !== undefined) assert.equal((await c.callRaw('AUTH', password)).toString(), '+OK\r\n');
    assert.equal((await c.callRaw('CONFIG', 'SET', ...args)).toString(), '+OK\r\n');
  } finally {
    c.close();
  }
}

describe('protected mode matches redis 7.0', { skip: remoteIp === undefined ? 'no non-loopback IPv4 address' : false }, () => {
  let corral: StartedCorral;
  let redis: Started;
  before(async () => {
    corral = await startCorral({ bind: '0.0.0.0' });
    redis = await startRedis(['--bind', '0.0.0.0', '--protected-mode', 'yes']);
  });
  after(async () => {
    await corral?.close();
    await redis?.close();
  });

  /** The same visit to both servers gives the same bytes and the same ending. */
  async function same(host: string, send: string): Promise<{ got: string; closed: boolean }> {
    const theirs = await visit(host, redis.port, send);
    const ours = await visit(host, corral.port, send);
    assert.deepEqual(ours, theirs);
    return ours;
  }

  test('a passwordless node refuses remote clients, serves loopback ones', async () => {
    const before = [await rejectedConnections(corral.port), await rejectedConnections(redis.port)];
    const remote = await same(remoteIp!, 'PING\r\n');
    assert.ok(remote.got.startsWith('-DENIED Redis is running in protected mode'), remote.got);
    assert.equal(remote.closed, true);
    assert.deepEqual([await rejectedConnections(corral.port), await rejectedConnections(redis.port)], [before[0] + 1, before[1] + 1]);
    assert.deepEqual(await same('127.0.0.1', 'PING\r\n'), { got: '+PONG\r\n', closed: false });
  });

  test('a password lets remote clients in (to AUTH); without it they are refused again', async () => {
    for (const port of [corral.port, redis.port]) await config(port, ['requirepass', 'secret']);
    assert.deepEqual(await same(remoteIp!, 'PING\r\n'), { got: '-NOAUTH Authentication required.\r\n', closed: false });
    assert.deepEqual(await same(remoteIp!, 'AUTH secret\r\n'), { got: '+OK\r\n', closed: false });
    for (const port of [corral.port, redis.port]) await config(port, ['requirepass', ''], 'secret');
    assert.equal((await same(remoteIp!, 'PING\r\n')).closed, true);
  });

  test('protected-mode no, sent over loopback, lets remote clients in', async () => {
    for (const port of [corral.port, redis.port]) await config(port, ['protected-mode', 'no']);
    try {
      assert.deepEqual(await same(remoteIp!, 'PING\r\n'), { got: '+PONG\r\n', closed: false });
    } finally {
      for (const port of [corral.port, redis.port]) await config(port, ['protected-mode', 'yes']);
    }
  });
});
