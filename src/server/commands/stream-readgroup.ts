// XREADGROUP as Redis 7.0.15's xreadCommand runs it with GROUP: reading new entries (`>`) for a
// consumer of a group, which delivers them (each goes into the group's and the consumer's PEL,
// unless NOACK) and moves the group's last ID and read counter; or reading the consumer's own
// history (any other ID), which re-delivers what it has pending and replies [id, nil] for a
// pending entry deleted from the stream since.
//
// It is never replicated as itself: each delivery is replicated as an XCLAIM, a NOACK read as
// XGROUP SETID (and XGROUP CREATECONSUMER for a consumer it created), a history read not at all
// (stream-groups.ts).
//
// With nothing to serve and BLOCK given, the client waits for the stream to grow past the
// group's last ID; the wait itself is the blocking module's (blockOnStreams), which calls
// serveReadgroupWaiter when a key it waits on changes.

import type { CommandContext } from '../../commands/context.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../commands/errors.js';
import {
  INVALID_ENTRIES_READ,
  STREAM_ID_MAX,
  parseStreamId,
  ERR_INVALID_STREAM_ID,
  streamEstimateDistanceFromFirstEverEntry,
  streamRangeHasTombstones,
} from '../../commands/stream-ids.js';
import { NOTIFY_STREAM } from '../../commands/keyspace-events.js';
import { CMD_MOVABLE_KEYS, CMD_WRITE, type CommandDef } from '../../commands/table.js';
import { groupsChanged, propagateConsumerCreation, propagateGroupId, propagateXclaim, sanitizeError, writeStreamEntry } from '../../commands/stream-groups.js';
import { TYPE_STREAM, type Entry } from '../../store/entry.js';
import type { StreamValue } from '../../store/stream.js';
import type { Consumer, ConsumerGroup } from '../../store/stream-groups.js';
import { blockOnStreams, clientMayBlock, parseBlockMs, xreadKeys } from './stream-block.js';
import type { StreamServeFn } from '../blocking.js';
import { formatStreamId } from '../../store/stream-image.js';

/** XREAD_BLOCKED_DEFAULT_COUNT: the COUNT of a blocked read given none. */
export const BLOCKED_DEFAULT_COUNT = 1000;

/** One stream's part of a reply: its key and [id, fields | null (deleted)] pairs. */
type Served = { key: string; entries: Array<[bigint, readonly string[] | null]> };

/** A parsed XREADGROUP call. */
export interface ReadgroupCall {
  /** BLOCK in ms (0: forever), -1 without BLOCK. */
  timeout: number;
  count: number;
  noack: boolean;
  group: string;
  consumer: string;
  /** Argument index of the first key. */
  firstKey: number;
  keys: string[];
  /** Per key: STREAM_ID_MAX for `>`, else the ID after which history is read. */
  ids: bigint[];
}

/** Parses the call as xreadCommand does, group checks included; null after replying an error. */
export function parseReadgroup(c: CommandContext): ReadgroupCall | null {
  let timeout = -1;
  let count = 0;
  let noack = false;
  let streamsAt = 0;
  let nStreams = 0;
  let group: string | null = null;
  let consumer = '';
  const argc = c.argc;
  for (let i = 1; i < argc; i++) {
    const more = argc - i - 1;
    if (c.is(i, 'block') && more > 0) {
      if (c.client.inScript === true) {
        c.w.error(`ERR ${c.str(0)} command is not allowed with BLOCK option from scripts`);
        return null;
      }
      const t = parseBlockMs(c, ++i);
      if (t === null) return null;
      timeout = t;
    } else if (c.is(i, 'count') && more > 0) {
      const n = c.int(++i);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return null;
      }
      count = Math.max(0, n);
    } else if (c.is(i, 'streams') && more > 0) {
      streamsAt = i + 1;
      nStreams = argc - streamsAt;
      if (nStreams % 2 !== 0) {
        c.w.error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
        return null;
      }
      nStreams /= 2;
      break;
    } else if (c.is(i, 'group') && more >= 2) {
      group = c.str(i + 1);
      consumer = c.str(i + 2);
      i += 2;
    } else if (c.is(i, 'noack')) noack = true;
    else {
      c.w.error(ERR_SYNTAX);
      return null;
    }
  }
  if (streamsAt === 0) {
    c.w.error(ERR_SYNTAX);
    return null;
  }
  if (group === null) {
    c.w.error('ERR Missing GROUP option for XREADGROUP');
    return null;
  }
  const keys: string[] = [];
  const ids: bigint[] = [];
  for (let k = 0; k < nStreams; k++) {
    const key = c.str(streamsAt + k);
    const e = c.readTyped(key, TYPE_STREAM);
    if (e === null) return null;
    if (e === undefined || (e.value as StreamValue).groups?.get(group) === undefined) {
      c.w.error(sanitizeError(`NOGROUP No such key '${key}' or consumer group '${group}' in XREADGROUP with GROUP option`));
      return null;
    }
    const idText = c.str(streamsAt + nStreams + k);
    if (idText === '$') {
      c.w.error(
        'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
      );
      return null;
    }
    let id: bigint;
    if (idText === '>') id = STREAM_ID_MAX;
    else {
      const p = parseStreamId(idText, 0n, true, false);
      if (p === null) {
        c.w.error(ERR_INVALID_STREAM_ID);
        return null;
      }
      id = p.id;
    }
    keys.push(key);
    ids.push(id);
  }
  return { timeout, count, noack, group, consumer, firstKey: streamsAt, keys, ids };
}

/**
 * The consumer by name (its seen-time refreshed), created if missing: notified as
 * xgroup-createconsumer, and for a NOACK read replicated (nothing else would create it on a
 * replica). Returns it and whether it was created.
 */
function readingConsumer(c: CommandContext, key: string, group: ConsumerGroup, name: string, noack: boolean, now: number): [Consumer, boolean] {
  const found = group.consumer(name);
  if (found !== undefined) {
    found.seenTime = now;
    return [found, false];
  }
  const created = group.createConsumer(name, now)!;
  c.notify(NOTIFY_STREAM, 'xgroup-createconsumer', key);
  if (noack) propagateConsumerCreation(c, key, group, name);
  return [created, true];
}

/**
 * streamReplyWithRange with a group: delivers the entries after `after` (at most count, 0: all)
 * to the consumer, moving the group's last ID and read counter past each new one, and
 * replicating each delivery (or, with NOACK, the group's new last ID once).
 */
export function deliverNew(
  c: CommandContext,
  key: string,
  s: StreamValue,
  group: ConsumerGroup,
  consumer: Consumer,
  after: bigint,
  count: number,
  noack: boolean,
  now: number,
): Array<[bigint, readonly string[]]> {
  const out: Array<[bigint, readonly string[]]> = [];
  if (after === STREAM_ID_MAX) return out;
  let movedLastId = false;
  s.forEachInRange(after + 1n, STREAM_ID_MAX, false, (id, fields) => {
    if (id > group.lastId) {
      if (group.entriesRead !== INVALID_ENTRIES_READ && !streamRangeHasTombstones(s, id, null)) group.entriesRead++;
      else if (s.entriesAdded !== 0) group.entriesRead = streamEstimateDistanceFromFirstEverEntry(s, id);
      group.lastId = id;
      if (noack) movedLastId = true;
    }
    out.push([id, fields]);
    if (!noack) propagateXclaim(c, key, group, formatStreamId(id), group.deliver(id, consumer, now));
    return count === 0 || out.length < count;
  });
  if (movedLastId) propagateGroupId(c, key, group);
  return out;
}

/**
 * streamReplyWithRangeFromConsumerPEL: the consumer's pending entries after `after` (at most
 * count), each re-delivered (time now, count + 1), or [id, null] if deleted from the stream.
 */
function deliverHistory(s: StreamValue, consumer: Consumer, after: bigint, count: number, now: number): Array<[bigint, readonly string[] | null]> {
  const out: Array<[bigint, readonly string[] | null]> = [];
  for (const [id, p] of consumer.pel.from(after + 1n)) {
    if (count !== 0 && out.length >= count) break;
    const fields = s.lookup(id);
    if (fields !== null) {
      p.deliveryTime = now;
      p.deliveryCount++;
    }
    out.push([id, fields]);
  }
  return out;
}

/** Replies the served streams: an array of [key, entries] in RESP2, a map in RESP3. */
function writeServed(c: CommandContext, served: readonly Served[]): void {
  if (c.w.resp === 3) c.w.map(served.length);
  else c.w.array(served.length);
  for (const part of served) {
    if (c.w.resp !== 3) c.w.array(2);
    c.w.bulk(part.key);
    c.w.array(part.entries.length);
    for (const [id, fields] of part.entries) {
      if (fields !== null) writeStreamEntry(c, id, fields);
      else {
        c.w.array(2);
        c.w.bulk(formatStreamId(id));
        c.w.nullArray();
      }
    }
  }
}

/**
 * Accounts a change of the value's bytes (groupsChanged). Only when the call replicated
 * something does it count as a write (the dispatcher replicates a call that counted one, as
 * itself unless told otherwise); a history read that only created a consumer changes bytes and
 * replicates nothing, as in Redis, so its count of writes is taken back.
 */
function account(c: CommandContext, e: Entry, before: number, replicated: boolean): void {
  const s = e.value as StreamValue;
  const delta = s.bytes - before;
  if (!replicated && delta === 0) return;
  groupsChanged(c, e, delta);
  if (!replicated) c.store.dirty--;
}

/**
 * Serves what can be served now, in key order (a key given twice sees the first read's
 * effects). Returns whether anything was replied.
 */
export function serveReadgroupNow(c: CommandContext, call: ReadgroupCall): boolean {
  const served: Served[] = [];
  const now = c.store.clock.now();
  for (let k = 0; k < call.keys.length; k++) {
    const key = call.keys[k];
    const e = c.readTyped(key, TYPE_STREAM);
    if (e == null) continue;
    const s = e.value as StreamValue;
    const group = s.groups!.get(call.group)!;
    let after = call.ids[k];
    const history = after !== STREAM_ID_MAX;
    if (!history) {
      if (s.length === 0 || s.lastValidId() <= group.lastId) continue;
      after = group.lastId;
    }
    const before = s.bytes;
    const replicatedBefore = (c.replicateAs === null ? 0 : 1) + c.replicateAlso.length;
    const [consumer] = readingConsumer(c, key, group, call.consumer, call.noack, now);
    const entries = history ? deliverHistory(s, consumer, after, call.count, now) : deliverNew(c, key, s, group, consumer, after, call.count, call.noack, now);
    const replicated = (c.replicateAs === null ? 0 : 1) + c.replicateAlso.length > replicatedBefore;
    account(c, e, before, replicated);
    served.push({ key, entries });
  }
  if (served.length === 0) return false;
  writeServed(c, served);
  return true;
}

/**
 * Serves a client blocked by XREADGROUP on `key` after the key changed (blocked.c's
 * serveClientsBlockedOnStreamKey for a group): replies -UNBLOCKED if the key went or holds
 * another type now, -NOGROUP if the group went, nothing
 * (and returns false: keep waiting) if the stream has nothing past the group's last ID, else
 * delivers up to count entries and replies as a one-key XREADGROUP. The context is set up as
 * the waiter's command. Returns whether the waiter was answered.
 */
export function serveReadgroupWaiter(c: CommandContext, key: string, group: string, consumer: string, noack: boolean, count: number): boolean {
  const e = c.db.peek(key);
  if (e === undefined || e.type !== TYPE_STREAM) {
    // unblockDeletedStreamReadgroupClients: the key was deleted or overwritten.
    c.w.error('UNBLOCKED the stream key no longer exists');
    return true;
  }
  const s = e.value as StreamValue;
  const g = s.groups?.get(group);
  if (g === undefined) {
    c.w.error('NOGROUP the consumer group this client was blocked on no longer exists');
    return true;
  }
  if (s.lastId <= g.lastId) return false;
  const now = c.store.clock.now();
  const before = s.bytes;
  const [reader] = readingConsumer(c, key, g, consumer, noack, now);
  const entries = deliverNew(c, key, s, g, reader, g.lastId, count, noack, now);
  account(c, e, before, true);
  writeServed(c, [{ key, entries }]);
  return true;
}

/** A blocked XREADGROUP's waiter state. */
interface ReadgroupWait {
  group: string;
  consumer: string;
  noack: boolean;
  count: number;
}

const serveBlockedReadgroup: StreamServeFn = (c, key, w) => {
  const st = w.streamState as ReadgroupWait;
  return serveReadgroupWaiter(c, key, st.group, st.consumer, st.noack, st.count);
};

/**
 * XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key [key ...] id [id ...]
 * With nothing served: a null array, or with BLOCK a wait (a timeout at once inside MULTI/EXEC).
 */
function xreadgroupCommand(c: CommandContext): void {
  const call = parseReadgroup(c);
  if (call === null) return;
  if (serveReadgroupNow(c, call)) return;
  if (call.timeout === -1 || !clientMayBlock(c)) {
    c.w.nullArray();
    return;
  }
  const wait: ReadgroupWait = {
    group: call.group,
    consumer: call.consumer,
    noack: call.noack,
    count: call.count !== 0 ? call.count : BLOCKED_DEFAULT_COUNT,
  };
  blockOnStreams(c, call.keys, call.ids, call.timeout, serveBlockedReadgroup, wait);
}

export const streamReadgroupCommands: CommandDef[] = [
  { name: 'xreadgroup', arity: -7, flags: CMD_WRITE | CMD_MOVABLE_KEYS, firstKey: 0, keys: xreadKeys, handler: xreadgroupCommand },
];
