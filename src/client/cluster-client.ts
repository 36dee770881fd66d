// The client's core: topology, routing by slot, automatic pipelining, redirects, retries,
// timeouts, the offline queue and shutdown. Typed command methods are in commands.ts.
//
// Life of a command. issue() stamps its deadline and dispatch() routes it: slot → node entry →
// that node's one connection, whose write buffer collects every command of the current turn;
// the first command of a turn marks the connection dirty and schedules one flush (setImmediate
// by default, measured faster than a microtask: see options.ts) that writes each dirty
// connection's buffer in one socket write (flusher.ts). Replies come back through onReply in
// FIFO order (connection.ts).
//
// Topology (slot-map.ts). The first command (or ready()) starts discovery: CLUSTER SLOTS on
// known nodes, then the seeds, first answer wins; a node without cluster support puts the client
// in single-node mode. Until discovery succeeds, commands wait in the offline queue. Later
// refreshes (after MOVED, a lost connection, CLUSTERDOWN, or a topology push) are single-flight.
// While a lost node's entry is marked down, its commands wait in the offline queue for the
// refresh; whatever the refresh's outcome, the down marks are cleared and the queue re-routed.
// With topologyPush (topology-watch.ts), a dedicated connection subscribed with CORRAL
// WATCHTOPOLOGY triggers the refresh as soon as any node applies a newer topology document, so a
// failover is followed before commands run into the old primary.
//
// Replica reads (readFrom 'replica'/'nearest', replica-reads.ts): dispatch hands commands to the
// read router, which sends read-only ones to a replica or the nearest node, and makes
// read-your-writes hold with CORRAL OFFSET after writes and CORRAL WAITOFFSET guards before
// replica reads. Its records are State.Control: never timed out, retried or settled; their
// replies go back to the router. With readFrom 'primary' none of it exists.
//
// Near-cache (option nearCache, near-cache.ts): GETs may be served from this process; the
// near-cache writes its own Control records on the data connections (CLIENT TRACKING, CLIENT
// CACHING YES, PTTL), whose replies come back here and go to it. It also hears of every issued
// command (a write drops its keys), of lost data connections and of applied slot maps. Without
// the option, `near` is null and none of this costs anything but a null check per command.
//
// Redirects. MOVED updates the slot's owner at once (the refresh confirms the rest of the map)
// and re-sends to the new owner; ASK re-sends once to the target with ASKING written just before
// it in the same buffer, without touching the map. Both count against maxRedirects.
//
// Retries. Connection errors, TRYAGAIN, CLUSTERDOWN and READONLY are retried after an
// exponential, fully jittered backoff, at most retry.attempts times; which error replies are
// retried or redirected, and which commands a lost connection may re-send, is error-policy.ts's
// decision. Commands between tries, and those in the offline queue, wait in waiting.ts.
//
// Timeouts (deadlines.ts). The deadline covers the whole life of a command (queueing, redirects,
// retries). One timer sweeps every place a command can wait (each connection's FIFO, the offline
// queue, the backoff set) at the earliest deadline seen; issue() only compares its deadline with
// the armed time, so the hot path creates no timer. A timed-out command is marked Done and
// rejected, and stays in its FIFO until its late reply arrives (see connection.ts for why).

import { SLOT_COUNT } from '../cluster/slot.js';
import { BulkMode, RespError } from '../protocol/reply-decoder.js';
import { Access, Command, Ctl, Reply, State, promiseOf, settleFailure, settleReply, shape, type Arg, type SettlingCommand } from './command.js';
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
import { Deadlines } from './deadlines.js';
import { errorStep, mayResend } from './error-policy.js';
import { Flusher } from './flusher.js';
import type { NodeEntry } from './nodes.js';
import { backoffDelay, resolveOptions, type ClientOptions, type Resolved } from './options.js';
import { HotKeySet } from './hot-reads.js';
import { ReadRouter } from './replica-reads.js';
import { NearCache, type NearHost } from './near-cache.js';
import { isReadOnly } from './router.js';
import { SlotMap, type ShardInfo, type SlotMapHost } from './slot-map.js';
import { newStats, type ClientStats } from './stats.js';
import { address, type NodeAddress } from './topology.js';
import { TopologyWatcher, type WatchHost, type WatchState } from './topology-watch.js';
import { Waiting } from './waiting.js';

const enum Status {
  Idle = 0,
  Connecting = 1,
  Ready = 2,
  Closed = 3,
}

const noop = (): void => {};

export class ClusterCore implements ConnectionOwner, SlotMapHost, WatchHost, NearHost {
  readonly o: Resolved;
  readonly stats: ClientStats = newStats();
  private status = Status.Idle;
  private readonly map: SlotMap;
  /** Replica reads; null with readFrom 'primary'. */
  private readonly reads: ReadRouter | null;
  /** hotReadsFrom's hot keys (hot-reads.ts), or null. */
  private readonly hot: HotKeySet | null;
  private readonly watcher: TopologyWatcher | null;
  /** The near-cache; null without the nearCache option. */
  readonly near: NearCache | null;
  private connecting: Promise<void> | null = null;
  /** The offline queue and the backoff set. */
  private readonly waiting: Waiting;
  /** This turn's dirty connections, flushed together. */
  private readonly flusher: Flusher;
  private readonly deadlines: Deadlines;
  /** quit() in progress: the connections closing after QUIT are not failures. */
  private quitting = false;

  constructor(options: ClientOptions) {
    this.o = resolveOptions(options);
    this.flusher = new Flusher(this.o.flush);
    this.waiting = new Waiting({ dispatch: (cmd) => this.dispatch(cmd), fail: (cmd, err) => this.fail(cmd, err), isClosed: () => this.isClosed() }, this.o, this.stats);
    this.hot = this.o.hotReadsFrom === null ? null : new HotKeySet({ primaries: () => this.map.primaries, ask: (e, args, mode) => this.ask(e, args, mode), isOpen: () => this.isOpen() }, this.o.hotReadsMinRate);
    this.reads = this.o.readFrom === 'primary' && this.hot === null ? null : new ReadRouter(this, this.hot);
    this.hot?.start();
    this.map = new SlotMap(this, this.reads);
    this.watcher = this.o.topologyPush ? new TopologyWatcher(this, this.o) : null;
    this.deadlines = new Deadlines(this.o, this.sweep);
    this.near = this.o.nearCache === null ? null : new NearCache(this, this.o.nearCache);
  }

  get mode(): 'unknown' | 'cluster' | 'single' {
    return this.map.mode;
  }

  // ---- issuing and routing ----------------------------------------------------------------

  /** Sends cmd; the promise settles with its shaped reply or a CorralError. */
  issue(cmd: Command): Promise<unknown> {
    const p = promiseOf(cmd);
    if (this.status === Status.Closed) {
      this.fail(cmd, new ClientClosedError());
      return p;
    }
    this.deadlines.stamp(cmd);
    if (this.near !== null) this.near.onIssue(cmd);
    this.dispatch(cmd);
    return p;
  }

  // ---- NearHost -----------------------------------------------------------------------------

  nearTarget(slot: number): NodeEntry | null {
    if (this.status !== Status.Ready || slot < 0) return null;
    const e = this.map.slots[slot];
    if (e === undefined || e.down || e.conn === null || e.conn.state !== ConnState.Ready) return null;
    return e;
  }

  stamp(cmd: Command): void {
    this.deadlines.stamp(cmd);
  }

  entryByKey(key: string): NodeEntry | undefined {
    return this.map.nodes.get(key);
  }

  dispatch(cmd: Command): void {
    if (this.status !== Status.Ready) {
      if (this.status === Status.Idle) this.start();
      this.waiting.queueOffline(cmd);
      return;
    }
    const entry = cmd.slot >= 0 ? this.map.slots[cmd.slot] : this.map.anyNode();
    if (entry === undefined) {
      void this.map.refresh().catch(noop);
      this.waiting.retryLater(cmd, new ClusterDownError(`CLUSTERDOWN slot ${cmd.slot} is not served by any node`));
    } else if (entry.down) {
      this.waiting.queueOffline(cmd);
    } else if (this.reads !== null) {
      this.reads.route(entry, cmd);
    } else {
      this.sendTo(entry, cmd);
    }
  }

  sendTo(entry: NodeEntry, cmd: Command): void {
    let conn = entry.conn;
    if (conn === null) conn = entry.conn = new Connection(entry.addr, this, this.o, entry);
    if (conn.state !== ConnState.Ready && !cmd.internal) {
      if (this.waiting.offlineFull()) {
        this.fail(cmd, new OfflineQueueFullError(this.o.offlineQueueLimit));
        return;
      }
      this.waiting.unsent++;
    }
    conn.send(cmd);
    // Read-your-writes: a CORRAL OFFSET follows this turn's writes on this connection.
    if (cmd.access === Access.Write && !entry.noOffset) conn.owesOffset = true;
  }

  /** The node's connection, opened if it has none. */
  connOf(entry: NodeEntry): Connection {
    return (entry.conn ??= new Connection(entry.addr, this, this.o, entry));
  }

  entry(addr: NodeAddress): NodeEntry {
    return this.map.entry(addr);
  }

  isOpen(): boolean {
    return this.status !== Status.Closed;
  }

  isClosed(): boolean {
    return this.status === Status.Closed;
  }

  offlineCount(): number {
    return this.waiting.offlineCount();
  }

  // ---- pipelining ---------------------------------------------------------------------------

  markDirty(conn: Connection): void {
    this.flusher.markDirty(conn);
  }

  // ---- replies, redirects, retries --------------------------------------------------------

  onReply(conn: Connection, cmd: Command, v: unknown): void {
    if (cmd.state !== State.Pending) {
      // Done: timed out (late reply) or ASKING, dropped. Control: the read router's or the near-cache's.
      if (cmd.state === State.Control) {
        if (cmd.ctl >= Ctl.NearTracking) this.near?.onControl(conn, cmd, v);
        else this.reads?.onControl(conn, cmd, v);
      }
      return;
    }
    if (cmd.guard !== null && this.reads!.staleGuard(cmd)) return;
    if (cmd.access === Access.Write) conn.ref!.awaitingOffset = true;
    if (v instanceof RespError) {
      this.onError(conn, cmd, v.message);
      return;
    }
    cmd.state = State.Done;
    if (cmd.reply === Reply.Raw) cmd.resolve(v);
    else if (cmd.reply === Reply.Settle) settleReply(cmd as SettlingCommand, v);
    else cmd.resolve(shape(cmd.reply, v));
  }

  private onError(conn: Connection, cmd: Command, msg: string): void {
    const step = errorStep(msg, cmd, this.map.mode === 'cluster');
    if (step.kind === 'redirect') {
      this.redirect(conn, cmd, step.ask, step.slot, step.to.host === '' ? address(conn.addr.host, step.to.port) : step.to, msg);
    } else if (step.kind === 'retry') {
      if (step.refresh) void this.map.refresh().catch(noop);
      this.waiting.retryLater(cmd, step.error);
    } else if (step.kind === 'primary') {
      this.reads!.toPrimary(cmd);
    } else {
      this.fail(cmd, new ReplyError(msg));
    }
  }

  private redirect(conn: Connection, cmd: Command, ask: boolean, slot: number, to: NodeAddress, msg: string): void {
    this.stats.redirects++;
    if (++cmd.redirects > this.o.maxRedirects) {
      this.fail(cmd, new TooManyRedirectsError(`${String(cmd.args[0])}: more than ${this.o.maxRedirects} redirects (last: ${msg})`));
      return;
    }
    const map = this.map;
    const entry = map.entry(to);
    if (ask) {
      cmd.asking = true;
    } else {
      if (map.mode === 'cluster' && slot >= 0 && slot < SLOT_COUNT) map.slots[slot] = entry;
      if (!map.primaries.includes(entry)) map.primaries.push(entry);
      void map.refresh().catch(noop);
    }
    if (entry.down) this.waiting.queueOffline(cmd);
    else this.sendTo(entry, cmd);
  }

  private fail(cmd: Command, err: Error): void {
    if (cmd.state !== State.Pending) return;
    cmd.state = State.Done;
    if (cmd.reply === Reply.Settle) settleFailure(cmd as SettlingCommand, err);
    else cmd.reject(err);
  }

  onConnected(conn: Connection, unsent: number): void {
    this.waiting.unsent -= unsent;
    this.reads?.onConnected(conn);
  }

  onLost(conn: Connection, pending: Command[], err: ConnectionError): void {
    this.waiting.unsent -= conn.unsent;
    conn.unsent = 0;
    const e = conn.ref;
    if (e !== null && this.near !== null) this.near.dataLost(e);
    if (e !== null && e.conn === conn) {
      e.conn = null;
      if (this.status === Status.Ready && !this.quitting) {
        e.down = true;
        // A replica that fails is skipped by reads for a while (the refresh clears `down`).
        if (this.reads !== null && e.shard !== null && e.shard.primary !== e) this.reads.quarantine(e);
        void this.map.refresh().catch(noop);
      }
    }
    const closed = this.status === Status.Closed;
    for (const cmd of pending) {
      if (cmd.state !== State.Pending) continue;
      if (closed) this.fail(cmd, new ClientClosedError());
      else if (mayResend(cmd, conn.everConnected)) this.waiting.retryLater(cmd, err);
      else this.fail(cmd, err);
    }
  }

  // ---- timeouts -----------------------------------------------------------------------------

  /** Deadlines' sweep: fails every command past its deadline; returns the earliest one left. */
  private readonly sweep = (now: number): number => {
    const expire = (cmd: Command): void => {
      if (cmd.deadline <= now) {
        this.stats.timeouts++;
        this.fail(cmd, new TimeoutError(`${String(cmd.args[0])} timed out after ${this.o.commandTimeout} ms`));
      }
    };
    let min = Infinity;
    for (const e of this.map.nodes.values()) if (e.conn !== null) min = Math.min(min, e.conn.sweep(expire));
    min = this.waiting.sweep(expire, min);
    return this.status === Status.Closed ? Infinity : min;
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
          await this.map.refresh();
          if (this.status !== Status.Connecting) throw new ClientClosedError();
          // Open every primary's connection before declaring the client ready, so a first burst
          // of commands does not all count against the offline queue limit while connecting.
          await Promise.all(this.map.primaries.map((e) => this.connOf(e).opened));
          if ((this.status as Status) !== Status.Connecting) throw new ClientClosedError();
          this.status = Status.Ready;
          if (this.map.mode === 'cluster') this.watcher?.start();
          this.waiting.drainOffline();
          return;
        } catch (err) {
          if (this.status === Status.Closed) throw new ClientClosedError();
          if (attempt >= this.o.attempts) {
            this.status = Status.Idle;
            this.waiting.failOffline(err as Error);
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
    return this.map.refresh();
  }

  /** SlotMapHost: CLUSTER SLOTS and the like, never retried. */
  ask(entry: NodeEntry, args: string[], mode: BulkMode): Promise<unknown> {
    const cmd = new Command(args, -1, Reply.Raw, mode);
    cmd.internal = true;
    const p = promiseOf(cmd);
    this.deadlines.stamp(cmd);
    this.sendTo(entry, cmd);
    return p;
  }

  refreshed(): void {
    if (this.status === Status.Ready) this.waiting.drainOffline();
  }

  applied(): void {
    this.near?.topologyApplied(this.map.slots);
    if (this.status !== Status.Ready) return;
    this.watcher?.start();
    this.watcher?.nodesChanged();
  }

  /** WatchHost: the cluster's nodes, then the seeds. */
  watchCandidates(): NodeAddress[] {
    const list = [...this.map.members];
    for (const s of this.o.seeds) if (!list.some((a) => a.key === s.key)) list.push(s);
    return list;
  }

  topologyChanged(_epoch: number, from: NodeAddress): void {
    if (this.status === Status.Closed) return;
    this.stats.topologyPushes++;
    this.map.refreshAgain(from);
  }

  /** The topology subscription's state and the last epoch it announced (-1: none yet). */
  watchInfo(): { state: WatchState; epoch: number } {
    return this.watcher === null ? { state: 'off', epoch: -1 } : { state: this.watcher.state, epoch: this.watcher.epoch };
  }

  /** Addresses of the primaries currently routed to. */
  primaryAddresses(): string[] {
    return this.map.primaries.map((e) => e.addr.key);
  }

  /** The shards of the last CLUSTER SLOTS: each primary and its replicas. */
  shards(): ShardInfo[] {
    return this.map.shardList.map((s) => ({ primary: s.primary, replicas: [...s.replicas] }));
  }

  /** Sends one command to every primary (e.g. FLUSHALL, DBSIZE); replies in primaries order. */
  async toAll(args: Arg[], mode: BulkMode): Promise<unknown[]> {
    await this.ready();
    const write = this.o.readYourWrites && !isReadOnly(args[0]);
    return Promise.all(
      this.map.primaries.map((e) => {
        const cmd = new Command(args, -1, Reply.Raw, mode);
        if (write) cmd.access = Access.Write;
        const p = promiseOf(cmd);
        this.deadlines.stamp(cmd);
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
    this.deadlines.stop();
    this.watcher?.close();
    this.reads?.close();
    this.hot?.close();
    this.near?.close();
    this.waiting.close();
    for (const e of this.map.nodes.values()) e.conn?.destroy(new ConnectionError('client closed'));
    this.map.clear();
  }

  /** Waits for the replies already owed (QUIT is answered after them), then closes. */
  async quit(): Promise<void> {
    if (this.status === Status.Ready) {
      this.quitting = true;
      this.watcher?.close();
      const waits: Array<Promise<unknown>> = [];
      for (const e of this.map.nodes.values()) {
        if (e.conn === null || e.conn.state !== ConnState.Ready) continue;
        const cmd = new Command(['QUIT'], -1, Reply.Raw, BulkMode.Utf8);
        cmd.internal = true;
        waits.push(promiseOf(cmd).catch(noop));
        this.deadlines.stamp(cmd);
        e.conn.send(cmd);
      }
      await Promise.all(waits);
    }
    this.close();
  }
}
