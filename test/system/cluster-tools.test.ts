// Redis's cluster tooling against `corral up` (real node processes, 3 shards with a replica
// each): redis-cli -c follows MOVED across nodes, `redis-cli --cluster check` finds every slot
// covered, masters and replicas, with no error, and `redis-benchmark --cluster` runs with no
// error. Also: Ctrl-C (SIGINT) stops every node.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keySlot } from '../../src/cluster/slot.js';
import { UP_READY_MS } from '../support/corral-up.js';

const run = promisify(execFile);
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

let up: ChildProcess;
let output = '';
let port = 0;
let exited: Promise<number | null>;

/** Whether a port can be listened on now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A base port with the five after it free, below Linux's ephemeral range (32768 and up), where
 * the kernel also picks client sockets' local ports: a base found there could be taken by an
 * outgoing connection before the nodes bind it.
 */
async function basePort(): Promise<number> {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 12000);
    const ok = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => bindable(p + i)));
    if (ok.every(Boolean)) return p;
  }
}

before(async () => {
  port = await basePort();
  up = spawn(process.execPath, [MAIN, 'up', '--dashboard-port', '0', '--shards', '3', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  exited = new Promise((resolve) => up.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (output.includes('Ctrl-C stops the cluster')) resolve();
    };
    up.stdout!.on('data', onData);
    up.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`corral up exited ${code}: ${output}`)));
    setTimeout(() => reject(new Error(`corral up not ready after ${UP_READY_MS / 1000} s: ${output}`)), UP_READY_MS).unref();
  });
});

after(async () => {
  if (up.exitCode === null) up.kill('SIGKILL');
});

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', args, { timeout: 20_000 });
  return stdout;
}

test('corral up prints each node and how to connect', () => {
  assert.match(output, /corral cluster up: 3 shards, 1 replica each, topology epoch 1/);
  for (let i = 0; i < 3; i++) assert.match(output, new RegExp(`127\\.0\\.0\\.1:${port + i}  pid \\d+  primary of \\d+ slots`));
  for (let i = 3; i < 6; i++) assert.match(output, new RegExp(`127\\.0\\.0\\.1:${port + i}  pid \\d+  replica of ${port + i - 3}`));
});

test('redis-cli -c sets and reads keys that land on different nodes', async () => {
  const keys = ['user:1', 'user:2', 'user:3', 'cart:9', 'session:abc', 'product:42'];
  for (const k of keys) assert.equal(await cli('-c', '-p', String(port), 'set', k, `v-${k}`), 'OK\n');
  for (const k of keys) assert.equal(await cli('-c', '-p', String(port + 2), 'get', k), `v-${k}\n`);
  // The keys really are spread: at least two nodes hold some of them.
  const holders = new Set<number>();
  for (let i = 0; i < 3; i++) {
    const n = Number((await cli('-p', String(port + i), 'dbsize')).trim());
    if (n > 0) holders.add(i);
  }
  assert.ok(holders.size >= 2, `keys on ${holders.size} node(s)`);
  const slot = keySlot('user:1');
  assert.equal(await cli('-c', '-p', String(port), 'cluster', 'keyslot', 'user:1'), `${slot}\n`);
});

test('redis-cli --cluster check: all slots covered, masters and replicas, nodes agree, no error', async () => {
  // Replicas finish their first copy a moment after corral up says it is up.
  let out = '';
  for (let i = 0; i < 50; i++) {
    out = await cli('--cluster', 'check', `127.0.0.1:${port}`);
    if ((out.match(/S: [0-9a-f]{40}/g) ?? []).length === 3) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(out, /\[OK\] All nodes agree about slots configuration\./);
  assert.match(out, /\[OK\] All 16384 slots covered\./);
  assert.equal((out.match(/M: [0-9a-f]{40}/g) ?? []).length, 3, out);
  assert.equal((out.match(/S: [0-9a-f]{40}/g) ?? []).length, 3, out);
  assert.equal((out.match(/1 additional replica\(s\)/g) ?? []).length, 3, out);
  assert.doesNotMatch(out, /\[ERR\]|\[WARNING\]/);
});

test('redis-benchmark --cluster completes GET and SET with no error', async () => {
  const { stdout, stderr } = await run('redis-benchmark', ['--cluster', '-p', String(port), '-n', '20000', '-c', '20', '-t', 'get,set', '-q'], { timeout: 120_000 });
  assert.match(stdout, /SET: .*requests per second/);
  assert.match(stdout, /GET: .*requests per second/);
  assert.doesNotMatch(stdout + stderr, /error|ERR/i);
});

test('SIGINT stops every node and corral up exits 0', async () => {
  up.kill('SIGINT');
  assert.equal(await exited, 0);
  for (let i = 0; i < 6; i++) {
    await assert.rejects(run('redis-cli', ['-p', String(port + i), 'ping'], { timeout: 2000 }));
  }
});
