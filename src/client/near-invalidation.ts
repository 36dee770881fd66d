// One node's invalidation connection for the near-cache (near-cache.ts): a dedicated RESP2
// connection that sends `CLIENT ID` and `SUBSCRIBE __redis__:invalidate`, and to which the
// client's data connection to that node redirects its CLIENT TRACKING messages
// (`CLIENT TRACKING ON REDIRECT <id> OPTIN`, written by the near-cache).
//
// Replies are told apart by their content, not by the FIFO: a pushed `message` may arrive while
// a PING record waits at the head of the FIFO and be paired with it (the PONG then arrives with
// nothing waiting). An integer is CLIENT ID's answer, `subscribe` confirms the subscription,
// `message` carries the invalidated keys (an array, or null: the node was flushed), `pong` (or
// PONG) answers the heartbeat PING.
//
// States: 'connecting' until both CLIENT ID and the subscription have answered; 'ready' (only
// then may entries from this node be stored or served); 'down' after a loss (reconnected after
// a jittered backoff while the client is open); 'closed'. `gen` is bumped on every transition
// into or out of 'ready' and on every null invalidation: entries and reads remember the
// generation they were made in, and a different one means they are void.
//
// Heartbeat (heartbeat(), called every heartbeatMs by the near-cache): sends a PING if none is
// out; a PING unanswered for more than heartbeatMs / 2 makes the link not fresh (its entries
// are not served); for more than 3 x heartbeatMs, the connection is closed and remade.

import { BulkMode, RespError } from '../protocol/reply-decoder.js';
import { Command, Reply } from './command.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { ConnectionError } from './errors.js';
import { backoffDelay, type Resolved } from './options.js';
import type { NodeAddress } from './topology.js';

export interface LinkOwner {
  /** Keys the node invalidated: an array of keys, or null/other (everything from that node). */
  invalidated(link: InvalidationLink, keys: unknown): void;
  /** The connection is gone; `gen` was bumped. */
  linkLost(link: InvalidationLink): void;
}

export type LinkState = 'connecting' | 'ready' | 'down' | 'closed' | 'unsupported';

const CHANNEL = '__redis__:invalidate';
const noop = (): void => {};

function record(args: string[]): Command {
  const cmd = new Command(args, -1, Reply.Raw, BulkMode.Utf8);
  cmd.internal = true;
  cmd.deadline = Infinity;
  cmd.resolve = noop;
  cmd.reject = noop;
  return cmd;
}

export class InvalidationLink implements ConnectionOwner {
  state: LinkState = 'down';
  /** Generation: entries and reads made under another one are void. */
  gen = 0;
  /** CLIENT ID of the invalidation connection (-1 until known). */
  clientId = -1;
  /** The data connection that was sent CLIENT TRACKING ... REDIRECT clientId (null: none yet). */
  trackedConn: Connection | null = null;
  /** When the PING in flight was sent (clock ms); 0 when none is. */
  pingAt = 0;
  /** Keys the node reported hot at the last poll (keys 'hot'). */
  hot = new Set<string>();
  private conn: Connection | null = null;
  private subscribed = false;
  private attempt = 0;
  private retryHandle: unknown = null;

  constructor(
    readonly addr: NodeAddress,
    private readonly owner: LinkOwner,
    private readonly o: Resolved,
    private readonly heartbeatMs: number,
  ) {}

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Ready, and no PING overdue: entries from this node may be served and stored. */
  fresh(now: number): boolean {
    return this.state === 'ready' && (this.pingAt === 0 || now - this.pingAt <= this.heartbeatMs / 2);
  }

  start(): void {
    if (this.state === 'closed' || this.state === 'unsupported' || this.conn !== null) return;
    this.state = 'connecting';
    this.clientId = -1;
    this.subscribed = false;
    this.pingAt = 0;
    const conn = new Connection(this.addr, this, this.o);
    this.conn = conn;
    conn.send(record(['CLIENT', 'ID']));
    conn.send(record(['SUBSCRIBE', CHANNEL]));
  }

  /** The data connection refused CLIENT TRACKING (a server without it): never cache from it. */
  trackingRefused(message: string): void {
    if (this.state === 'closed') return;
    if (!/unknown/i.test(message)) {
      // E.g. the redirect id vanished (this connection was just lost): remake it.
      this.trackedConn = null;
      this.kill();
      return;
    }
    this.state = 'unsupported';
    this.gen++;
    const conn = this.conn;
    this.conn = null;
    conn?.destroy(new ConnectionError('near-cache: CLIENT TRACKING refused'));
    this.owner.linkLost(this);
  }

  heartbeat(now: number): void {
    const conn = this.conn;
    if (this.state !== 'ready' || conn === null) return;
    if (this.pingAt !== 0) {
      if (now - this.pingAt > 3 * this.heartbeatMs) conn.destroy(new ConnectionError(`near-cache: invalidation connection to ${this.addr.key} stalled`));
      return;
    }
    this.pingAt = now;
    conn.send(record(['PING']));
  }

  /** For tests: closes the invalidation connection as a network failure would. */
  kill(): void {
    this.conn?.destroy(new ConnectionError('near-cache: killed'));
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.gen++;
    if (this.retryHandle !== null) this.o.timers.clearTimeout(this.retryHandle);
    this.retryHandle = null;
    const conn = this.conn;
    this.conn = null;
    conn?.destroy(new ConnectionError('near-cache closed'));
  }

  // ---- ConnectionOwner ------------------------------------------------------------------------

  onReply(conn: Connection, _cmd: Command, v: unknown): void {
    if (conn === this.conn) this.frame(conn, v);
  }

  onPush(conn: Connection, v: unknown): void {
    if (conn === this.conn) this.frame(conn, v);
  }

  onLost(conn: Connection): void {
    if (conn !== this.conn) return;
    this.conn = null;
    const closed = this.state === 'closed' || this.state === 'unsupported';
    if (!closed) this.state = 'down';
    this.gen++;
    this.trackedConn = null;
    this.pingAt = 0;
    this.owner.linkLost(this);
    if (!closed) this.retry();
  }

  onConnected(): void {}

  markDirty(conn: Connection): void {
    conn.flush();
  }

  // ---- internals ------------------------------------------------------------------------------

  private frame(conn: Connection, v: unknown): void {
    if (v instanceof RespError) {
      conn.destroy(new ConnectionError(`near-cache: ${this.addr.key}: ${v.message}`));
      return;
    }
    if (typeof v === 'number') {
      this.clientId = v;
      this.maybeReady();
      return;
    }
    if (v === 'PONG') {
      this.pingAt = 0;
      return;
    }
    if (!Array.isArray(v) || v.length < 2) return;
    const kind = String(v[0]).toLowerCase();
    if (kind === 'message' && v.length >= 3 && String(v[1]) === CHANNEL) {
      if (this.state === 'ready') this.owner.invalidated(this, v[2]);
    } else if (kind === 'pong') {
      this.pingAt = 0;
    } else if (kind === 'subscribe') {
      this.subscribed = true;
      this.maybeReady();
    }
  }

  private maybeReady(): void {
    if (this.state !== 'connecting' || this.clientId < 0 || !this.subscribed) return;
    this.state = 'ready';
    this.gen++;
    this.attempt = 0;
    this.trackedConn = null; // the data connection must redirect to this connection's id
  }

  private retry(): void {
    if (this.retryHandle !== null) return;
    const ms = Math.max(10, backoffDelay(Math.min(this.attempt++, 16), this.o.baseDelayMs, this.o.maxDelayMs, this.o.random));
    this.retryHandle = this.o.timers.setTimeout(() => {
      this.retryHandle = null;
      if (this.state === 'down') this.start();
    }, ms);
    (this.retryHandle as { unref?: () => void } | null)?.unref?.();
  }
}
