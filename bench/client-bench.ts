// bench/client-bench.ts — throughput of corral's cluster client against ioredis's Cluster
// (with enableAutoPipelining, and its default), on the same cluster, in one process: C
// concurrent async loops each awaiting one GET / SET / MGET at a time, for a fixed time per
// round. Rounds alternate the clients' order; the report is each client's median ops/s over
// the rounds and corral's ratio to each ioredis setup (stdout, bench/results/client-<ts>.json,
// bench/results/client-latest.md).
//
// By default a 3-shard corral cluster is started with `corral up` and stopped at the end;
// `--cluster redis` starts a 3-node Redis Cluster instead (test/support/redis-cluster.ts), and
// `--ports 7000,7001,7002` uses an already running cluster (Redis or corral).
//
//   npm run build && node dist/bench/client-bench.js [--cluster corral|redis] [--ports a,b,c] [--concurrency 200]
//     [--rounds 5] [--seconds 2] [--ops get,set,mget] [--mget-keys 10] [--value-size 32]
//     [--flush microtask|immediate] [--no-write]

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Cluster } from 'ioredis';
import { createClient, type CorralClient } from '../src/client/index.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { freePortRange, startServer, stopServer } from './lib/procs.js';
import { describeMachine, fmt, isoStamp, machineInfo, markdownTable, median, writeResult } from './lib/report.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: {
    ports: { type: 'string' },
    cluster: { type: 'string', default: 'corral' },
    concurrency: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '2' },
    ops: { type: 'string', default: 'get,set,mget' },
    'mget-keys': { type: 'string', default: '10' },
    'value-size': { type: 'string', default: '32' },
    keys: { type: 'string', default: '10000' },
    flush: { type: 'string', default: 'immediate' },
    'no-write': { type: 'boolean', default: false },
  },
});

const concurrency = Number(args.concurrency);
const rounds = Number(args.rounds);
const roundMs = Number(args.seconds) * 1000;
const ops = args.ops!.split(',');
const mgetKeys = Number(args['mget-keys']);
const keyCount = Number(args.keys);
const value = 'v'.repeat(Number(args['value-size']));

interface Target {
  name: string;
  get(k: string): Promise<unknown>;
  set(k: string, v: string): Promise<unknown>;
  mget(keys: string[]): Promise<unknown>;
  ready(): Promise<unknown>;
  close(): Promise<void>;
}

function corralTarget(ports: number[]): Target {
  const c: CorralClient = createClient({
    nodes: ports.map((p) => `127.0.0.1:${p}`),
    flush: args.flush === 'immediate' ? 'immediate' : 'microtask',
  });
  return {
    name: `corral (${args.flush})`,
    get: (k) => c.get(k),
    set: (k, v) => c.set(k, v),
    mget: (keys) => c.mget(keys),
    ready: () => c.ready(),
    close: () => c.quit(),
  };
}

function ioredisTarget(ports: number[], autoPipelining: boolean): Target {
  const c = new Cluster(
    ports.map((port) => ({ host: '127.0.0.1', port })),
    { enableAutoPipelining: autoPipelining },
  );
  return {
    name: autoPipelining ? 'ioredis Cluster (autoPipelining)' : 'ioredis Cluster (default)',
    get: (k) => c.get(k),
    set: (k, v) => c.set(k, v),
    mget: (keys) => c.mget(keys),
    ready: () => c.ping(),
    close: async () => {
      await c.quit();
    },
  };
}

const key = (i: number): string => `key:${i}`;
/** MGET keys share a hash tag: ioredis's Cluster refuses cross-slot MGET. */
const tagged = (t: number, i: number): string => `{tag:${t}}:${i}`;

async function runOp(t: Target, op: string): Promise<number> {
  let count = 0;
  let stop = false;
  const loop = async (seed: number): Promise<void> => {
    let i = seed;
    while (!stop) {
      i = (i * 1103515245 + 12345) & 0x7fffffff;
      if (op === 'get') await t.get(key(i % keyCount));
      else if (op === 'set') await t.set(key(i % keyCount), value);
      else {
        const tag = i % 1000;
        const keys: string[] = [];
        for (let j = 0; j < mgetKeys; j++) keys.push(tagged(tag, j));
        await t.mget(keys);
      }
      count++;
    }
  };
  const start = process.hrtime.bigint();
  const loops = Array.from({ length: concurrency }, (_, i) => loop(i + 1));
  await new Promise((r) => setTimeout(r, roundMs));
  stop = true;
  await Promise.all(loops);
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  return count / secs;
}

async function main(): Promise<void> {
  let ports: number[];
  let stopCluster: (() => Promise<void>) | null = null;
  let clusterDesc: string;
  if (args.ports !== undefined) {
    ports = args.ports.split(',').map(Number);
    clusterDesc = `given ports ${ports.join(',')}`;
  } else if (args.cluster === 'corral') {
    const port = await freePortRange(3);
    const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
    const up = await startServer([process.execPath, main, 'up', '--dashboard-port', '0', '--shards', '3', '--replicas', '0', '--port', '{port}'], {
      name: 'corral up',
      port,
      readyLine: /Ctrl-C stops the cluster/,
      readyTimeoutMs: 30_000,
    });
    ports = [port, port + 1, port + 2];
    stopCluster = () => stopServer(up, 10_000);
    clusterDesc = '3-shard corral cluster (corral up)';
    console.log(`started a 3-shard corral cluster on ${ports.join(', ')}`);
  } else {
    clusterDesc = '3-node Redis Cluster (redis-server)';
    const cluster = await startRedisCluster(3);
    ports = cluster.ports;
    stopCluster = cluster.close;
    console.log(`started a 3-node Redis Cluster on ${ports.join(', ')}`);
  }
  const targets = [corralTarget(ports), ioredisTarget(ports, true), ioredisTarget(ports, false)];
  try {
    // Load the keys (through corral's client) and warm every client up.
    for (const t of targets) await t.ready();
    const loader = targets[0];
    const fill: Array<Promise<unknown>> = [];
    for (let i = 0; i < keyCount; i++) fill.push(loader.set(key(i), value));
    for (let t = 0; t < 1000; t++) for (let j = 0; j < mgetKeys; j++) fill.push(loader.set(tagged(t, j), value));
    await Promise.all(fill);
    for (const t of targets) for (const op of ops) await runOpShort(t, op);

    const results: Record<string, Record<string, number[]>> = {};
    for (const op of ops) {
      results[op] = {};
      for (const t of targets) results[op][t.name] = [];
      for (let r = 0; r < rounds; r++) {
        // Alternate the order: round r starts with target r mod n.
        for (let k = 0; k < targets.length; k++) {
          const t = targets[(r + k) % targets.length];
          const opsPerSec = await runOp(t, op);
          results[op][t.name].push(opsPerSec);
          console.log(`${op} round ${r + 1}/${rounds} ${t.name}: ${fmt(opsPerSec)} ops/s`);
        }
      }
    }

    const rows: string[][] = [];
    for (const op of ops) {
      const med = (name: string): number => median(results[op][name]);
      const corral = med(targets[0].name);
      rows.push([
        op.toUpperCase() + (op === 'mget' ? ` (${mgetKeys} keys)` : ''),
        fmt(corral),
        fmt(med(targets[1].name)),
        fmt(med(targets[2].name)),
        fmt(corral / med(targets[1].name), 2) + 'x',
        fmt(corral / med(targets[2].name), 2) + 'x',
      ]);
    }
    const table = markdownTable(
      ['op', targets[0].name, 'ioredis (autoPipelining)', 'ioredis (default)', 'vs autoPipelining', 'vs default'],
      rows,
    );
    const machine = machineInfo(repoRoot);
    const setup = `${concurrency} concurrent loops, ${rounds} rounds x ${args.seconds}s, values ${value.length} B, ` +
      `cluster: ${clusterDesc}`;
    console.log(`\nmedian ops/s (${setup})\n${table}\n${describeMachine(machine)}`);
    if (!args['no-write']) {
      const stamp = isoStamp();
      const dir = path.join(repoRoot, 'bench', 'results');
      writeResult(dir, `client-${stamp}.json`, JSON.stringify({ machine, setup, results }, null, 2) + '\n');
      writeResult(
        dir,
        'client-latest.md',
        ['# Client benchmark', '', `${stamp}: ${setup}`, '', 'Median ops/s:', '', table, '', describeMachine(machine), '',
          `Raw runs: bench/results/client-${stamp}.json`, ''].join('\n'),
      );
    }
  } finally {
    for (const t of targets) await t.close().catch(() => {});
    if (stopCluster !== null) await stopCluster();
  }
}

async function runOpShort(t: Target, op: string): Promise<void> {
  const p = Promise.all(Array.from({ length: 50 }, async (_, i) => {
    for (let j = 0; j < 200; j++) {
      if (op === 'get') await t.get(key((i * 200 + j) % keyCount));
      else if (op === 'set') await t.set(key((i * 200 + j) % keyCount), value);
      else await t.mget([tagged(i, 0), tagged(i, 1)]);
    }
  }));
  await p;
}

await main();
