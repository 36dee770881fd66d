// Black-box tests of online resharding from the command line, against `corral up` (real node
// processes, the local coordinator, the elected controller): `corral cluster add-shard --spawn`
// (corral up starts the new primary and its replica), Ctrl-C pausing the plan and `corral cluster
// migrations` resuming it, `remove-shard` back (its nodes stopped), every key readable through a
// cluster client throughout; and CORRAL JOIN: a node started in cluster mode without a
// coordinator joins one directly, or through `add-shard HOST:PORT` (refused if it holds keys).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createClient } from '../../src/index.js';
import { CorralNode } from '../../src/server/node.js';
import { parseTopology, type TopologyDoc } from '../../src/cluster/topology.js';
import { slotCounts } from '../../src/cli/reshard-format.js';
import { CORRAL_MAIN, callOnce, canListen, freeRun, startCorralUp, until } from '../support/corral-up.js';

interface Run {
  child: ChildProcess;
  out: () => string;
  done: Promise<number | null>;
}

function startCli(args: string[]): Run {
  const child = spawn(process.execPath, [CORRAL_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, out: () => out, done };
}

async function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = startCli(args);
  const code = await r.done;
  return { code, out: r.out() };
}

async function topology(port: number): Promise<TopologyDoc> {
  const r = await callOnce(port, 'CORRAL', 'TOPOLOGY');
  if (typeof r !== 'string') throw new Error(`no topology from ${port}: ${JSON.stringify(r)}`);
  return parseTopology(r);
}

async function control(port: number): Promise<Map<string, string>> {
  const r = await callOnce(port, 'CORRAL', 'CONTROL');
  const m = new Map<string, string>();
  if (Array.isArray(r)) for (let i = 0; i + 1 < r.length; i += 2) m.set(String(r[i]), String(r[i + 1]));
  return m;
}

function errorText(r: unknown): string {
  return typeof r === 'object' && r !== null && 'error' in r ? String((r as { error: string }).error) : `not an error: ${JSON.stringify(r)}`;
}

const primaryPort = (doc: TopologyDoc, shard: string): number => doc.nodes.find((n) => n.id === doc.shards.find((s) => s.id === shard)!.primary)!.port;

test('add-shard --spawn moves slots to a new shard online; Ctrl-C pauses, migrations resume; remove-shard takes it back out', { timeout: 240_000 }, async () => {
  const up = await startCorralUp(2, 1);
  const entry = `127.0.0.1:${up.port}`;
  const client = createClient({ nodes: [entry], commandTimeout: 5000 });
  try {
    const KEYS = 1500;
    for (let i = 0; i < KEYS; i++) await client.set(`rs:${i}`, `value-${i}-${'x'.repeat(40)}`);
    // The new primary and its replica go on the next two ports when free (the default).
    const auto = (await canListen(up.port + 4)) && (await canListen(up.port + 5));
    const newPort = auto ? up.port + 4 : await freeRun(2);
    const add = startCli(['cluster', 'add-shard', ...(auto ? [] : [`127.0.0.1:${newPort}`]), '--spawn', '--cluster', entry, '--rate', '2kb']);
    // A slow plan (2 KB/s): interrupted after its first progress line.
    await until('a progress line', () => /moved \d+\/\d+ slots/.test(add.out()) || add.child.exitCode !== null, 60_000);
    add.child.kill('SIGINT');
    assert.equal(await add.done, 130, add.out());
    assert.match(add.out(), /paused; resume it with: corral cluster migrations resume --cluster/);
    const paused = await cli(['cluster', 'migrations', 'status', '--cluster', entry]);
    assert.equal(paused.code, 0, paused.out);
    assert.match(paused.out, /add-shard {3}paused/);
    // Reads and writes go on while the plan is paused half-way.
    assert.equal(await client.get('rs:7'), `value-7-${'x'.repeat(40)}`);
    const rate = await cli(['cluster', 'migrations', 'rate', 'unlimited', '--cluster', entry]);
    assert.equal(rate.code, 0, rate.out);
    const resume = await cli(['cluster', 'migrations', 'resume', '--cluster', entry]);
    assert.equal(resume.code, 0, resume.out);
    await until('the plan to finish', async () => (await topology(up.port)).plan === undefined, 120_000, 250);
    const grown = await topology(up.port);
    assert.equal(grown.shards.length, 3);
    const counts = slotCounts(grown);
    const added = grown.shards.find((s) => primaryPort(grown, s.id) === newPort);
    assert.ok(added !== undefined, `a shard whose primary is ${newPort}: ${JSON.stringify(grown.shards)}`);
    assert.ok((counts.get(added.id) ?? 0) > 4000, `the new shard owns about a third of the slots: ${[...counts]}`);
    for (const s of grown.shards) assert.ok((counts.get(s.id) ?? 0) > 4000, `every shard keeps a share: ${[...counts]}`);
    await until('the new shard to have its replica', async () => (await topology(up.port)).shards.find((s) => s.id === added.id)!.replicas.length === 1, 30_000, 250);
    const shards = await callOnce(up.port, 'CLUSTER', 'SHARDS');
    assert.ok(Array.isArray(shards) && shards.length === 3, `CLUSTER SHARDS lists 3 shards: ${JSON.stringify(shards)}`);
    for (let i = 0; i < KEYS; i++) assert.equal(await client.get(`rs:${i}`), `value-${i}-${'x'.repeat(40)}`, `rs:${i} after add-shard`);
    const dbsize = await callOnce(newPort, 'DBSIZE');
    assert.ok(typeof dbsize === 'number' && dbsize > 300, `the new primary holds its share of the keys: ${dbsize}`);

    const status = await cli(['cluster', 'status', '--cluster', entry, '--json']);
    assert.equal(status.code, 0, status.out);
    const report = JSON.parse(status.out) as { imbalance: number; migration: unknown; shards: Array<{ keys: number; slots: number }> };
    assert.equal(report.shards.length, 3);
    assert.equal(report.migration, null);
    assert.ok(report.imbalance >= 1 && report.imbalance < 1.1, `imbalance ${report.imbalance}`);
    assert.equal(report.shards.reduce((n, s) => n + s.keys, 0), KEYS);

    // Followed to the end this time (the default rate).
    const remove = await cli(['cluster', 'remove-shard', `127.0.0.1:${newPort}`, '--cluster', entry]);
    assert.equal(remove.code, 0, remove.out);
    assert.match(remove.out, /done in/);
    assert.match(remove.out, new RegExp(`stopped 127\\.0\\.0\\.1:${newPort}`));
    const shrunk = await topology(up.port);
    assert.equal(shrunk.shards.length, 2);
    assert.equal(shrunk.plan, undefined);
    assert.ok(!shrunk.nodes.some((n) => n.port === newPort || n.port === newPort + 1), 'the removed shard\'s nodes are out of the document');
    await until('the removed nodes to be stopped', async () => (await canListen(newPort)) && (await canListen(newPort + 1)), 20_000, 100);
    for (let i = 0; i < KEYS; i++) assert.equal(await client.get(`rs:${i}`), `value-${i}-${'x'.repeat(40)}`, `rs:${i} after remove-shard`);
  } finally {
    client.close();
    await up.stop();
  }
});

test('CORRAL JOIN: a cluster-mode node without a coordinator joins one; add-shard HOST:PORT joins it as a new shard, refuses one holding keys', { timeout: 120_000 }, async () => {
  const up = await startCorralUp(1, 0);
  const entry = `127.0.0.1:${up.port}`;
  const nodes: CorralNode[] = [];
  const startNode = async (config: Record<string, string>): Promise<number> => {
    const node = new CorralNode({ config: { port: '0', ...config } });
    nodes.push(node);
    return node.listen();
  };
  try {
    const ctl = await control(up.port);
    const spec = ctl.get('coordinator_spec')!;
    assert.match(spec, /^local:127\.0\.0\.1:\d+$/);
    assert.equal(ctl.get('cluster_name'), 'corral');

    const plain = await startNode({});
    assert.match(errorText(await callOnce(plain, 'CORRAL', 'JOIN', spec, 'corral')), /without cluster mode/);

    // Joined directly: the controller places it (a replica of the one shard).
    const joined = await startNode({ 'cluster-enabled': 'yes' });
    assert.equal((await control(joined)).get('coordinator_spec'), '');
    assert.match(errorText(await callOnce(joined, 'CORRAL', 'JOIN', '', 'corral')), /empty/);
    assert.deepEqual(await callOnce(joined, 'CORRAL', 'JOIN', spec, 'corral'), { simple: 'OK' });
    assert.deepEqual(await callOnce(joined, 'CORRAL', 'JOIN', spec, 'corral'), { simple: 'OK' }, 'the same coordinator again is fine');
    assert.match(errorText(await callOnce(joined, 'CORRAL', 'JOIN', 'local:127.0.0.1:1', 'corral')), /already has a coordinator/);
    assert.deepEqual(await callOnce(joined, 'CONFIG', 'GET', 'coordinator'), ['coordinator', spec]);
    await until('the joined node to know the controller', async () => {
      const m = await control(joined);
      return m.get('controller') !== '' && m.get('controller') === ctl.get('controller') && m.get('coordinator_spec') === spec;
    }, 20_000, 100);
    await until('the joined node to be placed as a replica', async () => (await topology(up.port)).shards[0].replicas.length === 1, 20_000, 100);

    // A node holding keys is refused as a new shard (it serves a static topology of its own).
    const fullPort = await freeRun(1);
    const full = await startNode({ port: String(fullPort), 'cluster-enabled': 'yes', 'cluster-nodes': `127.0.0.1:${fullPort}` });
    assert.deepEqual(await callOnce(full, 'SET', 'k', 'v'), { simple: 'OK' });
    const refused = await cli(['cluster', 'add-shard', `127.0.0.1:${full}`, '--cluster', entry]);
    assert.equal(refused.code, 1, refused.out);
    assert.match(refused.out, /^corral: 127\.0\.0\.1:\d+ holds 1 keys/m);

    // A spawn that fails (the port is taken) leaves no plan and no empty shard behind.
    const failed = await cli(['cluster', 'add-shard', `127.0.0.1:${plain}`, '--spawn', '--cluster', entry]);
    assert.equal(failed.code, 1, failed.out);
    assert.match(failed.out, /^corral: starting 127\.0\.0\.1:\d+ failed .*cancelled/m);
    await until('the empty shard to be taken out', async () => {
      const d = await topology(up.port);
      return d.plan === undefined && d.shards.length === 1;
    }, 20_000, 100);

    // An empty one becomes the new shard's primary: the CLI adds the shard, then sends JOIN.
    const fresh = await startNode({ 'cluster-enabled': 'yes' });
    const add = await cli(['cluster', 'add-shard', `127.0.0.1:${fresh}`, '--cluster', entry]);
    assert.equal(add.code, 0, add.out);
    assert.match(add.out, /joined the cluster/);
    assert.equal((await control(fresh)).get('coordinator_spec'), spec);
    const doc = await topology(up.port);
    assert.equal(doc.shards.length, 2);
    const counts = slotCounts(doc);
    assert.ok(doc.shards.every((s) => (counts.get(s.id) ?? 0) > 7000), `two shards share the slots: ${[...counts]}`);
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
    await up.stop();
  }
});
