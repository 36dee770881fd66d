// The node's write fence: the performance.now() after which a primary refuses writes, combined
// from the control plane's write lease (a grant lets writes through until it ends) and a manual
// failover's pause (writes refused for a while, then the lease again). The combined value is the
// node's `writeFence` field, which dispatch reads per write command (0: nothing fences the node,
// 1: refused now).

import { performance } from 'node:perf_hooks';

/** What the fence reads and sets on its node. */
export interface FenceHost {
  writeFence: number;
  /** Flushes the replication stream (before a pause, so the replicas hold what was written). */
  flushReplication(): void;
  /** The replication offset reached. */
  readonly replicationOffset: number;
}

export class WriteFence {
  /** The write lease's end (performance.now()); 0 without a control plane. */
  private leaseUntil = 0;
  private pausedUntil = 0;
  private pauseTimer: NodeJS.Timeout | null = null;

  constructor(private readonly host: FenceHost) {}

  /** A grant from the controller: writes are taken until `until` (performance.now()). */
  setLease(until: number): void {
    this.leaseUntil = until;
    this.host.writeFence = this.pausedUntil > performance.now() ? 1 : until;
  }

  /** Refuses writes for ms (a manual failover's pause; 0 resumes). Returns the offset reached. */
  pause(ms: number): number {
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    this.host.flushReplication();
    if (ms <= 0) {
      this.pausedUntil = 0;
      this.host.writeFence = this.leaseUntil;
    } else {
      this.pausedUntil = performance.now() + ms;
      this.host.writeFence = 1;
      this.pauseTimer = setTimeout(() => this.pause(0), ms);
      this.pauseTimer.unref();
    }
    return this.host.replicationOffset;
  }
}
