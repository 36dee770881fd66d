// bench/lib/reshard-redis-cluster.ts — the Redis 7 Cluster the resharding benchmark
// (bench/reshard-bench.ts) grows from 3 shards to 4 while a load runs (the ReshardSystem of
// bench/lib/reshard-clusters.ts, where corral's is):
//
// redis   3 (x (1 + R)) redis-server cluster nodes (`--save '' --appendonly no`), `redis-cli
//         --cluster create`, a 4th redis-server, then `redis-cli --cluster add-node NEW EXISTING`,
//         a wait until every node knows every other one (rebalance refuses to run before), and
//         `redis-cli --cluster rebalance EXISTING --cluster-use-empty-masters --cluster-yes`.
//
// Every process is tracked from the moment it is spawned: stop() and killNow() (synchronous, for
// process 'exit') reach processes that are still starting.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alive, run, sleep, stopChildren, waitRedisPing } from './procs.js';
import { clusterNodes, clusterSlots, queryOk, waitWhole } from './cluster-state.js';
import { parseInfo } from './resp.js';
import { clusterPort } from '../../test/support/redis-cluster.js';
import type { MoveOptions, MoveResult, ReshardSystem } from './reshard-clusters.js';

// ---- Redis ----------------------------------------------------------------------------------------

export interface RedisOptions {
  shards: number;
  replicas: number;
}

async function infoOfCluster(port: number): Promise<Record<string, string>> {
  return parseInfo(await queryOk(port, ['CLUSTER', 'INFO']));
}


export class RedisReshardCluster implements ReshardSystem {
  readonly system = 'redis' as const;
  readonly ports: number[] = [];
  readonly primaryPorts: number[] = [];
  newPort = -1;
  readonly dir: string;
  private readonly procs = new Map<number, ChildProcess>();
  private readonly output = new Map<number, string[]>();
  private readonly taken = new Set<number>();
  private closed = false;

  constructor(private readonly o: RedisOptions) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'corral-reshard-redis-'));
  }

  describe(): string {
    return `redis-server cluster of ${this.o.shards} primaries x ${this.o.replicas} replicas (ports ${this.ports.join(',')}, primaries ${this.primaryPorts.join(',')}), 4th node ${this.newPort}`;
  }

  private spawnNode(port: number): void {
    if (this.closed) throw new Error('cluster is closed');
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', path.join(this.dir, `nodes-${port}.conf`),
      '--save', '', '--appendonly', 'no', '--dir', this.dir, '--logfile', '',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    this.output.set(port, lines);
    const keep = (d: Buffer): void => {
      for (const l of d.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(l);
      if (lines.length > 60) lines.splice(0, lines.length - 60);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.procs.set(port, child);
  }

  private tail(port: number, n = 15): string {
    return (this.output.get(port) ?? []).slice(-n).join('\n');
  }

  private waitPing(port: number): Promise<void> {
    return waitRedisPing(this.procs.get(port)!, port, () => this.tail(port));
  }

  async start(): Promise<void> {
    const n = this.o.shards * (1 + this.o.replicas);
    for (let i = 0; i < n; i++) {
      const port = await clusterPort(this.taken);
      this.ports.push(port);
      this.spawnNode(port);
    }
    for (const p of this.ports) await this.waitPing(p);
    const create = await run('redis-cli', [
      '--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(this.o.replicas), '--cluster-yes',
    ]);
    if (create.code !== 0) throw new Error(`redis-cli --cluster create failed (${create.code}):\n${(create.stdout + create.stderr).slice(-2000)}`);
    await waitWhole(this.ports, { masters: this.o.shards, replicasPerMaster: this.o.replicas }, 60_000, () => this.problem());
    const owners = new Set((await clusterSlots(this.ports[0]!)).map((r) => r.masterPort));
    this.primaryPorts.push(...[...owners].sort((a, b) => a - b));
  }

  async startNewNode(): Promise<void> {
    const port = await clusterPort(this.taken);
    this.newPort = port;
    this.spawnNode(port);
    await this.waitPing(port);
  }

  /**
   * Every node says cluster_state:ok (a node added by add-node is down until gossip told it who
   * serves every slot, and a MIGRATE to it fails with CLUSTERDOWN before) and lists every other
   * one, none in handshake / without address / failing, all links up.
   */
  private async allKnowEachOther(): Promise<string | null> {
    const all = [...this.ports, this.newPort];
    for (const p of all) {
      const state = (await infoOfCluster(p))['cluster_state'];
      if (state !== 'ok') return `port ${p}: cluster_state:${state ?? '(missing)'}`;
      const nodes = await clusterNodes(p);
      if (nodes.length !== all.length) return `port ${p} lists ${nodes.length} nodes`;
      for (const x of nodes) {
        const bad = x.flags.filter((f) => ['handshake', 'noaddr', 'fail', 'fail?', 'pfail'].includes(f));
        if (bad.length > 0) return `port ${p} sees ${x.port} as ${bad.join(',')}`;
        if (x.linkState !== 'connected') return `port ${p} sees ${x.port} ${x.linkState}`;
      }
    }
    return null;
  }

  async move(o: MoveOptions): Promise<MoveResult> {
    const entry = `127.0.0.1:${this.primaryPorts[0]}`;
    const t0 = performance.now();
    const add = await run('redis-cli', ['--cluster', 'add-node', `127.0.0.1:${this.newPort}`, entry]);
    if (add.code !== 0) throw new Error(`redis-cli --cluster add-node failed (${add.code}):\n${(add.stdout + add.stderr).slice(-2000)}`);
    const addMs = performance.now() - t0;
    let why: string | null = 'not checked';
    while (why !== null) {
      const dead = this.problem();
      if (dead !== null) throw new Error(dead);
      why = await this.allKnowEachOther().catch((e: Error) => e.message);
      if (why === null) break;
      if (performance.now() - t0 > 60_000) throw new Error(`the nodes do not all know the 4th node 60 s after add-node: ${why}`);
      await sleep(100);
    }
    const knownMs = performance.now() - t0;
    o.log(`add-node done in ${Math.round(addMs)} ms, every node knows the 4th at ${Math.round(knownMs)} ms; rebalance`);
    const args = ['--cluster', 'rebalance', entry, '--cluster-use-empty-masters', '--cluster-yes', ...(o.redisPipeline === null ? [] : ['--cluster-pipeline', String(o.redisPipeline)])];
    // A failed rebalance leaves a slot open (migrating / importing): an operator runs
    // `redis-cli --cluster fix` and rebalances again; so does this, at most twice, and says so.
    const attempts: Array<{ command: string; code: number | string; ms: number; tail: string }> = [];
    const clean = (out: string): string => out.replace(/\x1b\[[0-9;]*m/g, '').replace(/#+/g, '#...');
    let moving: string[] = [];
    for (;;) {
      const a0 = performance.now();
      const r = await run('redis-cli', args);
      const out = clean(r.stdout + r.stderr);
      attempts.push({ command: 'rebalance', code: r.code, ms: performance.now() - a0, tail: out.slice(-1500) });
      moving = out.split('\n').filter((l) => l.startsWith('Moving ') || l.startsWith('>>> Rebalancing'));
      if (r.code === 0) break;
      const errs = out.split('\n').filter((l) => /ERR|\*\*\*|WARNING/.test(l)).slice(0, 4).join(' / ');
      if (attempts.filter((a) => a.command === 'rebalance').length >= 3 || performance.now() - t0 > o.timeoutMs) {
        throw new Error(`redis-cli --cluster rebalance failed (${r.code}) ${attempts.length} times: ${errs}\n${attempts[attempts.length - 1]!.tail}`);
      }
      o.log(`rebalance exited ${r.code} (${errs}); redis-cli --cluster fix, then rebalance again`);
      const f0 = performance.now();
      const fix = await run('redis-cli', ['--cluster', 'fix', entry, '--cluster-yes']);
      attempts.push({ command: 'fix', code: fix.code, ms: performance.now() - f0, tail: clean(fix.stdout + fix.stderr).slice(-1500) });
      await sleep(500);
    }
    const ms = performance.now() - t0;
    if (attempts.length > 1) o.log(`rebalance done after ${attempts.length} redis-cli runs (${attempts.map((a) => `${a.command} exit ${a.code}`).join(', ')})`);
    return {
      ms, bytesReported: null, keysReported: null, progress: [],
      detail: { addMs, knownMs, rebalanceAttempts: attempts, moving, pipeline: o.redisPipeline ?? 'default (10)' },
    };
  }

  oldPids(): number[] {
    return this.ports.map((p) => this.procs.get(p)?.pid ?? -1);
  }

  newPid(): number {
    return this.newPort > 0 ? this.procs.get(this.newPort)?.pid ?? -1 : -1;
  }

  problem(): string | null {
    for (const [port, child] of this.procs) {
      if (!alive(child)) return `redis-server on port ${port} exited (${child.exitCode ?? child.signalCode}):\n${this.tail(port)}`;
    }
    return null;
  }

  async stop(graceMs = 3000): Promise<void> {
    this.closed = true;
    await stopChildren(this.procs.values(), graceMs);
    rmSync(this.dir, { recursive: true, force: true });
  }

  killNow(): void {
    this.closed = true;
    for (const c of this.procs.values()) if (alive(c)) c.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
