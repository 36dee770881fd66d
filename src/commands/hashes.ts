// Hash commands (HSET ... HRANDFIELD) as Redis 7.0 replies them. HINCRBYFLOAT shares
// INCRBYFLOAT's exact long-double arithmetic (strings.ts).
//
// A hash is a HashValue (store/hash-value.ts): packed into one buffer in insertion order while
// Redis would keep it as a listpack (<= 512 fields, fields and values <= 64 bytes), so small
// hashes reply in the same order as Redis, and a Map once Redis would have converted it. Byte
// accounting is updated by the change in the value's `bytes` (never recomputed over the whole
// hash), and every in-place change goes through c.db.changed() for WATCH.

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_HASH_NOT_FLOAT, ERR_HASH_NOT_INT, ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_OVERFLOW, ERR_SYNTAX, ERR_CURSOR, ERR_INCR_NAN, errWrongArity } from './errors.js';
import { filterScanItems, parseScanCursor, parseScanOptions, scanMapStep, writeScanHeader } from './collection-scan.js';
import { TYPE_HASH, type Entry } from '../store/entry.js';
import { HashValue } from '../store/hash-value.js';
import { INT64_MAX, INT64_MIN, parseInt64Big, parseInt64String } from '../util/bytes.js';
import { addLongDouble, formatLongDouble, parseLongDouble, type LongDouble } from '../util/long-double.js';
import { NOTIFY_GENERIC, NOTIFY_HASH } from './keyspace-events.js';

const ERR_NAN_INCR = 'ERR value is NaN or Infinity';
const ERR_RANGE = 'ERR value is out of range';
const ERR_COUNT_RANGE = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';
/**
 * HRANDFIELD with a negative count repeats fields, so its reply is unbounded; Redis 7.0 tries and
 * dies on absurd counts. We refuse counts past this instead.
 */
const MAX_RANDOM_REPLY = 10_000_000;

/** The hash at key for reading; null after replying WRONGTYPE. */
function readHash(c: CommandContext, key: string): HashValue | undefined | null {
  const e = c.readTyped(key, TYPE_HASH);
  return e == null ? e : (e.value as HashValue);
}

/** The hash entry at key for writing; null after replying WRONGTYPE. */
function writeHash(c: CommandContext, key: string): Entry | undefined | null {
  return c.writeTyped(key, TYPE_HASH);
}

function hsetCommand(c: CommandContext): void {
  const argc = c.argc;
  if (argc % 2 === 1) {
    c.w.error(errWrongArity(c.name));
    return;
  }
  const key = c.str(1);
  let e = writeHash(c, key);
  if (e === null) return;
  if (e === undefined) e = c.db.create(key, TYPE_HASH, new HashValue());
  const h = e.value as HashValue;
  const before = h.bytes;
  let created = 0;
  for (let i = 2; i < argc; i += 2) if (h.set(c.str(i), c.str(i + 1), c.store.limits)) created++;
  c.db.changed(e, h.bytes - before);
  if (c.name === 'hset') c.w.integer(created);
  else c.w.ok();
  c.notify(NOTIFY_HASH, 'hset', key);
}

function hsetnxCommand(c: CommandContext): void {
  const key = c.str(1);
  let e = writeHash(c, key);
  if (e === null) return;
  const field = c.str(2);
  if (e !== undefined && (e.value as HashValue).has(field)) {
    c.w.integer(0);
    return;
  }
  if (e === undefined) e = c.db.create(key, TYPE_HASH, new HashValue());
  const h = e.value as HashValue;
  const before = h.bytes;
  h.set(field, c.str(3), c.store.limits);
  c.db.changed(e, h.bytes - before);
  c.w.integer(1);
  c.notify(NOTIFY_HASH, 'hset', key);
}

function hgetCommand(c: CommandContext): void {
  const h = readHash(c, c.str(1));
  if (h === null) return;
  if (h === undefined || !h.replyValue(c.str(2), c.w)) c.w.nil();
}

function hmgetCommand(c: CommandContext): void {
  const h = readHash(c, c.str(1));
  if (h === null) return;
  const argc = c.argc;
  c.w.array(argc - 2);
  for (let i = 2; i < argc; i++) if (h === undefined || !h.replyValue(c.str(i), c.w)) c.w.nil();
}

function hgetallCommand(c: CommandContext): void {
  const h = readHash(c, c.str(1));
  if (h === null) return;
  if (h === undefined) {
    c.w.map(0);
    return;
  }
  c.w.map(h.size);
  h.replyPairs(c.w, 2);
}

/** HKEYS (part 0) and HVALS (part 1). */
function writeParts(c: CommandContext, part: 0 | 1): void {
  const h = readHash(c, c.str(1));
  if (h === null) return;
  if (h === undefined) {
    c.w.array(0);
    return;
  }
  c.w.array(h.size);
  h.replyPairs(c.w, part);
}

function hkeysCommand(c: CommandContext): void {
  writeParts(c, 0);
}

function hvalsCommand(c: CommandContext): void {
  writeParts(c, 1);
}

function hdelCommand(c: CommandContext): void {
  const key = c.str(1);
  const e = writeHash(c, key);
  if (e === null) return;
  if (e === undefined) {
    c.w.integer(0);
    return;
  }
  const h = e.value as HashValue;
  const before = h.bytes;
  let deleted = 0;
  for (let i = 2; i < c.argc && h.size > 0; i++) if (h.delete(c.str(i))) deleted++;
  if (h.size === 0) c.db.delete(key);
  else if (deleted > 0) c.db.changed(e, h.bytes - before);
  if (deleted > 0) {
    c.notify(NOTIFY_HASH, 'hdel', key);
    if (h.size === 0) c.notify(NOTIFY_GENERIC, 'del', key);
  }
  c.w.integer(deleted);
}

function hexistsCommand(c: CommandContext): void {
  const h = readHash(c, c.str(1));
  if (h === null) return;
  c.w.integer(h !== undefined && h.has(c.str(2)) ? 1 : 0);
}

function hlenCommand(c: CommandContext): void {
  const h = readHash(c, c.str(1));
  if (h === null) return;
  c.w.integer(h === undefined ? 0 : h.size);
}

function hstrlenCommand(c: CommandContext): void {
  const h = readHash(c, c.str(1));
  if (h === null) return;
  c.w.integer(h === undefined ? 0 : h.strlen(c.str(2)));
}

/** Stores a counter's new value; creates the hash if needed. */
function storeField(c: CommandContext, key: string, e: Entry | undefined, field: string, value: string): void {
  if (e === undefined) e = c.db.create(key, TYPE_HASH, new HashValue());
  const h = e.value as HashValue;
  const before = h.bytes;
  h.set(field, value, c.store.limits);
  c.db.changed(e, h.bytes - before);
}

const SAFE = 1e15;
const LD_ZERO: LongDouble = { neg: false, m: 0n, e: 0, inf: false };

function hincrbyCommand(c: CommandContext): void {
  const incr = c.int(3);
  if (incr === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  const key = c.str(1);
  const e = writeHash(c, key);
  if (e === null) return;
  const field = c.str(2);
  const old = e === undefined ? undefined : (e.value as HashValue).get(field);
  const small = old === undefined ? 0 : smallInteger(old);
  if (small !== undefined && incr > -SAFE && incr < SAFE) {
    // Both below 2^50: the sum is exact in a double and cannot overflow int64.
    const sum = small + incr;
    storeField(c, key, e, field, String(sum));
    c.w.integer(sum);
    c.notify(NOTIFY_HASH, 'hincrby', key);
    return;
  }
  const value = old === undefined ? 0n : parseInt64String(old);
  if (value === undefined) {
    c.w.error(ERR_HASH_NOT_INT);
    return;
  }
  const sum = value + parseInt64Big(c.args.buf, c.args.start[3], c.args.end[3])!;
  if (sum > INT64_MAX || sum < INT64_MIN) {
    c.w.error(ERR_OVERFLOW);
    return;
  }
  storeField(c, key, e, field, String(sum));
  c.w.integer(sum);
  c.notify(NOTIFY_HASH, 'hincrby', key);
}

/** A stored value of at most 15 digits in Redis's integer syntax, or undefined. */
function smallInteger(s: string): number | undefined {
  const len = s.length;
  if (len === 0 || len > 16) return undefined;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === len || len - i > 15) return undefined;
  if (s.charCodeAt(i) === 48) return len === 1 ? 0 : undefined;
  let v = 0;
  for (; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return s.charCodeAt(0) === 45 ? -v : v;
}

function hincrbyfloatCommand(c: CommandContext): void {
  const incr = parseLongDouble(c.str(3));
  if (incr === undefined) {
    c.w.error(ERR_NOT_FLOAT);
    return;
  }
  if (incr.inf) {
    c.w.error(ERR_NAN_INCR);
    return;
  }
  const key = c.str(1);
  const e = writeHash(c, key);
  if (e === null) return;
  const field = c.str(2);
  const old = e === undefined ? undefined : (e.value as HashValue).get(field);
  const value = old === undefined ? LD_ZERO : parseLongDouble(old);
  if (value === undefined) {
    c.w.error(ERR_HASH_NOT_FLOAT);
    return;
  }
  const sum = addLongDouble(value, incr);
  if (sum === null) {
    c.w.error(ERR_INCR_NAN);
    return;
  }
  const text = formatLongDouble(sum);
  storeField(c, key, e, field, text);
  c.w.bulk(text);
  c.notify(NOTIFY_HASH, 'hincrbyfloat', key);
  // Replicated as Redis does, as the result: float formatting must not make replicas differ.
  c.replicateAs = ['HSET', key, field, text];
}

function hscanCommand(c: CommandContext): void {
  const cursor = parseScanCursor(c.str(2));
  if (cursor < 0) {
    c.w.error(ERR_CURSOR);
    return;
  }
  const h = readHash(c, c.str(1));
  if (h === null) return;
  if (h === undefined) {
    writeScanHeader(c, 0, 0);
    return;
  }
  const opts = parseScanOptions(c, 3);
  if (opts === null) return;
  const out = scanned;
  let next = 0;
  if (h.encoding() === 'listpack') {
    // Redis returns a listpack whole, whatever the cursor and COUNT.
    h.forEach(pushPair);
  } else {
    next = scanMapStep(h, cursor, opts.count, out);
  }
  const n = filterScanItems(out, opts.pattern, 2);
  writeScanHeader(c, next, n);
  for (let i = 0; i < n; i++) c.w.bulk(out[i]);
  out.length = 0;
}

/** Pairs collected by the current HSCAN step, reused across calls and emptied after each. */
const scanned: string[] = [];

function pushPair(field: string, value: string): void {
  scanned.push(field, value);
}

function hrandfieldCommand(c: CommandContext): void {
  if (c.argc === 2) {
    const h = readHash(c, c.str(1));
    if (h === null) return;
    if (h === undefined) c.w.nil();
    else c.w.bulk(h.randomField());
    return;
  }
  const parsed = parseInt64Big(c.args.buf, c.args.start[2], c.args.end[2]);
  if (parsed === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  if (parsed === INT64_MIN) {
    c.w.error(ERR_COUNT_RANGE);
    return;
  }
  const withValues = c.argc === 4 && c.is(3, 'withvalues');
  if (c.argc > 4 || (c.argc === 4 && !withValues)) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  if (withValues && (parsed < -(INT64_MAX / 2n) || parsed > INT64_MAX / 2n)) {
    c.w.error(ERR_RANGE);
    return;
  }
  const h = readHash(c, c.str(1));
  if (h === null) return;
  if (h === undefined || parsed === 0n) {
    c.w.array(0);
    return;
  }
  const unique = parsed > 0n;
  const big = unique ? parsed : -parsed;
  const flat = withValues && c.w.resp === 2;
  if (!unique || big === 1n) {
    if (big > BigInt(MAX_RANDOM_REPLY)) {
      c.w.error(ERR_RANGE);
      return;
    }
    // Fields drawn with replacement, in draw order.
    const count = Number(big);
    const all = Array.from(h.entries());
    c.w.array(flat ? count * 2 : count);
    for (let i = 0; i < count; i++) writePair(c, all[Math.floor(Math.random() * all.length)], withValues, flat);
    return;
  }
  const size = h.size;
  const count = big >= BigInt(size) ? size : Number(big);
  c.w.array(flat ? count * 2 : count);
  // Selection sampling (Knuth's algorithm S): each field is kept with probability
  // needed/remaining, which picks a uniform subset in one pass, in insertion order as Redis's
  // listpack sampling returns it.
  let needed = count;
  let remaining = size;
  for (const pair of h.entries()) {
    if (needed === 0) break;
    if (Math.random() * remaining < needed) {
      writePair(c, pair, withValues, flat);
      needed--;
    }
    remaining--;
  }
}

function writePair(c: CommandContext, pair: [string, string], withValues: boolean, flat: boolean): void {
  if (withValues && !flat) c.w.array(2);
  c.w.bulk(pair[0]);
  if (withValues) c.w.bulk(pair[1]);
}

const R = CMD_READONLY;
const W = CMD_WRITE;
export const hashCommands: CommandDef[] = [
  { name: 'hset', arity: -4, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: hsetCommand },
  { name: 'hsetnx', arity: 4, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: hsetnxCommand },
  { name: 'hget', arity: 3, flags: R | CMD_FAST, firstKey: 1, handler: hgetCommand },
  { name: 'hmget', arity: -3, flags: R | CMD_FAST, firstKey: 1, handler: hmgetCommand },
  { name: 'hmset', arity: -4, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: hsetCommand },
  { name: 'hgetall', arity: 2, flags: R, firstKey: 1, handler: hgetallCommand },
  { name: 'hdel', arity: -3, flags: W | CMD_FAST, firstKey: 1, handler: hdelCommand },
  { name: 'hexists', arity: 3, flags: R | CMD_FAST, firstKey: 1, handler: hexistsCommand },
  { name: 'hlen', arity: 2, flags: R | CMD_FAST, firstKey: 1, handler: hlenCommand },
  { name: 'hincrby', arity: 4, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: hincrbyCommand },
  { name: 'hincrbyfloat', arity: 4, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: hincrbyfloatCommand },
  { name: 'hkeys', arity: 2, flags: R, firstKey: 1, handler: hkeysCommand },
  { name: 'hvals', arity: 2, flags: R, firstKey: 1, handler: hvalsCommand },
  { name: 'hstrlen', arity: 3, flags: R | CMD_FAST, firstKey: 1, handler: hstrlenCommand },
  { name: 'hscan', arity: -3, flags: R, firstKey: 1, handler: hscanCommand },
  { name: 'hrandfield', arity: -2, flags: R, firstKey: 1, handler: hrandfieldCommand },
];
