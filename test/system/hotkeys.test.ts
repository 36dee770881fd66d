// Hot-key detection over real sockets: one node and a 3-shard cluster (a replica each) in this
// process, one key hammered: CORRAL HOTKEYS lists it first, INFO hotkeys shows it (and INFO's
// default, all and everything keep Redis's sections), `corral cluster hotkeys --once` lists it
// with its node; and `redis-cli --hotkeys` against corral as against a real redis-server, with an
// LFU policy, with corral's allkeys-tinylfu under a memory limit, and with a non-LFU policy.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';
import { CORRAL_MAIN } from '../support/corral-up.js';
import { encodeCommand, type ReplyValue } from '../../src/protocol/reply-parser.js';

const run = promisify(execFile);

/** `n` pipelined commands on one connection; resolves when every reply is in. */
async function hammer(port: number, n: number, ...args: string[]): Promise<void> {
  const c = await RawConnection.connect(port);
  try {
    const one = encodeCommand(args);
    const batch = 1000;
    for (let done = 0; done < n; done += batch) {
      const k = Math.min(batch, n - done);
      await c.sendRaw(Buffer.concat(Array.from({ length: k }, () => one)), k, 10_000);
    }
  } finally {
    c.close();
  }
}

async function call(port: number, ...args: Array<string | number>): Promise<ReplyValue> {
  const c = await RawConnection.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

/** CORRAL HOTKEYS's flat reply as [key, ops/s] pairs. */
function pairs(r: ReplyValue): Array<[string, number]> {
  assert.ok(Array.isArray(r), JSON.stringify(r));
  const out: Array<[string, number]> = [];
  for (let i = 0; i < r.length; i += 2) out.push([r[i] as string, r[i + 1] as number]);
  return out;
}

describe('one node', () => {
  let node: StartedCorral;
  before(async () => {
    node = await startCorral();
  });
  after(() => node?.close());

  test('CORRAL HOTKEYS lists the hammered key first, with a rate; INFO hotkeys shows it', async () => {
    await call(node.port, 'MSET', 'product:42', 'on sale', 'product:7', 'x', 'user:1', 'y');
    const started = Date.now();
    await Promise.all([hammer(node.port, 20_000, 'GET', 'product:42'), hammer(node.port, 2_000, 'GET', 'product:7'), hammer(node.port, 500, 'GET', 'user:1')]);
    const elapsed = Math.max(1000, Date.now() - started);
    const top = pairs(await call(node.port, 'CORRAL', 'HOTKEYS'));
    assert.deepEqual(top.slice(0, 2).map(([k]) => k), ['product:42', 'product:7']);
    // At most 20,000 GETs over the window (at least 1 s): within a sampling error of that.
    assert.ok(top[0][1] > 0 && top[0][1] <= (20_000 * 1000) / elapsed * 1.2 + 100, String(top[0][1]));
    assert.ok(top[0][1] > 5 * top[1][1], JSON.stringify(top));
    assert.deepEqual(pairs(await call(node.port, 'CORRAL', 'HOTKEYS', 'COUNT', 1)).map(([k]) => k), ['product:42']);
    assert.deepEqual(await call(node.port, 'CORRAL', 'HOTKEYS', 'COUNT', 'many'), { error: 'ERR value is not an integer or out of range' });
    assert.deepEqual(await call(node.port, 'CORRAL', 'HOTKEYS', 'COUNT', 0), { error: 'ERR value is out of range, must be positive' });

    const info = String(await call(node.port, 'INFO', 'hotkeys'));
    assert.match(info, /^# Hotkeys\r\nhotkey_0:key=product:42,ops_per_sec=\d+\r\nhotkey_1:key=product:7,ops_per_sec=\d+\r\nhotkey_2:key=user:1,ops_per_sec=\d+\r\n$/);
    for (const sections of [[], ['all'], ['everything'], ['default']]) {
      assert.doesNotMatch(String(await call(node.port, 'INFO', ...sections)), /# Hotkeys/);
    }
  });

  test('corral cluster hotkeys --once against a standalone node: that node alone', async () => {
    await hammer(node.port, 5_000, 'GET', 'product:42');
    const { stdout } = await run(process.execPath, [CORRAL_MAIN, 'cluster', 'hotkeys', '--cluster', `127.0.0.1:${node.port}`, '--once'], { timeout: 10_000 });
    const lines = stdout.trim().split('\n');
    assert.match(lines[0], /^hot keys .* 1 node asked$/);
    assert.match(lines[1], /^KEY +NODE +ROLE +OPS\/S$/);
    assert.match(lines[2], new RegExp(`^product:42 +127\\.0\\.0\\.1:${node.port} +node +\\d+$`));
  });
});

describe('a 3-shard cluster with a replica each', () => {
  let cluster: CorralCluster;
  before(async () => {
    cluster = await startCorralCluster(3, {}, { replicas: 1 });
  });
  after(() => cluster?.close());

  test('each node reports its own keys; corral cluster hotkeys --once merges them', async () => {
    const key = 'flash:sale:item';
    // The shard that owns the key: the primary that does not answer MOVED.
    let owner = -1;
    for (const s of cluster.shards) {
      const r = await call(cluster.ports[s.primary], 'SET', key, 'v');
      if (typeof r === 'object' && r !== null && 'simple' in r) owner = s.primary;
    }
    assert.ok(owner >= 0, 'some primary took the key');
    const shard = cluster.shards.find((s) => s.primary === owner)!;
    const replica = shard.replicas[0];
    await cluster.waitForReplicas();
    await Promise.all([
      hammer(cluster.ports[owner], 20_000, 'GET', key),
      // Replica reads (READONLY first on the same connection).
      (async () => {
        const c = await RawConnection.connect(cluster.ports[replica]);
        await c.call('READONLY');
        const get = encodeCommand(['GET', key]);
        await c.sendRaw(Buffer.concat(Array.from({ length: 4000 }, () => get)), 4000, 10_000);
        c.close();
      })(),
    ]);
    assert.equal(pairs(await call(cluster.ports[owner], 'CORRAL', 'HOTKEYS'))[0][0], key);
    assert.equal(pairs(await call(cluster.ports[replica], 'CORRAL', 'HOTKEYS'))[0][0], key);
    const other = cluster.shards.find((s) => s.primary !== owner)!.primary;
    assert.ok(!pairs(await call(cluster.ports[other], 'CORRAL', 'HOTKEYS')).some(([k]) => k === key), 'another shard never saw it');

    // Ask through a node of another shard: every node is asked, the owner's row first.
    const { stdout } = await run(process.execPath, [CORRAL_MAIN, 'cluster', 'hotkeys', '--cluster', `127.0.0.1:${cluster.ports[other]}`, '--once', '--count', '5'], {
      timeout: 10_000,
    });
    const lines = stdout.trim().split('\n');
    assert.match(lines[0], /^hot keys .* 6 nodes asked   topology epoch \d+$/);
    assert.match(lines[2], new RegExp(`^${key} +127\\.0\\.0\\.1:${cluster.ports[owner]} +primary +\\d+$`), stdout);
    assert.ok(lines.some((l) => new RegExp(`^${key} +127\\.0\\.0\\.1:${cluster.ports[replica]} +replica +\\d+$`).test(l)), stdout);
    assert.ok(lines.length <= 2 + 5, stdout);

    const { stdout: bad, stderr } = await run(process.execPath, [CORRAL_MAIN, 'cluster', 'hotkeys', '--cluster', `127.0.0.1:${cluster.ports[0]}`, '--once', '--count', '0']).catch(
      (e: { stdout: string; stderr: string }) => e,
    );
    assert.equal(bad, '');
    assert.match(stderr, /--count must be a positive integer/);
  });
});

describe('redis-cli --hotkeys, as against redis-server', () => {
  const started: Started[] = [];
  after(() => Promise.all(started.map((s) => s.close())));

  async function cliHotkeys(port: number): Promise<{ code: number; stdout: string; stderr: string }> {
    return run('redis-cli', ['-p', String(port), '--hotkeys'], { timeout: 20_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  }

  async function load(port: number): Promise<void> {
    await call(port, 'MSET', 'hot', '1', 'warm', '2', 'cold', '3');
    await hammer(port, 3000, 'GET', 'hot');
    await hammer(port, 30, 'GET', 'warm');
  }

  /** The summary's key names, in order; the counters (the LFU's random increments) left out. */
  function summary(stdout: string): string[] {
    const tail = stdout.slice(stdout.indexOf('-------- summary -------'));
    return [...tail.matchAll(/hot key found with counter: \d+\tkeyname: (.*)/g)].map((m) => m[1]);
  }

  /** The output with counters, percentages and SCAN's order (hash order in Redis) taken out. */
  function shape(stdout: string): string[] {
    return stdout
      .split('\n')
      .map((l) => l.replace(/counter:? \d+/, 'counter N').replace(/^\[\d+\.\d+%\]/, '[P%]'))
      .sort();
  }

  test('allkeys-lfu: the same report, the hot key first', async () => {
    const [ours, theirs] = await Promise.all([startCorral({ 'maxmemory-policy': 'allkeys-lfu' }), startRedis(['--maxmemory-policy', 'allkeys-lfu'])]);
    started.push(ours, theirs);
    await Promise.all([load(ours.port), load(theirs.port)]);
    const [a, b] = await Promise.all([cliHotkeys(ours.port), cliHotkeys(theirs.port)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(shape(a.stdout), shape(b.stdout));
    assert.equal(summary(a.stdout)[0], '"hot"');
    assert.equal(summary(b.stdout)[0], '"hot"');
  });

  test("corral's default allkeys-tinylfu with a memory limit: the sketch's frequencies, the hot key first", async () => {
    const ours = await startCorral({ maxmemory: '100mb' });
    started.push(ours);
    await load(ours.port);
    const a = await cliHotkeys(ours.port);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /Sampled 3 keys in the keyspace!/);
    assert.equal(summary(a.stdout)[0], '"hot"');
  });

  test("a non-LFU policy (corral's allkeys-tinylfu with no limit, Redis's noeviction): the same error", async () => {
    const [ours, theirs] = await Promise.all([startCorral(), startRedis()]);
    started.push(ours, theirs);
    await Promise.all([load(ours.port), load(theirs.port)]);
    const [a, b] = await Promise.all([cliHotkeys(ours.port), cliHotkeys(theirs.port)]);
    assert.deepEqual(a, b);
    assert.notEqual(a.code, 0);
    assert.match(a.stdout + a.stderr, /An LFU maxmemory policy is not selected/);
    // CORRAL HOTKEYS works whatever the policy.
    assert.equal(pairs(await call(ours.port, 'CORRAL', 'HOTKEYS'))[0][0], 'hot');
  });
});
