// The source side of moving a hash slot to another primary (docs/resharding.md): the keys of one
// slot streamed to the importing node while this node keeps serving the slot, with every write
// made to the slot meanwhile forwarded as the state of the key it touched.
//
// Protocol, on a connection the importer opened with `CORRAL EXPORT <slot>`: `+EXPORT <slot>
// <keys>` (how many keys the slot held when the copy began), then commands, as the replication
// stream's full copy sends them (snapshot-encoding.ts): `CORRAL LOAD 0 <key> <value> <expire-at>
// ...` for plain strings, `RESTORE ... ABSTTL` / `SET ... PXAT` / `DEL` for the rest; `CORRAL
// EXPORTED` once every key of the slot has been sent; then only forwarded key states; and
// `CORRAL MARK <n>` whenever the mover asks for a mark (the switch: see server/migration.ts).
//
// Why the copy converges (the replication full copy's argument, restricted to one slot): the ids
// of the slot's keys are listed when the copy begins and copied a few hundred per millisecond;
// a key's copy is its state at that moment. Any write to a key of the slot after the copy began
// is forwarded as the key's state after the write, in the same byte stream, after everything the
// copy sent before it. So the last state of each key the importer applies is its state after its
// last write: a key written before its copy is copied with that write in it; one written after is
// forwarded. Keys created during the copy come only as forwarded states; a listed id whose key was
// deleted (its DEL forwarded) and reused by another key is copied only if that key is in the slot,
// and then as its current state, which is also right. Setting a key to a state is idempotent.
//
// The copy is paced by the node's byte throttle (byte-throttle.ts) and by the importer's socket;
// forwarded states are not: they follow the slot's writes as they happen. Steps come from the
// node's one export pacer (export-pacer.ts), not from a timer per export. A step's bytes are
// written from the buffer they were encoded in, lent to the socket until it has sent them
// (lent-buffers.ts), not copied into a fresh buffer.
//
// Big keys (big-key-copy.ts) go in pieces, a few hundred KB per turn, both in the copy and when
// forwarded: a write to one queues (or restarts) its piecewise copy instead of encoding its whole
// state at once. Every mark waits until no big key is pending, so a mark the importer reached
// means it holds every key of the slot whole; a big key written without a pause is copied
// during the switch's write pause, unthrottled (the pause's budget bounds it).

import type { Keyspace } from '../../store/keyspace.js';
import { StreamBuffer } from '../replication/stream-buffer.js';
import { loadCommands, stateCommand } from '../replication/snapshot-encoding.js';
import type { ByteThrottle } from './byte-throttle.js';
import { BigKeyCopy, isBigKey } from './big-key-copy.js';
import type { ExportPacer, PacedExport } from './export-pacer.js';
import type { LentBuffers, LendingWriter } from './lent-buffers.js';

/** What an export writes to: the importer's connection. */
export interface ExportConnection {
  /** Writes; returns whether the kernel took every byte at once. */
  write(buf: Buffer): boolean;
  /** Bytes written but not yet taken by the kernel. */
  readonly pendingBytes: number;
  close(): void;
}

/** Ids looked at per copy step (and so keys per CORRAL LOAD at most). */
const IDS_PER_STEP = 64;
/**
 * Item bytes per CORRAL LOAD at most (past the key that crosses it): the importer's parser holds
 * a whole command, and 64 keys of 4 KB made it grow to 256 KB per slot imported.
 */
const LOAD_BYTES = 32 * 1024;
/** Keys per copy step at most (a step about every millisecond, as the replication copy). */
const KEYS_PER_TURN = 256;
/** The copy waits while this many bytes are queued on the importer's socket. */
const SOCKET_HIGH = 4 * 1024 * 1024;
/** Bytes of big keys' pieces written per turn at most (a few milliseconds of encoding). */
const BIG_BYTES_PER_TURN = 512 * 1024;

export type ExportState = 'copying' | 'streaming' | 'closed';

export class SlotExport implements LendingWriter, PacedExport {
  state: ExportState = 'copying';
  /** Keys copied so far (not counting forwarded states), and bytes written in all. */
  keysCopied = 0;
  bytesSent = 0;
  /** The last mark asked for, and the last written (CORRAL MARK): they differ while big keys are pending. */
  mark = 0;
  private markWritten = 0;
  /** Big keys whose pieces are still to send, in order; the first one may be part sent. */
  private readonly big = new Map<string, BigKeyCopy>();
  readonly startedAt = performance.now();
  /** The slot's ids when the copy began, and how far the copy went through them. */
  private readonly ids: Int32Array;
  private pos = 0;
  private readonly out: StreamBuffer;
  private readonly stepIds = new Int32Array(IDS_PER_STEP);
  private flushScheduled = false;

  constructor(
    readonly slot: number,
    private readonly keyspace: Keyspace,
    private readonly conn: ExportConnection,
    private readonly onClosed: (e: SlotExport) => void,
    /** The node's copy rate limit, shared by its exports. */
    private readonly throttle: ByteThrottle,
    /** Encoding buffers, shared by the node's exports. */
    private readonly buffers: LentBuffers,
    /** Gives the node's exports their steps. */
    private readonly pacer: ExportPacer,
  ) {
    this.out = new StreamBuffer(buffers.take(128 * 1024));
    const n = keyspace.countInSlot(slot);
    this.ids = new Int32Array(n);
    let i = 0;
    for (let id = keyspace.slotFirstId(slot); id >= 0 && i < n; id = keyspace.slotNextId(id)) this.ids[i++] = id;
    conn.write(Buffer.from(`+EXPORT ${slot} ${n}\r\n`));
    pacer.want(this);
  }

  /** Keys the slot held when the copy began. */
  get keysTotal(): number {
    return this.ids.length;
  }

  /** A key of the slot was written, expired or evicted: its state goes after what was sent. */
  keyChanged(key: string): void {
    if (this.state === 'closed') return;
    const ks = this.keyspace;
    const pending = this.big.get(key);
    if (pending !== undefined) this.big.delete(key);
    const id = ks.table.findString(key);
    if (id >= 0 && ks.isLiveForCopy(id) && isBigKey(ks, id)) {
      if (pending !== undefined) pending.restart();
      this.big.set(key, pending ?? new BigKeyCopy(key));
      this.schedule();
      return;
    }
    stateCommand(ks, key, this.out);
    this.scheduleFlush();
  }

  /** Asks for a mark after everything sent so far (written once no big key is pending); returns its number. */
  writeMark(): number {
    this.mark++;
    if (this.big.size === 0) this.writeMarks();
    return this.mark;
  }

  /** Big keys still to send (whole or in part). */
  get bigKeysPending(): number {
    return this.big.size;
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.pacer.forget(this);
    this.conn.close();
    // The socket is destroyed: nothing of the encoding buffer is pending any more, nor of the
    // buffers this export lent (reclaimed now, so the pool does not keep the export alive).
    this.buffers.release(this.out, this);
    this.buffers.reclaimSent();
    this.out.replace(Buffer.allocUnsafe(64));
    this.onClosed(this);
  }

  /** LendingWriter: whether the socket has sent everything this export wrote up to its count `end`. */
  hasSent(end: number): boolean {
    return this.state === 'closed' || this.bytesSent - end >= this.conn.pendingBytes;
  }

  /** PacedExport: the next step copies (throttled), rather than finishing big keys for a mark. */
  get throttledWork(): boolean {
    return (this.state === 'copying' || this.big.size > 0) && this.markWritten === this.mark;
  }

  /**
   * PacedExport: one step: in the copy, up to KEYS_PER_TURN keys of the listed ids still live in
   * the slot (big ones queued); then up to BIG_BYTES_PER_TURN of big keys' pieces, until the
   * pacer's round `deadline` once one piece went. Returns whether there is more to do.
   */
  step(deadline: number): boolean {
    if (this.state === 'closed') return false;
    const copying = this.state === 'copying';
    if (this.conn.pendingBytes > SOCKET_HIGH || (this.throttledWork && !this.throttle.allows())) return true;
    const ks = this.keyspace;
    const out = this.out;
    const start = out.length;
    let copied = 0;
    while (copying && this.pos < this.ids.length && copied < KEYS_PER_TURN && this.throttle.allows() && (copied === 0 || performance.now() < deadline)) {
      let n = 0;
      let bytes = 0;
      while (this.pos < this.ids.length && n < IDS_PER_STEP && bytes < LOAD_BYTES) {
        const id = this.ids[this.pos++];
        if (!ks.isLiveForCopy(id) || ks.slotOfLiveId(id) !== this.slot) continue;
        copied++;
        if (!isBigKey(ks, id)) {
          this.stepIds[n++] = id;
          bytes += ks.table.usedSize(id);
        } else {
          const key = ks.table.keyString(id);
          if (!this.big.has(key)) this.big.set(key, new BigKeyCopy(key));
        }
      }
      const before = out.length;
      if (n > 0) loadCommands(ks, 0, this.stepIds, n, out, false);
      this.throttle.spend(out.length - before);
    }
    this.keysCopied += copied;
    // Big keys, throttled like the copy, except while a mark waits for them (the switch's pause:
    // the slot's keys cannot change, so the pieces finish as fast as they can go).
    const throttled = this.markWritten === this.mark;
    const until = start + BIG_BYTES_PER_TURN;
    for (const [key, copy] of this.big) {
      if (out.length >= until || (throttled && !this.throttle.allows())) break;
      if (out.length > start && performance.now() >= deadline) break;
      const before = out.length;
      if (copy.step(ks, out, until - out.length, deadline)) this.big.delete(key);
      if (throttled) this.throttle.spend(out.length - before);
    }
    // Every listed key was sent (big ones may still be going: marks wait for them, not this).
    if (copying && this.pos >= this.ids.length) {
      out.strings('CORRAL', 'EXPORTED');
      this.state = 'streaming';
    }
    if (this.big.size === 0 && this.markWritten < this.mark) this.writeMarks();
    this.flush();
    return this.state === 'copying' || this.big.size > 0;
  }

  /** Writes the marks asked for since the last one written. */
  private writeMarks(): void {
    while (this.markWritten < this.mark) this.out.strings('CORRAL', 'MARK', String(++this.markWritten));
    this.flush();
  }

  private schedule(): void {
    if (this.state !== 'closed') this.pacer.want(this);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what was encoded, from a lent buffer (lent-buffers.ts). */
  private flush(): void {
    this.flushScheduled = false;
    if (this.state === 'closed') return;
    this.buffers.flush(this.out, this, this.conn);
  }
}
