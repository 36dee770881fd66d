// XCLAIM and XAUTOCLAIM as Redis 7.0.15 runs them: moving pending entries of a consumer group to
// another consumer. An entry that was deleted from the stream meanwhile is dropped from the PEL
// instead (7.0: XCLAIM leaves it out of the reply, XAUTOCLAIM lists it in a third element).
// Every claimed or dropped entry is replicated as Redis's idempotent XCLAIM form, never as the
// command sent (stream-groups.ts).

import type { CommandContext } from './context.js';
import { CMD_FAST, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_SYNTAX } from './errors.js';
import { streamIncrID, streamParseIntervalIDOrReply, parseStreamId, ERR_INVALID_STREAM_ID } from './stream-ids.js';
import { NOTIFY_STREAM } from './keyspace-events.js';
import { errNoGroup, groupsChanged, lookupGroup, propagateGroupId, propagateXclaim, streamEntry, writeStreamEntry, writeStreamId } from './stream-groups.js';
import type { StreamValue } from '../store/stream.js';
import type { Consumer, ConsumerGroup } from '../store/stream-groups.js';
import { formatStreamId } from '../store/stream-image.js';

/** getLongLongFromObjectOrReply with a message: any non-integer (or overflow) replies it. */
function parseLongLong(c: CommandContext, i: number): number | undefined {
  return c.int(i);
}

/**
 * streamLookupConsumer (refreshing its seen-time) or streamCreateConsumer (notifying
 * xgroup-createconsumer), as the claim commands get their consumer on the first claim.
 */
function claimingConsumer(c: CommandContext, group: ConsumerGroup, name: string, key: string, now: number): Consumer {
  const found = group.consumer(name);
  if (found !== undefined) {
    found.seenTime = now;
    return found;
  }
  const created = group.createConsumer(name, now)!;
  c.notify(NOTIFY_STREAM, 'xgroup-createconsumer', key);
  return created;
}

/**
 * XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n]
 * [FORCE] [JUSTID] [LASTID id]. The IDs end at the first argument that is not one (strictly
 * parsed: "-" and "+" are options), and the options follow.
 */
function xclaimCommand(c: CommandContext): void {
  const key = c.str(1);
  const groupName = c.str(2);
  const e = streamEntry(c, key, false);
  if (e === null) return;
  const s = e === undefined ? null : (e.value as StreamValue);
  const group = s === null ? undefined : lookupGroup(s, groupName);
  if (group === undefined) {
    c.w.error(errNoGroup(key, groupName));
    return;
  }
  let minIdle = parseLongLong(c, 4);
  if (minIdle === undefined) {
    c.w.error('ERR Invalid min-idle-time argument for XCLAIM');
    return;
  }
  if (minIdle < 0) minIdle = 0;
  const argc = c.argc;
  const ids: bigint[] = [];
  let j = 5;
  for (; j < argc; j++) {
    const p = parseStreamId(c.str(j), 0n, true, false);
    if (p === null) break;
    ids.push(p.id);
  }
  const now = c.store.clock.now();
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justId = false;
  let lastId = 0n;
  for (; j < argc; j++) {
    const more = argc - 1 - j;
    if (c.is(j, 'force')) force = true;
    else if (c.is(j, 'justid')) justId = true;
    else if (c.is(j, 'idle') && more > 0) {
      const n = parseLongLong(c, ++j);
      if (n === undefined) {
        c.w.error('ERR Invalid IDLE option argument for XCLAIM');
        return;
      }
      deliveryTime = now - n;
    } else if (c.is(j, 'time') && more > 0) {
      const n = parseLongLong(c, ++j);
      if (n === undefined) {
        c.w.error('ERR Invalid TIME option argument for XCLAIM');
        return;
      }
      deliveryTime = n;
    } else if (c.is(j, 'retrycount') && more > 0) {
      const n = parseLongLong(c, ++j);
      if (n === undefined) {
        c.w.error('ERR Invalid RETRYCOUNT option argument for XCLAIM');
        return;
      }
      retryCount = n;
    } else if (c.is(j, 'lastid') && more > 0) {
      const p = parseStreamId(c.str(++j), 0n, true, false);
      if (p === null) {
        c.w.error(ERR_INVALID_STREAM_ID);
        return;
      }
      lastId = p.id;
    } else {
      c.w.error(`ERR Unrecognized XCLAIM option '${c.str(j)}'`);
      return;
    }
  }
  const stream = s!;
  const before = stream.bytes;
  let propagateLastId = false;
  let changed = false;
  if (lastId > group.lastId) {
    group.lastId = lastId;
    propagateLastId = true;
  }
  // A bogus time (negative, or in the future) is taken as now, as Redis does, not refused.
  if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  const name = c.str(3);
  let consumer: Consumer | null = null;
  const claimed: Array<[bigint, readonly string[] | null]> = [];
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    const idArg = c.str(5 + k);
    let p = group.pel.get(id);
    const fields = stream.lookup(id);
    if (fields === null) {
      // Deleted from the stream: dropped from the PEL, and replicated so the replica drops it.
      if (p !== undefined) {
        propagateXclaim(c, key, group, idArg, p);
        propagateLastId = false;
        changed = true;
        group.acknowledge(id);
      }
      continue;
    }
    if (force && p === undefined) p = group.addPending(id, now);
    if (p === undefined) continue;
    if (p.consumer !== null && minIdle !== 0 && now - p.deliveryTime < minIdle) continue;
    if (consumer === null) consumer = claimingConsumer(c, group, name, key, now);
    p.deliveryTime = deliveryTime;
    if (retryCount >= 0) p.deliveryCount = retryCount;
    else if (!justId) p.deliveryCount++;
    group.assign(id, p, consumer);
    claimed.push([id, justId ? null : fields]);
    propagateXclaim(c, key, group, idArg, p);
    propagateLastId = false;
    changed = true;
  }
  if (propagateLastId) {
    propagateGroupId(c, key, group);
    changed = true;
  }
  if (changed) groupsChanged(c, e!, stream.bytes - before);
  c.w.array(claimed.length);
  for (const [id, fields] of claimed) {
    if (fields === null) writeStreamId(c, id);
    else writeStreamEntry(c, id, fields);
  }
}

/** LONG_MAX / max(sizeof(streamID), attempts_factor): XAUTOCLAIM's largest COUNT. */
const XAUTOCLAIM_MAX_COUNT = 576460752303423487n;
const ATTEMPTS_FACTOR = 10;

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]. */
function xautoclaimCommand(c: CommandContext): void {
  let minIdle = parseLongLong(c, 4);
  if (minIdle === undefined) {
    c.w.error('ERR Invalid min-idle-time argument for XAUTOCLAIM');
    return;
  }
  if (minIdle < 0) minIdle = 0;
  const from = streamParseIntervalIDOrReply(c, 5, 0n);
  if (from === null) return;
  let start = from.id;
  if (from.exclusive) {
    const next = streamIncrID(start);
    if (next === null) {
      c.w.error('ERR invalid start ID for the interval');
      return;
    }
    start = next;
  }
  let count = 100;
  let justId = false;
  for (let j = 6; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (c.is(j, 'count') && more > 0) {
      const n = c.int(j + 1);
      if (n === undefined || n < 1 || BigInt(c.str(j + 1)) > XAUTOCLAIM_MAX_COUNT) {
        c.w.error('ERR COUNT must be > 0');
        return;
      }
      count = n;
      j++;
    } else if (c.is(j, 'justid')) justId = true;
    else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  const key = c.str(1);
  const groupName = c.str(2);
  const e = streamEntry(c, key, false);
  if (e === null) return;
  const s = e === undefined ? null : (e.value as StreamValue);
  const group = s === null ? undefined : lookupGroup(s, groupName);
  if (group === undefined) {
    c.w.error(errNoGroup(key, groupName));
    return;
  }
  const stream = s!;
  const before = stream.bytes;
  const now = c.store.clock.now();
  const name = c.str(3);
  let consumer: Consumer | null = null;
  let attempts = count * ATTEMPTS_FACTOR;
  const claimed: Array<[bigint, readonly string[] | null]> = [];
  const deleted: bigint[] = [];
  let changed = false;
  // The cursor is the PEL entry after the last one examined (0-0 when the PEL ran out): the
  // walk stops when attempts or count run out, before looking at the next entry.
  let cursor = 0n;
  for (const [id, p] of group.pel.from(start)) {
    if (attempts === 0 || count === 0) {
      cursor = id;
      break;
    }
    attempts--;
    const fields = stream.lookup(id);
    if (fields === null) {
      propagateXclaim(c, key, group, formatStreamId(id), p);
      changed = true;
      group.acknowledge(id);
      deleted.push(id);
      count--;
      continue;
    }
    if (minIdle !== 0 && now - p.deliveryTime < minIdle) continue;
    if (consumer === null) consumer = claimingConsumer(c, group, name, key, now);
    p.deliveryTime = now;
    if (!justId) p.deliveryCount++;
    group.assign(id, p, consumer);
    claimed.push([id, justId ? null : fields]);
    count--;
    propagateXclaim(c, key, group, formatStreamId(id), p);
    changed = true;
  }
  if (changed) groupsChanged(c, e!, stream.bytes - before);
  c.w.array(3);
  writeStreamId(c, cursor);
  c.w.array(claimed.length);
  for (const [id, fields] of claimed) {
    if (fields === null) writeStreamId(c, id);
    else writeStreamEntry(c, id, fields);
  }
  c.w.array(deleted.length);
  for (const id of deleted) writeStreamId(c, id);
}

export const streamClaimCommands: CommandDef[] = [
  { name: 'xclaim', arity: -6, flags: CMD_WRITE | CMD_FAST, firstKey: 1, lastKey: 1, keyStep: 1, handler: xclaimCommand },
  { name: 'xautoclaim', arity: -6, flags: CMD_WRITE | CMD_FAST, firstKey: 1, lastKey: 1, keyStep: 1, handler: xautoclaimCommand },
];
