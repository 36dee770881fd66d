// bench/lib/redis-replicated-cluster.ts — a real Redis Cluster with replicas for the failover
// benchmark: `masters` primaries with `replicasPerMaster` replicas each (redis-cli --cluster
// create ... --cluster-replicas R --cluster-yes), cluster-node-timeout as a parameter, on free
// ports in a temporary directory. It generalizes test/support/redis-cluster.ts's approach and
// adds what a failover run needs: the current primary of a slot and its pid (INFO server
// process_id), a kill -9 of a node we started, a restart of a killed node with its own
// nodes.conf (so it rejoins, and the cluster turns it into a replica of whoever took its slots),
// and a wait until the cluster is whole again (cluster-state.ts). No persistence (save "",
// appendonly no): a restarted node comes back empty and full-syncs from its new primary.
//
// Every process is tracked from the moment it is spawned: stop() (SIGTERM, then SIGKILL) and
// killNow() (synchronous, for process 'exit') reach nodes that are still starting.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, run, stopChildren, waitRedisPing } from './procs.js';
import { processId, slotMasterPort, waitWhole, wholeProblems, type Expectation } from './cluster-state.js';
import { clusterPort } from '../../test/support/redis-cluster.js';

export interface RedisReplicatedOptions {
  masters: number;
  replicasPerMaster: number;
  /** cluster-node-timeout, ms (Redis's default is 15000). */
  nodeTimeoutMs: number;
  /** Extra redis-server arguments for every node. */
  extraArgs?: string[];
  /** How long start() waits for the new cluster to be whole (default 60 s). */
  startTimeoutMs?: number;
}



export class RedisReplicatedCluster {
  readonly ports: number[] = [];
  /** The current redis-server process of each port (replaced by restart()). */
  readonly procs = new Map<number, ChildProcess>();
  readonly dir: string;
  readonly expect: Expectation;
  /** Ports whose node we killed on purpose and have not restarted yet. */
  private readonly killed = new Set<number>();
  private readonly output = new Map<number, string[]>();
  private closed = false;

  constructor(readonly o: RedisReplicatedOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'corral-redis-repl-'));
    this.expect = { masters: o.masters, replicasPerMaster: o.replicasPerMaster };
  }

  private args(port: number): string[] {
    return [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', join(this.dir, `nodes-${port}.conf`),
      '--cluster-node-timeout', String(this.o.nodeTimeoutMs),
      '--save', '', '--appendonly', 'no', '--dir', this.dir,
      '--logfile', '', ...(this.o.extraArgs ?? []),
    ];
  }

  private spawnNode(port: number): ChildProcess {
    if (this.closed) throw new Error('cluster is closed');
    const child = spawn('redis-server', this.args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = this.output.get(port) ?? [];
    this.output.set(port, lines);
    const keep = (d: Buffer): void => {
      for (const l of d.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(l);
      if (lines.length > 60) lines.splice(0, lines.length - 60);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.procs.set(port, child);
    return child;
  }

  /** Last lines a node printed (its log goes to stdout). */
  tail(port: number, n = 15): string {
    return (this.output.get(port) ?? []).slice(-n).join('\n');
  }

  private waitPing(port: number): Promise<void> {
    return waitRedisPing(this.procs.get(port)!, port, () => this.tail(port));
  }

  /** Starts every node, creates the cluster and waits until it is whole. */
  async start(): Promise<void> {
    const n = this.o.masters * (1 + this.o.replicasPerMaster);
    const taken = new Set<number>();
    for (let i = 0; i < n; i++) {
      const port = await clusterPort(taken);
      this.ports.push(port);
      this.spawnNode(port);
    }
    for (const port of this.ports) await this.waitPing(port);
    const create = await run('redis-cli', [
      '--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas', String(this.o.replicasPerMaster), '--cluster-yes',
    ]);
    if (create.code !== 0) throw new Error(`redis-cli --cluster create failed (${create.code}):\n${(create.stdout + create.stderr).slice(-2000)}`);
    await this.waitWhole(this.o.startTimeoutMs ?? 60_000);
  }

  /** Why the cluster cannot be measured any more (a node died that we did not kill), or null. */
  problem(): string | null {
    for (const [port, child] of this.procs) {
      if (!alive(child) && !this.killed.has(port)) {
        return `redis-server on port ${port} exited (${child.exitCode ?? child.signalCode}):\n${this.tail(port)}`;
      }
    }
    return null;
  }

  /** The pid of the node on `port` (INFO server process_id, checked against the process we started). */
  async pidOf(port: number): Promise<number> {
    const pid = await processId(port);
    const child = this.procs.get(port);
    if (child === undefined || child.pid !== pid) {
      throw new Error(`port ${port} reports process_id ${pid}, not the redis-server we started there (${child?.pid ?? 'none'})`);
    }
    return pid;
  }

  /** The current primary of `slot`: its port and pid. */
  async masterOf(slot: number): Promise<{ port: number; pid: number }> {
    const port = await slotMasterPort(this.ports, slot);
    return { port, pid: await this.pidOf(port) };
  }

  /** kill -9 of the node on `port` (only a process this cluster started, by its pid). */
  kill(port: number, pid: number): void {
    const child = this.procs.get(port);
    if (child === undefined || child.pid !== pid || !alive(child)) {
      throw new Error(`refusing to kill pid ${pid}: not the live redis-server this cluster started on port ${port}`);
    }
    this.killed.add(port);
    process.kill(pid, 'SIGKILL');
  }

  /**
   * Starts the killed node on `port` again with its own nodes.conf: it rejoins the cluster, and
   * as its slots were taken over at a higher epoch it is turned into a replica of the new primary.
   */
  async restart(port: number): Promise<void> {
    const old = this.procs.get(port);
    if (old !== undefined && alive(old)) {
      await new Promise<void>((resolve) => {
        old.once('exit', () => resolve());
        if (!alive(old)) resolve();
      });
    }
    // The killed process's listening sockets are gone once it has exited; the port may still be
    // in TIME_WAIT for accepted connections, which redis-server's SO_REUSEADDR tolerates.
    this.spawnNode(port);
    this.killed.delete(port);
    await this.waitPing(port);
  }

  /** Waits until the cluster is whole again (see cluster-state.ts); resolves with the ms waited. */
  waitWhole(timeoutMs: number): Promise<number> {
    return waitWhole(this.ports, this.expect, timeoutMs, () => this.problem());
  }

  /** What keeps the cluster from being whole right now ([] if whole). */
  problems(): Promise<string[]> {
    return wholeProblems(this.ports, this.expect);
  }

  /** Stops every node (SIGTERM, SIGKILL after graceMs) and removes the directory. Safe to call twice. */
  async stop(graceMs = 3000): Promise<void> {
    this.closed = true;
    await stopChildren(this.procs.values(), graceMs);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous last resort (process 'exit'): SIGKILL every live node, remove the directory. */
  killNow(): void {
    this.closed = true;
    for (const c of this.procs.values()) if (alive(c)) c.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
