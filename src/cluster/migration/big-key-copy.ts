// A big key moved in pieces (docs/resharding.md, "Big keys"): instead of one SET or RESTORE
// holding the whole value, which would stop the source's event loop while it encodes it and the
// target's while it decodes it, the key goes as
//
//     DEL key
//     SET key <first bytes> [PXAT t]  |  HSET key f v ...  |  RPUSH key e ...  |  SADD key m ...
//     SETRANGE key <length-1> <last>  |  ZADD key s m ...   (the first piece, with the TTL)
//     SETRANGE key <offset> <bytes>  |  HSET / RPUSH / SADD / ZADD ...  (the next pieces, a few per turn)
//
// Each piece reads the key's current value from where the last one stopped: a Map iterator for
// a hash, an index for the others. The pieces add up to the value only if the key is not
// written between the first piece and the last, so a write to the key (or its expiry or
// eviction) restarts its copy (slot-export.ts: keyChanged), the new copy again starting with DEL.
// The target applies the pieces as its own writes, so the last complete copy is what it holds;
// a half-sent key is never seen by a client, since the slot stays the source's until the switch,
// and the switch's mark is written only after every pending big key is complete. A key written
// faster than it can be copied is copied during the switch's write pause, when it cannot change.
//
// The TTL goes in the first piece (SET ... PXAT, or PEXPIREAT after a collection's first piece)
// while the value is small, so the target's replicas, which receive an expiry as the key's whole
// state, receive a small one; HSET, RPUSH, SADD, ZADD and SETRANGE keep a key's TTL. A string's second command, the
// SETRANGE of its last byte, sizes it at once on the target (see stringPieces).

import type { Keyspace } from '../../store/keyspace.js';
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_STREAM, TYPE_STRING, type CollectionValue } from '../../store/entry.js';
import type { HashValue } from '../../store/hash-value.js';
import type { Deque } from '../../store/deque.js';
import type { SortedSet } from '../../store/sorted-set.js';
import type { DumpableSet } from '../../store/dump.js';
import type { StreamBuffer } from '../replication/stream-buffer.js';

/** A string longer than this, or a collection with more elements or bytes, goes in pieces. */
export const BIG_STRING_BYTES = 512 * 1024;
export const BIG_COLLECTION_ITEMS = 4096;
export const BIG_COLLECTION_BYTES = 512 * 1024;
/** One piece: at most this many bytes of a string, or elements (and about this many bytes) of a collection. */
const PIECE_BYTES = 128 * 1024;
const PIECE_ITEMS = 256;

/**
 * Whether a live id's key is big enough to go in pieces. A key with a stale-at time (the SDK's
 * stale-while-revalidate) always goes whole: only RESTORE carries that time. So does a stream.
 */
export function isBigKey(ks: Keyspace, id: number): boolean {
  if (ks.staleAtOf(id) !== 0) return false;
  const type = ks.typeOf(id);
  if (type === TYPE_STRING) return ks.table.valueLength(id) > BIG_STRING_BYTES;
  // A stream has no piecewise form here (its groups and IDs are not plain elements): whole.
  if (type === TYPE_STREAM) return false;
  const v = ks.objectOf(id) as CollectionValue;
  return v.size > BIG_COLLECTION_ITEMS || v.bytes > BIG_COLLECTION_BYTES;
}

/** A score as ZADD parses it back to the same double. */
function scoreText(s: number): string {
  if (s === Infinity) return 'inf';
  if (s === -Infinity) return '-inf';
  return Object.is(s, -0) ? '-0' : String(s);
}

const NAMES = ['', 'HSET', 'RPUSH', 'SADD', 'ZADD'];

/** The copy of one big key, piece by piece. */
export class BigKeyCopy {
  /** Elements (or string bytes) sent so far; 0 before the first piece. */
  private pos = 0;
  private iter: Iterator<[string, string]> | null = null;
  private readonly fields: string[] = [];
  private readonly zeros: string[] = [];

  constructor(readonly key: string) {}

  /** Starts over (the key changed): the next piece is again DEL and a first piece. */
  restart(): void {
    this.pos = 0;
    this.iter = null;
  }

  /**
   * Writes pieces until about `budget` bytes went out, the key is complete, or (after one piece)
   * performance.now() passed `deadline`; returns whether the key is complete (a key gone
   * meanwhile is once its DEL is written).
   */
  step(ks: Keyspace, out: StreamBuffer, budget: number, deadline = Infinity): boolean {
    const id = ks.table.findString(this.key);
    if (id < 0 || !ks.isLiveForCopy(id)) {
      out.strings('DEL', this.key);
      return true;
    }
    const type = ks.typeOf(id);
    const start = out.length;
    if (this.pos === 0) out.strings('DEL', this.key);
    if (type === TYPE_STRING) return this.stringPieces(ks, id, out, start + budget, deadline);
    const v = ks.objectOf(id) as CollectionValue;
    for (let pieces = 0; out.length < start + budget && (pieces === 0 || performance.now() < deadline); pieces++) {
      const first = this.pos === 0;
      if (!this.piece(ks, type, v, out)) return true;
      if (first) {
        const at = ks.expireAtOf(id);
        if (at > 0) out.strings('PEXPIREAT', this.key, String(at));
      }
    }
    return this.pos >= v.size;
  }

  private stringPieces(ks: Keyspace, id: number, out: StreamBuffer, until: number, deadline: number): boolean {
    const t = ks.table;
    const total = t.valueLength(id);
    for (let pieces = 0; out.length < until && this.pos < total && (pieces === 0 || performance.now() < deadline); pieces++) {
      t.view(id);
      const from = t.vstart + this.pos;
      const n = Math.min(PIECE_BYTES, total - this.pos);
      if (this.pos === 0) {
        const at = ks.expireAtOf(id);
        out.command(at > 0 ? 5 : 3);
        out.arg('SET');
        out.arg(this.key);
        out.argBytes(t.vbuf, from, from + n);
        if (at > 0) {
          out.arg('PXAT');
          out.arg(String(at));
        }
        // The value's last byte at once: the target (and its replicas) size the string to its
        // final length in one step, in zeroed memory they fault in as the pieces fill it, where
        // growing it piece by piece would copy it, into fresh pages, at every growth step.
        if (n < total) this.setRange(out, total - 1, t.vbuf, t.vend - 1, t.vend);
      } else {
        this.setRange(out, this.pos, t.vbuf, from, from + n);
      }
      this.pos += n;
    }
    return this.pos >= total;
  }

  private setRange(out: StreamBuffer, offset: number, buf: Buffer, start: number, end: number): void {
    out.command(4);
    out.arg('SETRANGE');
    out.arg(this.key);
    out.arg(String(offset));
    out.argBytes(buf, start, end);
  }

  /** One command of up to PIECE_ITEMS elements from `pos`; false if none was left. */
  private piece(ks: Keyspace, type: number, v: CollectionValue, out: StreamBuffer): boolean {
    const f = this.fields;
    f.length = 0;
    let bytes = 0;
    if (type === TYPE_HASH) {
      if (this.iter === null) this.iter = (v as HashValue).entries();
      while (f.length < 2 * PIECE_ITEMS && bytes < PIECE_BYTES) {
        const r = this.iter.next();
        if (r.done === true) break;
        f.push(r.value[0], r.value[1]);
        bytes += r.value[0].length + r.value[1].length;
      }
      this.pos += f.length / 2;
    } else if (type === TYPE_LIST) {
      const d = v as Deque;
      for (; this.pos < d.length && f.length < PIECE_ITEMS && bytes < PIECE_BYTES; this.pos++) {
        const e = d.get(this.pos)!;
        f.push(e);
        bytes += e.length;
      }
    } else if (type === TYPE_SET) {
      const m = (v as DumpableSet).members();
      for (; this.pos < m.length && f.length < PIECE_ITEMS && bytes < PIECE_BYTES; this.pos++) {
        f.push(m[this.pos]);
        bytes += m[this.pos].length;
      }
    } else {
      // A score of -0 survives only in a skiplist (a listpack holds it as 0, in Redis as here):
      // the first piece, which makes the key, leaves those members to a ZADD right after it,
      // when the key has become a skiplist (more than 128 members, or a long one).
      const z = v as SortedSet;
      const first = this.pos === 0;
      const zeros = this.zeros;
      zeros.length = 0;
      const end = Math.min(z.size, this.pos + PIECE_ITEMS);
      for (; this.pos < end && bytes < PIECE_BYTES; this.pos++) {
        const it = z.at(this.pos);
        if (first && Object.is(it.score, -0)) zeros.push('-0', it.member);
        else f.push(scoreText(it.score), it.member);
        bytes += it.member.length + 8;
      }
      if (zeros.length > 0) {
        if (f.length > 0) this.command(out, NAMES[type], f);
        this.command(out, NAMES[type], zeros);
        return true;
      }
    }
    if (f.length === 0) return false;
    this.command(out, NAMES[type], f);
    return true;
  }

  private command(out: StreamBuffer, name: string, args: string[]): void {
    out.command(2 + args.length);
    out.arg(name);
    out.arg(this.key);
    for (let i = 0; i < args.length; i++) out.arg(args[i]);
  }
}
