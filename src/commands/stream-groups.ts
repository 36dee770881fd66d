// Consumer group commands of Redis 7.0.15's t_stream.c: XGROUP (CREATE, SETID, DESTROY,
// CREATECONSUMER, DELCONSUMER, HELP), XACK and XPENDING, plus the helpers the other group
// commands share (stream-claim.ts: XCLAIM, XAUTOCLAIM; server/commands/stream-readgroup.ts: XREADGROUP, which
// blocks and so lives with the server's blocking commands):
// replying an entry, and replicating a group change as Redis propagates it.
//
// Replication. XGROUP and XACK replicate as sent. A delivery or claim replicates as Redis's
// streamPropagateXCLAIM: `XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID
// LASTID last-id`, idempotent on the replica, one per entry; a group's last ID moved without
// one (XREADGROUP NOACK, XCLAIM LASTID) as `XGROUP SETID key group id ENTRIESREAD n`; a consumer
// created by a NOACK read as `XGROUP CREATECONSUMER`. Several such words in one call are
// wrapped in MULTI/EXEC (CommandContext.replicate). The dispatcher replicates a call only when
// it counted a change, so a call that replicates nothing must count none.
//
// A group change is accounted (bytes, a write counted) without signalling the key as modified
// (groupsChanged): Redis's group commands leave WATCH, client tracking and blocked readers alone,
// except MKSTREAM's new key, and XGROUP DESTROY, which wakes the key's XREADGROUP waiters.

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_LOADING, CMD_READONLY, CMD_STALE, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from './errors.js';
import { NOTIFY_STREAM } from './keyspace-events.js';
import { INVALID_ENTRIES_READ, streamDecrID, streamIncrID, streamParseIDOrReply, streamParseIntervalIDOrReply, streamParseStrictIDOrReply } from './stream-ids.js';
import { TYPE_STREAM, type Entry } from '../store/entry.js';
import { StreamValue } from '../store/stream.js';
import { StreamGroups, type ConsumerGroup, type PendingEntry } from '../store/stream-groups.js';
import { formatStreamId } from '../store/stream-image.js';

const ERR_KEY_REQUIRED =
  'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.';
const ERR_ENTRIESREAD = 'ERR value for ENTRIESREAD must be positive or -1';
const ERR_BUSYGROUP = 'BUSYGROUP Consumer Group name already exists';

/** addReplySubcommandSyntaxError: names the subcommand as sent and the command uppercased. */
export function errSubcommandSyntax(c: CommandContext): string {
  return `ERR unknown subcommand or wrong number of arguments for '${c.str(1).slice(0, 128)}'. Try ${c.str(0).toUpperCase()} HELP.`;
}

/** addReplyErrorFormat's sanitizing: newlines in the formatted text become spaces. */
export function sanitizeError(s: string): string {
  return s.replace(/[\r\n]/g, ' ');
}

export function errNoGroup(key: string, group: string): string {
  return sanitizeError(`NOGROUP No such key '${key}' or consumer group '${group}'`);
}

/** Replies one entry as Redis does: [id, [field, value, ...]]. */
export function writeStreamEntry(c: CommandContext, id: bigint, fields: readonly string[]): void {
  c.w.array(2);
  c.w.bulk(formatStreamId(id));
  c.w.array(fields.length);
  for (const f of fields) c.w.bulk(f);
}

/** Replies an ID as a bulk string. */
export function writeStreamId(c: CommandContext, id: bigint): void {
  c.w.bulk(formatStreamId(id));
}

/** streamPropagateXCLAIM: the claim of `idArg` by the entry's owner, idempotent on a replica. */
export function propagateXclaim(c: CommandContext, key: string, group: ConsumerGroup, idArg: string, p: PendingEntry): void {
  c.replicate([
    'XCLAIM', key, group.name, p.consumer!.name, '0', idArg,
    'TIME', String(p.deliveryTime), 'RETRYCOUNT', String(p.deliveryCount),
    'FORCE', 'JUSTID', 'LASTID', formatStreamId(group.lastId),
  ]);
}

/** streamPropagateGroupID: the group's last ID and read counter. */
export function propagateGroupId(c: CommandContext, key: string, group: ConsumerGroup): void {
  c.replicate(['XGROUP', 'SETID', key, group.name, formatStreamId(group.lastId), 'ENTRIESREAD', String(group.entriesRead)]);
}

/** streamPropagateConsumerCreation. */
export function propagateConsumerCreation(c: CommandContext, key: string, group: ConsumerGroup, consumer: string): void {
  c.replicate(['XGROUP', 'CREATECONSUMER', key, group.name, consumer]);
}

/** The stream at key for a group command; undefined if missing, null after replying WRONGTYPE. */
export function streamEntry(c: CommandContext, key: string, write: boolean): Entry | undefined | null {
  return write ? c.writeTyped(key, TYPE_STREAM) : c.readTyped(key, TYPE_STREAM);
}

/**
 * Accounts a change to a stream's groups: bytes re-counted and a write counted (so the call is
 * replicated), but no modified-key signal: Redis's group commands do not call
 * signalModifiedKey, so WATCH, client tracking and blocked readers do not see them.
 */
export function groupsChanged(c: CommandContext, e: Entry, byteDelta: number): void {
  const db = c.db;
  const hook = db.onModified;
  db.onModified = null;
  try {
    db.changed(e, byteDelta);
  } finally {
    db.onModified = hook;
  }
}

/** The part of the node signalKeyAsReady needs (the node is opaque to src/commands). */
interface BlockingOwner {
  blocking?: { readonly active: boolean; keyModified(db: number, key: string): void };
}

/**
 * signalKeyAsReady: wakes the clients blocked on key (XREADGROUP waiters of a destroyed group
 * answer -NOGROUP) without signalling a modified key to WATCH or tracking, as Redis.
 */
export function signalKeyAsReady(c: CommandContext, key: string): void {
  const blocking = (c.owner as BlockingOwner | null)?.blocking;
  if (blocking !== undefined && blocking.active) blocking.keyModified(c.db.id, key);
}

/** streamLookupCG. */
export function lookupGroup(s: StreamValue, name: string): ConsumerGroup | undefined {
  return s.groups === null ? undefined : s.groups.get(name);
}

/** What the shared head of xgroupCommand found. */
interface XgroupHead {
  e: Entry | undefined;
  s: StreamValue | null;
  group: ConsumerGroup | undefined;
  mkstream: boolean;
  entriesRead: number;
}

/**
 * The shared head of xgroupCommand, in its order: options (from argument 5), the key (its
 * absence an error unless MKSTREAM), the group (required by SETID, CREATECONSUMER,
 * DELCONSUMER). Null after replying an error.
 */
function xgroupHead(c: CommandContext, sub: string): XgroupHead | null {
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  const argc = c.argc;
  const create = sub === 'create';
  const setid = sub === 'setid';
  for (let i = 5; i < argc; ) {
    if (create && c.is(i, 'mkstream')) {
      mkstream = true;
      i++;
    } else if ((create || setid) && c.is(i, 'entriesread') && i + 1 < argc) {
      const n = c.int(i + 1);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return null;
      }
      if (n < 0 && n !== INVALID_ENTRIES_READ) {
        c.w.error(ERR_ENTRIESREAD);
        return null;
      }
      entriesRead = n;
      i += 2;
    } else {
      c.w.error(errSubcommandSyntax(c));
      return null;
    }
  }
  const e = streamEntry(c, c.str(2), true);
  if (e === null) return null;
  const s = e === undefined ? null : (e.value as StreamValue);
  const groupName = c.str(3);
  let group: ConsumerGroup | undefined;
  if (!mkstream) {
    if (s === null) {
      c.w.error(ERR_KEY_REQUIRED);
      return null;
    }
    group = lookupGroup(s, groupName);
    if (group === undefined && (setid || sub === 'createconsumer' || sub === 'delconsumer')) {
      c.w.error(sanitizeError(`NOGROUP No such consumer group '${groupName}' for key name '${c.str(2)}'`));
      return null;
    }
  }
  return { e, s, group, mkstream, entriesRead };
}

function xgroupCreateCommand(c: CommandContext): void {
  const head = xgroupHead(c, 'create');
  if (head === null) return;
  if (c.argc > 8) {
    c.w.error(errSubcommandSyntax(c));
    return;
  }
  const key = c.str(2);
  let id: bigint;
  if (c.str(4) === '$') id = head.s === null ? 0n : head.s.lastId;
  else {
    const p = streamParseStrictIDOrReply(c, 4, 0n);
    if (p === null) return;
    id = p.id;
  }
  let e = head.e;
  if (e === undefined) e = c.db.create(key, TYPE_STREAM, new StreamValue());
  const s = e.value as StreamValue;
  const before = s.bytes;
  if (s.groups === null) s.groups = new StreamGroups();
  if (s.groups.create(c.str(3), id, head.entriesRead) === null) {
    c.w.error(ERR_BUSYGROUP);
    return;
  }
  // MKSTREAM's new key is signalled as modified (signalModifiedKey); a group alone is not.
  if (head.e === undefined) c.db.changed(e, s.bytes - before);
  else groupsChanged(c, e, s.bytes - before);
  c.w.ok();
  c.notify(NOTIFY_STREAM, 'xgroup-create', key);
}

function xgroupSetidCommand(c: CommandContext): void {
  const head = xgroupHead(c, 'setid');
  if (head === null) return;
  if (c.argc !== 5 && c.argc !== 7) {
    c.w.error(errSubcommandSyntax(c));
    return;
  }
  const s = head.s!;
  let id: bigint;
  if (c.str(4) === '$') id = s.lastId;
  else {
    const p = streamParseIDOrReply(c, 4, 0n);
    if (p === null) return;
    id = p;
  }
  const group = head.group!;
  group.lastId = id;
  group.entriesRead = head.entriesRead;
  groupsChanged(c, head.e!, 0);
  c.w.ok();
  c.notify(NOTIFY_STREAM, 'xgroup-setid', c.str(2));
}

function xgroupDestroyCommand(c: CommandContext): void {
  const head = xgroupHead(c, 'destroy');
  if (head === null) return;
  const s = head.s!;
  if (head.group === undefined) {
    c.w.integer(0);
    return;
  }
  const before = s.bytes;
  s.groups!.destroy(head.group.name);
  groupsChanged(c, head.e!, s.bytes - before);
  signalKeyAsReady(c, c.str(2));
  c.w.integer(1);
  c.notify(NOTIFY_STREAM, 'xgroup-destroy', c.str(2));
}

function xgroupCreateconsumerCommand(c: CommandContext): void {
  const head = xgroupHead(c, 'createconsumer');
  if (head === null) return;
  const s = head.s!;
  const before = s.bytes;
  const created = head.group!.createConsumer(c.str(4), c.store.clock.now()) !== null;
  if (created) {
    groupsChanged(c, head.e!, s.bytes - before);
    c.notify(NOTIFY_STREAM, 'xgroup-createconsumer', c.str(2));
  }
  c.w.integer(created ? 1 : 0);
}

function xgroupDelconsumerCommand(c: CommandContext): void {
  const head = xgroupHead(c, 'delconsumer');
  if (head === null) return;
  const s = head.s!;
  const group = head.group!;
  const consumer = group.consumer(c.str(4));
  let pending = 0;
  if (consumer !== undefined) {
    pending = consumer.pel.size;
    const before = s.bytes;
    group.deleteConsumer(consumer);
    groupsChanged(c, head.e!, s.bytes - before);
    c.notify(NOTIFY_STREAM, 'xgroup-delconsumer', c.str(2));
  }
  c.w.integer(pending);
}

const XGROUP_HELP = [
  'XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
  'HELP',
  '    Prints this help.',
];

/** addReplyHelp: the lines as status replies. */
export function writeHelpLines(c: CommandContext, lines: readonly string[]): void {
  c.w.array(lines.length);
  for (const l of lines) c.w.simple(l);
}

/** XACK key group id [id ...]: all IDs are parsed before any is acknowledged. */
function xackCommand(c: CommandContext): void {
  const e = streamEntry(c, c.str(1), false);
  if (e === null) return;
  const group = e === undefined ? undefined : lookupGroup(e.value as StreamValue, c.str(2));
  if (group === undefined) {
    c.w.integer(0);
    return;
  }
  const ids: bigint[] = [];
  for (let i = 3; i < c.argc; i++) {
    const p = streamParseStrictIDOrReply(c, i, 0n);
    if (p === null) return;
    ids.push(p.id);
  }
  const s = e!.value as StreamValue;
  const before = s.bytes;
  let acknowledged = 0;
  for (const id of ids) if (group.acknowledge(id)) acknowledged++;
  if (acknowledged > 0) groupsChanged(c, e!, s.bytes - before);
  c.w.integer(acknowledged);
}

/** XPENDING key group [[IDLE min-idle] start end count [consumer]]. */
function xpendingCommand(c: CommandContext): void {
  const argc = c.argc;
  const key = c.str(1);
  const groupName = c.str(2);
  if (argc !== 3 && (argc < 6 || argc > 9)) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  let start = 0n;
  let end = 0n;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | null = null;
  if (argc >= 6) {
    let at = 3;
    if (c.is(3, 'idle')) {
      const n = c.int(4);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      minIdle = n;
      if (argc < 8) {
        c.w.error(ERR_SYNTAX);
        return;
      }
      at += 2;
    }
    const n = c.int(at + 2);
    if (n === undefined) {
      c.w.error(ERR_NOT_INTEGER);
      return;
    }
    count = Math.max(0, n);
    const from = streamParseIntervalIDOrReply(c, at, 0n);
    if (from === null) return;
    start = from.id;
    if (from.exclusive) {
      const next = streamIncrID(start);
      if (next === null) {
        c.w.error('ERR invalid start ID for the interval');
        return;
      }
      start = next;
    }
    const to = streamParseIntervalIDOrReply(c, at + 1, (1n << 64n) - 1n);
    if (to === null) return;
    end = to.id;
    if (to.exclusive) {
      const prev = streamDecrID(end);
      if (prev === null) {
        c.w.error('ERR invalid end ID for the interval');
        return;
      }
      end = prev;
    }
    if (at + 3 < argc) consumerName = c.str(at + 3);
  }
  const e = streamEntry(c, key, false);
  if (e === null) return;
  const group = e === undefined ? undefined : lookupGroup(e.value as StreamValue, groupName);
  if (group === undefined) {
    c.w.error(errNoGroup(key, groupName));
    return;
  }
  if (argc === 3) {
    writePendingSummary(c, group);
    return;
  }
  let pel = group.pel;
  if (consumerName !== null) {
    const consumer = group.consumer(consumerName);
    if (consumer === undefined) {
      c.w.array(0);
      return;
    }
    pel = consumer.pel;
  }
  const now = c.store.clock.now();
  const rows: Array<[bigint, PendingEntry]> = [];
  if (count > 0) {
    for (const [id, p] of pel.from(start)) {
      if (id > end) break;
      if (minIdle !== 0 && now - p.deliveryTime < minIdle) continue;
      rows.push([id, p]);
      if (rows.length >= count) break;
    }
  }
  c.w.array(rows.length);
  for (const [id, p] of rows) {
    c.w.array(4);
    writeStreamId(c, id);
    c.w.bulk(p.consumer!.name);
    c.w.integer(Math.max(0, now - p.deliveryTime));
    c.w.integer(p.deliveryCount);
  }
}

/** XPENDING key group: [count, first ID, last ID, [[consumer, its count] ...]]. */
function writePendingSummary(c: CommandContext, group: ConsumerGroup): void {
  c.w.array(4);
  c.w.integer(group.pel.size);
  if (group.pel.size === 0) {
    c.w.nil();
    c.w.nil();
    c.w.nullArray();
    return;
  }
  writeStreamId(c, group.pel.first()!);
  writeStreamId(c, group.pel.last()!);
  const owners = group.consumers().filter((consumer) => consumer.pel.size > 0);
  c.w.array(owners.length);
  for (const consumer of owners) {
    c.w.array(2);
    c.w.bulk(consumer.name);
    c.w.bulk(String(consumer.pel.size));
  }
}

const KEY2 = { firstKey: 2, lastKey: 2, keyStep: 1 };

export const streamGroupCommands: CommandDef[] = [
  {
    name: 'xgroup',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'create', arity: -5, flags: CMD_WRITE | CMD_DENYOOM, ...KEY2, handler: xgroupCreateCommand },
      { name: 'setid', arity: -5, flags: CMD_WRITE, ...KEY2, handler: xgroupSetidCommand },
      { name: 'destroy', arity: 4, flags: CMD_WRITE, ...KEY2, handler: xgroupDestroyCommand },
      { name: 'createconsumer', arity: 5, flags: CMD_WRITE | CMD_DENYOOM, ...KEY2, handler: xgroupCreateconsumerCommand },
      { name: 'delconsumer', arity: 5, flags: CMD_WRITE, ...KEY2, handler: xgroupDelconsumerCommand },
      { name: 'help', arity: 2, flags: CMD_LOADING | CMD_STALE, handler: (c) => writeHelpLines(c, XGROUP_HELP) },
    ],
  },
  { name: 'xack', arity: -4, flags: CMD_WRITE | CMD_FAST, firstKey: 1, lastKey: 1, keyStep: 1, handler: xackCommand },
  { name: 'xpending', arity: -3, flags: CMD_READONLY, firstKey: 1, lastKey: 1, keyStep: 1, handler: xpendingCommand },
];
