// One corral replica's full copy, sent by its primary: for a replica that announced `capa
// corral-load`, first `CORRAL RESERVE <db> <keys>` for each database that has keys (a size hint,
// as RDB's RESIZEDB), then every live key as a command (CORRAL LOAD bulks of plain strings for
// such a replica, SET/RESTORE otherwise), then `CORRAL SYNCEND`, then the stream the primary
// buffered for the replica meanwhile, after which the replica is online. The protocol and why
// the copy is consistent: source.ts.
//
// Paced. Each step does at most SNAPSHOT_KEYS_PER_STEP keys or SNAPSHOT_STEP_MS of work, then the
// next step runs a millisecond later, and none runs while the replica's socket holds more than
// SNAPSHOT_SOCKET_HIGH unsent bytes: the primary keeps serving its clients, and the replica
// applying the copy does not take a whole core from them (the primary's p99 during a copy,
// docs/benchmarks.md). The buffered stream (one buffer per event-loop turn: thousands) goes out
// in pieces of at most DRAIN_BYTES_PER_STEP, one write each, paced the same way: writing each
// buffer at once was a syscall each and held the loop for ~60 ms at the copy's end. The peer
// stays in send_bulk until the last piece, so what the primary streams meanwhile queues behind.
// Every piece is written from the copy's SendRing (send-ring.ts), not a fresh buffer.

import { performance } from 'node:perf_hooks';
import type { Store } from '../../store/store.js';
import { loadCommands, stateCommand } from './snapshot-encoding.js';
import { StreamBuffer } from './stream-buffer.js';
import { SendRing } from './send-ring.js';
import type { ReplicaPeer } from './replica-peer.js';

const SYNCEND = Buffer.from('*2\r\n$6\r\nCORRAL\r\n$7\r\nSYNCEND\r\n');
/** Work per event-loop turn while sending a snapshot. */
const SNAPSHOT_STEP_MS = 1;
/** Keys per step at most: with a step every millisecond or so, some 200k keys a second. */
const SNAPSHOT_KEYS_PER_STEP = 256;
/** Keys looked at per walk of a snapshot step, and so per CORRAL LOAD at most. */
const LOAD_KEYS_PER_COMMAND = 64;
/** The most bytes of a step written from the copy's ring (a larger one gets a buffer of its own). */
const SNAPSHOT_PIECE_MAX = 1 << 20;
/** Bytes of the stream buffered during a copy sent per step once the snapshot is done. */
const DRAIN_BYTES_PER_STEP = 256 * 1024;
/** A copy waits while this many bytes are queued on the replica's socket. */
const SNAPSHOT_SOCKET_HIGH = 4 * 1024 * 1024;

/** What a copy needs of the replication source. */
export interface FullCopyHost {
  readonly store: Store;
  /** Sends this turn's stream (to a replica in its copy: into its pending buffers). */
  flush(): void;
  /** Whether the peer is still one of the source's replicas. */
  attached(peer: ReplicaPeer): boolean;
  /** The copy and the stream buffered during it were all written. */
  copied(peer: ReplicaPeer, keys: number, ms: number): void;
}

// Shared by every copy: a step uses them and is done with them before it returns.
const scratch = new StreamBuffer(4096);
/** A step's ids (Keyspace.snapshotIds) and its [count, next cursor]. */
const stepIds = new Int32Array(LOAD_KEYS_PER_COMMAND);
const stepResult = new Int32Array(2);

export class FullCopy {
  /** Where the snapshot is: the database, and the cursor in it (0 when done with it). */
  private db = 0;
  private cursor = 0;
  private keys = 0;
  private readonly startedAt = performance.now();
  /** The size hints (CORRAL RESERVE) were written. */
  private reserved = false;
  /** SYNCEND was written: steps now send the stream buffered meanwhile. */
  private ended = false;
  /** How many of the peer's pending buffers were sent. */
  private drained = 0;
  private readonly ring = new SendRing(SNAPSHOT_PIECE_MAX, SNAPSHOT_SOCKET_HIGH);
  private readonly stepBound = (): void => this.step();

  constructor(
    private readonly host: FullCopyHost,
    private readonly peer: ReplicaPeer,
  ) {}

  start(): void {
    setImmediate(this.stepBound);
  }

  /** Sends a step's worth of snapshot (or of the buffered stream), then waits for the next. */
  private step(): void {
    const peer = this.peer;
    // Detached, or a new copy replaced this one.
    if (peer.sync !== this || !this.host.attached(peer)) return;
    if (peer.conn.pendingBytes > SNAPSHOT_SOCKET_HIGH) {
      setTimeout(this.stepBound, 1);
      return;
    }
    const out = scratch;
    if (!this.ended) this.snapshot(out);
    if (this.ended) {
      const pending = peer.pending;
      while (this.drained < pending.length && out.length < DRAIN_BYTES_PER_STEP) {
        const b = pending[this.drained++];
        out.raw(b, 0, b.length);
        peer.pendingBytes -= b.length;
      }
    }
    if (out.length > 0) {
      const piece = this.ring.piece(out.length);
      out.buf.copy(piece, 0, 0, out.length);
      out.clear();
      peer.conn.write(piece);
    }
    if (!this.ended || this.drained < peer.pending.length) {
      setTimeout(this.stepBound, SNAPSHOT_STEP_MS);
      return;
    }
    peer.pending = [];
    peer.pendingBytes = 0;
    peer.sync = null;
    this.host.copied(peer, this.keys, Math.round(performance.now() - this.startedAt));
  }

  /** Encodes the next keys of the snapshot into `out`; after the last, SYNCEND. */
  private snapshot(out: StreamBuffer): void {
    const deadline = performance.now() + SNAPSHOT_STEP_MS;
    const keysBefore = this.keys;
    const dbs = this.host.store.dbs;
    const bulk = this.peer.conn.bulkLoad;
    let lastDb = -1;
    if (!this.reserved) {
      // First, as RDB's RESIZEDB: how many keys each database is about to get, so that the
      // replica sizes its key table once instead of doubling it and moving its index all the
      // way through the copy (some 8% of its work at 1M keys).
      this.reserved = true;
      if (bulk) for (let db = 0; db < dbs.length; db++) if (dbs[db].size > 0) out.strings('CORRAL', 'RESERVE', String(db), String(dbs[db].size));
    }
    while (this.db < dbs.length && performance.now() < deadline) {
      const keyspace = dbs[this.db];
      const db = this.db;
      if (bulk) {
        keyspace.snapshotIds(this.cursor, stepIds, stepResult);
        this.cursor = stepResult[1];
        const n = stepResult[0];
        if (loadCommands(keyspace, db, stepIds, n, out, db !== lastDb)) lastDb = db;
        this.keys += n;
      } else {
        this.cursor = keyspace.snapshotStep(this.cursor, LOAD_KEYS_PER_COMMAND, (key) => {
          if (lastDb !== db) {
            out.strings('SELECT', String(db));
            lastDb = db;
          }
          stateCommand(keyspace, key, out);
          this.keys++;
        });
      }
      if (this.cursor === 0) this.db++;
      if (out.length > SNAPSHOT_PIECE_MAX / 2 || this.keys - keysBefore >= SNAPSHOT_KEYS_PER_STEP) break;
    }
    if (this.db >= dbs.length) {
      // The turn's stream so far goes into the peer's pending buffers, after the snapshot.
      this.host.flush();
      out.raw(SYNCEND, 0, SYNCEND.length);
      this.ended = true;
    }
  }
}
