// Structured logs over real processes (docs/operations.md#logs): `corral server` with its stdout
// piped (not a TTY) writes one JSON record a line; a protocol error and the client limits
// (maxclients, the output buffer) are events naming the client's address and name, never what
// it sent nor its password; CONFIG SET loglevel changes what is logged at once. A one-shard
// `corral up` with a replica, whose primary is killed -9, shows the failover and the new
// topology in its (JSON) output, each node's records tagged with the node; each node rehearsed
// a slot move before it listened (node.warmup).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawConnection, freePort } from '../support/servers.js';
import { CORRAL_MAIN, nodeView, startCorralUp, until, type CorralUp } from '../support/corral-up.js';

const PASSWORD = 's3cret-pw-do-not-log';
const VALUE = 'secret-value-xyz-do-not-log';
const OK = { simple: 'OK' };

type LogRecord = Record<string, unknown>;

/** Every line of `out` as a record; fails on a line that is not a JSON object with level and time. */
function records(out: string): LogRecord[] {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch {
        assert.fail(`not a JSON line: ${line}`);
      }
      assert.ok(typeof rec === 'object' && rec !== null && !Array.isArray(rec), line);
      const r = rec as LogRecord;
      assert.equal(typeof r.level, 'string', line);
      assert.equal(typeof r.time, 'number', line);
      assert.ok(typeof r.event === 'string' || typeof r.msg === 'string', line);
      return r;
    });
}

function events(out: string, name: string): LogRecord[] {
  return records(out).filter((r) => r.event === name);
}

describe('corral server: JSON lines when stdout is not a TTY', () => {
  let child: ChildProcess;
  let port: number;
  let out = '';

  before(async () => {
    port = await freePort();
    child = spawn(process.execPath, [CORRAL_MAIN, 'server', '--port', String(port), '--requirepass', PASSWORD], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await until('the node to listen', () => /listening on/.test(out) || child.exitCode !== null, 20_000);
    assert.equal(child.exitCode, null, out);
  });

  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  async function admin(): Promise<RawConnection> {
    const c = await RawConnection.connect(port);
    assert.deepEqual(await c.call('AUTH', PASSWORD), OK);
    return c;
  }

  test('startup: node.started with the port, the message tests and people read', () => {
    const [started] = events(out, 'node.started');
    assert.ok(started !== undefined, out);
    assert.equal(started.port, port);
    assert.equal(started.tlsPort, 0);
    assert.equal(typeof started.version, 'string');
    assert.match(String(started.msg), new RegExp(`^corral node listening on 127\\.0\\.0\\.1:${port} \\(pid \\d+\\); connect with: redis-cli -p ${port}$`));
  });

  test('protocol errors: the reason and the client, not the bytes; CONFIG SET loglevel applies at once', async () => {
    const a = await admin();
    const c = await RawConnection.connect(port);
    const cPort = c.socket.localPort;
    assert.deepEqual(await c.call('AUTH', PASSWORD), OK);
    assert.deepEqual(await c.call('CLIENT', 'SETNAME', 'garbler'), OK);
    assert.equal((await c.sendRaw('*2\r\n$3\r\nSET\r\nxPAYLOAD-do-not-log\r\n')).toString(), "-ERR Protocol error: expected '$', got 'x'\r\n");
    await c.waitClosed();
    await until('client.protocol_error', () => events(out, 'client.protocol_error').length === 1, 5000);
    const [e] = events(out, 'client.protocol_error');
    assert.equal(e.error, "Protocol error: expected '$'");
    assert.equal(e.addr, `127.0.0.1:${cPort}`);
    assert.equal(e.name, 'garbler');
    assert.equal(e.user, 'default');
    assert.equal(e.level, 'info');
    assert.doesNotMatch(out, /PAYLOAD|got 'x'/);

    // At loglevel warning an info event is not written; back at notice it is.
    assert.deepEqual(await a.call('CONFIG', 'SET', 'loglevel', 'warning'), OK);
    const quiet = await RawConnection.connect(port);
    const quietPort = quiet.socket.localPort;
    assert.equal((await quiet.sendRaw('*1\r\n$-5\r\n')).toString(), '-ERR Protocol error: invalid bulk length\r\n');
    await quiet.waitClosed();
    assert.deepEqual(await a.call('CONFIG', 'SET', 'loglevel', 'notice'), OK);
    const loud = await RawConnection.connect(port);
    const loudPort = loud.socket.localPort;
    assert.equal((await loud.sendRaw('"unbalanced\r\n')).toString(), '-ERR Protocol error: unbalanced quotes in request\r\n');
    await loud.waitClosed();
    await until('the second protocol error', () => events(out, 'client.protocol_error').length === 2, 5000);
    const second = events(out, 'client.protocol_error')[1];
    assert.equal(second.error, 'Protocol error: unbalanced quotes in request');
    assert.equal(second.addr, `127.0.0.1:${loudPort}`);
    assert.equal(second.name, undefined, 'no name set: none logged');
    assert.ok(!events(out, 'client.protocol_error').some((r) => r.addr === `127.0.0.1:${quietPort}`), 'nothing logged at loglevel warning');
    a.close();
  });

  test('client limits: maxclients and the output buffer, with the client, without the value', async () => {
    const a = await admin();
    assert.deepEqual(await a.call('CLIENT', 'SETNAME', 'admin'), OK);
    assert.deepEqual(await a.call('SET', 'k', VALUE), OK);
    assert.deepEqual(await a.call('CONFIG', 'SET', 'maxclients', '1'), OK);
    const refused = await RawConnection.connect(port);
    const refusedPort = refused.socket.localPort;
    assert.equal((await refused.readReplies(1)).toString(), '-ERR max number of clients reached\r\n');
    await refused.waitClosed();
    assert.deepEqual(await a.call('CONFIG', 'SET', 'maxclients', '10000'), OK);
    await until('client.limit maxclients', () => events(out, 'client.limit').some((r) => r.kind === 'maxclients'), 5000);
    const m = events(out, 'client.limit').find((r) => r.kind === 'maxclients')!;
    assert.equal(m.addr, `127.0.0.1:${refusedPort}`);
    assert.equal(m.level, 'warn');

    // A reply bigger than the normal class's hard limit closes the client.
    assert.deepEqual(await a.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1048576 0 0'), OK);
    assert.deepEqual(await a.call('SET', 'big', VALUE.repeat(50_000)), OK);
    const reader = await admin();
    const readerPort = reader.socket.localPort;
    assert.deepEqual(await reader.call('CLIENT', 'SETNAME', 'big-reader'), OK);
    reader.socket.write('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n');
    await reader.waitClosed();
    await until('client.limit output-buffer', () => events(out, 'client.limit').some((r) => r.kind === 'output-buffer'), 5000);
    const o = events(out, 'client.limit').find((r) => r.kind === 'output-buffer')!;
    assert.equal(o.addr, `127.0.0.1:${readerPort}`);
    assert.equal(o.name, 'big-reader');
    assert.equal(o.user, 'default');
    assert.equal(typeof o.id, 'number');
    a.close();
  });

  test('no record carries the password or a value; SIGTERM logs node.stopping', async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    assert.ok(!out.includes(PASSWORD), 'the password is never logged');
    assert.ok(!out.includes(VALUE), 'no value is logged');
    const [stopping] = events(out, 'node.stopping');
    assert.equal(stopping?.signal, 'SIGTERM', out);
    assert.match(String(stopping.msg), /SIGTERM received/);
    records(out); // every line, to the last one
  });
});

test('logfile: the records are appended to the file as JSON, and stdout stays empty', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'corral-logs-'));
  const file = path.join(dir, 'node.log');
  const port = await freePort();
  const child = spawn(process.execPath, [CORRAL_MAIN, 'server', '--port', String(port), '--logfile', file, '--loglevel', 'verbose'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const text = (): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  try {
    await until('node.started in the logfile', () => text().includes('"node.started"') || child.exitCode !== null, 20_000);
    const c = await RawConnection.connect(port);
    assert.deepEqual(await c.call('CONFIG', 'GET', 'logfile'), ['logfile', file]);
    assert.deepEqual(await c.call('CONFIG', 'GET', 'loglevel'), ['loglevel', 'verbose']);
    c.close();
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  assert.equal(out, '', 'nothing on stdout or stderr');
  const all = records(text());
  assert.equal(all[0].event, 'node.started');
  assert.equal(all[all.length - 1].event, 'node.stopping');
  rmSync(dir, { recursive: true, force: true });
});

describe('corral up: a kill -9 of the primary shows as failover and topology events', () => {
  let up: CorralUp;

  before(async () => {
    up = await startCorralUp(1, 1);
  });

  after(async () => {
    await up?.stop();
  });

  test('node.warmup: each node rehearsed a move (several documents) before it listened', () => {
    const out = up.output();
    for (const port of up.ports) {
      const node = `127.0.0.1:${port}`;
      const all = records(out).filter((r) => r.node === node);
      const warm = all.findIndex((r) => r.event === 'node.warmup');
      assert.ok(warm >= 0, `${node} logged no node.warmup`);
      const w = all[warm];
      assert.equal(w.level, 'info', JSON.stringify(w));
      assert.ok((w.ms as number) > 0 && (w.epochs as number) >= 3, JSON.stringify(w));
      assert.ok(warm < all.findIndex((r) => r.event === 'node.started'), `${node}: node.warmup after node.started`);
    }
  });

  test('failover.started, failover.promoted, topology.changed, node.exited; every line JSON', { timeout: 45_000 }, async () => {
    const [primaryPort, replicaPort] = up.ports;
    const before = events(up.output(), 'topology.changed');
    assert.ok(before.length >= 2, 'each node logged the first topology');
    assert.ok(before.every((r) => typeof r.node === 'string' && r.epoch === 1), JSON.stringify(before));
    const syncs = events(up.output(), 'replication.sync');
    assert.ok(syncs.some((r) => r.node === `127.0.0.1:${replicaPort}` && r.kind === 'full' && r.side === 'replica' && r.primary === `127.0.0.1:${primaryPort}`), JSON.stringify(syncs));
    assert.ok(syncs.some((r) => r.node === `127.0.0.1:${primaryPort}` && r.kind === 'full' && r.side === 'primary'), JSON.stringify(syncs));
    const primary = await nodeView(primaryPort);
    assert.equal(primary.role, 'master');
    process.kill(primary.pid, 'SIGKILL');
    try {
      await until('the replica to be promoted', async () => (await nodeView(replicaPort)).role === 'master', 20_000);
    } catch (err) {
      // What corral up and its nodes said, to tell a slow controller from a failover not taken.
      throw new Error(`${(err as Error).message}\n--- corral up's last lines:\n${up.output().split('\n').slice(-60).join('\n')}`);
    }
    const replicaAddr = `127.0.0.1:${replicaPort}`;
    await until('failover.promoted from the replica', () => events(up.output(), 'failover.promoted').some((r) => r.node === replicaAddr), 10_000);
    const out = up.output();
    const promoted = events(out, 'failover.promoted').find((r) => r.node === replicaAddr)!;
    assert.equal(promoted.to, replicaAddr);
    assert.equal(promoted.from, `127.0.0.1:${primaryPort}`);
    assert.equal(typeof promoted.shard, 'string');
    const epoch = promoted.epoch as number;
    assert.ok(epoch > 1);
    const started = events(out, 'failover.started');
    assert.ok(started.some((r) => r.to === replicaAddr && r.from === `127.0.0.1:${primaryPort}` && r.shard === promoted.shard && r.epoch === epoch), JSON.stringify(started));
    assert.ok(
      events(out, 'topology.changed').some((r) => r.node === replicaAddr && r.epoch === epoch && r.role === 'primary'),
      'the replica applied the failover document',
    );
    const exited = events(out, 'node.exited');
    assert.ok(exited.some((r) => r.node === `127.0.0.1:${primaryPort}` && r.signal === 'SIGKILL'), JSON.stringify(exited));
    const banner = records(out).find((r) => r.event === 'cluster.up');
    assert.match(String(banner?.msg), /corral cluster up: 1 shard, 1 replica each/);
  });
});
