// The local coordinator client's connections to its server (local-coordinator.ts uses them; the
// server's protocol is in local-coordinator-server.ts):
//   - RespLink, the request connection, opened on demand, one command at a time in FIFO order;
//     every call has a deadline. A call that times out keeps its place in the FIFO (its late reply
//     is dropped), so the connection stays in step. When the connection fails, every call in
//     flight rejects with E_COORDINATOR_UNAVAILABLE and the next call opens a new one.
//   - PushWatch, one connection per watch, in push mode: the server sends the current state as
//     soon as the watch is set up and a push after every change. When it is lost, the watch
//     reconnects with a backoff (50 ms doubling to 1 s) and the server's first push re-delivers
//     the current state.
//
// Security (a node's cluster LinkSecurity: util/link-security.ts): every connection is TLS when it
// says so and sends AUTH first; the request connection consumes AUTH's reply, and a refusal fails
// the calls in flight (E_COORDINATOR_UNAVAILABLE, naming it). A watch whose AUTH is refused
// reconnects later.

import type net from 'node:net';
import { LINK_READY, authNotNeeded, authRefusal, dialLink, sendsAuth, type LinkSecurity } from '../util/link-security.js';
import { encodeCommand, parseReply, type ReplyValue } from '../protocol/reply-parser.js';
import type { RespValue } from '../protocol/resp-value.js';
import type { Closable } from './coordinator.js';
import { CoordinatorError } from './coordinator-shared.js';

/** Bulk strings arrive as latin1 code units; records are UTF-8. */
export function utf8(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

export function isError(r: ReplyValue): r is { error: string } {
  return typeof r === 'object' && r !== null && !Array.isArray(r) && 'error' in r;
}

interface PendingCall {
  resolve: (r: ReplyValue) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  settled: boolean;
}

/** The request connection: one command at a time, replies matched in FIFO order. */
export class RespLink {
  private socket: net.Socket | null = null;
  private readonly pending: PendingCall[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly security: LinkSecurity | undefined,
  ) {}

  call(args: Array<string | number>, timeoutMs: number): Promise<ReplyValue> {
    if (this.closed) return Promise.reject(new CoordinatorError('E_COORDINATOR_CLOSED', 'coordinator client closed'));
    const socket = this.socket ?? this.open();
    return new Promise((resolve, reject) => {
      const call: PendingCall = {
        resolve,
        reject,
        settled: false,
        timer: setTimeout(() => {
          call.settled = true;
          reject(new CoordinatorError('E_COORDINATOR_TIMEOUT', `${this.host}:${this.port}: no reply within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.pending.push(call);
      socket.write(encodeCommand(args));
    });
  }

  private open(): net.Socket {
    const socket = dialLink(this.host, this.port, this.security);
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    if (sendsAuth(this.security)) {
      // dialLink wrote AUTH first: its reply heads the FIFO.
      const refused = (r: ReplyValue): void => {
        if (isError(r) && !authNotNeeded(r.error)) this.fail(socket, authRefusal('the coordinator', this.security, r.error));
      };
      this.pending.push({ resolve: refused, reject: () => {}, settled: false, timer: undefined as unknown as NodeJS.Timeout });
    }
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      let off = 0;
      for (;;) {
        let r: [ReplyValue, number] | null;
        try {
          r = parseReply(this.buf, off);
        } catch (err) {
          return this.fail(socket, `bad reply: ${(err as Error).message}`);
        }
        if (r === null) break;
        off = r[1];
        const call = this.pending.shift();
        if (call === undefined) return this.fail(socket, 'reply to no request');
        clearTimeout(call.timer);
        if (!call.settled) call.resolve(r[0]);
        if (this.socket !== socket) return; // failed (AUTH refused)
      }
      this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
    });
    socket.on('error', (err) => this.fail(socket, err.message));
    socket.on('close', () => this.fail(socket, 'connection closed'));
    return socket;
  }

  private fail(socket: net.Socket, why: string): void {
    socket.destroy();
    if (this.socket !== socket) return;
    this.socket = null;
    for (const call of this.pending.splice(0)) {
      clearTimeout(call.timer);
      if (!call.settled) call.reject(new CoordinatorError('E_COORDINATOR_UNAVAILABLE', `${this.host}:${this.port}: ${why}`));
    }
  }

  close(): void {
    this.closed = true;
    if (this.socket !== null) this.fail(this.socket, 'coordinator client closed');
  }
}

/** One watch connection: subscribes, hands every push's value on, reconnects when lost. */
export class PushWatch implements Closable {
  private socket: net.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private delayMs = 50;
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly subject: 'TOPOLOGY' | 'MEMBERS' | 'CONTROLLER',
    private readonly onPush: (value: RespValue) => void,
    private readonly onClose: (w: PushWatch) => void,
    private readonly security: LinkSecurity | undefined,
  ) {
    this.connect();
  }

  private connect(): void {
    this.timer = null;
    if (this.closed) return;
    // AUTH (when sent) is answered +OK, passed over below, or with an error: reconnect later.
    const socket = dialLink(this.host, this.port, this.security);
    this.socket = socket;
    let buf: Buffer = Buffer.alloc(0);
    socket.once(LINK_READY, () => socket.write(encodeCommand(['COORD', 'WATCH', this.subject])));
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let off = 0;
      for (;;) {
        let r: [ReplyValue, number] | null;
        try {
          r = parseReply(buf, off);
        } catch {
          socket.destroy();
          return;
        }
        if (r === null) break;
        off = r[1];
        const v = r[0];
        if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'push' in v) {
          this.delayMs = 50; // subscribed: the next loss starts its backoff afresh
          if (!this.closed) this.onPush(v.push[1]);
        } else if (isError(v) && !authNotNeeded(v.error)) {
          socket.destroy();
          return;
        }
      }
      buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.socket !== socket || this.closed) return;
      this.socket = null;
      this.timer = setTimeout(() => this.connect(), this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, 1000);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.socket?.destroy();
    this.socket = null;
    this.onClose(this);
  }
}
