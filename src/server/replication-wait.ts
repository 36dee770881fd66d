// WAIT and CORRAL WAITOFFSET: clients blocked until enough replicas acknowledge an offset (WAIT,
// on a primary) or until this replica has applied one (WAITOFFSET, read-your-writes). Waiters are
// checked when an acknowledgement arrives, when the replica's link applies more of the stream,
// and every 5 ms while any wait (for their timeouts); a role change answers them all with what
// they have.

import { performance } from 'node:perf_hooks';
import type { ReplicationSource } from '../cluster/replication/source.js';
import type { Client } from './client.js';
import type { ServerCore } from './server-core.js';

/** A client blocked until replicas acknowledge an offset (WAIT) or this replica reaches one. */
interface OffsetWaiter {
  client: Client;
  offset: number;
  /** WAIT: replicas wanted; WAITOFFSET: 0. */
  replicas: number;
  /** performance.now() deadline, Infinity for none. */
  deadline: number;
  kind: 'wait' | 'waitoffset';
}

/** What the waits read of the node's replication (NodeReplication implements it). */
export interface WaitedReplication {
  readonly role: 'master' | 'slave';
  readonly source: ReplicationSource | null;
  /** The offset this node has: its stream's (primary) or what it applied (replica). */
  readonly offset: number;
  /** The offset whose writes this node has applied: none (-1) while a full copy is being loaded. */
  readonly appliedOffset: number;
}

export class OffsetWaits {
  private readonly waiters: OffsetWaiter[] = [];
  private ackCheckQueued = false;
  private waitTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly node: Pick<ServerCore, 'writer' | 'blockClient' | 'unblockClient'>,
    private readonly repl: WaitedReplication,
  ) {}

  /** Some client waits. */
  get pending(): boolean {
    return this.waiters.length !== 0;
  }

  /** WAIT numreplicas timeout: replies now, or blocks the client until enough acks or the timeout. */
  wait(client: Client, replicas: number, timeoutMs: number): void {
    const s = this.repl.source;
    if (this.repl.role === 'slave') {
      this.node.writer.error('ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.');
      return;
    }
    if (s === null) {
      this.node.writer.integer(0);
      return;
    }
    s.flush();
    const offset = s.offset;
    const acked = s.ackedCount(offset);
    if (acked >= replicas || (timeoutMs < 0)) {
      this.node.writer.integer(acked);
      return;
    }
    s.emit('REPLCONF', 'GETACK', '*');
    this.block({ client, offset, replicas, deadline: timeoutMs === 0 ? Infinity : performance.now() + timeoutMs, kind: 'wait' });
  }

  /**
   * CORRAL WAITOFFSET offset timeout (read-your-writes on a replica): replies this node's offset
   * once it has applied `offset`, or STALE at the timeout (or at once on a primary) so the client
   * reads from the primary.
   */
  waitOffset(client: Client, offset: number, timeoutMs: number): void {
    // Only a client that takes this node for a replica sends WAITOFFSET. A node that is (or still
    // believes it is) a primary may be one a failover has just replaced, with none of the new
    // primary's writes: STALE sends the read to the client's primary instead.
    if (this.repl.role === 'master') {
      this.node.writer.error('STALE this node is a primary, not a replica of your primary');
      return;
    }
    if (this.repl.appliedOffset >= offset) {
      this.node.writer.integer(this.repl.offset);
      return;
    }
    if (timeoutMs <= 0) {
      this.node.writer.error(`STALE this replica is at offset ${this.repl.offset}, behind ${offset}`);
      return;
    }
    this.block({ client, offset, replicas: 0, deadline: performance.now() + timeoutMs, kind: 'waitoffset' });
  }

  private block(w: OffsetWaiter): void {
    this.waiters.push(w);
    this.node.blockClient(w.client);
    if (this.waitTimer === null) {
      this.waitTimer = setInterval(() => this.check(), 5);
      this.waitTimer.unref();
    }
  }

  /** A replica acknowledged: the waiters are checked once its batch is done (see NodeReplication.ensureSource). */
  checkSoon(): void {
    if (this.waiters.length !== 0 && !this.ackCheckQueued) {
      this.ackCheckQueued = true;
      setImmediate(() => {
        this.ackCheckQueued = false;
        this.check();
      });
    }
  }

  check(): void {
    const list = this.waiters;
    if (list.length === 0) return;
    const now = performance.now();
    for (let i = 0; i < list.length; i++) {
      const w = list[i];
      let reply: ((client: Client) => void) | null = null;
      if (w.client.closed) {
        reply = () => {};
      } else if (w.kind === 'wait') {
        const acked = this.repl.source?.ackedCount(w.offset) ?? 0;
        if (acked >= w.replicas || now >= w.deadline) reply = () => this.node.writer.integer(acked);
      } else if (this.repl.appliedOffset >= w.offset) {
        const at = this.repl.offset;
        reply = () => this.node.writer.integer(at);
      } else if (now >= w.deadline) {
        const at = this.repl.offset;
        reply = () => this.node.writer.error(`STALE this replica is at offset ${at}, behind ${w.offset}`);
      }
      if (reply === null) continue;
      list.splice(i--, 1);
      if (!w.client.closed) this.node.unblockClient(w.client, reply);
    }
    if (list.length === 0 && this.waitTimer !== null) {
      clearInterval(this.waitTimer);
      this.waitTimer = null;
    }
  }

  /** Role change: blocked WAITs answer with what they have. */
  failAll(): void {
    for (const w of this.waiters) w.deadline = 0;
    this.check();
  }

  close(): void {
    if (this.waitTimer !== null) clearInterval(this.waitTimer);
  }
}
