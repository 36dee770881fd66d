// The topology subscription (option topologyPush): one dedicated connection, to any node of the
// cluster, that sent CORRAL WATCHTOPOLOGY. The node answers `topology <epoch>` at once and again
// every time it applies a newer topology document (a failover, a new shard); a frame with an
// epoch higher than the last one seen asks the core for a refresh (CLUSTER SLOTS, single-flight).
//
// The connection carries nothing else: the first frame is the command's reply (the FIFO pairs
// it), the later ones arrive with nothing waiting and come through onPush. When it drops, or the
// first frame does not come within connectTimeout, another node is tried after a backoff (full
// jitter, growing to retry.maxDelayMs, never giving up while the client is open). A node that
// answers the command with an error (Redis Cluster: unknown command) ends the subscription for
// good, silently: the client then follows changes through MOVED, lost connections and
// CLUSTERDOWN as before.

import { BulkMode, RespError, RespPush } from '../protocol/reply-decoder.js';
import { Command, Reply } from './command.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { ConnectionError, ReplyError } from './errors.js';
import { backoffDelay, type Resolved } from './options.js';
import type { NodeAddress } from './topology.js';

export interface WatchHost {
  /** Nodes to subscribe on, in the order to try them (the cluster's, then the seeds). */
  watchCandidates(): NodeAddress[];
  /** `from` announced a newer epoch: refresh the slot map from it (again, if a refresh is in flight). */
  topologyChanged(epoch: number, from: NodeAddress): void;
}

export type WatchState = 'off' | 'connecting' | 'active' | 'unsupported';

const WATCH_ARGS = ['CORRAL', 'WATCHTOPOLOGY'];
const noop = (): void => {};

export class TopologyWatcher implements ConnectionOwner {
  state: WatchState = 'off';
  /** The highest epoch a frame announced; -1 before the first. */
  epoch = -1;
  private conn: Connection | null = null;
  /** The CORRAL WATCHTOPOLOGY record on `conn`. */
  private watch: Command | null = null;
  private attempt = 0;
  private next = 0;
  private retryHandle: unknown = null;
  private firstFrameHandle: unknown = null;
  private closed = false;

  constructor(
    private readonly host: WatchHost,
    private readonly o: Resolved,
  ) {
    // Clients start at different nodes, so no one node carries every subscription.
    this.next = Math.floor(o.random() * 4096);
  }

  /** Subscribes if not subscribed (or trying to) already. */
  start(): void {
    if (this.closed || this.state === 'unsupported' || this.conn !== null || this.retryHandle !== null) return;
    const list = this.host.watchCandidates();
    if (list.length === 0) {
      this.retry();
      return;
    }
    const addr = list[this.next++ % list.length];
    this.state = 'connecting';
    const conn = new Connection(addr, this, this.o);
    this.conn = conn;
    const cmd = new Command(WATCH_ARGS, -1, Reply.Raw, BulkMode.Utf8);
    cmd.internal = true;
    cmd.deadline = Infinity;
    cmd.resolve = noop; // its answer comes through onReply
    cmd.reject = noop;
    this.watch = cmd;
    conn.send(cmd);
    this.firstFrameHandle = this.o.timers.setTimeout(() => {
      this.firstFrameHandle = null;
      if (this.conn === conn && this.state === 'connecting') this.drop();
    }, this.o.connectTimeout);
    unref(this.firstFrameHandle);
  }

  /** The slot map changed: re-subscribe elsewhere if our node is no longer in the cluster. */
  nodesChanged(): void {
    const conn = this.conn;
    if (conn === null) return;
    const key = conn.addr.key;
    if (!this.host.watchCandidates().some((a) => a.key === key)) this.drop();
  }

  close(): void {
    this.closed = true;
    if (this.retryHandle !== null) this.o.timers.clearTimeout(this.retryHandle);
    if (this.firstFrameHandle !== null) this.o.timers.clearTimeout(this.firstFrameHandle);
    this.retryHandle = this.firstFrameHandle = null;
    const conn = this.conn;
    this.conn = null;
    if (this.state !== 'unsupported') this.state = 'off';
    conn?.destroy(closedError());
  }

  // ---- ConnectionOwner ------------------------------------------------------------------------

  onReply(conn: Connection, cmd: Command, v: unknown): void {
    if (conn !== this.conn) return;
    if (cmd !== this.watch) {
      // AUTH, written first by the connection: a refusal closes it (and we try again later).
      if (v instanceof RespError) cmd.reject(new ReplyError(v.message));
      else cmd.resolve(v);
      return;
    }
    if (v instanceof RespError) {
      // A node that serves the command answers no error (it is served while loading, and keyless
      // so never redirected): an error is Redis's unknown command, or a server that is not corral.
      this.state = 'unsupported';
      this.conn = null;
      this.clearFirstFrame();
      conn.destroy(closedError());
      return;
    }
    this.frame(conn, v);
  }

  onPush(conn: Connection, v: unknown): void {
    if (conn === this.conn) this.frame(conn, v);
  }

  onLost(conn: Connection, _pending: Command[], _err: ConnectionError): void {
    if (conn !== this.conn) return;
    this.conn = null;
    this.clearFirstFrame();
    if (!this.closed) this.retry();
  }

  onConnected(): void {}

  markDirty(conn: Connection): void {
    conn.flush();
  }

  // ---- internals ------------------------------------------------------------------------------

  private frame(conn: Connection, v: unknown): void {
    const items = v instanceof RespPush ? v.items : v;
    if (!Array.isArray(items) || items.length < 2 || items[0] !== 'topology') return;
    const epoch = Number(items[1]);
    if (!Number.isFinite(epoch)) return;
    if (this.state === 'connecting') {
      this.state = 'active';
      this.attempt = 0;
      this.clearFirstFrame();
    }
    if (epoch > this.epoch) {
      this.epoch = epoch;
      this.host.topologyChanged(epoch, conn.addr);
    }
  }

  private drop(): void {
    const conn = this.conn;
    if (conn === null) return;
    conn.destroy(closedError()); // onLost schedules the retry
  }

  private retry(): void {
    if (this.closed || this.retryHandle !== null) return;
    this.state = 'connecting';
    const ms = Math.max(10, backoffDelay(Math.min(this.attempt++, 16), this.o.baseDelayMs, this.o.maxDelayMs, this.o.random));
    this.retryHandle = this.o.timers.setTimeout(() => {
      this.retryHandle = null;
      this.start();
    }, ms);
    unref(this.retryHandle);
  }

  private clearFirstFrame(): void {
    if (this.firstFrameHandle !== null) this.o.timers.clearTimeout(this.firstFrameHandle);
    this.firstFrameHandle = null;
  }
}

function unref(h: unknown): void {
  (h as { unref?: () => void } | null)?.unref?.();
}

/** For connections the watcher closes itself (nobody sees it: no command waits on them). */
function closedError(): ConnectionError {
  return new ConnectionError('topology subscription closed');
}
