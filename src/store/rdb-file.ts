// Whole RDB files in Redis 7.0.15's format (version 10), as rdb.c's rdbSaveRio writes them and
// redis-server, redis-check-rdb and `redis-cli --rdb` read them: what a replica that is not
// corral's gets as its full copy (SYNC, or PSYNC without `capa corral-load`: see
// server/replica-rdb.ts). Values are encoded by rdb-write.ts (the DUMP payload's encoders), so
// a key's bytes in the file are its DUMP payload's minus the footer.
//
//     "REDIS0010"
//     AUX redis-ver, redis-bits, ctime, used-mem, [repl-stream-db, repl-id, repl-offset], aof-base
//     FUNCTION2 <library code> ...                 (FUNCTION DUMP's records, in the same form)
//     per non-empty database:
//       SELECTDB <n>  RESIZEDB <keys> <keys with a TTL>
//       per key: [EXPIRETIME_MS <ms, 8 bytes LE>] [IDLE <s> | FREQ <byte>] <type> <key> <value>
//     EOF  <crc64 of everything before, 8 bytes LE>
//
// Keys whose TTL passed but that were not reclaimed yet are written with their expiry time, as
// Redis's walk of its dictionaries writes them (a loading primary skips them, a replica keeps
// them until its primary's DEL). Corral's CACHE.SET stale time has no place in the format and is
// dropped. The reader takes what the writer writes and what redis-server 7.0 writes without
// modules (used by tests and tools; corral itself never loads a file).

import { crc64Into, crc64Matches } from '../util/crc64.js';
import { latin1 } from '../util/bytes.js';
import type { DumpedValue } from './dump.js';
import type { Keyspace } from './keyspace.js';
import { RDB_VERSION } from './rdb-format.js';
import { RdbOut, rdbSaveBlob, rdbSaveLen, rdbSaveValue } from './rdb-write.js';
import { RdbReader, decodeObject } from './rdb.js';
import { DEFAULT_LIMITS } from './encoding-limits.js';
import type { StreamNodeLimits } from './stream-rdb.js';

export const RDB_OPCODE_FUNCTION2 = 245;
export const RDB_OPCODE_MODULE_AUX = 247;
export const RDB_OPCODE_IDLE = 248;
export const RDB_OPCODE_FREQ = 249;
export const RDB_OPCODE_AUX = 250;
export const RDB_OPCODE_RESIZEDB = 251;
export const RDB_OPCODE_EXPIRETIME_MS = 252;
export const RDB_OPCODE_EXPIRETIME = 253;
export const RDB_OPCODE_SELECTDB = 254;
export const RDB_OPCODE_EOF = 255;

/** The FUNCTION DUMP payload's footer (RDB version and CRC64), dropped when its records go in a file. */
const PAYLOAD_FOOTER = 10;

export interface RdbFileOptions {
  /** Aux fields, in order (numbers are written as Redis's rdbSaveAuxFieldStrInt writes them). */
  aux: ReadonlyArray<readonly [string, string | number]>;
  /** FUNCTION DUMP's payload (its records go in as they are), or null for none. */
  functions: Buffer | null;
  /** Whether the databases' keys go in (false: REPLCONF rdb-filter-only). */
  data: boolean;
  /** maxmemory-policy's family: *-lru writes each key's idle time, *-lfu its counter (as Redis). */
  access: 'lru' | 'lfu' | null;
  /** stream-node-max-bytes / -entries, which a stream's nodes are split under (Redis's defaults if absent). */
  limits?: StreamNodeLimits;
}

/** rdbSaveAuxField: the opcode, then key and value as strings (integers int-encoded). */
function saveAux(o: RdbOut, key: string, value: string | number): void {
  o.byte(RDB_OPCODE_AUX);
  rdbSaveBlob(o, Buffer.from(key, 'latin1'));
  rdbSaveBlob(o, Buffer.from(String(value), 'latin1'));
}

/** One database's keys, after its SELECTDB and RESIZEDB (written once the counts are known). */
function saveDb(o: RdbOut, index: number, db: Keyspace, access: 'lru' | 'lfu' | null, limits: StreamNodeLimits): void {
  const body = new RdbOut();
  const value = new RdbOut();
  const t = db.table;
  const now = db.clock.now();
  let keys = 0;
  let volatile = 0;
  for (const id of db.ids()) {
    const expireAt = db.expireAtOf(id);
    if (expireAt !== 0) {
      volatile++;
      body.byte(RDB_OPCODE_EXPIRETIME_MS);
      body.room(8);
      body.buf.writeBigInt64LE(BigInt(expireAt), body.n);
      body.n += 8;
    }
    if (access === 'lru') {
      body.byte(RDB_OPCODE_IDLE);
      rdbSaveLen(body, Math.max(0, Math.floor((now - db.lastAccessOf(id)) / 1000)));
    } else if (access === 'lfu') {
      body.byte(RDB_OPCODE_FREQ);
      body.byte(db.lfuOf(id) & 0xff);
    }
    // The value's type byte goes before the key: the value is encoded first, aside.
    value.n = 0;
    rdbSaveValue(value, db, id, limits);
    body.byte(value.buf[0]);
    const ks = db.keyBytes(id);
    rdbSaveBlob(body, t.cb.subarray(ks, ks + db.keyLength()));
    body.bytes(value.buf.subarray(1, value.n));
    keys++;
  }
  if (keys === 0) return;
  o.byte(RDB_OPCODE_SELECTDB);
  rdbSaveLen(o, index);
  o.byte(RDB_OPCODE_RESIZEDB);
  rdbSaveLen(o, keys);
  rdbSaveLen(o, volatile);
  o.bytes(body.buf.subarray(0, body.n));
}

/**
 * The dataset as an RDB file, taken synchronously: the caller gets an image of this instant (a
 * replica's copy is consistent with the stream offset it starts from), at the cost of building
 * the whole file in one go (memory for the file, and the event loop held for as long as it
 * takes: about a second per few hundred MB of values).
 */
export function writeRdbFile(dbs: readonly Keyspace[], options: RdbFileOptions): Buffer {
  const o = new RdbOut();
  o.bytes(Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, '0')}`, 'latin1'));
  for (const [k, v] of options.aux) saveAux(o, k, v);
  const f = options.functions;
  if (f !== null && f.length > PAYLOAD_FOOTER) o.bytes(f.subarray(0, f.length - PAYLOAD_FOOTER));
  if (options.data) for (let j = 0; j < dbs.length; j++) saveDb(o, j, dbs[j], options.access, options.limits ?? DEFAULT_LIMITS);
  o.byte(RDB_OPCODE_EOF);
  o.room(8);
  crc64Into(o.buf, 0, o.n, o.buf, o.n);
  o.n += 8;
  return o.buf.subarray(0, o.n);
}

// ---- reading ----

export interface RdbFileKey {
  db: number;
  key: string;
  /** Unix ms, 0 for none. */
  expireAt: number;
  value: DumpedValue;
}

export interface RdbFile {
  version: number;
  aux: Map<string, string>;
  /** The libraries' code (FUNCTION2 records). */
  functions: Buffer[];
  /** RESIZEDB's counts per database: [keys, keys with a TTL]. */
  sizes: Map<number, [number, number]>;
  keys: RdbFileKey[];
}

/** Parses and checks an RDB file (header, CRC64, every record); throws on anything malformed. */
export function readRdbFile(file: Buffer): RdbFile {
  const magic = latin1(file, 0, Math.min(9, file.length));
  if (!/^REDIS\d{4}$/.test(magic)) throw new Error('not an RDB file');
  const version = Number(magic.slice(5));
  if (version > RDB_VERSION || version < 5) throw new Error(`unsupported RDB version ${version}`);
  if (file.length < 9 + 1 + 8) throw new Error('truncated RDB file');
  const end = file.length - 8;
  const stored = file.subarray(end);
  if (!stored.equals(Buffer.alloc(8)) && !crc64Matches(file, 0, end, file, end)) throw new Error('RDB checksum mismatch');
  const r = new RdbReader(file, 9, end);
  const out: RdbFile = { version, aux: new Map(), functions: [], sizes: new Map(), keys: [] };
  let db = 0;
  let expireAt = 0;
  for (;;) {
    const type = r.byte();
    if (type === RDB_OPCODE_EOF) break;
    switch (type) {
      case RDB_OPCODE_AUX:
        out.aux.set(r.str(), r.str());
        continue;
      case RDB_OPCODE_SELECTDB:
        db = r.len();
        continue;
      case RDB_OPCODE_RESIZEDB:
        out.sizes.set(db, [r.len(), r.len()]);
        continue;
      case RDB_OPCODE_EXPIRETIME_MS:
        if (r.left < 8) throw new Error('truncated RDB file');
        expireAt = Number(file.readBigInt64LE(r.p));
        r.p += 8;
        continue;
      case RDB_OPCODE_EXPIRETIME:
        if (r.left < 4) throw new Error('truncated RDB file');
        expireAt = file.readInt32LE(r.p) * 1000;
        r.p += 4;
        continue;
      case RDB_OPCODE_IDLE:
        r.len();
        continue;
      case RDB_OPCODE_FREQ:
        r.byte();
        continue;
      case RDB_OPCODE_FUNCTION2:
        out.functions.push(Buffer.from(r.blob()));
        continue;
      case RDB_OPCODE_MODULE_AUX:
        throw new Error('RDB module data is not supported');
      default: {
        const key = r.str();
        out.keys.push({ db, key, expireAt, value: decodeObject(r, type) });
        expireAt = 0;
      }
    }
  }
  if (r.p !== end) throw new Error('bytes after the RDB EOF opcode');
  return out;
}
