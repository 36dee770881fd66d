// bench/lib/failover-systems.ts — the replicated clusters the failover benchmark kills primaries
// of, behind one interface: a Redis 7 Cluster (redis-replicated-cluster.ts) at a given
// cluster-node-timeout, and a corral cluster (`corral up --shards S --replicas R --port P`: S
// primaries on P..P+S-1, their replicas on the following ports, one process each; `corral up`
// restarts a killed node by itself and it rejoins as a replica). Both are read through the same
// Redis-compatible commands (cluster-state.ts). Every process is tracked from the moment it is
// spawned so stop() / killNow() reach it on exit, on error and on Ctrl-C; only processes this
// harness started are ever killed, by pid, after checking that they are ours.

import { readFileSync } from 'node:fs';
import { freePortRange, isAlive, sleep, startServer, stopServer, type ServerProc } from './procs.js';
import { processId, slotMasterPort, waitWhole, wholeProblems, type Expectation } from './cluster-state.js';
import { RedisReplicatedCluster } from './redis-replicated-cluster.js';

export interface FailoverSystem {
  /** Short id used in results: 'redis-15000', 'redis-1000', 'corral'. */
  readonly key: string;
  readonly label: string;
  readonly ports: readonly number[];
  readonly expect: Expectation;
  /** True if the system restarts a killed node by itself (corral up); else restart() does it. */
  readonly restartsItself: boolean;
  start(): Promise<void>;
  /** The current primary of `slot`: port and pid (INFO server process_id, checked to be ours). */
  masterOf(slot: number): Promise<{ port: number; pid: number }>;
  /** kill -9 of a node this harness started (refuses any other pid). */
  kill(port: number, pid: number): void;
  /** Starts the killed node on `port` again (no-op for a system that restarts it itself). */
  restart(port: number): Promise<void>;
  /** Waits until the cluster is whole again; resolves with the ms waited. */
  waitWhole(timeoutMs: number): Promise<number>;
  /** What keeps it from being whole now ([] if whole). */
  problems(): Promise<string[]>;
  /** Why it cannot be measured any more (a process exited that should not have), or null. */
  problem(): string | null;
  stop(): Promise<void>;
  killNow(): void;
}

// ---- Redis -------------------------------------------------------------------------------------

export function redisSystem(o: { masters: number; replicasPerMaster: number; nodeTimeoutMs: number }): FailoverSystem {
  const rc = new RedisReplicatedCluster(o);
  return {
    key: `redis-${o.nodeTimeoutMs}`,
    label: `Redis Cluster, node-timeout ${o.nodeTimeoutMs}`,
    ports: rc.ports,
    expect: rc.expect,
    restartsItself: false,
    start: () => rc.start(),
    masterOf: (slot) => rc.masterOf(slot),
    kill: (port, pid) => rc.kill(port, pid),
    restart: (port) => rc.restart(port),
    waitWhole: (ms) => rc.waitWhole(ms),
    problems: () => rc.problems(),
    problem: () => rc.problem(),
    stop: () => rc.stop(),
    killNow: () => rc.killNow(),
  };
}

// ---- corral ------------------------------------------------------------------------------------

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function parentPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/** True if `pid` is `ancestor` or one of its descendants (walking /proc ppid links). */
function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p = pid, i = 0; p > 1 && i < 64; p = parentPid(p), i++) if (p === ancestor) return true;
  return false;
}

export interface CorralSystemOptions {
  shards: number;
  replicas: number;
  repoRoot: string;
  /** dist/src/cli/main.js */
  corralMain: string;
  /** How long start() waits for the cluster to be whole (default 60 s). */
  startTimeoutMs?: number;
}

export function corralSystem(o: CorralSystemOptions): FailoverSystem {
  const ports: number[] = [];
  const expect: Expectation = { masters: o.shards, replicasPerMaster: o.replicas };
  let up: ServerProc | undefined;
  /** Node pids seen (INFO server process_id), for the last-resort cleanup. */
  const nodePids = new Set<number>();
  let stopped: Promise<void> | undefined;

  const upProblem = (): string | null => {
    if (up === undefined) return 'corral up is not running';
    if (up.child.exitCode !== null || up.child.signalCode !== null) {
      return `corral up exited (${up.child.exitCode ?? up.child.signalCode}):\n${up.tail()}`;
    }
    return null;
  };

  const ours = (pid: number): boolean =>
    up !== undefined && pid !== up.pid && isAlive(pid) && descendsFrom(pid, up.pid) && cmdline(pid).includes(o.corralMain);

  const pidOf = async (port: number): Promise<number> => {
    const pid = await processId(port);
    if (!ours(pid)) throw new Error(`port ${port} reports process_id ${pid}, which is not a corral node process under our corral up (pid ${up?.pid})`);
    nodePids.add(pid);
    return pid;
  };

  const sys: FailoverSystem = {
    key: 'corral',
    label: `corral (corral up --shards ${o.shards} --replicas ${o.replicas})`,
    ports,
    expect,
    restartsItself: true,
    async start() {
      const n = o.shards * (1 + o.replicas);
      const base = await freePortRange(n);
      const args = [process.execPath, o.corralMain, 'up', '--dashboard-port', '0', '--shards', String(o.shards), '--replicas', String(o.replicas), '--port', '{port}'];
      try {
        up = await startServer(args, {
          name: 'corral up', port: base, cwd: o.repoRoot, readyTimeoutMs: 30_000, onSpawn: (p) => (up = p),
        });
      } catch (err) {
        throw new Error(`corral up --shards ${o.shards} --replicas ${o.replicas} did not start: ${(err as Error).message}`);
      }
      for (let i = 0; i < n; i++) ports.push(base + i);
      try {
        await waitWhole(ports, expect, o.startTimeoutMs ?? 60_000, upProblem);
      } catch (err) {
        throw new Error(`corral cluster from \`corral up --replicas ${o.replicas}\` is not a whole replicated cluster: ${(err as Error).message}` +
          (up !== undefined ? `\ncorral up output:\n${up.tail()}` : ''));
      }
      for (const p of ports) await pidOf(p);
    },
    async masterOf(slot) {
      const port = await slotMasterPort(ports, slot);
      return { port, pid: await pidOf(port) };
    },
    kill(port, pid) {
      if (!ours(pid)) throw new Error(`refusing to kill pid ${pid} (port ${port}): not a corral node process under our corral up`);
      process.kill(pid, 'SIGKILL');
    },
    restart: async () => {},
    async waitWhole(ms) {
      const waited = await waitWhole(ports, expect, ms, upProblem);
      // Note the pids of restarted nodes, for the last-resort cleanup.
      for (const p of ports) await pidOf(p).catch(() => {});
      return waited;
    },
    problems: () => wholeProblems(ports, expect),
    problem: upProblem,
    stop: () =>
      (stopped ??= (async () => {
        if (up !== undefined) await stopServer(up, 10_000); // corral up stops its nodes on SIGTERM
        const left = [...nodePids].filter((pid) => isAlive(pid) && cmdline(pid).includes(o.corralMain));
        for (const pid of left) process.kill(pid, 'SIGKILL');
        for (let i = 0; i < 50 && left.some(isAlive); i++) await sleep(20);
      })()),
    killNow() {
      if (up !== undefined && up.child.exitCode === null && up.child.signalCode === null) up.child.kill('SIGKILL');
      for (const pid of nodePids) if (isAlive(pid) && cmdline(pid).includes(o.corralMain)) process.kill(pid, 'SIGKILL');
    },
  };
  return sys;
}
