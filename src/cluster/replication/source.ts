// The primary's side of replication: the replication id and offset, the backlog, the stream of
// writes sent to every replica, PSYNC (resume from the backlog, or a full copy), the full copy
// itself, and the replicas' acknowledged offsets (WAIT, INFO replication).
//
// The stream is commands in RESP, as Redis's: each write a client ran that changed the dataset,
// with SELECT when the database changes, PING as a heartbeat, REPLCONF GETACK when someone waits
// for acknowledgements, and DEL for every key removed by expiry or eviction (replicas never
// expire or evict on their own authority). Commands whose effect depends on when or where they
// run (relative TTLs, SPOP's random choice, ...) are flagged in the command table and sent as
// their effect instead: the state of each key they touched (`SET key value PXAT t`, `RESTORE key
// t payload REPLACE ABSTTL`, or `DEL key`).
//
// The full copy without fork. A replica asking for a full copy gets `+FULLRESYNC <replid>
// <offset>`, then every live key as a command (SET/RESTORE, the snapshot; full-copy.ts), a few
// milliseconds of work per event-loop turn and only while the socket keeps up, then a `CORRAL
// SYNCEND` marker, then the stream from <offset> on, which was buffered for it meanwhile. The
// snapshot is not a point-in-time image: a key may be copied before or after a write made during
// the copy. So while any copy is in progress, every write is propagated as the state of the keys
// it touched, never as the command. Applying "set key K to state S" is idempotent, and the last
// state of K in the stream is K's state after its last write, so a replica that applies the
// snapshot and then the buffered stream ends where the primary is, whichever version of K the
// snapshot caught. Commands that touch every key (FLUSHALL, FLUSHDB) are sent as they are: they
// are idempotent too.
//
// A replica that is not corral's (SYNC, or PSYNC without `REPLCONF capa corral-load`) gets a
// Redis-format RDB file of the dataset instead, taken at once (ReplicaConnection.rdb,
// server/replica-rdb.ts), then the same stream from the file's offset on.
//
// A replica that announces `REPLCONF capa corral-load` (corral's own) gets each database's key
// count first (`CORRAL RESERVE <db> <keys>`: it sizes its key table once), then the snapshot's
// plain string keys in bulk: `CORRAL LOAD <db> <key> <value> <expire-at-ms or 0> ...`, up to 64 keys
// a command, which it stores directly; other keys still come as SET/RESTORE. This is the
// snapshot's bulk of work on both sides, and both share the machine's cores with the clients.

import { randomBytes } from 'node:crypto';
import { RequestParser, type CommandArgs } from '../../protocol/request-parser.js';
import type { Command } from '../../commands/table.js';
import type { Store } from '../../store/store.js';
import type { Keyspace } from '../../store/keyspace.js';
import { latin1 } from '../../util/bytes.js';
import { ReplicationBacklog } from './backlog.js';
import { stateCommand } from './snapshot-encoding.js';
import { StreamBuffer } from './stream-buffer.js';
import { FullCopy, type FullCopyHost } from './full-copy.js';
import { ReplicaPeer, type ReplicaConnection } from './replica-peer.js';

export { ReplicaPeer, type ReplicaConnection, type ReplicaState } from './replica-peer.js';

export interface ReplicationSourceOptions {
  store: Store;
  backlogSize: number;
  /** A log line; `fields` make it a structured event (util/log.ts). */
  log: (line: string, fields?: Record<string, unknown>) => void;
  /** Most stream bytes buffered for a replica during its full copy (client-output-buffer-limit replica). */
  maxSyncBuffer?: number;
  /** Commands (RESP) a full copy starts with, before the keys: the node's function libraries. */
  fullCopyPreamble?: () => Buffer | null;
}

const MULTI = Buffer.from('*1\r\n$5\r\nMULTI\r\n');

export function newReplicationId(): string {
  return randomBytes(20).toString('hex');
}

export class ReplicationSource {
  replid = newReplicationId();
  /** The previous replication id, and the first offset not covered by it (PSYNC2). */
  replid2 = '0000000000000000000000000000000000000000';
  secondReplOffset = -1;
  readonly backlog: ReplicationBacklog;
  readonly replicas: ReplicaPeer[] = [];
  /** The database the stream last SELECTed; -1 forces a SELECT before the next command. */
  private streamDb = -1;
  /** This turn's stream bytes, sent to every replica at the end of the turn. */
  private readonly turn = new StreamBuffer();
  private flushScheduled = false;
  /** A run of client request bytes, back to back in one read, not yet copied into `turn`. */
  private runSource: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private syncs = 0;
  /**
   * Inside EXEC or a script: the commands it propagated so far, and where the first one starts
   * (after its SELECT). A second command puts MULTI there; EXEC follows the last. One command
   * alone is not wrapped: Redis 7.0's propagatePendingCommands.
   */
  private txDepth = 0;
  private txOps = 0;
  private txMark = 0;
  private readonly keyPos: number[] = [];
  /** What a full copy needs of the source (full-copy.ts). */
  private readonly copyHost: FullCopyHost;

  /** Called after acknowledgements arrive (WAIT). */
  onAck: (() => void) | null = null;

  constructor(private readonly options: ReplicationSourceOptions, startOffset = 0) {
    this.backlog = new ReplicationBacklog(options.backlogSize, startOffset);
    this.copyHost = {
      store: options.store,
      flush: () => this.flush(),
      attached: (peer) => this.replicas.includes(peer),
      copied: (peer, keys, ms) => {
        peer.state = 'online';
        this.syncs--;
        options.log(`full copy to ${peer.conn.ip}:${peer.listeningPort} sent: ${keys} keys in ${ms} ms`);
      },
    };
  }

  get offset(): number {
    return this.backlog.offset;
  }

  /** The offset once this turn's stream is sent: what replicas reach by the writes made so far. */
  get offsetAfterTurn(): number {
    let n = this.turn.length;
    if (this.runSource !== null) n += this.runEnd - this.runStart;
    return this.backlog.offset + n;
  }

  /** Replicas that finished their copy. */
  get onlineCount(): number {
    let n = 0;
    for (const r of this.replicas) if (r.state === 'online') n++;
    return n;
  }

  /** Whether some full copy is in progress (writes then propagate as key states). */
  get copying(): boolean {
    return this.syncs > 0;
  }

  // ---- the stream ----

  /**
   * A command that changed the dataset, run by a client in database `db`. Sent as it is, or as
   * the state of the keys it touched (flagged commands, or during a full copy).
   */
  propagate(cmd: Command, args: CommandArgs, db: number, asState: boolean): void {
    if (asState || this.syncs > 0) {
      const n = cmd.keyPositions(args.argc, this.keyPos, args);
      if (n > 0) {
        const keyspace = this.options.store.dbs[db];
        for (let i = 0; i < n; i++) {
          const p = this.keyPos[i];
          this.emitState(keyspace, db, latin1(args.buf, args.start[p], args.end[p]));
        }
        return;
      }
    }
    this.select(db);
    this.txOp();
    // A request parsed straight from a client's multibulk bytes is copied as it came: the same
    // command in valid RESP, without encoding it again. Anything else (a queued MULTI command,
    // an inline request) is encoded. Pipelined requests lie back to back in the read that
    // brought them: a run of them is copied at once, when something else is written to the
    // stream or when the client's read has been processed (endRead), whichever is first; one
    // in the parser's accumulation buffer (it came in pieces) is copied at once, since the
    // parser compacts that buffer when the next request is incomplete.
    if (args instanceof RequestParser && args.rawSource[args.rawStart] === 42 /* '*' */) {
      const src = args.rawSource;
      if (args.rawInAccumulator) {
        this.settle();
        this.turn.raw(src, args.rawStart, args.rawEnd);
      } else if (src === this.runSource && args.rawStart === this.runEnd) this.runEnd = args.rawEnd;
      else {
        this.settle();
        this.runSource = src;
        this.runStart = args.rawStart;
        this.runEnd = args.rawEnd;
      }
    } else {
      this.settle();
      this.turn.args(args);
    }
    this.appended();
  }

  /** Copies the pending run of client request bytes into the turn. */
  private settle(): void {
    const src = this.runSource;
    if (src === null) return;
    this.runSource = null;
    this.turn.raw(src, this.runStart, this.runEnd);
  }

  /**
   * A client's read has been processed: the bytes of its requests are about to be reused (the
   * node reads every socket into one shared buffer), so the pending run is copied now.
   */
  endRead(): void {
    if (this.runSource !== null) this.settle();
  }

  /** A key written by other means than a command (a slot import's bulk load): its state. */
  propagateKey(db: number, key: string): void {
    this.settle();
    this.emitState(this.options.store.dbs[db], db, key);
  }

  /** A key removed by expiry or eviction: replicas delete it too. */
  keyRemoved(db: number, key: string): void {
    this.settle();
    this.select(db);
    this.txOp();
    this.turn.strings('DEL', key);
    this.appended();
  }

  /** A command of the source's own (PING, REPLCONF GETACK). */
  emit(...words: string[]): void {
    this.settle();
    this.turn.strings(...words);
    this.appended();
  }

  /** The state of one key: SET/RESTORE with its absolute TTL, or DEL. */
  private emitState(keyspace: Keyspace, db: number, key: string): void {
    this.settle();
    this.select(db);
    this.txOp();
    stateCommand(keyspace, key, this.turn);
    this.appended();
  }

  private select(db: number): void {
    if (db === this.streamDb) return;
    this.settle();
    this.streamDb = db;
    this.turn.strings('SELECT', String(db));
  }

  beginTransaction(): void {
    this.txDepth++;
  }

  endTransaction(): void {
    if (--this.txDepth > 0) return;
    if (this.txOps > 1) {
      this.settle();
      this.turn.strings('EXEC');
    }
    if (this.txOps > 0) {
      this.txOps = 0;
      this.appended();
    }
  }

  /** A command is about to be written (after its SELECT): inside a transaction, counted (see txOps). */
  private txOp(): void {
    if (this.txDepth === 0) return;
    this.settle();
    if (this.txOps === 0) this.txMark = this.turn.length;
    else if (this.txOps === 1) this.turn.insert(this.txMark, MULTI);
    this.txOps++;
  }

  private appended(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushBound);
    }
  }

  private readonly flushBound = (): void => this.flush();

  /** Sends this turn's stream: into the backlog, and to every replica (once per turn). */
  flush(): void {
    this.flushScheduled = false;
    if (this.txOps > 0) return; // a transaction is being written; it is flushed whole
    this.settle();
    const n = this.turn.length;
    if (n === 0) return;
    this.backlog.append(this.turn.buf, 0, n);
    // Online replicas get a view of the turn's buffer: when the kernel takes every byte at once
    // (the usual case) the buffer is free again after the write and is reused; when a write is
    // left pending, that write keeps the buffer and the turn starts a new one. A replica still
    // in its full copy keeps the bytes for later: a copy.
    let view: Buffer | null = null;
    let lent = false;
    let copy: Buffer | null = null;
    for (const r of this.replicas) {
      if (r.state === 'online') {
        if (!r.conn.write((view ??= this.turn.buf.subarray(0, n)))) lent = true;
      } else {
        const b = (copy ??= this.turn.copy());
        r.pending.push(b);
        r.pendingBytes += b.length;
        if (r.pendingBytes > (this.options.maxSyncBuffer ?? 256 * 1024 * 1024)) {
          this.options.log(`replica ${r.conn.ip}:${r.listeningPort}: stream buffered during the full copy passed its limit; dropping it`);
          r.conn.close();
        }
      }
    }
    if (lent) this.turn.detach();
    else this.turn.clear();
  }

  // ---- replicas ----

  /**
   * PSYNC from a replica: resume from the backlog when it asks for our history (or the one we
   * continued, up to where we forked from it) and the backlog still holds its next byte;
   * otherwise a full copy. SYNC (`legacy`): always a full copy, without +FULLRESYNC. Returns the
   * peer, now attached.
   */
  attach(conn: ReplicaConnection, replid: string, wantOffset: number, listeningPort: number, legacy = false): ReplicaPeer {
    this.flush();
    const peer = new ReplicaPeer(conn);
    peer.listeningPort = listeningPort;
    peer.ackAt = Date.now();
    const ours = replid === this.replid || (replid === this.replid2 && wantOffset <= this.secondReplOffset);
    if (!legacy && ours && this.backlog.has(wantOffset)) return this.resume(peer, wantOffset);
    if (conn.rdb !== null) return this.rdbCopy(peer, legacy ? 'SYNC' : `asked ${replid} ${wantOffset}`, legacy);
    return this.fullCopy(peer, replid, wantOffset);
  }

  /** +CONTINUE: the replica gets the backlog from its offset on, and is online. */
  private resume(peer: ReplicaPeer, wantOffset: number): ReplicaPeer {
    const conn = peer.conn;
    conn.write(Buffer.from(`+CONTINUE ${this.replid}\r\n`));
    const tail = this.backlog.copyFrom(wantOffset)!;
    if (tail.length > 0) conn.write(tail);
    peer.state = 'online';
    peer.ackOffset = wantOffset - 1;
    this.replicas.push(peer);
    this.options.log(`replica ${conn.ip}:${peer.listeningPort} resumed from offset ${wantOffset} (${tail.length} bytes from the backlog)`, {
      event: 'replication.sync',
      kind: 'partial',
      side: 'primary',
      replica: `${conn.ip}:${peer.listeningPort}`,
      offset: wantOffset,
      bytes: tail.length,
    });
    return peer;
  }

  /**
   * The full copy of a replica that is not corral's: an RDB file of the dataset as it is now,
   * after this turn's writes (flushed by attach), in a bulk (after +FULLRESYNC unless SYNC); the
   * stream from this offset on follows it, starting with a SELECT. The replica is online at once.
   */
  private rdbCopy(peer: ReplicaPeer, asked: string, legacy: boolean): ReplicaPeer {
    const conn = peer.conn;
    const rdb = conn.rdb!(this.replid, this.offset);
    const head = legacy ? '' : `+FULLRESYNC ${this.replid} ${this.offset}\r\n`;
    conn.write(Buffer.from(`${head}$${rdb.length}\r\n`));
    conn.write(rdb);
    this.streamDb = -1;
    peer.state = 'online';
    this.replicas.push(peer);
    this.options.log(`replica ${conn.ip}:${peer.listeningPort} got an RDB file of ${rdb.length} bytes (${asked}); streaming from offset ${this.offset}`, {
      event: 'replication.sync',
      kind: 'full',
      side: 'primary',
      replica: `${conn.ip}:${peer.listeningPort}`,
      offset: this.offset,
      bytes: rdb.length,
    });
    return peer;
  }

  /** A corral replica's full copy: +FULLRESYNC, the snapshot (paced), SYNCEND, the stream. */
  private fullCopy(peer: ReplicaPeer, replid: string, wantOffset: number): ReplicaPeer {
    const conn = peer.conn;
    const listeningPort = peer.listeningPort;
    conn.write(Buffer.from(`+FULLRESYNC ${this.replid} ${this.offset}\r\n`));
    const preamble = this.options.fullCopyPreamble?.() ?? null;
    if (preamble !== null) conn.write(preamble);
    // The stream after the copy starts with a SELECT, whatever the last one was.
    this.streamDb = -1;
    peer.state = 'send_bulk';
    const copy = new FullCopy(this.copyHost, peer);
    peer.sync = copy;
    this.syncs++;
    this.replicas.push(peer);
    this.options.log(`replica ${conn.ip}:${listeningPort} needs a full copy (asked ${replid} ${wantOffset}); starting at offset ${this.offset}`, {
      event: 'replication.sync',
      kind: 'full',
      side: 'primary',
      replica: `${conn.ip}:${listeningPort}`,
      offset: this.offset,
    });
    copy.start();
    return peer;
  }

  detach(conn: ReplicaConnection): void {
    const i = this.replicas.findIndex((r) => r.conn === conn);
    if (i < 0) return;
    const peer = this.replicas[i];
    this.replicas.splice(i, 1);
    if (peer.sync !== null) {
      peer.sync = null;
      this.syncs--;
    }
  }

  ack(conn: ReplicaConnection, offset: number): void {
    const peer = this.replicas.find((r) => r.conn === conn);
    if (peer === undefined) return;
    if (offset > peer.ackOffset) peer.ackOffset = offset;
    peer.ackAt = Date.now();
    if (this.onAck !== null) this.onAck();
  }

  /** Online replicas that acknowledged at least `offset`. */
  ackedCount(offset: number): number {
    let n = 0;
    for (const r of this.replicas) if (r.state === 'online' && r.ackOffset >= offset) n++;
    return n;
  }

  /** Becoming a replica: forget the replicas (they reconnect to us or follow the topology). */
  closeAll(): void {
    for (const r of [...this.replicas]) r.conn.close();
    this.replicas.length = 0;
    this.syncs = 0;
  }

  /** Forces a SELECT before the next command (a new history, or a resumed one). */
  resetSelect(): void {
    this.streamDb = -1;
  }
}
