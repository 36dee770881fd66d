// Where the client core's commands (cluster-client.ts) wait off any connection's FIFO: the
// offline queue (until the topology is known, or while the slot's node is down and a refresh is
// under way) and the backoff set (between retries). The commands written into connections that
// are still connecting count against the offline queue's limit too (`unsent`, kept by the core).
//
// Retries wait an exponential, fully jittered backoff (options.ts backoffDelay), at most
// retry.attempts times, then go through the core's dispatch again. Timeouts: the core's sweep
// (deadlines.ts) fails whatever waits here past its deadline, as it does for each connection's
// FIFO.

import { State, type Command } from './command.js';
import { ClientClosedError, OfflineQueueFullError } from './errors.js';
import { backoffDelay, type Resolved } from './options.js';
import type { ClientStats } from './stats.js';

/** What the waiting commands need of the core. */
export interface WaitingHost {
  /** Routes a command again (it waited long enough). */
  dispatch(cmd: Command): void;
  /** Settles a pending command with an error. */
  fail(cmd: Command, err: Error): void;
  isClosed(): boolean;
}

export class Waiting {
  private offline: Command[] = [];
  /** Commands written into connections that are still connecting (part of the offline count). */
  unsent = 0;
  /** Commands waiting out a retry's backoff. */
  private readonly backoff = new Set<Command>();

  constructor(
    private readonly host: WaitingHost,
    private readonly o: Resolved,
    private readonly stats: ClientStats,
  ) {}

  /** Commands counted against offlineQueueLimit. */
  offlineCount(): number {
    return this.offline.length + this.unsent;
  }

  /** Whether the offline queue is at its limit. */
  offlineFull(): boolean {
    return this.offlineCount() >= this.o.offlineQueueLimit;
  }

  /** Queues a command until the topology is known (or its node's refresh ends); fails it if full. */
  queueOffline(cmd: Command): void {
    if (this.offlineFull()) this.host.fail(cmd, new OfflineQueueFullError(this.o.offlineQueueLimit));
    else this.offline.push(cmd);
  }

  /** Dispatches the offline queue's pending commands again. */
  drainOffline(): void {
    const q = this.offline;
    if (q.length === 0) return;
    this.offline = [];
    for (const cmd of q) if (cmd.state === State.Pending) this.host.dispatch(cmd);
  }

  /** Fails every command in the offline queue with `err` (discovery gave up). */
  failOffline(err: Error): void {
    const q = this.offline;
    this.offline = [];
    for (const cmd of q) this.host.fail(cmd, err);
  }

  /** Dispatches the command again after a backoff, or fails it with `err` if it may not retry. */
  retryLater(cmd: Command, err: Error): void {
    if (cmd.internal || cmd.attempts >= this.o.attempts || this.host.isClosed()) {
      this.host.fail(cmd, err);
      return;
    }
    const delay = backoffDelay(cmd.attempts++, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random);
    this.stats.retries++;
    this.backoff.add(cmd);
    this.o.timers.setTimeout(() => {
      this.backoff.delete(cmd);
      if (cmd.state === State.Pending && !this.host.isClosed()) this.host.dispatch(cmd);
    }, delay);
  }

  /** The core's timeout sweep over what waits here: `expire` each; returns min(min, earliest deadline left). */
  sweep(expire: (cmd: Command) => void, min: number): number {
    for (const list of [this.offline, this.backoff]) {
      for (const cmd of list) {
        if (cmd.state !== State.Pending) continue;
        expire(cmd);
        if (cmd.state === State.Pending && cmd.deadline < min) min = cmd.deadline;
      }
    }
    return min;
  }

  /** The client closed: everything waiting fails with ClientClosedError. */
  close(): void {
    for (const cmd of this.offline) this.host.fail(cmd, new ClientClosedError());
    this.offline = [];
    for (const cmd of this.backoff) this.host.fail(cmd, new ClientClosedError());
    this.backoff.clear();
  }
}
