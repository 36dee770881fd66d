// The node's periodic work, hz times a second (Redis's serverCron): active expiry within a
// quarter of the period, CLIENT TRACKING's table limit, defragmentation in short slices, the
// ops/sec samples, and idle client timeouts.

import { performance } from 'node:perf_hooks';
import type { Store } from '../store/store.js';
import type { CachedClock } from '../util/clock.js';
import type { Client } from './client.js';
import type { Config } from './config.js';
import type { LatencyMonitor } from './latency-monitor.js';
import type { NodeStats } from './stats.js';

/** Defragmentation: milliseconds per slice, slices per cron period at most. */
const DEFRAG_SLICE_MS = 1;
const DEFRAG_SLICES = 5;

/** What the cron reads and does on its node. */
export interface CronHost {
  readonly clock: CachedClock;
  readonly store: Store;
  readonly config: Config;
  readonly stats: NodeStats;
  readonly latency: LatencyMonitor;
  readonly clients: Map<number, Client>;
  /** DEBUG SET-ACTIVE-EXPIRE 0 turns active expiry off; DEBUG PAUSE-CRON 1 the whole cron. */
  readonly activeExpireEnabled: boolean;
  readonly cronPaused: boolean;
  /** A busy script runs (it sees the keyspace as of its start): no active expiry then. */
  readonly scriptBusy: boolean;
  readonly shuttingDown: boolean;
  /** CLIENT TRACKING's table limit, when some client tracks keys. */
  limitTracking(): void;
  closeClient(client: Client): void;
}

export class NodeCron {
  private timer: NodeJS.Timeout | null = null;
  private defragSlices = 0;
  private readonly defragBound = (): void => this.defragStep();

  constructor(private readonly host: CronHost) {}

  start(hz: number): void {
    this.timer = setInterval(() => this.run(), Math.floor(1000 / hz));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** instantaneous_ops_per_sec over the recent samples. */
  get opsPerSecond(): number {
    const s = this.host.stats.samples;
    if (s.length < 2) return 0;
    const [t0, c0] = s[0];
    const [t1, c1] = s[s.length - 1];
    return t1 > t0 ? Math.round(((c1 - c0) * 1000) / (t1 - t0)) : 0;
  }

  private run(): void {
    const host = this.host;
    if (host.cronPaused) return;
    const now = host.clock.refresh();
    // Active expiry: a quarter of each cron period at most, as Redis's slow cycle; not while a
    // busy script runs (it sees the keyspace as of its start, apart from its own writes).
    if (host.activeExpireEnabled && !host.scriptBusy) {
      const started = host.latency.thresholdMs !== 0 ? performance.now() : 0;
      host.store.activeExpireCycle(250 / host.config.int('hz'));
      if (started !== 0) host.latency.addSampleIfNeeded('expire-cycle', Math.floor(performance.now() - started));
    }
    host.limitTracking();
    this.defragSlices = 0;
    this.defragStep();
    const samples = host.stats.samples;
    samples.push([now, host.stats.commandsProcessed]);
    if (samples.length > 16) samples.shift();
    const timeout = host.config.int('timeout');
    if (timeout > 0) {
      for (const c of host.clients.values()) {
        // Replicas are exempt, as Redis's: a SYNC replica never sends anything.
        if (!c.replica && now - c.lastInteraction > timeout * 1000) host.closeClient(c);
      }
    }
  }

  /**
   * Defragmentation in slices of DEFRAG_SLICE_MS, at most DEFRAG_SLICES per cron period, each
   * after the clients' I/O queued meanwhile (setImmediate): about 5% of a core under churn, and
   * no stall longer than a slice.
   */
  private defragStep(): void {
    if (this.host.shuttingDown || !this.host.store.defragSlice(DEFRAG_SLICE_MS) || ++this.defragSlices >= DEFRAG_SLICES) return;
    setImmediate(this.defragBound);
  }
}
