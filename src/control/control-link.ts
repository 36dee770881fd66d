// A persistent control-plane connection to one node: commands are sent over one socket and their
// replies matched in order, each with a deadline. Used for the write-lease renewals a node sends
// its controller ten times a second and for the controller's calls to nodes; a failed or timed
// out call destroys the socket (later replies could not be matched), and the next call
// reconnects. Errors carry the socket's error code, so a caller can tell a refused connection
// (no process listens there: proof the peer's process is gone) from a timeout.
//
// The link authenticates and uses TLS as its LinkSecurity says (util/link-security.ts): AUTH's
// reply is the first on the socket and is consumed here; a refusal fails every call with reason
// EAUTH (and the next call tries again on a new connection).

import type net from 'node:net';
import { AUTH_HINT, LINK_READY, authNotNeeded, authRefusal, dialLink, sendsAuth, type LinkSecurity } from '../util/link-security.js';
import { encodeCommand, parseReply, type ReplyValue } from '../protocol/reply-parser.js';

export class ControlLinkError extends Error {
  readonly code = 'E_CONTROL_LINK';
  constructor(
    message: string,
    /** ECONNREFUSED, ETIMEDOUT (our deadline), ECONNRESET, ... */
    readonly reason: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (v: ReplyValue) => void;
  reject: (e: ControlLinkError) => void;
  timer: NodeJS.Timeout;
}

export class ControlLink {
  private socket: net.Socket | null = null;
  private connected = false;
  private buf: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private readonly queued: Buffer[] = [];
  private closed = false;
  /** AUTH's reply is still to come on this socket, ahead of the calls' replies. */
  private authPending = false;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly security?: LinkSecurity,
  ) {}

  /** Sends one command; resolves with its reply (an error reply is a value, not a rejection). */
  call(args: Array<string | number | Buffer>, timeoutMs: number): Promise<ReplyValue> {
    if (this.closed) return Promise.reject(new ControlLinkError('link closed', 'ECLOSED'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new ControlLinkError(`${this.host}:${this.port}: no reply within ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
      this.pending.push({ resolve, reject, timer });
      const bytes = encodeCommand(args);
      if (this.socket === null) this.connect();
      if (this.connected) this.socket!.write(bytes);
      else this.queued.push(bytes);
    });
  }

  private connect(): void {
    const socket = dialLink(this.host, this.port, this.security);
    this.socket = socket;
    this.connected = false;
    this.authPending = sendsAuth(this.security);
    this.buf = Buffer.alloc(0);
    socket.once(LINK_READY, () => {
      if (this.socket !== socket) return;
      this.connected = true;
      for (const b of this.queued) socket.write(b);
      this.queued.length = 0;
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      for (;;) {
        let r: [ReplyValue, number] | null;
        try {
          r = parseReply(this.buf);
        } catch (err) {
          this.fail(new ControlLinkError(`${this.host}:${this.port}: ${(err as Error).message}`, 'EPROTO'));
          return;
        }
        if (r === null) break;
        this.buf = this.buf.subarray(r[1]);
        if (this.authPending) {
          this.authPending = false;
          const v = r[0];
          if (typeof v === 'object' && v !== null && 'error' in v && !authNotNeeded(v.error)) {
            this.fail(new ControlLinkError(`${authRefusal(`${this.host}:${this.port}`, this.security, v.error)}: ${AUTH_HINT}`, 'EAUTH'));
            return;
          }
          continue;
        }
        const p = this.pending.shift();
        if (p === undefined) continue;
        clearTimeout(p.timer);
        p.resolve(r[0]);
      }
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (this.socket === socket) this.fail(new ControlLinkError(`${this.host}:${this.port}: ${err.message}`, err.code ?? 'EIO'));
    });
    socket.once('close', () => {
      if (this.socket === socket) this.fail(new ControlLinkError(`${this.host}:${this.port}: connection closed`, 'ECONNRESET'));
    });
  }

  /** Rejects every pending call and drops the socket. */
  private fail(err: ControlLinkError): void {
    const socket = this.socket;
    this.socket = null;
    this.connected = false;
    this.queued.length = 0;
    socket?.destroy();
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  close(): void {
    this.closed = true;
    this.fail(new ControlLinkError('link closed', 'ECLOSED'));
  }
}

/** Whether a node's process is gone ('dead'), answers as `runId` ('alive'), or cannot be told. */
export type ProbeResult = 'dead' | 'alive' | 'unknown';

/**
 * Probes a node: a refused connection, or another process's run id at its address, proves the
 * process that held `runId` is gone; a timeout proves nothing.
 */
export async function probeNode(host: string, port: number, runId: string | null, timeoutMs: number, security?: LinkSecurity): Promise<ProbeResult> {
  const link = new ControlLink(host, port, security);
  try {
    const r = await link.call(['CORRAL', 'WHOAMI'], timeoutMs);
    if (Array.isArray(r) && typeof r[1] === 'string') return runId !== null && r[1] !== runId ? 'dead' : 'alive';
    return 'alive';
  } catch (err) {
    return err instanceof ControlLinkError && err.reason === 'ECONNREFUSED' ? 'dead' : 'unknown';
  } finally {
    link.close();
  }
}
