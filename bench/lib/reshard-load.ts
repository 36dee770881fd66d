// bench/lib/reshard-load.ts — the parent's side of the resharding benchmark's load generator
// (reshard-load-worker.ts, forked): one request, one reply, in order. Modelled on the SyncLoad
// class of standalone-replication.ts.

import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromReshardLoad, LoadInit, OpenResult, PeakResult, ToReshardLoad } from './reshard-load-worker.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reshard-load-worker.js');

export class ReshardLoad {
  private readonly child: ChildProcess;
  private readonly waiters: Array<(m: FromReshardLoad) => void> = [];
  private readonly ready: Promise<void>;
  private exited = false;

  constructor() {
    this.child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: FromReshardLoad) => this.waiters.shift()?.(m));
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

  private next(): Promise<FromReshardLoad> {
    if (this.exited) return Promise.resolve({ type: 'error', message: 'load generator exited' });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async ask<T extends FromReshardLoad['type']>(msg: ToReshardLoad, want: T): Promise<Extract<FromReshardLoad, { type: T }>> {
    await this.ready;
    const reply = this.next();
    this.child.send(msg);
    const m = await reply;
    if (m.type === 'error') throw new Error(`load generator: ${m.message}`);
    if (m.type !== want) throw new Error(`load generator: expected ${want}, got ${m.type}`);
    return m as Extract<FromReshardLoad, { type: T }>;
  }

  async init(o: LoadInit): Promise<void> {
    await this.ask({ type: 'init', ...o }, 'inited');
  }

  async peak(concurrency: number, warmupMs: number, ms: number): Promise<PeakResult> {
    return (await this.ask({ type: 'peak', concurrency, warmupMs, ms }, 'peak-result')).result;
  }

  /** Starts the open loop; resolves with its wall-clock origin. */
  async start(rate: number): Promise<number> {
    return (await this.ask({ type: 'start', rate }, 'started')).originEpochMs;
  }

  async phase(name: string): Promise<void> {
    await this.ask({ type: 'phase', name }, 'phased');
  }

  async stop(drainMs: number): Promise<OpenResult> {
    return (await this.ask({ type: 'stop', drainMs }, 'result')).result;
  }

  /** Ends the process (SIGKILL if it does not leave within a second). */
  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    try {
      this.child.send({ type: 'exit' } satisfies ToReshardLoad);
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
