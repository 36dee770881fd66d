// HyperLogLog commands: Redis 7.0.15's PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST (the
// command section of src/hyperloglog.c) over plain string values in Redis's own representation
// (hll-codec.ts, hll-value.ts): GET of an HLL key returns Redis's bytes, and an HLL Redis wrote
// (its GET bytes stored with SET) is used as is.
//
// Writes: a dense value is updated in place in the key table (its registers, then the cache
// flag); a sparse one is edited in a work buffer (its length changes, it may become dense) and
// stored back. Elements are hashed straight from the request bytes.
//
// Replication. PFADD, PFMERGE and PFDEBUG GETREG/TODENSE are deterministic given the same bytes
// and hll-sparse-max-bytes, so they go to replicas as the command (when they changed something).
// PFCOUNT of one key stores the cardinality it computed in the header (bytes 8..15), as Redis
// does: Redis counts that as a change and propagates the PFCOUNT (its MAY_REPLICATE flag).
// corral's dispatcher propagates only commands flagged write, so a primary's cache update stays
// local for now; a replica running the PFCOUNT from its primary's stream (ignoreExpiry is then
// set) updates its cache exactly as the primary did, and a PFCOUNT a client sends to a replica
// computes the count without storing it, so a replica never gains a cache its primary lacks.
// The cache is a pure function of the registers, so counts are the same everywhere.
//
// hll-sparse-max-bytes is read from the node's configuration (Redis's parameter, default 3000).

import type { CommandContext } from './context.js';
import { CMD_ADMIN, CMD_DENYOOM, CMD_FAST, CMD_MAY_REPLICATE, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_WRONGTYPE } from './errors.js';
import { optIs } from './strings.js';
import { TYPE_STRING } from '../store/entry.js';
import {
  HLL_CACHE_BYTE,
  HLL_CACHE_INVALID,
  HLL_DENSE,
  HLL_HDR_SIZE,
  HLL_REGISTERS,
  HLL_SPARSE,
  cardinalityReply,
  denseGet,
  denseSetMax,
  hllEstimate,
  hllHisto,
  hllMerge,
  hllPatLen,
  isHll,
  patIndex,
  rawHisto,
  readCard,
  sparseDecode,
  writeCard,
} from './hll-codec.js';
import { HllValue, hllSelfTest } from './hll-value.js';
import { NOTIFY_STRING } from './keyspace-events.js';

/** isHLLObjectOrReply's reply for a string that is not an HLL. */
export const ERR_NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
/** invalid_hll_err: sparse opcodes that do not add up. */
export const ERR_INVALID_HLL = 'INVALIDOBJ Corrupted HLL object detected';

/** Redis's default hll-sparse-max-bytes. */
const DEFAULT_SPARSE_MAX_BYTES = 3000;

/** The value being edited (one command at a time), the merged registers and a histogram. */
const WORK = new HllValue();
const MAX = new Uint8Array(HLL_REGISTERS);
const HISTO = new Int32Array(64);

/**
 * hll-sparse-max-bytes of the node running the command: the owner is opaque to this layer, so
 * its `config` is looked up by shape (a harness without one gets Redis's default).
 */
function sparseMaxBytes(c: CommandContext): number {
  const config = (c.owner as { config?: { get(name: string): unknown } } | null)?.config;
  if (config === undefined) return DEFAULT_SPARSE_MAX_BYTES;
  try {
    const v = config.get('hll-sparse-max-bytes');
    return typeof v === 'number' ? v : DEFAULT_SPARSE_MAX_BYTES;
  } catch {
    return DEFAULT_SPARSE_MAX_BYTES;
  }
}

/**
 * The live id of argument i's key if it holds an HLL (table.vbuf/vstart/vend then point at its
 * bytes), -1 if missing, or -2 after replying WRONGTYPE (another type, or a string that is not an
 * HLL: isHLLObjectOrReply). Reads count a hit or a miss, as lookupKeyRead; writes do not.
 */
function hllAt(c: CommandContext, i: number, write: boolean): number {
  const a = c.args;
  const db = c.db;
  const id = write ? db.findWrite(a.buf, a.start[i], a.end[i]) : db.findRead(a.buf, a.start[i], a.end[i]);
  if (id < 0) return -1;
  if (db.typeOf(id) !== TYPE_STRING) {
    c.w.error(ERR_WRONGTYPE);
    return -2;
  }
  const t = db.table;
  t.view(id);
  if (!isHll(t.vbuf, t.vstart, t.vend)) {
    c.w.error(ERR_NOT_HLL);
    return -2;
  }
  return id;
}

/** Stores WORK as argument i's key: a new key (id < 0) or the value of `id`, keeping its TTL. */
function storeWork(c: CommandContext, i: number, id: number): void {
  const a = c.args;
  if (id < 0) id = c.db.setStringBytes(a.buf, a.start[i], a.end[i], WORK.buf, 0, WORK.len, 0);
  else c.db.replaceStringBytes(id, WORK.buf, 0, WORK.len);
  c.db.markRaw(id); // Redis holds a HyperLogLog as a raw string
}

/** PFADD key [element ...]: 1 if a register changed or the key was created, else 0. */
function pfaddCommand(c: CommandContext): void {
  const a = c.args;
  const db = c.db;
  const argc = c.argc;
  const id = hllAt(c, 1, true);
  if (id === -2) return;
  const t = db.table;
  let updated = 0;
  if (id >= 0 && t.vbuf[t.vstart + 4] === HLL_DENSE) {
    // hllDenseAdd on the stored registers.
    const b = t.vbuf;
    const start = t.vstart;
    for (let j = 2; j < argc; j++) {
      const count = hllPatLen(a.buf, a.start[j], a.end[j]);
      updated += denseSetMax(b, start + HLL_HDR_SIZE, patIndex, count);
    }
    if (updated > 0) {
      b[start + HLL_CACHE_BYTE] |= HLL_CACHE_INVALID;
      if (db.staleAtOf(id) !== 0) db.setStaleAt(id, 0); // as any string write
      db.modified(c.str(1));
      c.notifyArg(NOTIFY_STRING, 'pfadd', 1);
    }
    c.w.integer(updated > 0 ? 1 : 0);
    return;
  }
  if (id < 0) {
    WORK.initEmpty();
    updated = 1;
  } else {
    WORK.load(t.vbuf, t.vstart, t.vend);
  }
  const maxBytes = sparseMaxBytes(c);
  for (let j = 2; j < argc; j++) {
    const count = hllPatLen(a.buf, a.start[j], a.end[j]);
    const r = WORK.set(patIndex, count, maxBytes);
    if (r < 0) {
      // Redis edits the sparse string in place: registers set before the corrupted opcode was
      // met stay set (each hllSparseSet invalidated the cache), though Redis counts no change.
      if (updated > 0 && id >= 0) storeWork(c, 1, id);
      c.w.error(ERR_INVALID_HLL);
      return;
    }
    updated += r;
  }
  if (updated > 0) {
    WORK.invalidateCache();
    storeWork(c, 1, id);
    c.notifyArg(NOTIFY_STRING, 'pfadd', 1);
  }
  c.w.integer(updated > 0 ? 1 : 0);
}

/**
 * PFCOUNT key [key ...]. One key: the cached cardinality, or a new count stored in the cache.
 * Several: the count of the union of their registers (a temporary, no cache).
 */
function pfcountCommand(c: CommandContext): void {
  const argc = c.argc;
  const db = c.db;
  if (argc > 2) {
    MAX.fill(0);
    for (let j = 1; j < argc; j++) {
      const id = hllAt(c, j, false);
      if (id === -2) return;
      if (id === -1) continue; // an empty HLL
      const t = db.table;
      if (!hllMerge(MAX, t.vbuf, t.vstart, t.vend)) {
        c.w.error(ERR_INVALID_HLL);
        return;
      }
    }
    rawHisto(MAX, HISTO);
    c.w.integer(cardinalityReply(hllEstimate(HISTO)));
    return;
  }
  const id = hllAt(c, 1, false);
  if (id === -2) return;
  if (id === -1) {
    c.w.integer(0);
    return;
  }
  const t = db.table;
  const b = t.vbuf;
  const start = t.vstart;
  if ((b[start + HLL_CACHE_BYTE] & HLL_CACHE_INVALID) === 0) {
    c.w.integer(readCard(b, start));
    return;
  }
  if (!hllHisto(b, start, t.vend, HISTO)) {
    c.w.error(ERR_INVALID_HLL);
    return;
  }
  const e = hllEstimate(HISTO);
  // Not on a replica serving a client (see the file comment).
  if (!db.replicaMode || db.ignoreExpiry) {
    writeCard(b, start, e);
    db.modified(c.str(1));
  }
  c.w.integer(cardinalityReply(e));
}

/** PFMERGE destkey [sourcekey ...]: dest (an input too) gets the registers' maxima. */
function pfmergeCommand(c: CommandContext): void {
  const argc = c.argc;
  const db = c.db;
  const a = c.args;
  MAX.fill(0);
  let useDense = false;
  for (let j = 1; j < argc; j++) {
    const id = hllAt(c, j, false);
    if (id === -2) return;
    if (id === -1) continue;
    const t = db.table;
    if (t.vbuf[t.vstart + 4] === HLL_DENSE) useDense = true;
    if (!hllMerge(MAX, t.vbuf, t.vstart, t.vend)) {
      c.w.error(ERR_INVALID_HLL);
      return;
    }
  }
  const id = db.findWrite(a.buf, a.start[1], a.end[1]);
  if (id < 0) {
    WORK.initEmpty();
  } else {
    const t = db.table;
    t.view(id);
    WORK.load(t.vbuf, t.vstart, t.vend);
  }
  // The result is dense if any input was.
  if (useDense && !WORK.toDense()) {
    c.w.error(ERR_INVALID_HLL);
    return;
  }
  const maxBytes = sparseMaxBytes(c);
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (MAX[j] !== 0) WORK.set(j, MAX[j], maxBytes);
  }
  WORK.invalidateCache();
  storeWork(c, 1, id);
  // Redis raises pfadd for a merge too (a mass add).
  c.notifyArg(NOTIFY_STRING, 'pfadd', 1);
  c.w.ok();
}

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. */
function pfdebugCommand(c: CommandContext): void {
  const db = c.db;
  const id = hllAt(c, 2, true);
  if (id === -2) return;
  if (id === -1) {
    c.w.error('ERR The specified key does not exist');
    return;
  }
  const t = db.table;
  const sparse = t.vbuf[t.vstart + 4] === HLL_SPARSE;
  if (optIs(c, 1, 'getreg')) {
    let b = t.vbuf;
    let regs = t.vstart + HLL_HDR_SIZE;
    if (sparse) {
      if (!toDense(c, id)) return;
      b = WORK.buf;
      regs = HLL_HDR_SIZE;
    }
    c.w.array(HLL_REGISTERS);
    for (let j = 0; j < HLL_REGISTERS; j++) c.w.integer(denseGet(b, regs, j));
  } else if (optIs(c, 1, 'decode')) {
    if (!sparse) c.w.error('ERR HLL encoding is not sparse');
    else c.w.bulk(sparseDecode(t.vbuf, t.vstart, t.vend));
  } else if (optIs(c, 1, 'encoding')) {
    c.w.simple(sparse ? 'sparse' : 'dense');
  } else if (optIs(c, 1, 'todense')) {
    if (!sparse) c.w.integer(0);
    else if (toDense(c, id)) c.w.integer(1);
  } else {
    const sub = c.str(1);
    const nul = sub.indexOf('\0');
    c.w.error(`ERR Unknown PFDEBUG subcommand '${nul < 0 ? sub : sub.slice(0, nul)}'`);
  }
}

/**
 * Converts the sparse HLL viewed at id to dense and stores it (WORK then holds it); false after
 * replying the error (a corrupted HLL is left as it was).
 */
function toDense(c: CommandContext, id: number): boolean {
  const t = c.db.table;
  WORK.load(t.vbuf, t.vstart, t.vend);
  if (!WORK.toDense()) {
    c.w.error(ERR_INVALID_HLL);
    return false;
  }
  storeWork(c, 2, id);
  return true;
}

/** PFSELFTEST: the codec's self test (seconds of work, as in Redis). */
function pfselftestCommand(c: CommandContext): void {
  const failed = hllSelfTest(sparseMaxBytes(c));
  if (failed === null) c.w.ok();
  else c.w.error(`ERR ${failed}`);
}

export const hyperloglogCommands: CommandDef[] = [
  { name: 'pfadd', arity: -2, flags: CMD_WRITE | CMD_DENYOOM | CMD_FAST, firstKey: 1, lastKey: 1, keyStep: 1, handler: pfaddCommand },
  { name: 'pfcount', arity: -2, flags: CMD_READONLY | CMD_MAY_REPLICATE, firstKey: 1, lastKey: -1, keyStep: 1, handler: pfcountCommand },
  { name: 'pfmerge', arity: -2, flags: CMD_WRITE | CMD_DENYOOM, firstKey: 1, lastKey: -1, keyStep: 1, handler: pfmergeCommand },
  { name: 'pfdebug', arity: 3, flags: CMD_WRITE | CMD_DENYOOM | CMD_ADMIN, firstKey: 2, lastKey: 2, keyStep: 1, handler: pfdebugCommand },
  { name: 'pfselftest', arity: 1, flags: CMD_ADMIN, handler: pfselftestCommand },
];
