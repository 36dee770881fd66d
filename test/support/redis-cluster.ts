// Test and benchmark support: a real Redis Cluster of n primaries (Debian's redis-server and
// redis-cli must be installed), on free ports, in a temporary directory removed on close.
// Used by test/system/client-redis-cluster.test.ts and bench/client-bench.ts.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisCluster {
  ports: number[];
  /** The redis-server processes, by port (a test may kill one). */
  procs: Map<number, ChildProcess>;
  close(): Promise<void>;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port P with P and its cluster bus port P + 10000 both free. */
export async function clusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 20000);
    if (taken.has(p) || taken.has(p + 10000)) continue;
    if ((await canListen(p)) && (await canListen(p + 10000))) {
      taken.add(p);
      return p;
    }
  }
  throw new Error('no free port pair for a cluster node');
}

function run(file: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', (e) => resolve({ code: -1, out: out + String(e) }));
    c.on('close', (code) => resolve({ code, out }));
  });
}

export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const r = await run('redis-cli', ['-p', String(port), ...args]);
  if (r.code !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.out}`);
  return r.out.trim();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startRedisCluster(n = 3): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-redis-cluster-'));
  const taken = new Set<number>();
  const ports: number[] = [];
  const procs = new Map<number, ChildProcess>();
  const close = async (): Promise<void> => {
    await Promise.all(
      [...procs.values()].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < n; i++) {
      const port = await clusterPort(taken);
      ports.push(port);
      const child = spawn(
        'redis-server',
        [
          '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000',
          '--save', '', '--appendonly', 'no', '--dir', dir, '--enable-debug-command', 'yes',
        ],
        { stdio: 'ignore' },
      );
      procs.set(port, child);
    }
    for (const port of ports) {
      for (let i = 0; ; i++) {
        if ((await run('redis-cli', ['-p', String(port), 'PING'])).out.includes('PONG')) break;
        if (i > 100) throw new Error(`redis-server on ${port} did not start`);
        await sleep(50);
      }
    }
    const create = await run('redis-cli', [
      '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes',
    ]);
    if (create.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.out}`);
    for (const port of ports) {
      for (let i = 0; ; i++) {
        if ((await redisCli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) break;
        if (i > 200) throw new Error(`cluster_state not ok on ${port}`);
        await sleep(50);
      }
    }
    return { ports, procs, close };
  } catch (err) {
    await close();
    throw err;
  }
}
