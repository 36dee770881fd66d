// bench/bigkey-bench.ts — how long a node's event loop stops while a big key moves (issue 11: "no
// event loop of either node blocks for more than 10 ms at a time"). A slot holding a hash of
// --fields fields and a string of --mb MB moves between the two shards of `corral up --shards 2
// --replicas 1` (CORRAL IMPORT, then SLOTPAUSE and its mark, as the mover does; the move is then
// called off with IMPORT ABORT), while a probe connection to each of the source primary, the
// target primary and the target's replica sends PING, one at a time: a reply that takes long is
// a turn of that node's event loop that did, or a wait for a core on this machine. So corral's
// nodes also measure their own turns (bench/lib/turn-sampler.ts: the main thread's CPU time
// between two callbacks of a 2 ms timer): the turns of the move that ran over 10 ms of CPU are
// what the target counts. Beside it, the same two keys moved between two redis-server 7
// processes with MIGRATE (what redis-cli --cluster reshard does), probed the same.
//
//   npm run build && node dist/bench/bigkey-bench.js [--fields 1000000] [--mb 100]
//
// Prints, per node, the probe's p50 / p99 / max reply time and how many replies took over 10 ms,
// for corral's nodes the turns over 10 ms of CPU and the longest, and the move's duration;
// writes bench/results/bigkey-<time>.json.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { RespConn, RespError } from './lib/resp.js';
import { freePortRange, sleep, startServer, stopServer, type ServerProc } from './lib/procs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** PINGs one node back to back (a 1 ms gap) until stopped; the reply times, ms. */
class Probe {
  readonly times: number[] = [];
  private stopped = false;
  private done: Promise<void> | null = null;
  constructor(readonly name: string, private readonly conn: RespConn) {}
  start(): void {
    this.done = (async () => {
      while (!this.stopped) {
        const t = performance.now();
        await this.conn.command('PING');
        this.times.push(performance.now() - t);
        await sleep(1);
      }
    })();
  }
  async stop(): Promise<Record<string, number | string>> {
    this.stopped = true;
    await this.done;
    this.conn.close();
    const s = [...this.times].sort((a, b) => a - b);
    const q = (p: number): number => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 100) / 100;
    return { node: this.name, pings: s.length, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: q(1), over_10ms: s.filter((x) => x > 10).length };
  }
}

async function fill(c: RespConn, hash: string, str: string, fields: number, mb: number): Promise<void> {
  for (let i = 0; i < fields; i += 1000) {
    const args: string[] = ['HSET', hash];
    for (let j = i; j < Math.min(fields, i + 1000); j++) args.push(`f${j}`, `v${j}`);
    await c.ok(...args);
  }
  const piece = Buffer.alloc(1024 * 1024, 'x');
  for (let i = 0; i < mb; i++) await c.ok('APPEND', str, piece);
}

/** A turn over this much CPU is one the target ("no event loop blocks for more than 10 ms") counts. */
const LONG_TURN_MS = 10;

/** A node's turns (turn-sampler.ts) between `from` and `to` (epoch ms): how many ran over LONG_TURN_MS of CPU, and the most CPU one took. */
function longTurns(dir: string, port: number, from: number, to: number): Record<string, number> {
  let samples: Array<[number, number, number]>;
  try {
    samples = JSON.parse(readFileSync(path.join(dir, `${port}.json`), 'utf8')) as Array<[number, number, number]>;
  } catch {
    return {};
  }
  const inMove = samples.filter((s) => s[0] - s[1] >= from && s[0] <= to);
  if (inMove.some((s) => s[2] < 0)) return {};
  return { turns_over_10ms_cpu: inMove.filter((s) => s[2] > LONG_TURN_MS).length, max_turn_cpu_ms: Math.max(0, ...inMove.map((s) => s[2])) };
}

async function corralRun(fields: number, mb: number): Promise<Record<string, unknown>> {
  const base = await freePortRange(8);
  const samples = mkdtempSync(path.join(tmpdir(), 'corral-turns-'));
  const sampler = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'turn-sampler.js')).href;
  const up = await startServer([process.execPath, path.join(ROOT, 'dist/src/cli/main.js'), 'up', '--dashboard-port', '0', '--shards', '2', '--replicas', '1', '--port', String(base)], {
    name: 'corral up',
    port: base,
    readyLine: /connect with/,
    readyTimeoutMs: 60_000,
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${sampler}`.trim(), CORRAL_TURN_SAMPLES: samples },
  });
  let ports: number[] = [];
  let window: [number, number] = [0, 0];
  let result: Record<string, unknown>;
  try {
    await sleep(1000); // the replicas' first sync
    // Which port is which: the first shard's primary owns slot 0's key or not; find a key on `base`.
    const probe = await RespConn.connect(base);
    let tag = '';
    for (let i = 0; tag === ''; i++) if (!((await probe.command('SET', `{big${i}}probe`, '1')) instanceof RespError)) tag = `{big${i}}`;
    const slot = (await probe.ok('CLUSTER', 'KEYSLOT', tag)) as number;
    const nodes = ((await probe.ok('CLUSTER', 'NODES')) as string).split('\n');
    const otherPrimary = nodes.find((l) => l.includes('master') && !l.includes('myself'))!;
    const targetPort = Number(otherPrimary.split(' ')[1].split(':')[1].split('@')[0]);
    const targetId = otherPrimary.split(' ')[0];
    const targetReplica = Number(nodes.find((l) => l.includes('slave') && l.includes(targetId))!.split(' ')[1].split(':')[1].split('@')[0]);
    await fill(probe, `${tag}hash`, `${tag}str`, fields, mb);
    await sleep(2000); // the replicas catch up
    const probes = [new Probe('source primary', await RespConn.connect(base)), new Probe('target primary', await RespConn.connect(targetPort)), new Probe('target replica', await RespConn.connect(targetReplica))];
    for (const p of probes) p.start();
    await sleep(500);
    const target = await RespConn.connect(targetPort);
    ports = [base, targetPort, targetReplica];
    const from = Date.now();
    const t0 = performance.now();
    const migrations = async (): Promise<string> => ((await target.ok('CORRAL', 'MIGRATIONS')) as string[]).join('\n');
    await target.ok('CORRAL', 'IMPORT', slot, '127.0.0.1', base);
    while (!(await migrations()).includes('state=streaming')) await sleep(5);
    const mark = (await probe.ok('CORRAL', 'SLOTPAUSE', slot, 10000)) as number;
    while (!(await migrations()).includes(`mark=${mark}`)) await sleep(5);
    const moveMs = performance.now() - t0;
    await probe.ok('CORRAL', 'SLOTPAUSE', slot, 0);
    await sleep(1000); // the target's replica applies the pieces
    window = [from, Date.now()];
    const results = [];
    for (const p of probes) results.push(await p.stop());
    await target.ok('CORRAL', 'IMPORT', slot, 'ABORT');
    target.close();
    probe.close();
    result = { system: 'corral (pieces)', move_ms: Math.round(moveMs), window_epoch_ms: window, nodes: results };
  } finally {
    await stopServer(up);
  }
  // The nodes wrote their turns as they exited.
  (result.nodes as Array<Record<string, unknown>>).forEach((n, i) => Object.assign(n, longTurns(samples, ports[i]!, window[0], window[1])));
  rmSync(samples, { recursive: true, force: true });
  return result;
}

async function redisRun(fields: number, mb: number): Promise<Record<string, unknown>> {
  const base = await freePortRange(2);
  const servers: ServerProc[] = [];
  try {
    for (const port of [base, base + 1]) servers.push(await startServer(['redis-server', '--port', String(port), '--save', '', '--appendonly', 'no', '--proto-max-bulk-len', '1gb'], { name: 'redis-server', port }));
    const src = await RespConn.connect(base);
    await fill(src, 'hash', 'str', fields, mb);
    const probes = [new Probe('source', await RespConn.connect(base)), new Probe('target', await RespConn.connect(base + 1))];
    for (const p of probes) p.start();
    await sleep(500);
    const t0 = performance.now();
    const r = await src.ok('MIGRATE', '127.0.0.1', base + 1, '', 0, 60000, 'KEYS', 'hash', 'str');
    const moveMs = performance.now() - t0;
    await sleep(500);
    const results = [];
    for (const p of probes) results.push(await p.stop());
    src.close();
    return { system: 'redis 7 (MIGRATE)', reply: String(r), move_ms: Math.round(moveMs), nodes: results };
  } finally {
    for (const s of servers) await stopServer(s);
  }
}

async function main(): Promise<void> {
  const opts = new Command().option('--fields <n>', 'fields of the big hash', '1000000').option('--mb <n>', 'MB of the big string', '100').parse().opts<{ fields: string; mb: string }>();
  const fields = Number(opts.fields);
  const mb = Number(opts.mb);
  const runs = [await corralRun(fields, mb), await redisRun(fields, mb)];
  for (const r of runs) {
    console.log(`${r.system as string}: move ${r.move_ms as number} ms`);
    for (const n of r.nodes as Array<Record<string, unknown>>) console.log(`  ${JSON.stringify(n)}`);
  }
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bigkey-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ fields, mb, runs }, null, 2));
  console.log(`results: ${path.relative(ROOT, file)}`);
}

await main();
