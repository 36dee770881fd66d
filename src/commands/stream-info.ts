// XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS and XINFO HELP, with Redis
// 7.0.15's fields in its order (t_stream.c xinfoCommand, xinfoReplyWithStreamInfo).
//
// radix-tree-keys is the number of corral's stream nodes, which split as Redis's listpacks do.
// radix-tree-nodes is computed as the node count of the rax Redis would hold for those nodes'
// master IDs (raxNodeCount over StreamValue.nodeMasterIds).

import type { CommandContext } from './context.js';
import { CMD_LOADING, CMD_READONLY, CMD_STALE, type CommandDef } from './table.js';
import { ERR_NOT_INTEGER, ERR_NO_SUCH_KEY } from './errors.js';
import { INVALID_ENTRIES_READ, STREAM_ID_MAX, streamEstimateDistanceFromFirstEverEntry, streamRangeHasTombstones } from './stream-ids.js';
import { errSubcommandSyntax, sanitizeError, writeHelpLines, writeStreamEntry, writeStreamId } from './stream-groups.js';
import { TYPE_STREAM } from '../store/entry.js';
import type { StreamValue } from '../store/stream.js';
import type { ConsumerGroup } from '../store/stream-groups.js';

/**
 * The nodes of a Redis rax holding these keys (16 bytes each: the ID's ms then seq, big-endian),
 * sorted ascending and distinct. A rax is a compressed trie: each node either branches (one
 * child per next byte) or holds a run of bytes shared by every key below it, and each key ends
 * in an empty leaf node; inserts and deletes keep it in that canonical shape, so the count
 * depends on the keys alone. Empty: the root alone.
 */
export function raxNodeCount(keys: readonly bigint[]): number {
  if (keys.length === 0) return 1;
  const byteAt = (k: bigint, depth: number): number => Number((k >> BigInt(8 * (15 - depth))) & 0xffn);
  // Nodes of the subtree starting at `depth` over keys[lo, hi), which share their first depth bytes.
  const count = (lo: number, hi: number, depth: number): number => {
    if (depth === 16) return 1;
    if (byteAt(keys[lo], depth) === byteAt(keys[hi - 1], depth)) {
      // One next byte for all: a compressed node over the bytes they all share.
      let end = depth + 1;
      while (end < 16 && byteAt(keys[lo], end) === byteAt(keys[hi - 1], end)) end++;
      return 1 + count(lo, hi, end);
    }
    let nodes = 1;
    for (let i = lo; i < hi; ) {
      const b = byteAt(keys[i], depth);
      let j = i + 1;
      while (j < hi && byteAt(keys[j], depth) === b) j++;
      nodes += count(i, j, depth + 1);
      i = j;
    }
    return nodes;
  };
  return count(0, keys.length, 0);
}

function radixTreeNodes(s: StreamValue): number {
  return raxNodeCount(s.nodeMasterIds());
}

/** streamReplyWithCGLag: the entries not yet delivered to the group, or nil if unknowable. */
function writeLag(c: CommandContext, s: StreamValue, g: ConsumerGroup): void {
  if (s.entriesAdded === 0) {
    c.w.integer(0);
    return;
  }
  if (g.entriesRead !== INVALID_ENTRIES_READ && !streamRangeHasTombstones(s, g.lastId, null)) {
    c.w.integer(s.entriesAdded - g.entriesRead);
    return;
  }
  const read = streamEstimateDistanceFromFirstEverEntry(s, g.lastId);
  if (read !== INVALID_ENTRIES_READ) c.w.integer(s.entriesAdded - read);
  else c.w.nil();
}

function writeEntriesRead(c: CommandContext, g: ConsumerGroup): void {
  if (g.entriesRead !== INVALID_ENTRIES_READ) c.w.integer(g.entriesRead);
  else c.w.nil();
}

/** The stream at argument 2, or null after replying (no such key, WRONGTYPE). */
function streamArg(c: CommandContext): StreamValue | null {
  const e = c.readTyped(c.str(2), TYPE_STREAM);
  if (e === null) return null;
  if (e === undefined) {
    c.w.error(ERR_NO_SUCH_KEY);
    return null;
  }
  return e.value as StreamValue;
}

function xinfoStreamCommand(c: CommandContext): void {
  const s = streamArg(c);
  if (s === null) return;
  let full = false;
  let count = 10;
  const optc = c.argc - 3;
  if (optc !== 0) {
    if ((optc !== 1 && optc !== 3) || !c.is(3, 'full') || (optc === 3 && !c.is(4, 'count'))) {
      c.w.error(errSubcommandSyntax(c));
      return;
    }
    full = true;
    if (optc === 3) {
      const n = c.int(5);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      count = n < 0 ? 10 : n;
    }
  }
  writeStreamInfo(c, s, full, count);
}

function writeStreamInfo(c: CommandContext, s: StreamValue, full: boolean, count: number): void {
  c.w.map(full ? 9 : 10);
  c.w.bulk('length');
  c.w.integer(s.length);
  c.w.bulk('radix-tree-keys');
  c.w.integer(s.nodeCount);
  c.w.bulk('radix-tree-nodes');
  c.w.integer(radixTreeNodes(s));
  c.w.bulk('last-generated-id');
  writeStreamId(c, s.lastId);
  c.w.bulk('max-deleted-entry-id');
  writeStreamId(c, s.maxDeletedId);
  c.w.bulk('entries-added');
  c.w.integer(s.entriesAdded);
  c.w.bulk('recorded-first-entry-id');
  writeStreamId(c, s.firstId());
  if (!full) {
    c.w.bulk('groups');
    c.w.integer(s.groups === null ? 0 : s.groups.size);
    for (const [label, rev] of [['first-entry', false], ['last-entry', true]] as const) {
      c.w.bulk(label);
      const [edge] = s.range(0n, STREAM_ID_MAX, 1, rev);
      if (edge === undefined) c.w.nil();
      else writeStreamEntry(c, edge.id, edge.fields);
    }
    return;
  }
  c.w.bulk('entries');
  const entries = s.range(0n, STREAM_ID_MAX, count, false);
  c.w.array(entries.length);
  for (const entry of entries) writeStreamEntry(c, entry.id, entry.fields);
  c.w.bulk('groups');
  const groups = s.groups === null ? [] : s.groups.groups();
  c.w.array(groups.length);
  for (const g of groups) writeGroupFull(c, s, g, count);
}

/** One group of XINFO STREAM FULL: its PEL and consumers, each list cut at count (0: all). */
function writeGroupFull(c: CommandContext, s: StreamValue, g: ConsumerGroup, count: number): void {
  c.w.map(7);
  c.w.bulk('name');
  c.w.bulk(g.name);
  c.w.bulk('last-delivered-id');
  writeStreamId(c, g.lastId);
  c.w.bulk('entries-read');
  writeEntriesRead(c, g);
  c.w.bulk('lag');
  writeLag(c, s, g);
  c.w.bulk('pel-count');
  c.w.integer(g.pel.size);
  c.w.bulk('pending');
  const pending = [...take(g.pel.entries(), count)];
  c.w.array(pending.length);
  for (const [id, p] of pending) {
    c.w.array(4);
    writeStreamId(c, id);
    c.w.bulk(p.consumer!.name);
    c.w.integer(p.deliveryTime);
    c.w.integer(p.deliveryCount);
  }
  c.w.bulk('consumers');
  const consumers = g.consumers();
  c.w.array(consumers.length);
  for (const consumer of consumers) {
    c.w.map(4);
    c.w.bulk('name');
    c.w.bulk(consumer.name);
    c.w.bulk('seen-time');
    c.w.integer(consumer.seenTime);
    c.w.bulk('pel-count');
    c.w.integer(consumer.pel.size);
    c.w.bulk('pending');
    const own = [...take(consumer.pel.entries(), count)];
    c.w.array(own.length);
    for (const [id, p] of own) {
      c.w.array(3);
      writeStreamId(c, id);
      c.w.integer(p.deliveryTime);
      c.w.integer(p.deliveryCount);
    }
  }
}

/** The first n of an iteration (n 0: all). */
function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  let left = n;
  for (const v of it) {
    if (n !== 0 && left-- <= 0) return;
    yield v;
  }
}

function xinfoGroupsCommand(c: CommandContext): void {
  const s = streamArg(c);
  if (s === null) return;
  const groups = s.groups === null ? [] : s.groups.groups();
  c.w.array(groups.length);
  for (const g of groups) {
    c.w.map(6);
    c.w.bulk('name');
    c.w.bulk(g.name);
    c.w.bulk('consumers');
    c.w.integer(g.consumerCount);
    c.w.bulk('pending');
    c.w.integer(g.pel.size);
    c.w.bulk('last-delivered-id');
    writeStreamId(c, g.lastId);
    c.w.bulk('entries-read');
    writeEntriesRead(c, g);
    c.w.bulk('lag');
    writeLag(c, s, g);
  }
}

function xinfoConsumersCommand(c: CommandContext): void {
  const s = streamArg(c);
  if (s === null) return;
  const name = c.str(3);
  const g = s.groups?.get(name);
  if (g === undefined) {
    c.w.error(sanitizeError(`NOGROUP No such consumer group '${name}' for key name '${c.str(2)}'`));
    return;
  }
  const now = c.store.clock.now();
  const consumers = g.consumers();
  c.w.array(consumers.length);
  for (const consumer of consumers) {
    c.w.map(3);
    c.w.bulk('name');
    c.w.bulk(consumer.name);
    c.w.bulk('pending');
    c.w.integer(consumer.pel.size);
    c.w.bulk('idle');
    c.w.integer(Math.max(0, now - consumer.seenTime));
  }
}

const XINFO_HELP = [
  'XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
  'HELP',
  '    Prints this help.',
];

const KEY2 = { firstKey: 2, lastKey: 2, keyStep: 1 };

export const streamInfoCommands: CommandDef[] = [
  {
    name: 'xinfo',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'consumers', arity: 4, flags: CMD_READONLY, ...KEY2, handler: xinfoConsumersCommand },
      { name: 'groups', arity: 3, flags: CMD_READONLY, ...KEY2, handler: xinfoGroupsCommand },
      { name: 'stream', arity: -3, flags: CMD_READONLY, ...KEY2, handler: xinfoStreamCommand },
      { name: 'help', arity: 2, flags: CMD_LOADING | CMD_STALE, handler: (c) => writeHelpLines(c, XINFO_HELP) },
    ],
  },
];
