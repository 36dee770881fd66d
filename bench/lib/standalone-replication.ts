// bench/lib/standalone-replication.ts — a standalone primary and its replica (no cluster) for the
// failover benchmark's replication-cost and full-sync parts: starting a redis-server or a corral
// node (`corral server --port P`) on a free port, `REPLICAOF 127.0.0.1 <primaryPort>` on the
// second, waiting until the replica is in sync (INFO replication: role:slave,
// master_link_status:up, master_sync_in_progress:0) or has caught up with the primary's offset,
// and driving the full-sync load generator (sync-load-worker.ts). Errors name what the server
// answered, so a corral that does not support something yet fails at once and says so.

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sleep, startServer, type ServerProc } from './procs.js';
import { infoOf, query } from './cluster-state.js';
import { RespError } from './resp.js';
import type { FromSyncLoadWorker, SyncLoadResult, ToSyncLoadWorker } from './sync-load-worker.js';
import { NODE_V8_FLAGS } from '../../src/util/node-flags.js';

export type SystemName = 'redis' | 'corral';

export interface StandaloneSetup {
  repoRoot: string;
  /**
   * A temporary directory (the caller removes it): each redis-server runs in a fresh
   * subdirectory of it, because a replica saves the RDB of a full sync to dump.rdb in its working
   * directory and a redis-server loads dump.rdb from there at start (even with save "").
   */
  workDir: string;
  /** dist/src/cli/main.js */
  corralMain: string;
  /** Called as soon as a server process is spawned (to stop it on exit / Ctrl-C). */
  track: (p: ServerProc) => void;
}

/** A standalone server of `system` on a free port, answering PING. */
export async function startStandalone(system: SystemName, setup: StandaloneSetup, name: string, redisArgs: string[] = []): Promise<ServerProc> {
  const port = await freePort();
  const dir = system === 'redis' ? mkdtempSync(path.join(setup.workDir, 'redis-')) : '';
  const cmd =
    system === 'redis'
      ? ['redis-server', '--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...redisArgs]
      : [process.execPath, ...NODE_V8_FLAGS, setup.corralMain, 'server', '--port', '{port}'];
  return startServer(cmd, { name, port, cwd: setup.repoRoot, onSpawn: setup.track });
}

function exitedWhy(p: ServerProc): string | null {
  return p.child.exitCode !== null || p.child.signalCode !== null
    ? `${p.name} (port ${p.port}) exited (${p.child.exitCode ?? p.child.signalCode}):\n${p.tail()}`
    : null;
}

/** REPLICAOF 127.0.0.1 <primary> on `replica`; throws with the server's error if it refuses. */
export async function replicaOf(system: SystemName, replica: ServerProc, primaryPort: number): Promise<void> {
  const r = await query(replica.port, ['REPLICAOF', '127.0.0.1', primaryPort], 5000);
  if (r instanceof RespError) throw new Error(`${system} refused REPLICAOF 127.0.0.1 ${primaryPort}: -${r.message}`);
  if (typeof r !== 'string' || !r.startsWith('OK')) throw new Error(`${system}: REPLICAOF replied ${JSON.stringify(r)}, expected OK`);
}

/**
 * Polls the replica's INFO replication until role:slave, master_link_status:up and
 * master_sync_in_progress:0; resolves with performance.now() when first seen. Throws after
 * timeoutMs with the fields last seen, or when either process exits.
 */
export async function waitReplicaSynced(replica: ServerProc, primary: ServerProc, timeoutMs: number, pollMs = 50): Promise<number> {
  const t0 = performance.now();
  let last: Record<string, string> = {};
  let lastErr = '';
  for (;;) {
    const dead = exitedWhy(replica) ?? exitedWhy(primary);
    if (dead !== null) throw new Error(dead);
    try {
      last = await infoOf(replica.port, 'replication', 5000);
      lastErr = '';
      if (last['role'] === 'slave' && last['master_link_status'] === 'up' && last['master_sync_in_progress'] === '0') return performance.now();
      // Fail at once, not at the timeout, when the replica cannot report what is waited for.
      if (last['role'] === 'slave') {
        const missing = ['master_link_status', 'master_sync_in_progress'].filter((k) => last[k] === undefined);
        if (missing.length > 0) throw new Error(`replica on port ${replica.port}: INFO replication has no ${missing.join(' / ')} field`);
      } else if (performance.now() - t0 > 10_000) {
        throw new Error(`replica on port ${replica.port} still reports role:${last['role'] ?? '(missing)'} 10 s after REPLICAOF`);
      }
    } catch (err) {
      if ((err as Error).message.startsWith(`replica on port ${replica.port}`)) throw err;
      lastErr = (err as Error).message;
    }
    if (performance.now() - t0 > timeoutMs) {
      const f = ['role', 'master_link_status', 'master_sync_in_progress', 'master_sync_total_bytes', 'master_sync_read_bytes']
        .map((k) => `${k}:${last[k] ?? '(missing)'}`).join(' ');
      throw new Error(`replica on port ${replica.port} not in sync with ${primary.port} after ${Math.round(timeoutMs / 1000)} s: ${f}${lastErr ? ` (last error: ${lastErr})` : ''}`);
    }
    await sleep(pollMs);
  }
}

/**
 * After writes stop: waits until the replica's replication offset reaches the primary's
 * (master_repl_offset on the primary; slave_repl_offset, else master_repl_offset, on the
 * replica). Resolves with the ms waited, NaN if the offsets are not reported, Infinity if it
 * had not caught up within timeoutMs.
 */
export async function waitCaughtUp(primaryPort: number, replicaPort: number, timeoutMs: number): Promise<number> {
  const target = Number((await infoOf(primaryPort, 'replication'))['master_repl_offset']);
  if (!Number.isFinite(target)) return NaN;
  const t0 = performance.now();
  for (;;) {
    const r = await infoOf(replicaPort, 'replication');
    const off = Number(r['slave_repl_offset'] ?? r['master_repl_offset']);
    if (!Number.isFinite(off)) return NaN;
    if (off >= target) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) return Infinity;
    await sleep(10);
  }
}

// ---- the full-sync load generator --------------------------------------------------------------

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sync-load-worker.js');

/** The forked load generator of the full-sync part. */
export class SyncLoad {
  private readonly child: ChildProcess;
  private readonly waiters: Array<(m: FromSyncLoadWorker) => void> = [];
  private readonly ready: Promise<void>;
  private exited = false;

  constructor() {
    this.child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: FromSyncLoadWorker) => {
      const w = this.waiters.shift();
      if (w !== undefined) w(m);
    });
    this.child.on('exit', () => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) w({ type: 'error', message: 'load generator exited' });
    });
    this.ready = this.next().then((m) => {
      if (m.type !== 'ready') throw new Error(`load generator: ${m.type === 'error' ? m.message : m.type}`);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private next(): Promise<FromSyncLoadWorker> {
    if (this.exited) return Promise.resolve({ type: 'error', message: 'load generator exited' });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async ask(msg: ToSyncLoadWorker): Promise<FromSyncLoadWorker> {
    await this.ready;
    const reply = this.next();
    this.child.send(msg);
    const m = await reply;
    if (m.type === 'error') throw new Error(`load generator: ${m.message}`);
    return m;
  }

  /** Starts the open loop; resolves with the wall-clock start of slice 0. */
  async start(o: Omit<Extract<ToSyncLoadWorker, { type: 'start' }>, 'type'>): Promise<number> {
    const m = await this.ask({ type: 'start', ...o });
    if (m.type !== 'started') throw new Error(`load generator: unexpected ${m.type}`);
    return m.originEpochMs;
  }

  async stop(drainMs: number): Promise<SyncLoadResult> {
    const m = await this.ask({ type: 'stop', drainMs });
    if (m.type !== 'result') throw new Error(`load generator: unexpected ${m.type}`);
    return m.result;
  }

  /** Ends the process (SIGKILL if it does not leave within a second). */
  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    try {
      this.child.send({ type: 'exit' } satisfies ToSyncLoadWorker);
    } catch {
      /* channel already closed */
    }
    const t = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await gone;
    clearTimeout(t);
  }

  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** Wall-clock now in ms (the clock the load generator's slices are on). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
