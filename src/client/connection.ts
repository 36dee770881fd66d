// One TCP connection to one node: the write side (commands encoded into a reused buffer, one
// socket write per flush), the read side (replies decoded from a shared read buffer) and the
// FIFO that matches them up.
//
// Reply matching. Redis answers a connection's commands in order, so the FIFO (a ring buffer
// of command records, in the order their bytes were appended to the write buffer) pairs each
// decoded reply with its record by position alone. A record is never taken out of the FIFO
// early, even when its command timed out: the timeout only marks it Done and rejects its
// promise; its late reply still arrives in its place, is paired with it and dropped. Removing
// the record instead would shift every later reply onto the wrong command. ASKING, written
// before a command after an ASK redirect, gets a shared Done record for the same reason.
//
// Reads use Node's public `onread` option: every connection's reads land in one shared buffer,
// which the decoder consumes (copying only a reply cut by the read boundary) before returning.
//
// The connection knows nothing about routing: replies, a lost connection and "connected" go to
// its owner (the cluster client), which decides about redirects, retries and timeouts. It keeps
// a few per-connection facts replica reads need (replica-reads.ts): whether READONLY was sent,
// the CORRAL WAITOFFSET guard in flight, a PING in flight, and whether the writes of this turn
// owe a CORRAL OFFSET, which flush() appends after them (read-your-writes).
//
// A value that arrives with no record waiting for it (a topology push on the subscription
// connection) goes to the owner's onPush.

import net from 'node:net';
import tls from 'node:tls';
import { BulkMode, NEED_MORE, ReplyDecoder } from '../protocol/reply-decoder.js';
import { ASKING, Command, OFFSET_PROBE, State } from './command.js';
import { Encoder } from './encoder.js';
import { ConnectionError } from './errors.js';
import type { NodeEntry } from './nodes.js';
import type { NodeAddress } from './topology.js';

export interface ConnectionOwner {
  /** A reply (or an error reply, as a RespError) for cmd. */
  onReply(conn: Connection, cmd: Command, value: unknown): void;
  /** The connection is gone; `pending` are its records that had no reply (Done ones included). */
  onLost(conn: Connection, pending: Command[], err: ConnectionError): void;
  /** The socket connected; `unsent` commands written while connecting are flushed now. */
  onConnected(conn: Connection, unsent: number): void;
  /** Asks for flush() to be called once this turn's commands are all in. */
  markDirty(conn: Connection): void;
  /** A value no command was waiting for (a push: CORRAL WATCHTOPOLOGY's frames). */
  onPush?(conn: Connection, value: unknown): void;
}

export interface ConnectionOptions {
  connectTimeout: number;
  username?: string;
  password?: string;
  /** TLS options: the connection is TLS (undefined: plain TCP). */
  tls?: tls.ConnectionOptions;
}

export const enum ConnState {
  Connecting = 0,
  Ready = 1,
  Closed = 2,
}

const SHARED_READ = Buffer.allocUnsafe(64 * 1024);
const ASKING_ARGS = ['ASKING'];
const AUTH_OK = (): void => {};

export class Connection {
  state: ConnState = ConnState.Connecting;
  /** Set while queued for a flush (owned by the owner's flush scheduling). */
  dirty = false;
  /** Commands appended while connecting (they count against the offline queue limit; internal ones do not). */
  unsent = 0;
  /** The socket connected at some point: commands in the FIFO may have reached the node. */
  everConnected = false;
  /** The next flush appends CORRAL OFFSET after the turn's writes (read-your-writes). */
  owesOffset = false;
  /** CORRAL OFFSET records in the FIFO. */
  offsetsInFlight = 0;
  /** READONLY was written on this connection (before its first replica read). */
  readOnly = false;
  /** The last CORRAL WAITOFFSET guard written and not answered yet, or null. */
  guard: Command | null = null;
  /** performance.now() when the PING in flight was written; 0 when none is. */
  pingAt = 0;
  private readonly socket: net.Socket;
  private readonly enc = new Encoder();
  private readonly decoder = new ReplyDecoder();
  private ring: Array<Command | undefined> = new Array<Command | undefined>(256);
  private mask = 255;
  private head = 0;
  private count = 0;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private settle: ((connected: boolean) => void) | null = null;
  /** Resolves true once connected, false if the connection failed first. */
  readonly opened = new Promise<boolean>((r) => (this.settle = r));

  constructor(
    readonly addr: NodeAddress,
    private readonly owner: ConnectionOwner,
    opts: ConnectionOptions,
    /** The owner's entry for this node (null for the topology subscription). */
    readonly ref: NodeEntry | null = null,
  ) {
    if (opts.password !== undefined) {
      // AUTH goes first in the write buffer, ahead of anything queued while connecting.
      const args = opts.username !== undefined ? ['AUTH', opts.username, opts.password] : ['AUTH', opts.password];
      const auth = new Command(args, -1, 0, BulkMode.Utf8);
      auth.internal = true;
      auth.deadline = Infinity; // bounded by connectTimeout and the commands behind it
      auth.resolve = AUTH_OK;
      auth.reject = (e: Error) => this.destroy(new ConnectionError(`AUTH failed on ${addr.key}: ${e.message}`, { cause: e }));
      this.enc.command(args);
      this.push(auth);
    }
    if (opts.tls !== undefined) {
      // Over TLS the socket's reads come as 'data' chunks (TLS decrypts into its own buffers),
      // and it is usable after the handshake.
      this.socket = tls.connect({ ...opts.tls, host: addr.host, port: addr.port, servername: opts.tls.servername ?? (net.isIP(addr.host) === 0 ? addr.host : undefined) });
      this.socket.setNoDelay(true);
      this.socket.setKeepAlive(true);
      this.socket.on('data', (chunk: Buffer) => this.onRead(chunk.length, chunk));
      this.socket.once('secureConnect', () => this.onConnect());
    } else {
      this.socket = net.connect({
        host: addr.host,
        port: addr.port,
        noDelay: true,
        keepAlive: true,
        onread: {
          buffer: SHARED_READ,
          callback: (n: number, buf: Uint8Array) => {
            this.onRead(n, buf as Buffer);
            return true;
          },
        },
      });
      this.socket.once('connect', () => this.onConnect());
    }
    this.connectTimer = setTimeout(() => {
      this.destroy(new ConnectionError(`connect to ${addr.key} timed out after ${opts.connectTimeout} ms`));
    }, opts.connectTimeout);
    this.connectTimer.unref?.();
    this.socket.on('error', (err: Error) => this.destroy(new ConnectionError(`${addr.key}: ${err.message}`, { cause: err })));
    this.socket.on('close', () => this.destroy(new ConnectionError(`connection to ${addr.key} closed`)));
  }

  /** Records waiting for a reply (Done ones included). */
  get pendingCount(): number {
    return this.count;
  }

  private onConnect(): void {
    if (this.state !== ConnState.Connecting) return;
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.state = ConnState.Ready;
    this.everConnected = true;
    this.settle?.(true);
    const unsent = this.unsent;
    this.unsent = 0;
    this.owner.onConnected(this, unsent);
    this.flush();
  }

  /** Appends cmd (after ASKING if it asks for it) to the write buffer and the FIFO. */
  send(cmd: Command): void {
    if (cmd.asking) {
      cmd.asking = false;
      this.enc.command(ASKING_ARGS);
      this.push(ASKING);
    }
    this.enc.command(cmd.args);
    this.push(cmd);
    if (this.state === ConnState.Ready) {
      if (!this.dirty) this.owner.markDirty(this);
    } else if (!cmd.internal) {
      this.unsent++;
    }
  }

  /** Writes everything appended since the last flush in one socket write. */
  flush(): void {
    this.dirty = false;
    if (this.state !== ConnState.Ready) return;
    if (this.owesOffset) {
      this.owesOffset = false;
      this.offsetsInFlight++;
      this.enc.command(OFFSET_PROBE.args);
      this.push(OFFSET_PROBE);
    }
    if (this.enc.length === 0) return;
    const socket = this.socket;
    socket.write(this.enc.take());
    // Written synchronously: the buffer is free again. Otherwise the write still holds it.
    if (socket.writableLength === 0) this.enc.reuse();
    else this.enc.detach();
  }

  private push(cmd: Command): void {
    if (this.count === this.ring.length) this.growRing();
    this.ring[(this.head + this.count) & this.mask] = cmd;
    this.count++;
  }

  private growRing(): void {
    const old = this.ring;
    const next = new Array<Command | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.ring = next;
    this.mask = next.length - 1;
    this.head = 0;
  }

  private onRead(n: number, buf: Buffer): void {
    if (this.state === ConnState.Closed) return;
    const decoder = this.decoder;
    decoder.feed(n === buf.length ? buf : buf.subarray(0, n));
    for (;;) {
      const head = this.count > 0 ? this.ring[this.head]! : undefined;
      let v: unknown;
      try {
        v = decoder.next(head === undefined ? BulkMode.Utf8 : head.mode);
      } catch (err) {
        this.destroy(new ConnectionError(`protocol error from ${this.addr.key}: ${(err as Error).message}`, { cause: err }));
        return;
      }
      if (v === NEED_MORE) return;
      if (head === undefined) {
        // Nothing asked for it: a push (the topology subscription's frames).
        this.owner.onPush?.(this, v);
        if ((this.state as ConnState) === ConnState.Closed) return;
        continue;
      }
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
      this.count--;
      this.owner.onReply(this, head, v);
      if ((this.state as ConnState) === ConnState.Closed) return;
    }
  }

  /**
   * Calls fn for every record awaiting a reply; returns the earliest deadline among those still
   * Pending after fn (Infinity if none). Used by the client's timeout sweep.
   */
  sweep(fn: (cmd: Command) => void): number {
    let min = Infinity;
    for (let i = 0; i < this.count; i++) {
      const cmd = this.ring[(this.head + i) & this.mask]!;
      if (cmd.state !== State.Pending) continue;
      fn(cmd);
      if (cmd.state === State.Pending && cmd.deadline < min) min = cmd.deadline;
    }
    return min;
  }

  /** Closes the socket; the records without a reply go to the owner's onLost. Idempotent. */
  destroy(err: ConnectionError): void {
    if (this.state === ConnState.Closed) return;
    this.state = ConnState.Closed;
    this.settle?.(false);
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.socket.destroy();
    this.decoder.reset();
    const pending: Command[] = [];
    for (let i = 0; i < this.count; i++) {
      const cmd = this.ring[(this.head + i) & this.mask]!;
      if (cmd !== ASKING) pending.push(cmd);
    }
    this.ring = new Array<Command | undefined>(16);
    this.mask = 15;
    this.head = this.count = 0;
    this.guard = null;
    this.offsetsInFlight = 0;
    this.owesOffset = false;
    this.owner.onLost(this, pending, err);
  }
}
