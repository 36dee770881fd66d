// Stream commands without consumer groups: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID,
// as Redis 7.0.15's t_stream.c replies them, over store/stream.ts. (XREAD, which can block,
// lives in server/commands/stream-block.ts; the groups in stream-groups.ts.)
//
// Replication follows Redis: XADD goes out with the ID it generated (for `*` and `ms-*`) and an
// approximate trim rewritten as the exact trim it amounted to (stream-trim.ts); XTRIM with `~`
// likewise. XSETID changes counters only: like Redis, it counts a change but signals no
// modified key (WATCH and blocked readers do not see it).

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_NOT_INTEGER, ERR_NO_SUCH_KEY, ERR_SYNTAX, errWrongArity } from './errors.js';
import { NOTIFY_STREAM } from './keyspace-events.js';
import { STREAM_ID_MAX, streamDecrID, streamIncrID, streamParseIntervalIDOrReply, streamParseStrictIDOrReply } from './stream-ids.js';
import { argWords, parseAddOrTrimArgs, rewriteApproxTrim } from './stream-trim.js';
import { TYPE_STREAM, type Entry } from '../store/entry.js';
import { StreamValue } from '../store/stream.js';
import { formatStreamId, STREAM_ID_SEQ_MASK, type StreamEntryImage } from '../store/stream-image.js';

const ERR_XADD_ZERO_ID = 'ERR The ID specified in XADD must be greater than 0-0';
const ERR_XADD_EXHAUSTED = 'ERR The stream has exhausted the last possible ID, unable to add more items';
const ERR_XADD_SMALLER = 'ERR The ID specified in XADD is equal or smaller than the target stream top item';
const ERR_XADD_TOO_LARGE = 'ERR Elements are too large to be stored';
const ERR_START_INTERVAL = 'ERR invalid start ID for the interval';
const ERR_END_INTERVAL = 'ERR invalid end ID for the interval';
const ERR_XSETID_SMALLER = 'ERR The ID specified in XSETID is smaller than the target stream top item';
const ERR_XSETID_MAXDELETED = 'ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id';
const ERR_XSETID_ENTRIES_ADDED = 'ERR The entries_added specified in XSETID is smaller than the target stream length';
const ERR_ENTRIES_ADDED_POSITIVE = 'ERR entries_added must be positive';
/** STREAM_LISTPACK_MAX_SIZE: the most field/value bytes one entry may have. */
const ENTRY_MAX_BYTES = 1 << 30;

/** Replies one entry: [id, [field, value, ...]]. */
export function replyEntry(c: CommandContext, id: bigint, fields: readonly string[]): void {
  const w = c.w;
  w.array(2);
  w.bulk(formatStreamId(id));
  w.array(fields.length);
  for (const f of fields) w.bulk(f);
}

export function replyEntries(c: CommandContext, entries: readonly StreamEntryImage[]): void {
  c.w.array(entries.length);
  for (const e of entries) replyEntry(c, e.id, e.fields);
}

/** The stream at key for reading; null after replying WRONGTYPE. */
export function readStream(c: CommandContext, key: string): StreamValue | undefined | null {
  const e = c.readTyped(key, TYPE_STREAM);
  return e == null ? e : (e.value as StreamValue);
}

/** Whether the call comes from the primary or a slot import (Redis's mustObeyClient). */
export function mustObeyClient(c: CommandContext): boolean {
  return c.client.id === 0 && c.client.inScript !== true;
}

/** XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT n]] <*|id> field value [...] */
function xaddCommand(c: CommandContext): void {
  const limits = c.store.limits;
  const a = parseAddOrTrimArgs(c, true, mustObeyClient(c), limits.streamNodeMaxEntries);
  if (a === null) return;
  const fieldPos = a.idPos + 1;
  const pairCount = c.argc - fieldPos;
  if (pairCount < 2 || pairCount % 2 === 1) {
    c.w.error(errWrongArity(c.name));
    return;
  }
  if (a.idGiven && a.seqGiven && a.id === 0n) {
    c.w.error(ERR_XADD_ZERO_ID);
    return;
  }
  const key = c.str(1);
  let e: Entry | undefined | null = c.writeTyped(key, TYPE_STREAM);
  if (e === null) return;
  if (e === undefined && a.noMkstream) {
    c.w.nil();
    return;
  }
  // A new stream is created before the append, as Redis's: a failing append leaves it empty.
  if (e === undefined) e = c.db.create(key, TYPE_STREAM, new StreamValue());
  const s = e.value as StreamValue;
  const before = s.bytes;
  if (s.lastId === STREAM_ID_MAX) {
    c.w.error(ERR_XADD_EXHAUSTED);
    return;
  }
  const id = newEntryId(c, s, a.id, a.idGiven, a.seqGiven);
  if (id === null) return;
  const pairs: string[] = [];
  let total = 0;
  for (let i = fieldPos; i < c.argc; i++) {
    total += c.argLength(i);
    pairs.push(c.str(i));
  }
  if (total > ENTRY_MAX_BYTES) {
    c.w.error(ERR_XADD_TOO_LARGE);
    return;
  }
  s.append(id, pairs, limits);
  const idText = formatStreamId(id);
  c.w.bulk(idText);
  let trimmed = 0;
  if (a.trim !== null) trimmed = s.trim(a.trim);
  c.db.changed(e, s.bytes - before);
  c.notify(NOTIFY_STREAM, 'xadd', key);
  if (trimmed > 0) c.notify(NOTIFY_STREAM, 'xtrim', key);
  const approx = a.trim !== null && a.trim.approx;
  if (approx || !a.idGiven || !a.seqGiven) {
    const words = argWords(c);
    if (approx) rewriteApproxTrim(words, a, s);
    if (!a.idGiven || !a.seqGiven) words[a.idPos] = idText;
    c.replicate(words);
  }
}

/**
 * The ID an XADD adds (streamAppendItem's choice): generated for `*`, the next sequence for
 * `ms-*`, else as given; null after replying when it is not above the stream's last ID.
 */
function newEntryId(c: CommandContext, s: StreamValue, given: bigint, idGiven: boolean, seqGiven: boolean): bigint | null {
  let id: bigint;
  if (!idGiven) id = s.nextAutoId(Date.now())!;
  else if (seqGiven) id = given;
  else if (s.lastId >> 64n === given >> 64n) {
    if ((s.lastId & STREAM_ID_SEQ_MASK) === STREAM_ID_SEQ_MASK) {
      // Redis returns C_ERR without setting errno: its reply is the "too large" one.
      c.w.error(ERR_XADD_TOO_LARGE);
      return null;
    }
    id = s.lastId + 1n;
  } else id = given;
  if (id <= s.lastId) {
    c.w.error(ERR_XADD_SMALLER);
    return null;
  }
  return id;
}

/** XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n]. */
function xrange(c: CommandContext, rev: boolean): void {
  const startArg = rev ? 3 : 2;
  const endArg = rev ? 2 : 3;
  const start = streamParseIntervalIDOrReply(c, startArg, 0n);
  if (start === null) return;
  let startId = start.id;
  if (start.exclusive) {
    const next = streamIncrID(startId);
    if (next === null) {
      c.w.error(ERR_START_INTERVAL);
      return;
    }
    startId = next;
  }
  const end = streamParseIntervalIDOrReply(c, endArg, STREAM_ID_SEQ_MASK);
  if (end === null) return;
  let endId = end.id;
  if (end.exclusive) {
    const prev = streamDecrID(endId);
    if (prev === null) {
      c.w.error(ERR_END_INTERVAL);
      return;
    }
    endId = prev;
  }
  let count = -1;
  for (let j = 4; j < c.argc; j++) {
    if (c.is(j, 'count') && c.argc - j - 1 >= 1) {
      const n = c.int(j + 1);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      count = n < 0 ? 0 : n;
      j++;
    } else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  const s = readStream(c, c.str(1));
  if (s === null) return;
  if (s === undefined) {
    c.w.array(0);
    return;
  }
  if (count === 0) {
    c.w.nullArray();
    return;
  }
  replyEntries(c, s.range(startId, endId, count === -1 ? 0 : count, rev));
}

function xlenCommand(c: CommandContext): void {
  const s = readStream(c, c.str(1));
  if (s === null) return;
  c.w.integer(s === undefined ? 0 : s.length);
}

/** XDEL key id [id ...]: the key is looked up first (a missing one answers 0 unparsed). */
function xdelCommand(c: CommandContext): void {
  const key = c.str(1);
  const e = c.writeTyped(key, TYPE_STREAM);
  if (e === null) return;
  if (e === undefined) {
    c.w.integer(0);
    return;
  }
  const ids: bigint[] = [];
  for (let j = 2; j < c.argc; j++) {
    const p = streamParseStrictIDOrReply(c, j, 0n);
    if (p === null) return;
    ids.push(p.id);
  }
  const s = e.value as StreamValue;
  const before = s.bytes;
  const deleted = s.deleteIds(ids);
  if (deleted > 0) {
    c.db.changed(e, s.bytes - before);
    c.notify(NOTIFY_STREAM, 'xdel', key);
  }
  c.w.integer(deleted);
}

/** XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT n]. */
function xtrimCommand(c: CommandContext): void {
  const a = parseAddOrTrimArgs(c, false, mustObeyClient(c), c.store.limits.streamNodeMaxEntries);
  if (a === null) return;
  const key = c.str(1);
  const e = c.writeTyped(key, TYPE_STREAM);
  if (e === null) return;
  if (e === undefined) {
    c.w.integer(0);
    return;
  }
  const s = e.value as StreamValue;
  const before = s.bytes;
  const deleted = s.trim(a.trim!);
  if (deleted > 0) {
    c.notify(NOTIFY_STREAM, 'xtrim', key);
    if (a.trim!.approx) {
      const words = argWords(c);
      rewriteApproxTrim(words, a, s);
      c.replicate(words);
    }
    c.db.changed(e, s.bytes - before);
  }
  c.w.integer(deleted);
}

/** XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]. */
function xsetidCommand(c: CommandContext): void {
  const idArg = streamParseStrictIDOrReply(c, 2, 0n);
  if (idArg === null) return;
  const id = idArg.id;
  let entriesAdded = -1;
  let maxDeleted = 0n;
  for (let i = 3; i < c.argc; ) {
    const moreargs = c.argc - 1 - i;
    if (c.is(i, 'entriesadded') && moreargs > 0) {
      const n = c.int(i + 1);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      if (n < 0) {
        c.w.error(ERR_ENTRIES_ADDED_POSITIVE);
        return;
      }
      entriesAdded = n;
      i += 2;
    } else if (c.is(i, 'maxdeletedid') && moreargs > 0) {
      const p = streamParseStrictIDOrReply(c, i + 1, 0n);
      if (p === null) return;
      if (id < p.id) {
        c.w.error(ERR_XSETID_MAXDELETED);
        return;
      }
      maxDeleted = p.id;
      i += 2;
    } else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  const key = c.str(1);
  const e = c.writeTyped(key, TYPE_STREAM);
  if (e === null) return;
  if (e === undefined) {
    c.w.error(ERR_NO_SUCH_KEY);
    return;
  }
  const s = e.value as StreamValue;
  if (s.length > 0) {
    if (id < s.lastValidId()) {
      c.w.error(ERR_XSETID_SMALLER);
      return;
    }
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      c.w.error(ERR_XSETID_ENTRIES_ADDED);
      return;
    }
  }
  s.setIds(id, entriesAdded === -1 ? null : entriesAdded, maxDeleted === 0n ? null : maxDeleted);
  c.w.ok();
  // A change to replicate, but no modified-key signal (Redis's xsetidCommand has none).
  c.store.dirty++;
  c.notify(NOTIFY_STREAM, 'xsetid', key);
}

const R = CMD_READONLY;
const W = CMD_WRITE;
export const streamCommands: CommandDef[] = [
  { name: 'xadd', arity: -5, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: xaddCommand },
  { name: 'xrange', arity: -4, flags: R, firstKey: 1, handler: (c) => xrange(c, false) },
  { name: 'xrevrange', arity: -4, flags: R, firstKey: 1, handler: (c) => xrange(c, true) },
  { name: 'xlen', arity: 2, flags: R | CMD_FAST, firstKey: 1, handler: xlenCommand },
  { name: 'xdel', arity: -3, flags: W | CMD_FAST, firstKey: 1, handler: xdelCommand },
  { name: 'xtrim', arity: -4, flags: W, firstKey: 1, handler: xtrimCommand },
  { name: 'xsetid', arity: -3, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: xsetidCommand },
];
