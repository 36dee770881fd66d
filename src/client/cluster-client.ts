// The client's core: topology, routing by slot, automatic pipelining, redirects, retries,
// timeouts, the offline queue and shutdown. Typed command methods are in commands.ts.
//
// Life of a command. issue() stamps its deadline and dispatch() routes it: slot → node entry →
// that node's one connection, whose write buffer collects every command of the current turn;
// the first command of a turn marks the connection dirty and schedules one flush (setImmediate
// by default, measured faster than a microtask: see options.ts) that writes each dirty
// connection's buffer in one socket write. Replies come back through onReply in FIFO order
// (connection.ts).
//
// Topology. The first command (or ready()) starts discovery: CLUSTER SLOTS on known nodes, then
// the seeds, first answer wins. A node that says it has no cluster support puts the client in
// single-node mode (every slot → that node). Until discovery succeeds, commands wait in the
// offline queue. Later refreshes (after MOVED, or when a connection is lost) are single-flight:
// `refreshing` holds the one discovery in progress and every trigger returns that same promise,
// so a burst of MOVED replies during a resharding costs one CLUSTER SLOTS, not one per reply.
// While a lost node's entry is marked down, its commands wait in the offline queue for the
// refresh; whatever the refresh's outcome, the down marks are cleared and the queue re-routed.
//
// Redirects. MOVED updates the slot's owner at once (the refresh confirms the rest of the map)
// and re-sends to the new owner; ASK re-sends once to the target with ASKING written just before
// it in the same buffer, without touching the map. Both count against maxRedirects.
//
// Retries. Connection errors, TRYAGAIN and CLUSTERDOWN are retried after an exponential, fully
// jittered backoff, at most retry.attempts times. A command without a reply when its connection
// died may have run on the node already: it is re-sent only if it never could have reached the
// node (the socket never connected) or running it twice is harmless (command.ts safeToResend);
// INCR and its like fail with ConnectionError instead of risking a double increment.
//
// Timeouts. The deadline covers the whole life of a command (queueing, redirects, retries). One
// timer sweeps every place a command can wait (each connection's FIFO, the offline queue, the
// backoff set) at the earliest deadline seen; issue() only compares its deadline with the armed
// time, so the hot path creates no timer. A timed-out command is marked Done and rejected, and
// stays in its FIFO until its late reply arrives (see connection.ts for why).

import { SLOT_COUNT } from '../cluster/slot.js';
import { BulkMode, RespError } from '../protocol/reply-decoder.js';
import { Command, Reply, State, promiseOf, safeToResend, shape, type Arg } from './command.js';
import { ConnState, Connection, type ConnectionOwner } from './connection.js';
import {
  ClientClosedError,
  ClusterDownError,
  ConnectionError,
  OfflineQueueFullError,
  ReplyError,
  TimeoutError,
  TooManyRedirectsError,
} from './errors.js';
import { backoffDelay, resolveOptions, type ClientOptions, type Resolved } from './options.js';
import { address, meansNotCluster, parseClusterSlots, parseRedirect, type NodeAddress, type SlotRange } from './topology.js';

interface NodeEntry {
  addr: NodeAddress;
  conn: Connection | null;
  /** Its connection was lost: commands for it wait for the refresh in flight. */
  down: boolean;
}

const enum Status {
  Idle = 0,
  Connecting = 1,
  Ready = 2,
  Closed = 3,
}

export interface ClientStats {
  refreshes: number;
  redirects: number;
  retries: number;
  timeouts: number;
}

const noop = (): void => {};

export class ClusterCore implements ConnectionOwner {
  readonly o: Resolved;
  mode: 'unknown' | 'cluster' | 'single' = 'unknown';
  readonly stats: ClientStats = { refreshes: 0, redirects: 0, retries: 0, timeouts: 0 };
  private status = Status.Idle;
  private readonly nodes = new Map<string, NodeEntry>();
  private slots: Array<NodeEntry | undefined> = new Array<NodeEntry | undefined>(SLOT_COUNT);
  private primaries: NodeEntry[] = [];
  private rr = 0;
  private connecting: Promise<void> | null = null;
  private refreshing: Promise<void> | null = null;
  private offline: Command[] = [];
  /** Commands written into connections that are still connecting (part of the offline count). */
  private unsent = 0;
  private readonly waiting = new Set<Command>();
  private readonly dirty: Connection[] = [];
  private flushScheduled = false;
  private sweepHandle: unknown = null;
  private sweepAt = Infinity;
  /** quit() in progress: the connections closing after QUIT are not failures. */
  private quitting = false;

  constructor(options: ClientOptions) {
    this.o = resolveOptions(options);
  }

  // ---- issuing and routing ----------------------------------------------------------------

  /** Sends cmd; the promise settles with its shaped reply or a CorralError. */
  issue(cmd: Command): Promise<unknown> {
    const p = promiseOf(cmd);
    if (this.status === Status.Closed) {
      this.fail(cmd, new ClientClosedError());
      return p;
    }
    this.stamp(cmd);
    this.dispatch(cmd);
    return p;
  }

  private stamp(cmd: Command): void {
    const t = this.o.commandTimeout;
    const deadline = t > 0 ? this.o.clock.now() + t : Infinity;
    cmd.deadline = deadline;
    if (deadline < this.sweepAt) this.armSweep(deadline);
  }

  private dispatch(cmd: Command): void {
    if (this.status !== Status.Ready) {
      if (this.status === Status.Idle) this.start();
      this.queueOffline(cmd);
      return;
    }
    const entry = cmd.slot >= 0 ? this.slots[cmd.slot] : this.anyNode();
    if (entry === undefined) {
      void this.refresh().catch(noop);
      this.retryLater(cmd, new ClusterDownError(`CLUSTERDOWN slot ${cmd.slot} is not served by any node`));
    } else if (entry.down) {
      this.queueOffline(cmd);
    } else {
      this.sendTo(entry, cmd);
    }
  }

  private sendTo(entry: NodeEntry, cmd: Command): void {
    let conn = entry.conn;
    if (conn === null) conn = entry.conn = new Connection(entry.addr, this, this.o);
    if (conn.state !== ConnState.Ready && !cmd.internal) {
      if (this.offlineCount() >= this.o.offlineQueueLimit) {
        this.fail(cmd, new OfflineQueueFullError(this.o.offlineQueueLimit));
        return;
      }
      this.unsent++;
    }
    conn.send(cmd);
  }

  private anyNode(): NodeEntry | undefined {
    const p = this.primaries;
    if (p.length === 0) return undefined;
    return p[this.rr++ % p.length];
  }

  private entry(addr: NodeAddress): NodeEntry {
    let e = this.nodes.get(addr.key);
    if (e === undefined) {
      e = { addr, conn: null, down: false };
      this.nodes.set(addr.key, e);
    }
    return e;
  }

  offlineCount(): number {
    return this.offline.length + this.unsent;
  }

  private queueOffline(cmd: Command): void {
    if (this.offlineCount() >= this.o.offlineQueueLimit) this.fail(cmd, new OfflineQueueFullError(this.o.offlineQueueLimit));
    else this.offline.push(cmd);
  }

  private drainOffline(): void {
    const q = this.offline;
    if (q.length === 0) return;
    this.offline = [];
    for (const cmd of q) if (cmd.state === State.Pending) this.dispatch(cmd);
  }

  // ---- pipelining ---------------------------------------------------------------------------

  markDirty(conn: Connection): void {
    conn.dirty = true;
    this.dirty.push(conn);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    if (this.o.flush === 'immediate') setImmediate(this.flushAll);
    else queueMicrotask(this.flushAll);
  }

  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    const list = this.dirty;
    for (let i = 0; i < list.length; i++) list[i].flush();
    list.length = 0;
  };

  // ---- replies, redirects, retries --------------------------------------------------------

  onReply(conn: Connection, cmd: Command, v: unknown): void {
    if (cmd.state !== State.Pending) return; // timed out (late reply) or ASKING: dropped
    if (v instanceof RespError) {
      this.onError(conn, cmd, v.message);
      return;
    }
    cmd.state = State.Done;
    cmd.resolve(cmd.reply === Reply.Raw ? v : shape(cmd.reply, v));
  }

  private onError(conn: Connection, cmd: Command, msg: string): void {
    if (!cmd.internal) {
      const c = msg.charCodeAt(0);
      if (c === 77 /* M */ || c === 65 /* A */) {
        const r = parseRedirect(msg);
        if (r !== null) {
          this.redirect(conn, cmd, r.ask, r.slot, r.to.host === '' ? address(conn.addr.host, r.to.port) : r.to, msg);
          return;
        }
      } else if (msg.startsWith('TRYAGAIN')) {
        this.retryLater(cmd, new ReplyError(msg));
        return;
      } else if (msg.startsWith('CLUSTERDOWN')) {
        this.retryLater(cmd, new ClusterDownError(msg));
        return;
      }
    }
    this.fail(cmd, new ReplyError(msg));
  }

  private redirect(conn: Connection, cmd: Command, ask: boolean, slot: number, to: NodeAddress, msg: string): void {
    this.stats.redirects++;
    if (++cmd.redirects > this.o.maxRedirects) {
      this.fail(cmd, new TooManyRedirectsError(`${String(cmd.args[0])}: more than ${this.o.maxRedirects} redirects (last: ${msg})`));
      return;
    }
    const entry = this.entry(to);
    if (ask) {
      cmd.asking = true;
    } else {
      if (this.mode === 'cluster' && slot >= 0 && slot < SLOT_COUNT) this.slots[slot] = entry;
      if (!this.primaries.includes(entry)) this.primaries.push(entry);
      void this.refresh().catch(noop);
    }
    if (entry.down) this.queueOffline(cmd);
    else this.sendTo(entry, cmd);
  }

  private retryLater(cmd: Command, err: Error): void {
    if (cmd.internal || cmd.attempts >= this.o.attempts || this.status === Status.Closed) {
      this.fail(cmd, err);
      return;
    }
    const delay = backoffDelay(cmd.attempts++, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random);
    this.stats.retries++;
    this.waiting.add(cmd);
    this.o.timers.setTimeout(() => {
      this.waiting.delete(cmd);
      if (cmd.state === State.Pending && this.status !== Status.Closed) this.dispatch(cmd);
    }, delay);
  }

  private fail(cmd: Command, err: Error): void {
    if (cmd.state !== State.Pending) return;
    cmd.state = State.Done;
    cmd.reject(err);
  }

  onConnected(_conn: Connection, unsent: number): void {
    this.unsent -= unsent;
  }

  onLost(conn: Connection, pending: Command[], err: ConnectionError): void {
    this.unsent -= conn.unsent;
    conn.unsent = 0;
    const e = this.nodes.get(conn.addr.key);
    if (e !== undefined && e.conn === conn) {
      e.conn = null;
      if (this.status === Status.Ready && !this.quitting) {
        e.down = true;
        void this.refresh().catch(noop);
      }
    }
    const closed = this.status === Status.Closed;
    for (const cmd of pending) {
      if (cmd.state !== State.Pending) continue;
      if (closed) this.fail(cmd, new ClientClosedError());
      else if (!conn.everConnected || cmd.internal || safeToResend(cmd.args)) this.retryLater(cmd, err);
      else this.fail(cmd, err);
    }
  }

  // ---- timeouts -----------------------------------------------------------------------------

  private armSweep(at: number): void {
    if (this.sweepHandle !== null) this.o.timers.clearTimeout(this.sweepHandle);
    this.sweepAt = at;
    this.sweepHandle = this.o.timers.setTimeout(this.sweep, Math.max(0, at - this.o.clock.now()) + 1);
    // The sweep alone must not keep the process alive (sockets and backoff timers do).
    (this.sweepHandle as { unref?: () => void } | null)?.unref?.();
  }

  /** Runs at the earliest known deadline: fails every command past its deadline, re-arms. */
  readonly sweep = (): void => {
    this.sweepHandle = null;
    this.sweepAt = Infinity;
    const now = this.o.clock.now();
    const expire = (cmd: Command): void => {
      if (cmd.deadline <= now) {
        this.stats.timeouts++;
        this.fail(cmd, new TimeoutError(`${String(cmd.args[0])} timed out after ${this.o.commandTimeout} ms`));
      }
    };
    let min = Infinity;
    for (const e of this.nodes.values()) if (e.conn !== null) min = Math.min(min, e.conn.sweep(expire));
    for (const list of [this.offline, this.waiting]) {
      for (const cmd of list) {
        if (cmd.state !== State.Pending) continue;
        expire(cmd);
        if (cmd.state === State.Pending && cmd.deadline < min) min = cmd.deadline;
      }
    }
    if (min < Infinity && this.status !== Status.Closed) this.armSweep(min);
  };

  // ---- topology -----------------------------------------------------------------------------

  /** Resolves once the topology is known (starting discovery if needed). */
  ready(): Promise<void> {
    if (this.status === Status.Ready) return Promise.resolve();
    if (this.status === Status.Closed) return Promise.reject(new ClientClosedError());
    if (this.connecting === null) this.start();
    return this.connecting!;
  }

  private start(): void {
    this.status = Status.Connecting;
    const p = this.connectLoop();
    this.connecting = p;
    p.catch(noop);
  }

  /** Initial discovery, retried with backoff; on failure the waiting commands fail with it. */
  private async connectLoop(): Promise<void> {
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.refresh();
          if (this.status !== Status.Connecting) throw new ClientClosedError();
          // Open every primary's connection before declaring the client ready, so a first burst
          // of commands does not all count against the offline queue limit while connecting.
          await Promise.all(this.primaries.map((e) => (e.conn ??= new Connection(e.addr, this, this.o)).opened));
          if ((this.status as Status) !== Status.Connecting) throw new ClientClosedError();
          this.status = Status.Ready;
          this.drainOffline();
          return;
        } catch (err) {
          if (this.status === Status.Closed) throw new ClientClosedError();
          if (attempt >= this.o.attempts) {
            this.status = Status.Idle;
            const q = this.offline;
            this.offline = [];
            for (const cmd of q) this.fail(cmd, err as Error);
            throw err;
          }
          const ms = backoffDelay(attempt, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random);
          await new Promise<void>((r) => this.o.timers.setTimeout(r, ms));
        }
      }
    } finally {
      this.connecting = null;
    }
  }

  /** The one topology refresh in flight, or a new one. Rejects if no node answered. */
  refresh(): Promise<void> {
    if (this.refreshing !== null) return this.refreshing;
    const p = (async () => {
      try {
        await this.discover();
      } finally {
        this.refreshing = null;
        for (const e of this.nodes.values()) e.down = false;
        if (this.status === Status.Ready) this.drainOffline();
      }
    })();
    this.refreshing = p;
    return p;
  }

  private async discover(): Promise<void> {
    this.stats.refreshes++;
    const candidates: NodeAddress[] = [];
    for (const e of this.primaries) if (!e.down) candidates.push(e.addr);
    for (const e of this.primaries) if (e.down) candidates.push(e.addr);
    candidates.push(...this.o.seeds);
    const tried = new Set<string>();
    let last: Error = new ConnectionError('no node to ask for the topology');
    for (const addr of candidates) {
      if (tried.has(addr.key)) continue;
      tried.add(addr.key);
      if (this.status === Status.Closed) throw new ClientClosedError();
      const entry = this.entry(addr);
      const cmd = new Command(['CLUSTER', 'SLOTS'], -1, Reply.Raw, BulkMode.Utf8);
      cmd.internal = true;
      try {
        const p = promiseOf(cmd);
        this.stamp(cmd);
        this.sendTo(entry, cmd);
        const ranges = parseClusterSlots(await p, addr);
        if (ranges.length === 0) {
          last = new ClusterDownError(`${addr.key} reports no slots assigned`);
          continue;
        }
        this.applyCluster(ranges);
        return;
      } catch (err) {
        if (err instanceof ReplyError && meansNotCluster(err.message)) {
          this.applySingle(entry);
          return;
        }
        last = err as Error;
      }
    }
    throw last;
  }

  private applyCluster(ranges: SlotRange[]): void {
    const slots = new Array<NodeEntry | undefined>(SLOT_COUNT);
    const primaries = new Set<NodeEntry>();
    for (const r of ranges) {
      const e = this.entry(r.primary);
      primaries.add(e);
      for (let s = r.start; s <= r.end && s < SLOT_COUNT; s++) slots[s] = e;
    }
    this.slots = slots;
    this.primaries = [...primaries];
    this.mode = 'cluster';
    // Nodes that left the topology: forget them, closing their connection once it is idle.
    for (const [key, e] of this.nodes) {
      if (primaries.has(e) || this.o.seeds.some((s) => s.key === key)) continue;
      if (e.conn === null || e.conn.pendingCount === 0) {
        this.nodes.delete(key);
        e.conn?.destroy(new ConnectionError(`${key} left the cluster`));
      }
    }
  }

  private applySingle(entry: NodeEntry): void {
    this.slots = new Array<NodeEntry | undefined>(SLOT_COUNT).fill(entry);
    this.primaries = [entry];
    this.mode = 'single';
  }

  /** Addresses of the primaries currently routed to. */
  primaryAddresses(): string[] {
    return this.primaries.map((e) => e.addr.key);
  }

  /** Sends one command to every primary (e.g. FLUSHALL, DBSIZE); replies in primaries order. */
  async toAll(args: Arg[], mode: BulkMode): Promise<unknown[]> {
    await this.ready();
    return Promise.all(
      this.primaries.map((e) => {
        const cmd = new Command(args, -1, Reply.Raw, mode);
        const p = promiseOf(cmd);
        this.stamp(cmd);
        this.sendTo(e, cmd);
        return p;
      }),
    );
  }

  // ---- shutdown -----------------------------------------------------------------------------

  /** Closes every connection at once; whatever is pending fails with ClientClosedError. */
  close(): void {
    if (this.status === Status.Closed) return;
    this.status = Status.Closed;
    if (this.sweepHandle !== null) this.o.timers.clearTimeout(this.sweepHandle);
    this.sweepHandle = null;
    for (const cmd of this.offline) this.fail(cmd, new ClientClosedError());
    this.offline = [];
    for (const cmd of this.waiting) this.fail(cmd, new ClientClosedError());
    this.waiting.clear();
    for (const e of this.nodes.values()) e.conn?.destroy(new ConnectionError('client closed'));
    this.nodes.clear();
    this.primaries = [];
  }

  /** Waits for the replies already owed (QUIT is answered after them), then closes. */
  async quit(): Promise<void> {
    if (this.status === Status.Ready) {
      this.quitting = true;
      const waits: Array<Promise<unknown>> = [];
      for (const e of this.nodes.values()) {
        if (e.conn === null || e.conn.state !== ConnState.Ready) continue;
        const cmd = new Command(['QUIT'], -1, Reply.Raw, BulkMode.Utf8);
        cmd.internal = true;
        waits.push(promiseOf(cmd).catch(noop));
        this.stamp(cmd);
        e.conn.send(cmd);
      }
      await Promise.all(waits);
    }
    this.close();
  }
}
