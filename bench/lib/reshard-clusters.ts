// bench/lib/reshard-clusters.ts — the two clusters the resharding benchmark (bench/reshard-bench.ts)
// grows from 3 shards to 4 while a load runs, each with its own way of adding a shard:
//
// corral  `corral up --shards 3 --replicas R` as a child process, then a 4th node process
//         (`corral server --cluster-enabled yes --cluster-announce-ip 127.0.0.1`), then on the
//         controller (CORRAL CONTROL's `controller` field) `CORRAL RESHARD ADD 127.0.0.1 <port>
//         [RATE <bytes/s>]`, answered with the plan id once the plan is in the topology document.
//         The move is done when CORRAL TOPOLOGY (the newest epoch any node has) has no `plan`.
//         How the 4th node joins the control plane (--join):
//           join         it starts without a coordinator; after ADD, `CORRAL JOIN <spec> <name>`
//                        on it (what `corral cluster add-shard` does: the document names it a
//                        shard's primary before it registers);
//           coordinator  it starts with --coordinator local:<addr> and registers at once, so the
//                        controller places it as a replica of an existing shard (it full-syncs
//                        that shard); the benchmark waits for that sync before it measures,
//                        then ADD makes it the new shard's primary.
// redis   see bench/lib/reshard-redis-cluster.ts (3 redis-server cluster nodes, `redis-cli --cluster
//         create`, add-node and rebalance).
//
// Every process is tracked from the moment it is spawned: stop() (SIGTERM, then SIGKILL) and
// killNow() (synchronous, for process 'exit') reach processes that are still starting.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePortRange, isAlive, sleep, startServer, stopServer, type ServerProc } from './procs.js';
import { clusterSlots, infoOf, query } from './cluster-state.js';
import { RespError, type Reply } from './resp.js';
import { NODE_V8_FLAGS } from '../../src/util/node-flags.js';

export type JoinMode = 'join' | 'coordinator';

export interface MoveProgress {
  /** ms since the move began. */
  atMs: number;
  slotsLeft: number;
  bytesMoved: number;
  keysMoved: number;
}

export interface MoveResult {
  /** From the first command of the move (RESHARD ADD / add-node) until it is done, ms. */
  ms: number;
  /** Bytes / keys the system says it moved (corral's RESHARD STATUS), or null. */
  bytesReported: number | null;
  keysReported: number | null;
  progress: MoveProgress[];
  /** What else is worth keeping (plan id, final status, redis-cli output...). */
  detail: Record<string, unknown>;
}

export interface MoveOptions {
  /** corral: the RATE argument (e.g. '64mb', '0'); null: omitted (corral's default). */
  rate: string | null;
  timeoutMs: number;
  /** redis: --cluster-pipeline (keys per MIGRATE); null: redis-cli's default. */
  redisPipeline: number | null;
  /** Called with a short line now and then while the move runs. */
  log: (line: string) => void;
}

export interface ReshardSystem {
  readonly system: 'redis' | 'corral';
  /** Ports of the primaries serving slots before the move. */
  readonly primaryPorts: number[];
  /** Every node port of the first 3 shards (primaries and replicas). */
  readonly ports: number[];
  /** The port of the 4th node (after startNewNode). */
  newPort: number;
  start(): Promise<void>;
  startNewNode(): Promise<void>;
  move(o: MoveOptions): Promise<MoveResult>;
  /** Pids of the old shards' processes (for corral also `corral up`, home of its coordinator). */
  oldPids(): number[];
  /** Pid of the 4th node, or -1. */
  newPid(): number;
  /** A process died: why, or null. */
  problem(): string | null;
  describe(): string;
  stop(): Promise<void>;
  killNow(): void;
}

function fields(r: Reply): Map<string, string> {
  const m = new Map<string, string>();
  if (Array.isArray(r)) for (let i = 0; i + 1 < r.length; i += 2) m.set(String(r[i]), String(r[i + 1]));
  return m;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

const procAlive = (p: ServerProc): boolean => p.child.exitCode === null && p.child.signalCode === null;

// ---- corral ---------------------------------------------------------------------------------------

export interface CorralOptions {
  repoRoot: string;
  /** dist/src/cli/main.js */
  corralMain: string;
  shards: number;
  replicas: number;
  join: JoinMode;
  /** How long the 4th node may take to sync as a replica (--join coordinator). */
  syncTimeoutMs: number;
}

interface TopologyLike {
  epoch: number;
  plan?: { id: string };
  shards: Array<{ id: string; primary: string; replicas: string[] }>;
  nodes: Array<{ id: string; host: string; port: number }>;
}

export class CorralReshardCluster implements ReshardSystem {
  readonly system = 'corral' as const;
  readonly ports: number[] = [];
  readonly primaryPorts: number[] = [];
  newPort = -1;
  private up: ServerProc | undefined;
  private extra: ServerProc | undefined;
  private readonly nodePids: number[] = [];
  private coordinatorSpec = '';
  private clusterName = '';
  private stopped: Promise<void> | undefined;
  private readonly logLines: string[] = [];
  private logDropped = 0;

  constructor(private readonly o: CorralOptions) {}

  describe(): string {
    return `corral up --shards ${this.o.shards} --replicas ${this.o.replicas} (ports ${this.ports.join(',')}, primaries ${this.primaryPorts.join(',')}), ` +
      `4th node ${this.newPort} (--join ${this.o.join})`;
  }

  async start(): Promise<void> {
    const n = this.o.shards * (1 + this.o.replicas);
    let lastErr: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePortRange(n);
      try {
        this.up = await startServer(
          [process.execPath, this.o.corralMain, 'up', '--dashboard-port', '0', '--shards', String(this.o.shards), '--replicas', String(this.o.replicas), '--port', '{port}'],
          { name: 'corral up', port, cwd: this.o.repoRoot, readyLine: /Ctrl-C stops the cluster/, readyTimeoutMs: 60_000, onSpawn: (p) => (this.up = p) },
        );
      } catch (err) {
        lastErr = err;
        if (this.up !== undefined) await stopServer(this.up, 10_000);
        this.up = undefined;
        continue;
      }
      this.collect(this.up);
      for (let i = 0; i < n; i++) this.ports.push(port + i);
      for (const p of this.ports) this.nodePids.push(this.nodePid(p));
      const owners = new Set((await clusterSlots(port)).map((r) => r.masterPort));
      this.primaryPorts.push(...[...owners].sort((a, b) => a - b));
      if (this.primaryPorts.length !== this.o.shards) throw new Error(`corral up: CLUSTER SLOTS names ${this.primaryPorts.length} primaries, expected ${this.o.shards}`);
      const ctl = fields(await query(port, ['CORRAL', 'CONTROL']));
      this.coordinatorSpec = (ctl.get('coordinator_spec') ?? '').trim();
      if (this.coordinatorSpec === '') {
        const m = /^local (\S+)$/.exec(ctl.get('coordinator') ?? '');
        if (m === null) throw new Error(`CORRAL CONTROL on port ${port} names no coordinator (coordinator "${ctl.get('coordinator') ?? ''}")`);
        this.coordinatorSpec = `local:${m[1]}`;
      }
      this.clusterName = ctl.get('cluster_name') ?? '';
      return;
    }
    throw lastErr;
  }

  /** The pid of the node serving `port` among `corral up`'s children (pgrep, else its printed pid). */
  private nodePid(port: number): number {
    const up = this.up!;
    try {
      const out = execFileSync('pgrep', ['-P', String(up.pid), '-f', '--', `--port ${port}( |$)`], { encoding: 'utf8' });
      const pids = out.split('\n').filter((l) => l.trim() !== '').map(Number);
      if (pids.length === 1) return pids[0]!;
    } catch {
      /* none matched: the printed pid */
    }
    const m = new RegExp(`:${port}\\s+pid (\\d+)`).exec(up.tail());
    if (m && cmdline(Number(m[1])).includes(`--port\0${port}\0`)) return Number(m[1]);
    throw new Error(`could not find the pid of the corral node on port ${port}`);
  }

  async startNewNode(): Promise<void> {
    const port = await freePortRange(1);
    this.newPort = port;
    const args = [process.execPath, ...NODE_V8_FLAGS, this.o.corralMain, 'server', '--port', '{port}', '--cluster-enabled', 'yes', '--cluster-announce-ip', '127.0.0.1'];
    if (this.o.join === 'coordinator') args.push('--coordinator', this.coordinatorSpec);
    this.extra = await startServer(args, { name: 'corral 4th node', port, cwd: this.o.repoRoot, onSpawn: (p) => (this.extra = p) });
    this.collect(this.extra, `[${port}] `);
    if (this.o.join === 'join') return;
    // Registered (it knows the controller and applied a topology), then synced as a replica.
    const t0 = performance.now();
    let last = '';
    for (;;) {
      const why = this.problem();
      if (why !== null) throw new Error(why);
      try {
        const f = fields(await query(port, ['CORRAL', 'CONTROL']));
        const r = await infoOf(port, 'replication');
        last = `controller "${f.get('controller') ?? ''}" epoch ${f.get('epoch') ?? '?'} role ${r['role']} link ${r['master_link_status'] ?? '-'} sync ${r['master_sync_in_progress'] ?? '-'}`;
        if ((f.get('controller') ?? '') !== '' && Number(f.get('epoch') ?? 0) > 0) {
          if (r['role'] === 'slave' && r['master_link_status'] === 'up' && r['master_sync_in_progress'] === '0') return;
          if (r['role'] === 'master' && performance.now() - t0 > 10_000) return; // not placed as a replica
        }
      } catch (err) {
        last = (err as Error).message;
      }
      if (performance.now() - t0 > this.o.syncTimeoutMs) throw new Error(`the 4th corral node did not join and sync within ${this.o.syncTimeoutMs} ms: ${last}`);
      await sleep(200);
    }
  }

  private allPorts(): number[] {
    return this.newPort > 0 ? [...this.ports, this.newPort] : [...this.ports];
  }

  /** The controller's port (a node that says is_controller 1). */
  private async controllerPort(): Promise<number> {
    for (const p of this.allPorts()) {
      try {
        const f = fields(await query(p, ['CORRAL', 'CONTROL']));
        const m = /:(\d+)$/.exec(f.get('controller') ?? '');
        if (m === null) continue;
        const port = Number(m[1]);
        if (fields(await query(port, ['CORRAL', 'CONTROL'])).get('is_controller') === '1') return port;
      } catch {
        /* try the next node */
      }
    }
    throw new Error('no corral node names a live controller');
  }

  /** CORRAL RESHARD <args> on the controller, asked again while it answers NOTCONTROLLER or not at all. */
  private async reshard(args: Array<string | number>, timeoutMs = 15_000): Promise<Reply> {
    const end = performance.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        const port = await this.controllerPort();
        const r = await query(port, ['CORRAL', 'RESHARD', ...args], Math.max(1000, end - performance.now()));
        if (!(r instanceof RespError)) return r;
        if (!r.message.startsWith('NOTCONTROLLER')) throw new Error(`CORRAL RESHARD ${args.join(' ')}: -${r.message}`);
        last = r.message;
      } catch (err) {
        if ((err as Error).message.startsWith('CORRAL RESHARD')) throw err;
        last = (err as Error).message;
      }
      if (performance.now() > end) throw new Error(`CORRAL RESHARD ${args.join(' ')}: no controller answered within ${timeoutMs} ms (${last})`);
      await sleep(100);
    }
  }

  private async status(): Promise<Map<string, string>> {
    return fields(await this.reshard(['STATUS'], 5000));
  }

  /** The newest topology document any node has applied. */
  private async newestTopology(): Promise<TopologyLike> {
    let best: TopologyLike | null = null;
    for (const p of this.allPorts()) {
      try {
        const r = await query(p, ['CORRAL', 'TOPOLOGY'], 2000);
        if (typeof r !== 'string') continue;
        const doc = JSON.parse(r) as TopologyLike;
        if (best === null || doc.epoch > best.epoch) best = doc;
      } catch {
        /* a node not answering now */
      }
    }
    if (best === null) throw new Error('no corral node answered CORRAL TOPOLOGY');
    return best;
  }

  async move(o: MoveOptions): Promise<MoveResult> {
    const progress: MoveProgress[] = [];
    const t0 = performance.now();
    const addArgs: Array<string | number> = ['ADD', '127.0.0.1', this.newPort, ...(o.rate === null ? [] : ['RATE', o.rate])];
    const planId = await this.reshard(addArgs);
    if (typeof planId !== 'string') throw new Error(`CORRAL RESHARD ${addArgs.join(' ')} answered ${JSON.stringify(planId)}, expected the plan id`);
    const addMs = performance.now() - t0;
    let joinMs = NaN;
    if (this.o.join === 'join') {
      const r = await query(this.newPort, ['CORRAL', 'JOIN', this.coordinatorSpec, this.clusterName], 10_000);
      if (r instanceof RespError || r !== 'OK') throw new Error(`CORRAL JOIN ${this.coordinatorSpec} ${this.clusterName} on port ${this.newPort}: ${r instanceof RespError ? `-${r.message}` : JSON.stringify(r)}`);
      joinMs = performance.now() - t0;
    }
    o.log(`plan ${planId} (ADD answered in ${Math.round(addMs)} ms${this.o.join === 'join' ? `, JOIN at ${Math.round(joinMs)} ms` : ''})`);
    let last = new Map<string, string>();
    let lastLogAt = performance.now();
    const errorsSeen = new Set<string>();
    // Followed as `corral cluster add-shard` follows a plan (src/cli/reshard-ops.ts): the
    // controller's RESHARD STATUS every 250 ms, and the topology documents only once the status
    // no longer shows the plan moving. (Asking every node for its document every 100 ms, as this
    // loop did, put load on the nodes that Redis's side of the benchmark does not have.)
    let controller = -1;
    for (;;) {
      const why = this.problem();
      if (why !== null) throw new Error(why);
      const now = performance.now();
      let s: Map<string, string> | null = null;
      try {
        if (controller < 0) controller = await this.controllerPort();
        const r = await query(controller, ['CORRAL', 'RESHARD', 'STATUS'], 5000);
        if (r instanceof RespError) controller = -1;
        else s = fields(r);
      } catch {
        controller = -1; // the controller is busy or changing
      }
      if (s !== null && s.get('plan') === planId) {
        last = s;
        progress.push({
          atMs: Math.round(performance.now() - t0), slotsLeft: Number(s.get('slots_left')),
          bytesMoved: Number(s.get('bytes_moved')), keysMoved: Number(s.get('keys_moved')),
        });
        const e = s.get('last_error') ?? '';
        if (e !== '' && !errorsSeen.has(e)) {
          errorsSeen.add(e);
          o.log(`RESHARD STATUS last_error: ${e}`);
        }
      }
      if (s === null || s.get('plan') !== planId || Number(s.get('slots_left')) === 0) {
        let doc: TopologyLike | null = null;
        try {
          doc = await this.newestTopology();
        } catch {
          /* nodes busy: ask again */
        }
        if (doc !== null && doc.plan === undefined && doc.shards.some((x) => x.id === `127.0.0.1:${this.newPort}`)) break;
        if (doc !== null && doc.plan === undefined && now - t0 > 5000) {
          // No plan and no shard of the new node: the plan was cancelled or refused.
          throw new Error(`the topology (epoch ${doc.epoch}) has no plan and no shard for 127.0.0.1:${this.newPort}; last status ${JSON.stringify(Object.fromEntries(last))}`);
        }
      }
      if (performance.now() - lastLogAt >= 5000) {
        lastLogAt = performance.now();
        o.log(`+${((performance.now() - t0) / 1000).toFixed(1)} s: slots_left ${last.get('slots_left') ?? '?'}/${last.get('total_slots') ?? '?'}, ` +
          `${(Number(last.get('bytes_moved') ?? NaN) / 2 ** 20).toFixed(1)} MB, ${last.get('keys_moved') ?? '?'} keys, batch "${last.get('batch') ?? ''}", waiting "${last.get('waiting') ?? ''}"`);
      }
      if (performance.now() - t0 > o.timeoutMs) throw new Error(`the move did not finish within ${o.timeoutMs} ms; last status ${JSON.stringify(Object.fromEntries(last))}`);
      await sleep(250);
    }
    const ms = performance.now() - t0;
    let final = last;
    try {
      const s = await this.status();
      // The mover keeps its figures until the next plan begins.
      if (Number(s.get('bytes_moved') ?? 0) > 0 || Number(s.get('keys_moved') ?? 0) > 0) final = s;
    } catch {
      /* keep the last one seen during the plan */
    }
    return {
      ms,
      bytesReported: final.has('bytes_moved') ? Number(final.get('bytes_moved')) : null,
      keysReported: final.has('keys_moved') ? Number(final.get('keys_moved')) : null,
      progress,
      detail: { planId, addMs, joinMs, join: this.o.join, rate: o.rate ?? 'default (omitted)', lastStatus: Object.fromEntries(last), finalStatus: Object.fromEntries(final), errorsSeen: [...errorsSeen] },
    };
  }

  oldPids(): number[] {
    return this.up === undefined ? [...this.nodePids] : [this.up.pid, ...this.nodePids];
  }

  newPid(): number {
    return this.extra?.pid ?? -1;
  }

  problem(): string | null {
    if (this.up === undefined) return 'corral up not started';
    if (!procAlive(this.up)) return `corral up exited:\n${this.up.tail()}`;
    const dead = this.nodePids.findIndex((pid) => !isAlive(pid));
    if (dead >= 0) return `corral node on port ${this.ports[dead]} (pid ${this.nodePids[dead]}) died:\n${this.up.tail()}`;
    if (this.extra !== undefined && !procAlive(this.extra)) return `the 4th corral node (port ${this.newPort}) exited:\n${this.extra.tail()}`;
    return null;
  }

  /**
   * Keeps the lines of a process's output that say something about the control plane, the mover
   * or trouble (not the per-slot chatter), each with the wall-clock time it arrived.
   */
  private collect(p: ServerProc, prefix = ''): void {
    const noise = /importing slot|exporting slot|is now served here|export of slot \d+ ended: the importer disconnected/;
    const wanted = /mover|lease|controller|control plane|migrat|failover|error|refus|abort|lost|warn|renew|CLUSTERDOWN|stall|slow/i;
    let partial = '';
    const take = (d: Buffer): void => {
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        if (l.trim() === '' || noise.test(l) || !wanted.test(l)) continue;
        if (this.logLines.length < 400) this.logLines.push(`${new Date().toISOString().slice(11, 23)} ${prefix}${l}`);
        else this.logDropped++;
      }
    };
    p.child.stdout?.on('data', take);
    p.child.stderr?.on('data', take);
  }

  /** What collect() kept (at most 400 lines; how many more were dropped). */
  nodeLog(): { lines: string[]; dropped: number } {
    return { lines: [...this.logLines], dropped: this.logDropped };
  }

  /** Last lines of corral up's and the 4th node's output. */
  tails(): string {
    return `--- corral up\n${this.up?.tail() ?? ''}\n--- 4th node\n${this.extra?.tail() ?? ''}`;
  }

  stop(): Promise<void> {
    return (this.stopped ??= (async () => {
      await Promise.all([this.extra !== undefined ? stopServer(this.extra) : Promise.resolve(), this.up !== undefined ? stopServer(this.up, 10_000) : Promise.resolve()]);
      // Nodes outliving `corral up` (e.g. it was SIGKILLed): kill them by pid.
      const left = this.nodePids.filter((pid) => isAlive(pid) && cmdline(pid).includes(this.o.corralMain));
      for (const pid of left) process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 50 && left.some(isAlive); i++) await sleep(20);
    })());
  }

  killNow(): void {
    for (const p of [this.up, this.extra]) if (p !== undefined && procAlive(p)) p.child.kill('SIGKILL');
    for (const pid of this.nodePids) if (isAlive(pid) && cmdline(pid).includes(this.o.corralMain)) process.kill(pid, 'SIGKILL');
  }
}
