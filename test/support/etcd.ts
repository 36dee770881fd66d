// Test support: a real single-member etcd (Debian's etcd-server, /usr/bin/etcd) on free loopback
// ports with a temporary data dir, for system tests. It can be stopped (SIGTERM), killed
// (SIGKILL) and started again on the same ports and data, as an operator's restart would.
//
// It runs with a 50 ms heartbeat and a 500 ms election timeout (etcd's defaults are 100 ms and
// 1 s), which makes its smallest lease TTL 1 s instead of 2 s and its first election quicker.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './servers.js';

export { freePort };

export class EtcdServer {
  private child: ChildProcess | null = null;
  /** The last lines etcd wrote, for failure messages. */
  private log: string[] = [];

  private constructor(
    readonly dataDir: string,
    readonly clientPort: number,
    readonly peerPort: number,
  ) {}

  /** http://127.0.0.1:<client port> */
  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts a fresh etcd and resolves once it answers /health. */
  static async start(): Promise<EtcdServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'corral-etcd-'));
    const server = new EtcdServer(dir, await freePort(), await freePort());
    await server.startAgain();
    return server;
  }

  /** Starts (again) on the same ports and data dir; resolves once it answers /health. */
  async startAgain(timeoutMs = 15_000): Promise<void> {
    if (this.child !== null) throw new Error('etcd is already running');
    const client = `http://127.0.0.1:${this.clientPort}`;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(
      'etcd',
      [
        '--name', 'default',
        '--data-dir', this.dataDir,
        '--listen-client-urls', client,
        '--advertise-client-urls', client,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `default=${peer}`,
        '--heartbeat-interval', '50',
        '--election-timeout', '500',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.log.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      if (this.log.length > 40) this.log.splice(0, this.log.length - 40);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child !== child) throw new Error(`etcd exited at start:\n${this.log.join('\n')}`);
      try {
        const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1000) });
        const body = (await res.json()) as { health?: string };
        if (body.health === 'true') return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`etcd did not become healthy within ${timeoutMs} ms:\n${this.log.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, and wait for the process to exit. */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  /** SIGKILL, and wait for the process to exit. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** Stops it and starts it again with the same data. */
  async restart(): Promise<void> {
    await this.stop();
    await this.startAgain();
  }

  /** Stops it and deletes its data dir. */
  async remove(): Promise<void> {
    await this.kill();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(sig);
    });
  }
}
