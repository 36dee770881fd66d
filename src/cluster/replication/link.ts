// The replica's side of replication: one connection to the primary that performs Redis's
// handshake (AUTH when the node has credentials, PING, REPLCONF listening-port, REPLCONF capa,
// PSYNC <replid> <offset>) over plain TCP or TLS (util/link-security.ts), then applies
// what the primary sends: after `+FULLRESYNC <replid> <offset>` the dataset is dropped and the
// snapshot's commands are applied up to the `CORRAL SYNCEND` marker; after `+CONTINUE <replid>`
// (or after SYNCEND) the stream, whose bytes advance the replication offset. It acknowledges
// its offset when the primary asks (REPLCONF GETACK) and once a second, and reconnects with
// PSYNC after a lost connection, so a short disconnect resumes from the primary's backlog.
//
// A transaction in the stream (MULTI ... EXEC) is applied in one go once EXEC has arrived, so a
// reader on the replica never sees half of it. The snapshot's `CORRAL LOAD` commands (asked for
// with `capa corral-load`; see source.ts) are stored by the host directly.
//
// Credentials the primary refuses (an error to AUTH, or NOAUTH to PING: this node has none) are
// logged and retried every AUTH_RETRY_MS, as Redis's replica retries its handshake each second.

import type net from 'node:net';
import { AUTH_HINT, LINK_READ_BUFFER, LINK_READY, authNotNeeded, authRefusal, dialLink, sendsAuth, type LinkSecurity } from '../../util/link-security.js';
import { BudgetedStream, streamBudget } from '../../util/turn-budget.js';
import type { CommandArgs } from '../../protocol/request-parser.js';
import { COMMAND_READY, NEED_MORE, RequestParser, copyArgs } from '../../protocol/request-parser.js';
import { parseReply } from '../../protocol/reply-parser.js';

export interface ReplicaHost {
  /** A batch of commands (one read from the socket) starts; endBatch() follows it. */
  beginBatch(): void;
  endBatch(): void;
  /** Runs one command of the primary's stream: no reply, no routing; TTLs do not expire keys. */
  apply(args: CommandArgs): void;
  /** A snapshot's `CORRAL LOAD <db> (<key> <value> <expire-at>)...`: stores them; returns how many. */
  load(args: CommandArgs): number;
  /** A full copy starts: drop every key. */
  resetDataset(): void;
  /** The snapshot's `CORRAL RESERVE <db> <keys>`: how many keys database db is about to get. */
  reserve(args: CommandArgs): void;
  /** A stream command arrived: its bytes as received (buf[start, end)), for this node's own backlog. */
  applied(buf: Buffer, start: number, end: number, offset: number): void;
  /** The link's state changed (INFO, LOADING replies, the control plane's reports). */
  stateChanged(): void;
  /** A log line; `fields` make it a structured event (util/log.ts: `event` and its fields). */
  log(line: string, fields?: Record<string, unknown>): void;
}

export type LinkState = 'connect' | 'connecting' | 'handshake' | 'sync' | 'connected';

export interface LinkStart {
  replid: string;
  /** The last offset applied (PSYNC asks for offset + 1); -1 for none. */
  offset: number;
}

export interface LinkOptions {
  listeningPort: number;
  /** No byte from the primary for this long: the link is dropped and re-made (repl-timeout). */
  timeoutMs: number;
  /** Delay before reconnecting after a failure. */
  retryMs?: number;
  /** Credentials and TLS for the link to the primary (the node's linkSecurity('replication')). */
  security?: LinkSecurity;
}

const ACK_EVERY_MS = 1000;
/** Delay before trying again after the primary refused this node's credentials. */
const AUTH_RETRY_MS = 1000;

export class ReplicationLink {
  state: LinkState = 'connect';
  replid: string;
  /** Last offset applied. */
  offset: number;
  /** Date.now() of the last byte from the primary. */
  lastIoAt = 0;
  /** Date.now() when the link went down (INFO master_link_down_since_seconds). */
  downSince = Date.now();
  syncKeys = 0;
  syncStartedAt = 0;
  fullSyncs = 0;
  partialSyncs = 0;
  private socket: net.Socket | null = null;
  private parser: RequestParser | null = null;
  private handshakeBuf: Buffer = Buffer.alloc(0);
  private handshakeStep = 0;
  private inSnapshot = false;
  private tx: CommandArgs[] | null = null;
  private stopped = false;
  /** The last handshake failure logged: the same one again (every retry) is not logged twice in a row. */
  private lastFailure = '';
  private retryTimer: NodeJS.Timeout | null = null;
  private ackTimer: NodeJS.Timeout | null = null;
  private ackWanted = false;
  /** Called when the applied offset moves (read-your-writes waiters), once per read. */
  onOffset: ((offset: number) => void) | null = null;
  /** The offset waiters may be told: the last one outside a transaction. */
  private toldOffset = -1;
  /** This read's run of stream bytes not yet in the backlog, and the offset at its end. */
  private runSource: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runOffset = 0;

  constructor(
    readonly host: ReplicaHost,
    readonly primaryHost: string,
    readonly primaryPort: number,
    start: LinkStart,
    private readonly options: LinkOptions,
  ) {
    this.replid = start.replid;
    this.offset = start.offset;
  }

  get up(): boolean {
    return this.state === 'connected';
  }

  /** Whether hold() stopped reading the stream (the turn budget's resume leaves it stopped). */
  private held = false;
  /** The current connection's reads (util/turn-budget.ts). */
  private stream: BudgetedStream | null = null;

  /** Stops reading the primary's stream until release(): a replica made to lag (tests). */
  hold(): void {
    this.held = true;
    this.socket?.pause();
  }

  release(): void {
    this.held = false;
    this.stream?.resume();
  }

  start(): void {
    this.connect();
    this.ackTimer = setInterval(() => this.tick(), 100);
    this.ackTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.ackTimer !== null) clearInterval(this.ackTimer);
    this.socket?.destroy();
    this.socket = null;
    this.setState('connect');
  }

  private setState(s: LinkState): void {
    if (this.state === s) return;
    if (this.state === 'connected') this.downSince = Date.now();
    this.state = s;
    this.host.stateChanged();
  }

  private connect(): void {
    if (this.stopped) return;
    this.setState('connecting');
    const security = this.options.security;
    const socket = dialLink(this.primaryHost, this.primaryPort, security, {
      onread: { buffer: LINK_READ_BUFFER, callback: (length, buf) => onRead(length, buf) },
    });
    this.socket = socket;
    this.handshakeBuf = Buffer.alloc(0);
    // Step -1 is AUTH's reply: dialLink wrote AUTH ahead of everything else.
    this.handshakeStep = sendsAuth(security) ? -1 : 0;
    this.parser = null;
    this.inSnapshot = false;
    this.tx = null;
    socket.once(LINK_READY, () => {
      this.lastIoAt = Date.now();
      this.setState('handshake');
      socket.write(encode(['PING']));
    });
    // Reads land in one buffer shared by every link (Node's onread option), as a slot import's:
    // a full sync reads hundreds of MB, and a fresh 64 KB Buffer per read made V8 run a
    // mark-compact every second or so, pausing this replica and taking the cores from the
    // primary beside it. Each read is consumed before the next (the parser copies what it keeps).
    // The stream's time per turn is bounded (util/turn-budget.ts: a full sync, a burst), so
    // clients are answered meanwhile; a link held by hold() reads nothing until release().
    const stream = new BudgetedStream(
      socket,
      (chunk, length) => this.applyRead(chunk, length),
      () => this.socket === socket,
      () => !this.held,
    );
    this.stream = stream;
    const onRead = (length: number, buf: Uint8Array): boolean => {
      if (this.socket !== socket) return true;
      this.lastIoAt = Date.now();
      stream.read(buf as Buffer, length);
      return true;
    };
    const lost = (): void => {
      if (this.socket !== socket) return;
      this.drop();
    };
    socket.once('error', lost);
    socket.once('close', lost);
  }

  /** Drops the connection and retries after a pause. */
  private drop(retryMs = this.options.retryMs ?? 100): void {
    this.socket?.destroy();
    this.socket = null;
    if (this.inSnapshot) {
      // A half-applied snapshot is not a dataset: the next attempt must be a full copy.
      this.replid = '?';
      this.offset = -1;
      this.inSnapshot = false;
    }
    this.setState('connect');
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => this.connect(), retryMs);
  }

  /** Applies a read (or, with length 0, what the last one left); true if the turn's budget stopped it with commands left. */
  private applyRead(chunk: Buffer, length: number): boolean {
    try {
      return this.onData(chunk, length);
    } catch (err) {
      const failure = `replication link to ${this.primaryHost}:${this.primaryPort}: ${(err as Error).message}`;
      if (failure !== this.lastFailure) this.host.log(failure);
      this.lastFailure = failure;
      this.drop(err instanceof AuthRefused ? AUTH_RETRY_MS : undefined);
      return false;
    }
  }

  /** A read of `length` bytes in `chunk` (a buffer reused by the next read), or with length 0 what the last read left. */
  private onData(chunk: Buffer, length: number): boolean {
    if (this.parser === null) {
      // A copy: the handshake's replies may span reads.
      this.handshakeBuf = Buffer.concat([this.handshakeBuf, chunk.subarray(0, length)]);
      const rest = this.handshake();
      if (rest === null) return false;
      chunk = rest;
      length = rest.length;
    }
    const p = this.parser!;
    if (length > 0) p.feed(chunk, length);
    let r: number;
    let left = false;
    const offsetBefore = this.toldOffset;
    this.host.beginBatch();
    try {
      while ((r = p.next()) === COMMAND_READY) {
        this.command(p, p.rawStart, p.rawEnd);
        if (streamBudget.spentAfter(p.rawEnd - p.rawStart)) {
          left = true;
          break;
        }
      }
    } finally {
      this.flushApplied();
      this.host.endBatch();
    }
    // The read's rest is applied at the end of the turn (copied out of the read's buffer, which
    // the next read reuses, after the backlog took the run that lies in it).
    if (left) p.preserve();
    if (this.onOffset !== null && this.toldOffset !== offsetBefore) this.onOffset(this.toldOffset);
    if (!left && r !== NEED_MORE) throw new Error(`bad replication stream: ${p.error || 'query buffer full'}`);
    if (this.ackWanted) this.sendAck();
    return left;
  }

  /**
   * The stream's bytes go into this node's own backlog once per read, not once per command: the
   * commands of one read lie back to back in the parser's buffer, so a run of them is one copy.
   * Commands parsed from the accumulation buffer (after one that was split across reads) are
   * copied one by one instead: an incomplete command later in the read moves that buffer's bytes.
   * The run is flushed before the read's batch ends, while the read's buffer still holds it.
   */
  private appendApplied(src: Buffer, start: number, end: number): void {
    if (src === this.runSource && start === this.runEnd) {
      this.runEnd = end;
      return;
    }
    this.flushApplied();
    this.runSource = src;
    this.runStart = start;
    this.runEnd = end;
  }

  private flushApplied(): void {
    const src = this.runSource;
    if (src === null) return;
    this.runSource = null;
    this.host.applied(src, this.runStart, this.runEnd, this.runOffset);
  }

  /** Runs the handshake on buffered replies; returns the bytes after it once the stream starts. */
  private handshake(): Buffer | null {
    const socket = this.socket!;
    for (;;) {
      const r = parseReply(this.handshakeBuf);
      if (r === null) return null;
      const [reply, next] = r;
      this.handshakeBuf = this.handshakeBuf.subarray(next);
      const err = typeof reply === 'object' && reply !== null && 'error' in reply ? (reply as { error: string }).error : null;
      const line = typeof reply === 'object' && reply !== null && 'simple' in reply ? (reply as { simple: string }).simple : '';
      switch (this.handshakeStep++) {
        case -1: // AUTH
          if (err !== null && !authNotNeeded(err)) throw new AuthRefused(`${authRefusal('the primary', this.options.security, err)}: ${AUTH_HINT}`);
          break;
        case 0: // PING
          if (err !== null && err.startsWith('NOAUTH')) throw new AuthRefused(`the primary requires authentication (${err}): set masterauth (and masteruser for an ACL user)`);
          if (err !== null && !err.startsWith('NOPERM')) throw new Error(`primary answered PING with ${err}`);
          socket.write(encode(['REPLCONF', 'listening-port', String(this.options.listeningPort)]));
          break;
        case 1: // REPLCONF listening-port
          socket.write(encode(['REPLCONF', 'capa', 'eof', 'capa', 'psync2', 'capa', 'corral-load']));
          break;
        case 2: // REPLCONF capa
          socket.write(encode(['PSYNC', this.replid, String(this.offset < 0 ? -1 : this.offset + 1)]));
          break;
        default: {
          if (err !== null) throw new Error(`primary refused PSYNC: ${err}`);
          const words = line.split(' ');
          if (words[0] === 'FULLRESYNC' && words.length === 3) {
            this.replid = words[1];
            this.offset = Number(words[2]);
            this.inSnapshot = true;
            this.syncKeys = 0;
            this.syncStartedAt = Date.now();
            this.fullSyncs++;
            this.lastFailure = '';
            this.host.log(`full sync from ${this.primaryHost}:${this.primaryPort}: replication id ${this.replid}, offset ${this.offset}`, {
              event: 'replication.sync',
              kind: 'full',
              side: 'replica',
              primary: `${this.primaryHost}:${this.primaryPort}`,
              offset: this.offset,
            });
            this.host.resetDataset();
            this.setState('sync');
          } else if (words[0] === 'CONTINUE') {
            if (words[1] !== undefined && words[1] !== '') this.replid = words[1];
            this.partialSyncs++;
            this.lastFailure = '';
            this.host.log(`partial sync from ${this.primaryHost}:${this.primaryPort}: resuming at offset ${this.offset + 1}`, {
              event: 'replication.sync',
              kind: 'partial',
              side: 'replica',
              primary: `${this.primaryHost}:${this.primaryPort}`,
              offset: this.offset + 1,
            });
            this.setState('connected');
          } else {
            throw new Error(`unexpected PSYNC reply: ${line} (corral replicates only from corral)`);
          }
          this.parser = new RequestParser({ maxBulkLength: 1 << 30, maxQueryBuffer: 2 ** 40 });
          const rest = this.handshakeBuf;
          this.handshakeBuf = Buffer.alloc(0);
          return rest;
        }
      }
    }
  }

  private command(a: RequestParser, rawStart: number, rawEnd: number): void {
    if (this.inSnapshot) {
      if (isWord(a, 0, 'corral') && a.argc === 2 && isWord(a, 1, 'syncend')) {
        this.inSnapshot = false;
        this.host.log(`full copy from ${this.primaryHost}:${this.primaryPort} applied: ${this.syncKeys} keys in ${Date.now() - this.syncStartedAt} ms`, {
          event: 'replication.sync',
          kind: 'full-done',
          side: 'replica',
          primary: `${this.primaryHost}:${this.primaryPort}`,
          keys: this.syncKeys,
          ms: Date.now() - this.syncStartedAt,
        });
        this.setState('connected');
        return;
      }
      if (isWord(a, 0, 'corral') && a.argc >= 3 && isWord(a, 1, 'load')) this.syncKeys += this.host.load(a);
      else if (isWord(a, 0, 'corral') && a.argc === 4 && isWord(a, 1, 'reserve')) this.host.reserve(a);
      else {
        this.host.apply(a);
        if (!isWord(a, 0, 'select')) this.syncKeys++;
      }
      return;
    }
    this.offset += rawEnd - rawStart;
    if (a.rawInAccumulator) {
      // The command came in more than one read: its bytes sit in the parser's accumulation
      // buffer, which the next incomplete command compacts. Copied now, not as part of a run.
      this.flushApplied();
      this.host.applied(a.rawSource, rawStart, rawEnd, this.offset);
    } else {
      this.appendApplied(a.rawSource, rawStart, rawEnd);
      this.runOffset = this.offset;
    }
    if (isWord(a, 0, 'replconf')) {
      if (a.argc >= 2 && isWord(a, 1, 'getack')) this.ackWanted = true;
    } else if (isWord(a, 0, 'ping')) {
      // heartbeat
    } else if (isWord(a, 0, 'multi')) {
      this.tx = [];
    } else if (isWord(a, 0, 'exec') && this.tx !== null) {
      const tx = this.tx;
      this.tx = null;
      for (const c of tx) this.host.apply(c);
    } else if (this.tx !== null) {
      this.tx.push(copyArgs(a));
    } else {
      this.host.apply(a);
    }
    // Inside MULTI the offset is ahead of what was applied: waiters are told at EXEC (once per
    // read, after its batch).
    if (this.tx === null) this.toldOffset = this.offset;
  }

  private sendAck(): void {
    this.ackWanted = false;
    if (this.socket !== null && this.state === 'connected') this.socket.write(encode(['REPLCONF', 'ACK', String(this.offset)]));
    this.lastAckAt = Date.now();
  }

  private lastAckAt = 0;

  private tick(): void {
    const now = Date.now();
    if (this.socket !== null && this.state !== 'connecting' && now - this.lastIoAt > this.options.timeoutMs) {
      this.host.log(`replication link to ${this.primaryHost}:${this.primaryPort} timed out`);
      this.drop();
      return;
    }
    if (this.state === 'connected' && now - this.lastAckAt >= ACK_EVERY_MS) this.sendAck();
  }
}

/** The primary refused this node's credentials: retried after AUTH_RETRY_MS. */
class AuthRefused extends Error {}

function encode(words: string[]): Buffer {
  let s = `*${words.length}\r\n`;
  for (const w of words) s += `$${Buffer.byteLength(w, 'latin1')}\r\n${w}\r\n`;
  return Buffer.from(s, 'latin1');
}

/** Whether argument i is `lower` in any letter case. */
export function isWord(a: CommandArgs, i: number, lower: string): boolean {
  const s = a.start[i];
  if (a.end[i] - s !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) if ((a.buf[s + k] | 32) !== lower.charCodeAt(k)) return false;
  return true;
}
