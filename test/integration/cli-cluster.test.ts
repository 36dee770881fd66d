// Black-box tests of the cluster side of the `corral` command: `corral up` (real node processes,
// reached with ioredis's Cluster, stopped by SIGTERM), nodes started one by one from config files
// that list the topology, and `corral ring`'s figures beside hash % N.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from 'ioredis';
import { RawConnection } from '../support/servers.js';
import { UP_READY_MS, canListen, freeRun } from '../support/corral-up.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
const dir = mkdtempSync(path.join(tmpdir(), 'corral-cli-cluster-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Proc {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

/** Spawns `corral ...args` and resolves once its output matches `ready`. */
function start(args: string[], ready: RegExp): Promise<Proc> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (ready.test(out)) resolve({ child, output: () => out, exit });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exit.then((code) => reject(new Error(`exited ${code}: ${out}`)));
    setTimeout(() => {
      // `corral up` stops its nodes on SIGTERM; left running, they would hold the test file open.
      child.kill('SIGTERM');
      reject(new Error(`not ready after ${UP_READY_MS / 1000} s: ${out}`));
    }, UP_READY_MS).unref();
  });
}

test('corral up: three node processes serve every slot to ioredis; SIGTERM stops them all, exit 0', async () => {
  const port = await freeRun(6);
  const up = await start(['up', '--dashboard-port', '0', '--shards', '3', '--port', String(port), '--maxmemory', '50mb'], /Ctrl-C stops the cluster/);
  const client = new Cluster([{ host: '127.0.0.1', port: port + 1 }]);
  try {
    for (let i = 0; i < 300; i++) await client.set(`up:${i}`, String(i));
    for (let i = 0; i < 300; i += 7) assert.equal(await client.get(`up:${i}`), String(i));
    const nodes = client.nodes('master');
    assert.equal(nodes.length, 3);
    const sizes = await Promise.all(nodes.map((n) => n.dbsize()));
    assert.ok(sizes.every((n) => n > 50), `keys on every node: ${sizes}`);
    assert.deepEqual(await nodes[0].config('GET', 'maxmemory'), ['maxmemory', String(50 * 1024 * 1024)]);
  } finally {
    client.disconnect();
  }
  up.child.kill('SIGTERM');
  assert.equal(await up.exit, 0);
  for (let i = 0; i < 6; i++) assert.ok(await canListen(port + i), `port ${port + i} released`);
});

test('corral up refuses impossible settings with a clear message', async () => {
  const child = spawn(process.execPath, [MAIN, 'up', '--shards', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(err, /shards must be an integer from 1 to 1000/);
});

test('nodes started one by one from config files listing the topology agree on it', async () => {
  const port = await freeRun(2);
  const list = `127.0.0.1:${port} 127.0.0.1:${port + 1}`;
  const procs: Proc[] = [];
  for (const p of [port, port + 1]) {
    const file = path.join(dir, `node-${p}.conf`);
    writeFileSync(file, `port ${p}\ncluster-enabled yes\ncluster-nodes ${list}\n`);
    procs.push(await start(['server', file], /listening on/));
  }
  try {
    const slots: unknown[] = [];
    for (const p of [port, port + 1]) {
      const c = await RawConnection.connect(p);
      slots.push(await c.call('CLUSTER', 'SLOTS'));
      assert.match(String(await c.call('CLUSTER', 'INFO')), /^cluster_state:ok\r\n/);
      c.close();
    }
    assert.deepEqual(slots[0], slots[1]);
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exit));
  }
});

test('a config file with cluster-nodes but no cluster-enabled is refused', async () => {
  const file = path.join(dir, 'bad.conf');
  writeFileSync(file, 'port 0\ncluster-nodes 127.0.0.1:7000\n');
  const child = spawn(process.execPath, [MAIN, 'server', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 1);
  assert.match(err, /cluster-nodes needs cluster-enabled yes/);
});

test('corral ring prints the balance and the share that moves, beside hash % N', async () => {
  const child = spawn(process.execPath, [MAIN, 'ring', '--shards', '5', '--keys', '20000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0);
  assert.match(out, /ring \+ balancing\s+3276\s+3277/);
  assert.match(out, /Growing from 5 to 6 shards \(the least that can move: 1\/6 = 16\.67%\)/);
  assert.match(out, /ring \+ balancing\s+273[01]\s+16\.6[67]%.*yes/);
  assert.match(out, /hash % N\s+\d+\s+8\d\.\d\d%.*no/);
});
