// bench/lib/bench-clusters.ts — the two clusters the cluster benchmark compares, started on
// free ports and tracked so that every process is stopped on exit, on error and on Ctrl-C: a
// 3-primary Redis Cluster (test/support/redis-cluster.ts) and a corral cluster (`corral up` as
// a child process whose node processes are found with pgrep).

import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePortRange, isAlive, sleep, startServer, stopServer, type ServerProc } from './procs.js';
import { startRedisCluster } from '../../test/support/redis-cluster.js';

export type ServerName = 'redis' | 'corral';

export interface ClusterSetup {
  shards: number;
  repoRoot: string;
  /** dist/src/cli/main.js */
  corralMain: string;
  /** True once an interrupt is stopping everything: start nothing more. */
  interrupted: () => boolean;
}

/** One running cluster under test. */
export interface ClusterUnderTest {
  name: ServerName;
  /** Node ports; redis-benchmark is pointed at ports[0]. */
  ports: number[];
  /** The node processes, in the order of ports. */
  pids: number[];
  /** Why the cluster can no longer be measured (a node died), or null. */
  problem(): string | null;
  /** Stops every process of the cluster and waits for them. Safe to call twice. */
  stop(): Promise<void>;
  /** Synchronous last resort (process 'exit'): SIGKILL whatever is still running. */
  killNow(): void;
}


/** The command line (NUL-separated argv) of a process, or '' if it is gone. */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

// An interrupt while startRedisCluster() is still starting its redis-servers leaves them (and
// their temporary directory) unknown to us: they are found as our redis-server children, and
// their directories are noted while it runs (redis-server chdirs to its --dir; its argv is
// overwritten by its process title), so they can be removed even if a group SIGINT killed them.
const redisDirs = new Set<string>();

/** Our redis-server child processes, noting the corral-redis-cluster-* directory of each. */
export function redisChildren(): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-P', String(process.pid), '-x', 'redis-server'], { encoding: 'utf8' });
  } catch {
    return []; // pgrep exits 1: none
  }
  const pids = out.split('\n').filter((l) => l.trim() !== '').map(Number);
  for (const pid of pids) {
    try {
      const dir = readlinkSync(`/proc/${pid}/cwd`);
      if (path.dirname(dir) === tmpdir() && path.basename(dir).startsWith('corral-redis-cluster-')) redisDirs.add(dir);
    } catch {
      /* gone, or a zombie */
    }
  }
  return pids;
}

/** SIGKILLs our redis-server children not in `known`, and removes the directories noted. */
export function killStrayRedis(known: readonly number[]): void {
  for (const pid of redisChildren()) {
    if (known.includes(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const dir of redisDirs) rmSync(dir, { recursive: true, force: true });
}

export async function startRedis(setup: ClusterSetup, track: (c: ClusterUnderTest) => void): Promise<ClusterUnderTest> {
  const watch = setInterval(redisChildren, 100);
  let rc: Awaited<ReturnType<typeof startRedisCluster>>;
  try {
    rc = await startRedisCluster(setup.shards);
  } finally {
    clearInterval(watch);
  }
  redisChildren();
  const children = rc.ports.map((p) => rc.procs.get(p)!);
  let stopped: Promise<void> | undefined;
  const c: ClusterUnderTest = {
    name: 'redis',
    ports: rc.ports,
    pids: children.map((ch) => ch.pid ?? -1),
    problem: () => {
      const dead = children.findIndex((ch) => ch.exitCode !== null || ch.signalCode !== null);
      return dead < 0 ? null : `redis-server on port ${rc.ports[dead]} exited (${children[dead]!.exitCode ?? children[dead]!.signalCode})`;
    },
    stop: () => (stopped ??= rc.close()),
    killNow: () => {
      for (const ch of children) if (ch.exitCode === null && ch.signalCode === null) ch.kill('SIGKILL');
    },
  };
  track(c);
  return c;
}

/** Finds the node process serving `port` among the children of `corral up` (pid `parent`). */
function nodePid(parent: number, port: number, upOutput: string): number {
  try {
    const out = execFileSync('pgrep', ['-P', String(parent), '-f', '--', `--port ${port}( |$)`], { encoding: 'utf8' });
    const pids = out.split('\n').filter((l) => l.trim() !== '').map(Number);
    if (pids.length === 1) return pids[0]!;
  } catch {
    /* pgrep exits 1 when nothing matches: fall back to the pid `corral up` printed */
  }
  const m = new RegExp(`:${port}\\s+pid (\\d+)`).exec(upOutput);
  if (m && cmdline(Number(m[1])).includes(`--port\0${port}\0`)) return Number(m[1]);
  throw new Error(`could not find the pid of the corral node on port ${port}`);
}

export async function startCorral(setup: ClusterSetup, track: (c: ClusterUnderTest) => void): Promise<ClusterUnderTest> {
  const { shards: SHARDS, repoRoot, corralMain } = setup;
  // Tracked from the moment it is spawned, so an interrupt during start-up still stops it.
  let up: ServerProc | undefined;
  const pids: number[] = [];
  let stopped: Promise<void> | undefined;
  const stopNodes = async (): Promise<void> => {
    if (up !== undefined) await stopServer(up, 10_000); // `corral up` stops its nodes on SIGTERM
    // Nodes outliving `corral up` (e.g. it was SIGKILLed): kill them by pid.
    const left = pids.filter((pid) => isAlive(pid) && cmdline(pid).includes(corralMain));
    for (const pid of left) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && left.some(isAlive); i++) await sleep(20);
  };
  const c: ClusterUnderTest = {
    name: 'corral',
    ports: [],
    pids,
    problem: () => {
      if (up === undefined) return 'not started';
      if (up.child.exitCode !== null || up.child.signalCode !== null) return `corral up exited:\n${up.tail()}`;
      const dead = pids.findIndex((pid) => !isAlive(pid));
      return dead < 0 ? null : `corral node on port ${c.ports[dead]} (pid ${pids[dead]}) died:\n${up.tail()}`;
    },
    stop: () => (stopped ??= stopNodes()),
    killNow: () => {
      if (up !== undefined && up.child.exitCode === null && up.child.signalCode === null) up.child.kill('SIGKILL');
      for (const pid of pids) if (isAlive(pid) && cmdline(pid).includes(corralMain)) process.kill(pid, 'SIGKILL');
    },
  };
  track(c);
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3 && !setup.interrupted(); attempt++) {
    const port = await freePortRange(SHARDS);
    if (setup.interrupted()) break;
    try {
      up = await startServer(
        [process.execPath, corralMain, 'up', '--dashboard-port', '0', '--shards', String(SHARDS), '--replicas', '0', '--port', '{port}'],
        { name: 'corral up', port, cwd: repoRoot, readyLine: /Ctrl-C stops the cluster/, readyTimeoutMs: 30_000, onSpawn: (p) => (up = p) },
      );
    } catch (err) {
      lastErr = err;
      if (up !== undefined) await stopServer(up);
      up = undefined;
      continue;
    }
    c.ports.push(...Array.from({ length: SHARDS }, (_, i) => port + i));
    for (const p of c.ports) pids.push(nodePid(up.pid, p, up.tail()));
    return c;
  }
  throw lastErr;
}
